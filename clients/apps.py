from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clients import audit_links

        audit_links.register()
