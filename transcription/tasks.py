"""Thin Celery wrappers: ids in, services do the work. No PHI in any message."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from redis.exceptions import ConnectionError as RedisConnectionError

from intellisession.errors import DomainError
from transcription.audio import AudioRejected
from transcription.models import Transcription, TranscriptionChunk
from transcription.services import live as live_service
from transcription.services import pipeline, sweeper

logger = logging.getLogger(__name__)

# Only these are worth another try; a bad file fails at once.
TRANSIENT = (OperationalError, InterfaceError, RedisConnectionError, ConnectionError, TimeoutError)


@shared_task(
    name="transcription.tasks.start",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def start(transcription_id: str) -> None:
    try:
        chunk_ids = pipeline.transcription_plan(transcription_id=transcription_id)
    except (AudioRejected, DomainError) as error:
        _fail(transcription_id, getattr(error, "code", "damaged"), getattr(error, "message", str(error)))
        return
    for chunk_id in chunk_ids:
        run_chunk.delay(chunk_id)


@shared_task(
    name="transcription.tasks.run_chunk",
    acks_late=True,
    soft_time_limit=3600,
    time_limit=3900,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def run_chunk(chunk_id: int) -> None:
    try:
        pipeline.chunk_run(chunk_id=chunk_id)
    except TRANSIENT:
        raise
    except (AudioRejected, DomainError) as error:
        chunk = TranscriptionChunk.objects.filter(pk=chunk_id).select_related("transcription").first()
        if chunk is not None:
            _fail(str(chunk.transcription_id), getattr(error, "code", "damaged"), getattr(error, "message", ""))
    except Exception:
        chunk = TranscriptionChunk.objects.filter(pk=chunk_id).first()
        logger.exception("chunk %s failed", chunk_id)
        if chunk is not None:
            _fail(str(chunk.transcription_id), "error", "Transcription failed unexpectedly. Please try again.")
        raise


@shared_task(
    name="transcription.tasks.live",
    acks_late=True,
    soft_time_limit=3600,
    time_limit=3900,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
    ignore_result=True,
)
def live(upload_id: str) -> None:
    """Transcribe what has arrived of a recording still being recorded; on any failure live
    transcription stops for that recording and Stop transcribes the rest as before."""
    try:
        live_service.live_run(upload_id=upload_id)
    except TRANSIENT:
        raise
    except Exception:
        logger.exception("live transcription of upload %s stopped", upload_id)
        live_service.live_stop(upload_id)


def _fail(transcription_id: str, code: str, message: str) -> None:
    transcription = Transcription.objects.filter(pk=transcription_id).first()
    if transcription is None:
        logger.info("transcription %s is gone", transcription_id)
        return
    with transaction.atomic():
        pipeline.transcription_fail(transcription, code=code, message=message)


@shared_task(name="transcription.tasks.sweep", acks_late=False, ignore_result=True)
def sweep() -> dict[str, int]:
    try:
        return sweeper.sweep()
    except DatabaseError:
        logger.exception("sweep failed; it runs again at the next interval")
        return {}
