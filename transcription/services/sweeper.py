"""The sweeper, run by beat: audio past its age bound is deleted whatever its job's state, files
no row points to are deleted, and work whose worker or message was lost is queued again."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from intellisession.audit import audit_record
from intellisession.models import Practice
from intellisession.queueing import send, waiting_messages
from transcription.models import ChunkStatus, Transcription, TranscriptionChunk, TranscriptionStatus, private_storage
from transcription.services.intake import audio_delete
from transcription.services.live import sweep_live_audio
from transcription.services.pipeline import transcription_fail, transcription_finish
from transcription.services.uploads import sweep_stale_uploads

logger = logging.getLogger(__name__)


def sweep() -> dict[str, int]:
    """Delete audio past its age bound, whatever its job's state, and re-enqueue stuck work."""
    counts = {"audio_deleted": sweep_old_audio(), "orphans_deleted": sweep_orphan_files()}
    counts["requeued"] = requeue_stuck()
    counts["finished"] = finish_stranded()
    counts["uploads_deleted"] = sweep_stale_uploads()  # browser recordings whose tab closed
    counts["live_parts_deleted"] = sweep_live_audio()  # recordings transcribed live: LIVE_AUDIO_MAX_AGE
    return counts


def sweep_old_audio() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.AUDIO_MAX_AGE)
    deleted = 0
    for transcription in Transcription.objects.filter(created_at__lt=cutoff).exclude(audio=""):
        deleted += audio_delete(transcription, reason="age_bound")
        if not transcription.is_finished:
            transcription_fail(
                transcription,
                code="too_slow",
                message=(
                    "This recording was not transcribed in time and has been deleted for privacy. "
                    "Please upload it again."
                ),
            )
    return deleted


def sweep_orphan_files() -> int:
    """Files under audio/ that no row points to (a request that rolled back, a crash mid-intake)."""
    storage = private_storage()
    cutoff = timezone.now() - timedelta(seconds=settings.AUDIO_MAX_AGE)
    known = set(Transcription.objects.exclude(audio="").values_list("audio", flat=True))
    deleted = 0
    for name in _stored_audio(storage):
        if name in known or storage.get_modified_time(name) >= cutoff:
            continue
        storage.delete(name)
        audit_record(
            action="audio.delete",
            practice=_practice_of(name),
            object_type="audio_file",
            object_id=name.rsplit("/", 1)[-1],
            detail={"reason": "orphan"},
        )
        deleted += 1
    return deleted


def _practice_of(name: str) -> Practice | None:
    """The practice whose folder a stored file is in (``audio/<practice id>/<file>``), so its admins see the receipt."""
    try:
        return Practice.objects.filter(pk=uuid.UUID(name.split("/")[1])).first()
    except (IndexError, ValueError):
        return None


def _stored_audio(storage: object) -> Iterator[str]:
    try:
        practices, _ = storage.listdir("audio")  # type: ignore[attr-defined]
    except (FileNotFoundError, NotImplementedError):
        return
    for practice_dir in practices:
        _, files = storage.listdir(f"audio/{practice_dir}")  # type: ignore[attr-defined]
        yield from (f"audio/{practice_dir}/{name}" for name in files)


def requeue_stuck() -> int:
    """Work whose worker vanished (no heartbeat) or whose message was lost goes back on the queue.

    A running chunk whose heartbeat stopped is always sent again. Waiting work is sent again only
    when the transcription queue is empty: under a backlog its message is still waiting in line,
    and sending it every sweep would only add copies."""
    stale = timezone.now() - timedelta(seconds=settings.TRANSCRIPTION_STALE_SECONDS)
    lost_messages = waiting_messages(settings.CELERY_TASK_ROUTES["transcription.*"]["queue"]) == 0
    requeued = 0
    unplanned = Transcription.objects.filter(
        Q(status=TranscriptionStatus.QUEUED)
        | Q(status=TranscriptionStatus.RUNNING, chunks_total=0, started_at__lt=stale),
        created_at__lt=stale,
    ).exclude(audio="")
    for transcription in unplanned:
        # Planning takes seconds; one begun before the stale mark lost its worker.
        planning_died = Transcription.objects.filter(
            pk=transcription.pk, status=TranscriptionStatus.RUNNING, chunks_total=0
        ).update(status=TranscriptionStatus.QUEUED)
        if lost_messages or planning_died:
            requeued += send("transcription.tasks.start", str(transcription.pk))
    waiting = Q(status=ChunkStatus.QUEUED) if lost_messages else Q(pk__in=[])
    stuck = TranscriptionChunk.objects.filter(
        waiting | Q(status=ChunkStatus.RUNNING, heartbeat_at__lt=stale),
        transcription__status=TranscriptionStatus.RUNNING,
        transcription__created_at__lt=stale,
    )
    for chunk in stuck:
        requeued += send("transcription.tasks.run_chunk", chunk.pk)
    if requeued:
        logger.info("sweeper re-enqueued %d jobs", requeued)
    return requeued


def finish_stranded() -> int:
    """Jobs whose chunks are all saved but which were never finished: the worker died between saving
    the last chunk and finishing the job (labelling speakers, telling the owner, deleting the audio)."""
    stale = timezone.now() - timedelta(seconds=settings.TRANSCRIPTION_STALE_SECONDS)
    stranded = Transcription.objects.filter(
        status=TranscriptionStatus.RUNNING, chunks_total__gt=0, chunks_done__gte=F("chunks_total")
    )
    stranded = stranded.exclude(chunks__heartbeat_at__gte=stale)
    finished = sum(transcription_finish(transcription_id=pk) for pk in stranded.values_list("pk", flat=True))
    if finished:
        logger.info("sweeper finished %d transcription(s) whose worker stopped after the last chunk", finished)
    return finished
