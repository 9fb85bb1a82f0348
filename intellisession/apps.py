from django.apps import AppConfig


class IntelliSessionConfig(AppConfig):
    name = "intellisession"
    verbose_name = "IntelliSession"
    default_auto_field = "django.db.models.BigAutoField"
