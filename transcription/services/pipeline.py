"""The transcription pipeline on the worker side: a job is claimed and split into chunks, each
chunk is claimed, transcribed and saved, and the job finishes (done, no speech) or fails.

Claims are conditional UPDATEs, so a redelivered message is harmless; ``attempts`` stops a
recording that keeps killing its worker. Transcription reports back through the signals in
``transcription.signals``.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from transcription import audio as audio_lib
from transcription import engine
from transcription.audio import AudioArray
from transcription.chunking import plan_chunks
from transcription.engine import TranscribeResult
from transcription.models import (
    ChunkStatus,
    Transcription,
    TranscriptionChunk,
    TranscriptionStatus,
    TranscriptSegment,
)
from transcription.services.intake import audio_delete, audio_local_path
from transcription.services.workers import holder_is_gone as _holder_is_gone
from transcription.services.workers import worker_id as _worker_id
from transcription.signals import transcription_finished, transcription_started
from transcription.speakers import VoicePrint, label_prints, voice_prints
from transcription.types import Segment

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds between progress writes while a chunk runs


def transcription_plan(*, transcription_id: str) -> list[int]:
    """Claim a queued transcription, split it at silences and create its chunk rows.

    Returns the chunk ids to run; empty when someone else has it or it is finished."""
    with transaction.atomic():
        claimed = Transcription.objects.filter(pk=transcription_id, status=TranscriptionStatus.QUEUED).update(
            status=TranscriptionStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
        )
        if not claimed:
            return []
        transcription = Transcription.objects.get(pk=transcription_id)
        if transcription.attempts > settings.TRANSCRIPTION_MAX_ATTEMPTS:
            transcription_fail(transcription, code="crashed", message=_crashed_message(transcription.attempts - 1))
            return []
    with transaction.atomic():
        transcription_started.send(sender=Transcription, transcription=transcription)
    began = time.monotonic()
    with audio_local_path(transcription) as path:
        ranges = _plan(path, transcription.duration, start=transcription.live_until)
    planned = time.monotonic() - began
    # A recording transcribed live while it was recorded comes with its first chunks done.
    live = TranscriptionChunk.objects.filter(
        transcription=transcription, status=ChunkStatus.DONE, end__lte=transcription.live_until + 1e-6
    ).count()
    with transaction.atomic():
        chunks = [
            TranscriptionChunk(
                practice_id=transcription.practice_id, transcription=transcription, index=live + i, start=start, end=end
            )
            for i, (start, end) in enumerate(ranges)
        ]
        TranscriptionChunk.objects.bulk_create(chunks, ignore_conflicts=True)
        Transcription.objects.filter(pk=transcription.pk).update(chunks_total=live + len(ranges), chunks_done=live)
    logger.info(
        "transcription %s planned: %d chunks, %.0f s, in %.2f s",
        transcription.pk,
        len(ranges),
        transcription.duration,
        planned,
    )
    return list(
        TranscriptionChunk.objects.filter(transcription=transcription)
        .exclude(status=ChunkStatus.DONE)
        .values_list("pk", flat=True)
    )


def _plan(path: Path, duration: float, *, start: float = 0.0) -> list[tuple[float, float]]:
    target = float(settings.TRANSCRIPTION_CHUNK_SECONDS)
    return plan_chunks(path, duration=duration, target=target, start=start, absolute=start > 0)


def _crashed_message(attempts: int) -> str:
    return (
        f"This recording could not be transcribed: processing stopped unexpectedly {attempts} times. "
        "Try again, or upload the recording in another format."
    )


def chunk_claim(chunk_id: int) -> TranscriptionChunk | None:
    """Claim a chunk with a conditional UPDATE. A chunk held by a dead or stalled worker
    can be taken over; every claim counts as an attempt."""
    chunk = TranscriptionChunk.objects.filter(pk=chunk_id).select_related("transcription").first()
    if chunk is None or chunk.transcription.is_finished:
        return None
    stale = timezone.now() - timedelta(seconds=settings.TRANSCRIPTION_STALE_SECONDS)
    claimable = Q(status=ChunkStatus.QUEUED)
    if chunk.status == ChunkStatus.RUNNING and (
        _holder_is_gone(chunk.claimed_by) or (chunk.heartbeat_at and chunk.heartbeat_at < stale)
    ):
        claimable |= Q(status=ChunkStatus.RUNNING, claimed_by=chunk.claimed_by)
    # One transaction: a claim over the attempt limit is never seen as running.
    with transaction.atomic():
        claimed = TranscriptionChunk.objects.filter(claimable, pk=chunk_id).update(
            status=ChunkStatus.RUNNING,
            claimed_by=_worker_id(),
            heartbeat_at=timezone.now(),
            attempts=F("attempts") + 1,
            done_seconds=0.0,
        )
        if not claimed:
            return None
        chunk.refresh_from_db()
        if chunk.attempts > settings.TRANSCRIPTION_MAX_ATTEMPTS:
            transcription_fail(chunk.transcription, code="crashed", message=_crashed_message(chunk.attempts - 1))
            return None
    return chunk


def chunk_run(*, chunk_id: int) -> None:
    chunk = chunk_claim(chunk_id)
    if chunk is None:
        logger.info("chunk %s not claimed (taken, finished or gone)", chunk_id)
        return
    transcription = chunk.transcription
    began = time.monotonic()
    with audio_local_path(transcription) as path:
        pcm = audio_lib.decode(path, start=chunk.start, end=chunk.end, absolute=transcription.live_until > 0)
    decoded = time.monotonic()
    result = _transcribe(pcm, chunk, transcription)
    transcribed = time.monotonic()
    prints = _voice_prints(pcm, result, chunk)
    del pcm
    printed = time.monotonic()
    _chunk_save(chunk, result.segments, speech_found=result.speech_found, language=result.language, prints=prints)
    ended = time.monotonic()
    logger.info(
        "chunk %s of transcription %s done in %.1f s (%d segments) decode=%.2fs transcribe=%.2fs prints=%.2fs"
        " save=%.2fs",
        chunk.index,
        transcription.pk,
        ended - began,
        len(result.segments),
        decoded - began,
        transcribed - decoded,
        printed - transcribed,
        ended - printed,
    )


# Origins of different chunks must not collide when their prints are pooled.
_ORIGIN_STRIDE = 1_000_000


def _voice_prints(pcm: AudioArray, result: TranscribeResult, chunk: TranscriptionChunk) -> list[dict[str, Any]]:
    prints = voice_prints(
        pcm, result.segments, offset=chunk.start, words=result.words, first_origin=chunk.index * _ORIGIN_STRIDE
    )
    return [p.row() for p in prints]


def _label_speakers(transcription: Transcription) -> None:
    """Label "Speaker 1"/"Speaker 2" over the whole recording at once, so labels agree across chunks."""
    rows = [row for chunk in transcription.chunks.order_by("index") for row in (chunk.voice_prints or [])]
    prints = [VoicePrint.from_row(row) for row in rows]
    labelled = label_prints(prints)
    if labelled is None:
        return
    with transaction.atomic():
        # Two finishers (the worker and the sweeper's recovery) take turns: each replaces all segments.
        if (
            not Transcription.objects.select_for_update()
            .filter(pk=transcription.pk, status=TranscriptionStatus.RUNNING)
            .exists()
        ):
            return
        TranscriptSegment.objects.filter(transcription=transcription).delete()
        TranscriptSegment.objects.bulk_create(
            [
                TranscriptSegment(
                    practice_id=transcription.practice_id,
                    transcription=transcription,
                    start=s.start,
                    end=s.end,
                    speaker=s.speaker,
                    text=s.text,
                )
                for s in labelled
            ]
        )


def _transcribe(pcm: AudioArray, chunk: TranscriptionChunk, transcription: Transcription) -> TranscribeResult:
    hotwords, prompt = engine.priming((transcription.priming_terms or "").splitlines())
    last_beat = [time.monotonic()]
    length = chunk.end - chunk.start

    def on_progress(fraction: float) -> None:
        if time.monotonic() - last_beat[0] < HEARTBEAT_EVERY:
            return
        last_beat[0] = time.monotonic()
        _chunk_heartbeat(chunk, done_seconds=fraction * length)

    return engine.transcribe(
        pcm,
        offset=chunk.start,
        hotwords=hotwords,
        initial_prompt=prompt,
        word_timestamps=True,
        model_dir=settings.WHISPER_MODEL or None,
        cpu_threads=settings.WHISPER_CPU_THREADS,
        on_progress=on_progress,
    )


def _chunk_heartbeat(chunk: TranscriptionChunk, *, done_seconds: float) -> None:
    TranscriptionChunk.objects.filter(pk=chunk.pk, claimed_by=_worker_id()).update(
        heartbeat_at=timezone.now(), done_seconds=done_seconds
    )
    _refresh_progress(chunk.transcription_id)


def _refresh_progress(transcription_id: uuid.UUID) -> None:
    transcription = Transcription.objects.filter(pk=transcription_id).only("duration").first()
    if transcription is None or not transcription.duration:
        return
    done = TranscriptionChunk.objects.filter(transcription_id=transcription_id).aggregate(s=Sum("done_seconds"))["s"]
    percent = min(99, int(100 * (done or 0.0) / transcription.duration))
    Transcription.objects.filter(pk=transcription_id, status=TranscriptionStatus.RUNNING).update(progress=percent)


def _chunk_save(
    chunk: TranscriptionChunk,
    segments: list[Segment],
    *,
    speech_found: bool,
    language: str,
    prints: list[dict[str, Any]],
) -> None:
    """Save a chunk under its row lock; the worker whose chunk completes the recording then finishes it,
    after that commit, so the lock is held for the rows of one chunk only."""
    if _chunk_commit(chunk, segments, speech_found=speech_found, language=language, prints=prints):
        transcription_finish(transcription_id=chunk.transcription_id)


def _chunk_commit(
    chunk: TranscriptionChunk,
    segments: list[Segment],
    *,
    speech_found: bool,
    language: str,
    prints: list[dict[str, Any]],
) -> bool:
    """The chunk's segments and state in one transaction. True when it was the recording's last chunk."""
    with transaction.atomic():
        # Only the current holder may finish the chunk; a worker that lost its claim stops here.
        locked = (
            TranscriptionChunk.objects.select_for_update()
            .filter(pk=chunk.pk, claimed_by=_worker_id(), status=ChunkStatus.RUNNING)
            .first()
        )
        if locked is None:
            return False
        TranscriptSegment.objects.filter(transcription_id=chunk.transcription_id, chunk_index=chunk.index).delete()
        TranscriptSegment.objects.bulk_create(
            [
                TranscriptSegment(
                    practice_id=chunk.practice_id,
                    transcription_id=chunk.transcription_id,
                    chunk_index=chunk.index,
                    start=s.start,
                    end=s.end,
                    speaker=s.speaker,
                    text=s.text,
                )
                for s in segments
            ]
        )
        locked.status = ChunkStatus.DONE
        locked.speech_found = speech_found
        locked.done_seconds = chunk.end - chunk.start
        locked.voice_prints = prints
        locked.save(update_fields=["status", "speech_found", "done_seconds", "voice_prints"])
        # The UPDATE locks the job's row, so of two chunks saved at once only the second sees the full count.
        Transcription.objects.filter(pk=chunk.transcription_id).update(
            chunks_done=F("chunks_done") + 1, language=language or F("language")
        )
        _refresh_progress(chunk.transcription_id)
        transcription = Transcription.objects.get(pk=chunk.transcription_id)
        return transcription.chunks_done >= transcription.chunks_total and not transcription.is_finished


def transcription_finish(*, transcription_id: uuid.UUID | str) -> bool:
    """End a transcription whose chunks are all saved: speakers labelled across the recording, the job
    done (or no speech) and its owner told in one transaction, then the audio deleted.

    Safe to call twice (the sweeper finishes a job whose worker died after its last chunk): the
    conditional UPDATE lets one call through. Returns whether this call finished it."""
    transcription = Transcription.objects.filter(pk=transcription_id, status=TranscriptionStatus.RUNNING).first()
    if transcription is None or transcription.chunks_done < transcription.chunks_total:
        return False
    speech = TranscriptionChunk.objects.filter(transcription=transcription, speech_found=True).exists()
    began = time.monotonic()
    if speech:
        _label_speakers(transcription)  # before the owner is told, so the note reads the labelled transcript
    labelled = time.monotonic() - began
    now = timezone.now()
    seconds = (now - transcription.started_at).total_seconds() if transcription.started_at else None
    with transaction.atomic():
        finished = Transcription.objects.filter(pk=transcription.pk, status=TranscriptionStatus.RUNNING).update(
            status=TranscriptionStatus.DONE if speech else TranscriptionStatus.NO_SPEECH,
            progress=100,
            finished_at=now,
            transcription_seconds=seconds,
        )
        if not finished:
            return False
        transcription.refresh_from_db()
        transcription_finished.send(sender=Transcription, transcription=transcription)
    audio_delete(transcription, reason="transcribed")
    logger.info(
        "transcription %s finished: label=%.2fs total=%.2fs", transcription.pk, labelled, time.monotonic() - began
    )
    return True


def transcription_fail(transcription: Transcription, *, code: str, message: str) -> None:
    """End a transcription for good: reason recorded and owner told in one transaction; the audio is
    deleted once that commits (a caller's transaction included)."""
    with transaction.atomic():
        updated = (
            Transcription.objects.filter(pk=transcription.pk)
            .exclude(status__in=[TranscriptionStatus.DONE, TranscriptionStatus.NO_SPEECH, TranscriptionStatus.FAILED])
            .update(status=TranscriptionStatus.FAILED, error=message[:300], error_code=code, finished_at=timezone.now())
        )
        TranscriptionChunk.objects.filter(transcription=transcription).exclude(status=ChunkStatus.DONE).update(
            status=ChunkStatus.FAILED
        )
        transcription.refresh_from_db()
        if updated:
            logger.warning("transcription %s failed: %s", transcription.pk, code)
            transcription_finished.send(sender=Transcription, transcription=transcription)
        # If the deletion fails the job still ends FAILED; the sweeper deletes audio past its age bound.
        transaction.on_commit(lambda: audio_delete(transcription, reason=f"failed:{code}"), robust=True)
