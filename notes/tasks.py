"""Thin Celery wrapper for note writing: an id in, the service does the work."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.db.models import F

from intellisession.errors import DomainError
from notes.llm import LLMPermanentError, LLMTransientError
from notes.models import NoteRequest
from notes.services.requests import (
    GENERATE_TIME_LIMIT,
    note_request_fail,
    note_request_generate,
    note_requests_stuck,
)
from notes.services.retention import transcript_retention_enforce

logger = logging.getLogger(__name__)

MAX_LLM_RETRIES = 3


@shared_task(name="notes.tasks.generate", bind=True, acks_late=True, soft_time_limit=GENERATE_TIME_LIMIT - 60,
             time_limit=GENERATE_TIME_LIMIT,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=2, max_retries=5)
def generate(self: object, request_id: str) -> None:
    request = NoteRequest.objects.filter(pk=request_id).first()
    if request is None:
        logger.info("note request %s is gone", request_id)
        return
    try:
        note_request_generate(request_id=request_id)
    except LLMTransientError as error:
        _retry_or_fail(self, request, error)
    except (LLMPermanentError, DomainError) as error:
        note_request_fail(request, code=getattr(error, "code", "llm"), message=_message(error))


def _message(error: Exception) -> str:
    return getattr(error, "message", "") or "The note could not be written."


def _retry_or_fail(task: object, request: NoteRequest, error: LLMTransientError) -> None:
    retries = task.request.retries  # type: ignore[attr-defined]
    if retries >= MAX_LLM_RETRIES:
        note_request_fail(request, code=error.code, message=_message(error))
        return
    # The attempt was counted by the claim; hand it back so the retry may claim again.
    NoteRequest.objects.filter(pk=request.pk).update(attempts=F("attempts") - 1)
    raise task.retry(countdown=min(60, 5 * 2**retries))  # type: ignore[attr-defined]


@shared_task(name="notes.tasks.requeue_stuck", ignore_result=True)
def requeue_stuck() -> int:
    """Note writing whose message was lost (broker down when it was queued) goes back on the queue;
    the claim counts attempts, so a job that keeps failing still ends FAILED."""
    requeued = note_requests_stuck()
    for request_id in requeued:
        generate.delay(request_id)
    if requeued:
        logger.info("re-enqueued %d note-writing jobs", len(requeued))
    return len(requeued)


@shared_task(name="notes.tasks.enforce_transcript_retention", acks_late=True, soft_time_limit=1800, time_limit=1900)
def enforce_transcript_retention() -> int:
    return transcript_retention_enforce()
