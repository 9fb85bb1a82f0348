from django.apps import AppConfig


class TranscriptionConfig(AppConfig):
    name = "transcription"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks with Celery once the models are loaded, so services can queue them by
        # name (intellisession.queueing) without importing the module that imports them.
        from transcription import tasks  # noqa: F401
