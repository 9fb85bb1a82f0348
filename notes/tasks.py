"""Thin Celery wrappers for notes: ids in, the services do the work. No PHI in any message or log.

Note writing ends every run with the request READY or FAILED, whatever happens inside it:
a refusal (DomainError) or an LLM error fails it with that error's plain message, and any
other exception, a bug or the soft time limit included, fails it at once with a plain
reason. Only a database outage is retried here; transient LLM errors were already retried
by the engine (see ``notes.llm``), so retrying them again would multiply the attempts.
"""

from __future__ import annotations

import logging
import traceback

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from intellisession.errors import DomainError
from intellisession.queueing import send
from notes.llm import LLMError
from notes.models import NoteRequest
from notes.services.requests import (
    GENERATE_TIME_LIMIT,
    note_request_fail,
    note_request_generate,
    note_requests_stuck,
)
from notes.services.retention import transcript_retention_enforce

logger = logging.getLogger(__name__)

# The database being unreachable is the one failure worth another run of the whole task.
DATABASE_DOWN = (OperationalError, InterfaceError)

TOO_SLOW = "Writing the note took too long and was stopped. Please retry; if it happens again, try a shorter recording."
UNEXPECTED = "The note could not be written because of an unexpected error. Please retry."


@shared_task(
    name="notes.tasks.generate",
    acks_late=True,
    soft_time_limit=GENERATE_TIME_LIMIT - 60,
    time_limit=GENERATE_TIME_LIMIT,
    autoretry_for=DATABASE_DOWN,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def generate(request_id: str) -> None:
    request = NoteRequest.objects.filter(pk=request_id).first()
    if request is None:
        logger.info("note request %s is gone", request_id)
        return
    try:
        note_request_generate(request_id=request_id)
    except DATABASE_DOWN:
        raise
    except (LLMError, DomainError) as error:
        note_request_fail(request, code=error.code, message=error.message)
    except SoftTimeLimitExceeded:
        logger.warning("note request %s stopped at the time limit", request_id)
        note_request_fail(request, code="too_slow", message=TOO_SLOW)
    except Exception as error:
        # The type and where it was raised only: an exception's text may quote the session.
        logger.error("note request %s failed: %s at %s", request_id, type(error).__name__, _where(error))
        note_request_fail(request, code="error", message=UNEXPECTED)


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else "?"


@shared_task(name="notes.tasks.requeue_stuck", ignore_result=True)
def requeue_stuck() -> int:
    """Note writing whose message was lost (broker down when it was queued) goes back on the queue;
    the claim counts attempts, so a job that keeps failing still ends FAILED."""
    requeued = sum(send("notes.tasks.generate", request_id) for request_id in note_requests_stuck())
    if requeued:
        logger.info("re-enqueued %d note-writing jobs", requeued)
    return requeued


@shared_task(name="notes.tasks.enforce_transcript_retention", acks_late=True, soft_time_limit=1800, time_limit=1900)
def enforce_transcript_retention() -> int:
    return transcript_retention_enforce()
