from django.apps import AppConfig


class IntelliSessionConfig(AppConfig):
    name = "intellisession"
    verbose_name = "IntelliSession"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing registers the receivers and system checks.
        from intellisession import checks, signals, tokens  # noqa: F401

        signals.connect_third_party_signals()
