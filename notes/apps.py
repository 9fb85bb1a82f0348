from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Once the models are loaded: the receivers connect the transcription signals, and the tasks
        # register with Celery so services can queue them by name (intellisession.queueing).
        from notes import audit_links, receivers, tasks  # noqa: F401

        audit_links.register()
