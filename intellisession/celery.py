"""The Celery app: Redis broker, queues ``transcription`` and ``llm``."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intellisession.settings")

app = Celery("intellisession")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
