"""Thin Celery wrapper for note writing: an id in, the service does the work."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from intellisession.errors import DomainError
from notes import services
from notes.llm import LLMPermanentError, LLMTransientError
from notes.models import NoteRequest

logger = logging.getLogger(__name__)

MAX_LLM_RETRIES = 3


@shared_task(name="notes.tasks.generate", bind=True, acks_late=True, soft_time_limit=900, time_limit=960,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=2, max_retries=5)
def generate(self: object, request_id: str) -> None:
    request = NoteRequest.objects.filter(pk=request_id).first()
    if request is None:
        logger.info("note request %s is gone", request_id)
        return
    try:
        services.note_request_generate(request_id=request_id)
    except LLMTransientError as error:
        _retry_or_fail(self, request, error)
    except (LLMPermanentError, DomainError) as error:
        services.note_request_fail(request, code=getattr(error, "code", "llm"), message=_message(error))


def _message(error: Exception) -> str:
    return getattr(error, "message", "") or "The note could not be written."


def _retry_or_fail(task: object, request: NoteRequest, error: LLMTransientError) -> None:
    retries = task.request.retries  # type: ignore[attr-defined]
    if retries >= MAX_LLM_RETRIES:
        services.note_request_fail(request, code=error.code, message=_message(error))
        return
    # The attempt was counted by the claim; hand it back so the retry may claim again.
    from django.db.models import F

    NoteRequest.objects.filter(pk=request.pk).update(attempts=F("attempts") - 1)
    raise task.retry(countdown=min(60, 5 * 2**retries))  # type: ignore[attr-defined]
