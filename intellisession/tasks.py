"""Periodic housekeeping tasks of the project package (ids and counts only in messages and logs)."""

from __future__ import annotations

from celery import shared_task

from intellisession import retention


@shared_task(name="intellisession.tasks.enforce_transcript_retention", acks_late=True, soft_time_limit=1800,
             time_limit=1900)
def enforce_transcript_retention() -> int:
    return retention.transcript_retention_enforce()
