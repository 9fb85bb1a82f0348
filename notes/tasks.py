"""Thin Celery wrappers for notes: ids in, the services do the work. No PHI in any message or log.

Note writing ends every run with the request READY or FAILED, whatever happens inside it
(a long session's stages included: `generate` starts a chord of `generate_stretch` tasks whose
callback is `generate_compose`; a member that is lost leaves the request to the stuck-job
sweeper, whose next attempt reuses the stretches already read):
a refusal (DomainError) or an LLM error fails it with that error's plain message, and any
other exception, a bug or the soft time limit included, fails it at once with a plain
reason. Only a database outage is retried here; transient LLM errors were already retried
by the engine (see ``notes.llm``), so retrying them again would multiply the attempts.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from intellisession.errors import DomainError
from intellisession.queueing import send
from notes.llm import LLMError
from notes.models import NoteRequest
from notes.services.requests import (
    GENERATE_TIME_LIMIT,
    note_request_compose,
    note_request_fail,
    note_request_generate,
    note_request_stretch,
    note_requests_stuck,
)
from notes.services.retention import transcript_retention_enforce

logger = logging.getLogger(__name__)

# The database being unreachable is the one failure worth another run of the whole task.
DATABASE_DOWN = (OperationalError, InterfaceError)

TOO_SLOW = "Writing the note took too long and was stopped. Please retry; if it happens again, try a shorter recording."
UNEXPECTED = "The note could not be written because of an unexpected error. Please retry."


_NOTE_TASK: dict[str, Any] = {
    "acks_late": True,
    "soft_time_limit": GENERATE_TIME_LIMIT - 60,
    "time_limit": GENERATE_TIME_LIMIT,
    "autoretry_for": DATABASE_DOWN,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


@shared_task(name="notes.tasks.generate", **_NOTE_TASK)
def generate(request_id: str) -> None:
    """Write the note, or, for a session longer than one model call allows, start its two stages."""
    _guarded(request_id, lambda: note_request_generate(request_id=request_id))


@shared_task(name="notes.tasks.generate_stretch", **_NOTE_TASK)
def generate_stretch(request_id: str, index: int) -> None:
    """Stage one for one stretch of a long transcript; a member of the chord that `generate` starts.
    Its failure fails the request; the chord's callback then finds the request finished and stops."""
    _guarded(request_id, lambda: note_request_stretch(request_id=request_id, index=index))


@shared_task(name="notes.tasks.generate_compose", **_NOTE_TASK)
def generate_compose(request_id: str) -> None:
    """Stage two: the note from every stretch's facts; the chord's callback."""
    _guarded(request_id, lambda: note_request_compose(request_id=request_id))


def _guarded(request_id: str, work: Callable[[], object]) -> None:
    request = NoteRequest.objects.filter(pk=request_id).first()
    if request is None:
        logger.info("note request %s is gone", request_id)
        return
    try:
        work()
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
