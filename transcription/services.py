"""Writes for transcription: intake, chunk planning and running, audio deletion, the sweeper.

Audio lives in private storage only between intake and the end of its
transcription; ``audio_delete`` is called in ``finally`` paths and by the sweeper,
and every deletion writes an audit event (the deletion receipt).
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import Practice
from intellisession.queueing import send, send_on_commit, waiting_messages
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
    private_storage,
)
from transcription.signals import transcription_finished, transcription_started
from transcription.speakers import VoicePrint, label_prints, voice_prints
from transcription.types import Segment
from transcription.uploads import sweep_stale_uploads

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds between progress writes while a chunk runs


# --- Intake ---------------------------------------------------------------------------


@contextmanager
def local_upload_path(upload: UploadedFile | Path) -> Iterator[Path]:
    """A path on disk for an upload: Django's temporary file when it made one, else our own
    temporary copy, removed on exit."""
    if isinstance(upload, Path):
        yield upload
        return
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    handle = tempfile.NamedTemporaryFile(prefix="intake-", delete=False)  # noqa: SIM115
    try:
        with handle:
            for piece in upload.chunks():
                handle.write(piece)
        yield Path(handle.name)
    finally:
        os.unlink(handle.name)


def audio_check(path: Path) -> audio_lib.AudioInfo:
    """Probe by content; a refusal becomes a DomainError with the message a clinician reads."""
    try:
        return audio_lib.probe(path, max_duration=settings.AUDIO_MAX_SECONDS, max_bytes=settings.AUDIO_MAX_BYTES)
    except audio_lib.AudioRejected as rejected:
        raise DomainError(rejected.message, code=f"audio_{rejected.code}") from None


def transcription_create(*, practice: Practice, path: Path, info: audio_lib.AudioInfo,
                         priming_terms: Iterable[str] = ()) -> Transcription:
    """Store checked audio in private storage (streamed, never whole in memory) and queue its job.

    The caller runs this inside its transaction and enqueues with ``transcription_enqueue``."""
    transcription = Transcription(
        practice=practice,
        audio_format=info.format,
        audio_bytes=path.stat().st_size,
        duration=info.duration,
        priming_terms="\n".join(dict.fromkeys(t.strip() for t in priming_terms if t.strip())),
    )
    with open(path, "rb") as handle:
        transcription.audio.save("audio", File(handle), save=False)
    try:
        transcription.save()
    except BaseException:
        transcription.audio.storage.delete(transcription.audio.name or "")
        raise
    # If the caller's transaction rolls back, the stored file is an orphan: the sweeper deletes
    # files no row points to once they are older than AUDIO_MAX_AGE.
    return transcription


def transcription_enqueue(transcription: Transcription) -> None:
    """Queue the job once its rows are committed.

    With the broker unreachable the upload is still accepted: the job stays QUEUED in the
    database, and the sweeper queues it again once it is older than
    TRANSCRIPTION_STALE_SECONDS (see ``requeue_stuck``). Failing here, after the commit,
    would tell the user the upload failed while its job exists."""
    send_on_commit("transcription.tasks.start", str(transcription.pk))


# --- Worker side ----------------------------------------------------------------------


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_is_gone(claimed_by: str) -> bool:
    """True when the worker named in a claim is certainly dead (same host, pid gone) or is us."""
    host, _, pid = claimed_by.rpartition(":")
    if claimed_by == _worker_id():
        return True
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


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
    with audio_local_path(transcription) as path:
        ranges = _plan(path, transcription.duration)
    with transaction.atomic():
        chunks = [
            TranscriptionChunk(practice_id=transcription.practice_id, transcription=transcription, index=i,
                               start=start, end=end)
            for i, (start, end) in enumerate(ranges)
        ]
        TranscriptionChunk.objects.bulk_create(chunks, ignore_conflicts=True)
        Transcription.objects.filter(pk=transcription.pk).update(chunks_total=len(ranges))
    logger.info("transcription %s planned: %d chunks, %.0f s", transcription.pk, len(ranges), transcription.duration)
    return list(TranscriptionChunk.objects.filter(transcription=transcription).values_list("pk", flat=True))


def _plan(path: Path, duration: float) -> list[tuple[float, float]]:
    return plan_chunks(path, duration=duration, target=float(settings.TRANSCRIPTION_CHUNK_SECONDS))


def _crashed_message(attempts: int) -> str:
    return (f"This recording could not be transcribed: processing stopped unexpectedly {attempts} times. "
            "Try again, or upload the recording in another format.")


def chunk_claim(chunk_id: int) -> TranscriptionChunk | None:
    """Claim a chunk with a conditional UPDATE. A chunk held by a dead or stalled worker
    can be taken over; every claim counts as an attempt."""
    chunk = TranscriptionChunk.objects.filter(pk=chunk_id).select_related("transcription").first()
    if chunk is None or chunk.transcription.is_finished:
        return None
    stale = timezone.now() - timedelta(seconds=settings.TRANSCRIPTION_STALE_SECONDS)
    claimable = Q(status=ChunkStatus.QUEUED)
    if chunk.status == ChunkStatus.RUNNING and (_holder_is_gone(chunk.claimed_by)
                                                or (chunk.heartbeat_at and chunk.heartbeat_at < stale)):
        claimable |= Q(status=ChunkStatus.RUNNING, claimed_by=chunk.claimed_by)
    # One transaction: a claim over the attempt limit is never seen as running.
    with transaction.atomic():
        claimed = TranscriptionChunk.objects.filter(claimable, pk=chunk_id).update(
            status=ChunkStatus.RUNNING, claimed_by=_worker_id(), heartbeat_at=timezone.now(),
            attempts=F("attempts") + 1, done_seconds=0.0,
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
        pcm = audio_lib.decode(path, start=chunk.start, end=chunk.end)
    result = _transcribe(pcm, chunk, transcription)
    prints = _voice_prints(pcm, result, chunk)
    del pcm
    _chunk_save(chunk, result.segments, speech_found=result.speech_found, language=result.language,
                prints=prints)
    logger.info("chunk %s of transcription %s done in %.1f s (%d segments)", chunk.index, transcription.pk,
                time.monotonic() - began, len(result.segments))


# Origins of different chunks must not collide when their prints are pooled.
_ORIGIN_STRIDE = 1_000_000


def _voice_prints(pcm: AudioArray, result: TranscribeResult, chunk: TranscriptionChunk) -> list[dict[str, Any]]:
    prints = voice_prints(pcm, result.segments, offset=chunk.start, words=result.words,
                          first_origin=chunk.index * _ORIGIN_STRIDE)
    return [{"start": p.segment.start, "end": p.segment.end, "text": p.segment.text, "origin": p.origin,
             "features": p.features} for p in prints]


def _label_speakers(transcription: Transcription) -> None:
    """Label "Speaker 1"/"Speaker 2" over the whole recording at once, so labels agree across chunks."""
    rows = [row for chunk in transcription.chunks.order_by("index") for row in (chunk.voice_prints or [])]
    prints = [VoicePrint(Segment(r["start"], r["end"], r["text"]), r["origin"], r["features"]) for r in rows]
    labelled = label_prints(prints)
    if labelled is None:
        return
    TranscriptSegment.objects.filter(transcription=transcription).delete()
    TranscriptSegment.objects.bulk_create([
        TranscriptSegment(practice_id=transcription.practice_id, transcription=transcription, start=s.start,
                          end=s.end, speaker=s.speaker, text=s.text) for s in labelled
    ])


def _transcribe(pcm: AudioArray, chunk: TranscriptionChunk, transcription: Transcription) -> TranscribeResult:
    hotwords, prompt = engine.priming((transcription.priming_terms or "").splitlines())
    last_beat = [time.monotonic()]
    length = chunk.end - chunk.start

    def on_progress(fraction: float) -> None:
        if time.monotonic() - last_beat[0] < HEARTBEAT_EVERY:
            return
        last_beat[0] = time.monotonic()
        _chunk_heartbeat(chunk, done_seconds=fraction * length)

    return engine.transcribe(pcm, offset=chunk.start, hotwords=hotwords, initial_prompt=prompt, word_timestamps=True,
                             model_dir=settings.WHISPER_MODEL or None, cpu_threads=settings.WHISPER_CPU_THREADS,
                             on_progress=on_progress)


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


def _chunk_save(chunk: TranscriptionChunk, segments: list[Segment], *, speech_found: bool, language: str,
                prints: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        # Only the current holder may finish the chunk; a worker that lost its claim stops here.
        locked = (TranscriptionChunk.objects.select_for_update()
                  .filter(pk=chunk.pk, claimed_by=_worker_id(), status=ChunkStatus.RUNNING).first())
        if locked is None:
            return
        TranscriptSegment.objects.filter(transcription_id=chunk.transcription_id, chunk_index=chunk.index).delete()
        TranscriptSegment.objects.bulk_create([
            TranscriptSegment(practice_id=chunk.practice_id, transcription_id=chunk.transcription_id,
                              chunk_index=chunk.index, start=s.start, end=s.end, speaker=s.speaker, text=s.text)
            for s in segments
        ])
        locked.status = ChunkStatus.DONE
        locked.speech_found = speech_found
        locked.done_seconds = chunk.end - chunk.start
        locked.voice_prints = prints
        locked.save(update_fields=["status", "speech_found", "done_seconds", "voice_prints"])
        Transcription.objects.filter(pk=chunk.transcription_id).update(
            chunks_done=F("chunks_done") + 1, language=language or F("language")
        )
        _refresh_progress(chunk.transcription_id)
        transcription = Transcription.objects.select_for_update().get(pk=chunk.transcription_id)
        if transcription.chunks_done >= transcription.chunks_total and not transcription.is_finished:
            _finish(transcription)


def _finish(transcription: Transcription) -> None:
    speech = TranscriptionChunk.objects.filter(transcription=transcription, speech_found=True).exists()
    transcription.status = TranscriptionStatus.DONE if speech else TranscriptionStatus.NO_SPEECH
    transcription.progress = 100
    transcription.finished_at = timezone.now()
    if transcription.started_at:
        transcription.transcription_seconds = (transcription.finished_at - transcription.started_at).total_seconds()
    transcription.save(update_fields=["status", "progress", "finished_at", "transcription_seconds"])
    if speech:
        _label_speakers(transcription)
    audio_delete(transcription, reason="transcribed")
    transcription_finished.send(sender=Transcription, transcription=transcription)


def transcription_fail(transcription: Transcription, *, code: str, message: str) -> None:
    """End a transcription for good: reason recorded, audio deleted, owner told."""
    with transaction.atomic():
        updated = Transcription.objects.filter(pk=transcription.pk).exclude(
            status__in=[TranscriptionStatus.DONE, TranscriptionStatus.NO_SPEECH, TranscriptionStatus.FAILED]
        ).update(status=TranscriptionStatus.FAILED, error=message[:300], error_code=code, finished_at=timezone.now())
        TranscriptionChunk.objects.filter(transcription=transcription).exclude(status=ChunkStatus.DONE).update(
            status=ChunkStatus.FAILED)
        transcription.refresh_from_db()
        audio_delete(transcription, reason=f"failed:{code}")
        if updated:
            logger.warning("transcription %s failed: %s", transcription.pk, code)
            transcription_finished.send(sender=Transcription, transcription=transcription)


# --- Speakers --------------------------------------------------------------------------

SPEAKER_NAME_MAX = 40


def transcription_speakers(transcription: Transcription) -> list[str]:
    """The speaker labels in a transcript, in the order they first speak."""
    labels = TranscriptSegment.objects.filter(transcription=transcription).exclude(speaker="").values_list(
        "speaker", flat=True)
    return list(dict.fromkeys(labels))


def transcription_rename_speakers(*, transcription: Transcription, names: dict[str, str], actor: Any) -> None:
    """Name the speakers ("Speaker 1" -> "Therapist"); an empty name shows the label again."""
    known = set(transcription_speakers(transcription))
    if set(names) - known:
        raise DomainError("That speaker is not in this transcript.", code="unknown_speaker")
    cleaned: dict[str, str] = {}
    for label, name in names.items():
        name = " ".join(name.split())
        if len(name) > SPEAKER_NAME_MAX:
            raise DomainError(f"A speaker's name can be at most {SPEAKER_NAME_MAX} characters.", code="name_too_long")
        if name and name != label:
            cleaned[label] = name
    transcription.speaker_names = cleaned
    transcription.save(update_fields=["speaker_names"])
    audit_record(action="transcript.edit", practice=transcription.practice, actor=actor, obj=transcription,
                 detail={"speakers_named": len(cleaned)})


@transaction.atomic
def transcript_delete(*, transcription: Transcription, reason: str) -> int:
    """Delete a transcript's text (segments), its voice prints and its chart terms, with the audit
    receipt; the job row stays so the notes that quoted it still say where their quotes came from."""
    deleted, _ = TranscriptSegment.objects.filter(transcription=transcription).delete()
    TranscriptionChunk.objects.filter(transcription=transcription).update(voice_prints=[])
    Transcription.objects.filter(pk=transcription.pk).update(priming_terms=None, speaker_names={})
    audit_record(action="transcript.delete", practice=transcription.practice, obj=transcription,
                 detail={"segments": deleted, "policy": reason})
    return int(deleted)


# --- Audio files -----------------------------------------------------------------------


@contextmanager
def audio_local_path(transcription: Transcription) -> Iterator[Path]:
    """A local path to the stored audio; remote storage is copied to a temporary file that is
    always removed."""
    if not transcription.audio:
        raise DomainError("The recording is no longer stored.", code="audio_gone")
    storage = transcription.audio.storage
    try:
        yield Path(storage.path(transcription.audio.name or ""))
        return
    except NotImplementedError:
        pass
    handle = tempfile.NamedTemporaryFile(prefix="decode-", delete=False)  # noqa: SIM115
    try:
        with handle, storage.open(transcription.audio.name or "", "rb") as remote:
            for piece in iter(lambda: remote.read(1024 * 1024), b""):
                handle.write(piece)
        yield Path(handle.name)
    finally:
        os.unlink(handle.name)


def audio_delete(transcription: Transcription, *, reason: str) -> bool:
    """Delete the stored audio and record the deletion receipt. Safe to call twice."""
    name = transcription.audio.name
    if not name:
        return False
    transcription.audio.storage.delete(name)
    Transcription.objects.filter(pk=transcription.pk).update(audio="", audio_deleted_at=timezone.now())
    transcription.audio.name = ""
    audit_record(action="audio.delete", practice=transcription.practice, obj=transcription,
                 detail={"reason": reason, "bytes": transcription.audio_bytes})
    logger.info("audio of transcription %s deleted (%s)", transcription.pk, reason)
    return True


# --- Sweeper ----------------------------------------------------------------------------


def sweep() -> dict[str, int]:
    """Delete audio past its age bound, whatever its job's state, and re-enqueue stuck work."""
    counts = {"audio_deleted": sweep_old_audio(), "orphans_deleted": sweep_orphan_files()}
    counts["requeued"] = requeue_stuck()
    counts["uploads_deleted"] = sweep_stale_uploads()  # browser recordings whose tab closed
    return counts


def sweep_old_audio() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.AUDIO_MAX_AGE)
    deleted = 0
    for transcription in Transcription.objects.filter(created_at__lt=cutoff).exclude(audio=""):
        deleted += audio_delete(transcription, reason="age_bound")
        if not transcription.is_finished:
            transcription_fail(transcription, code="too_slow", message=(
                "This recording was not transcribed in time and has been deleted for privacy. Please upload it again."))
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
        audit_record(action="audio.delete", object_type="audio_file", object_id=name.rsplit("/", 1)[-1],
                     detail={"reason": "orphan"})
        deleted += 1
    return deleted


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
        Q(status=TranscriptionStatus.QUEUED) | Q(status=TranscriptionStatus.RUNNING, chunks_total=0,
                                                 started_at__lt=stale),
        created_at__lt=stale,
    ).exclude(audio="")
    for transcription in unplanned:
        # Planning takes seconds; one begun before the stale mark lost its worker.
        planning_died = Transcription.objects.filter(pk=transcription.pk, status=TranscriptionStatus.RUNNING,
                                                     chunks_total=0).update(status=TranscriptionStatus.QUEUED)
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
