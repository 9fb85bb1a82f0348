"""Live transcription of a browser recording while it is still being recorded.

Each part the recorder uploads queues ``transcription.tasks.live`` (queue ``transcription``);
one run at a time holds an upload (a conditional UPDATE, like a chunk claim). A run decodes the
audio held on the server (the stored WebM header, then the parts from a Cluster start: Matroska
timestamps are the recording's own, so the decoded audio knows where it is), cuts it in a pause
into a window of about WINDOW_SECONDS, transcribes the window primed with the chart terms, saves
its segments and voice prints (encrypted) and deletes the parts whose audio is all transcribed,
with an audit receipt. It goes on while whole windows are there, so a run that fell behind
catches up.

At Stop (``uploads.upload_finish``) only the audio not transcribed yet is handed to intake, as a
``RecordingPath``; ``live_attach`` turns the windows into finished chunks of the new
transcription, so the pipeline transcribes only the rest, then labels speakers over the whole
recording. A recording live transcription never reached is finished exactly as before.

While a recording is transcribed live the sweeper keeps the audio held to LIVE_AUDIO_MAX_AGE.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PosixPath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Greatest
from django.utils import timezone

from intellisession.audit import audit_record
from intellisession.queueing import send_on_commit
from transcription import audio as audio_lib
from transcription import engine, webm
from transcription.chunking import quietest_point
from transcription.models import (
    AudioUpload,
    ChunkStatus,
    LiveWindow,
    Transcription,
    TranscriptionChunk,
    TranscriptSegment,
    UploadStatus,
    private_storage,
)
from transcription.services.workers import holder_is_gone as _holder_is_gone
from transcription.services.workers import worker_id as _worker_id
from transcription.speakers import voice_prints
from transcription.types import Segment

logger = logging.getLogger(__name__)

SAMPLE_RATE = audio_lib.SAMPLE_RATE
# A window is about this long and ends at the quietest pause within SEARCH_SECONDS of that; it
# is cut once MARGIN_SECONDS more have arrived (the last cluster may still be arriving).
WINDOW_SECONDS = 30.0
SEARCH_SECONDS = 8.0
MARGIN_SECONDS = 1.0
# How far transcription normally trails the recording: one window still filling and its search area.
NORMAL_LAG = WINDOW_SECONDS + SEARCH_SECONDS + MARGIN_SECONDS
DECODE_MAX_SECONDS = 300.0
ARRIVAL_JUMP_SECONDS = 30.0
# Origins of voice prints from different windows must not collide when they are pooled.
_ORIGIN_STRIDE = 1_000_000
CLUSTER_START = webm.CLUSTER.to_bytes(4, "big") + b"\x01\xff\xff\xff\xff\xff\xff\xff"


class RecordingPath(PosixPath):
    """The local file ``upload_finish`` writes: a browser recording's audio not yet transcribed.

    ``upload_id`` names the recording whose live windows come before it; ``live_until`` is where
    the file's audio takes over (0: nothing was transcribed live, the file is the whole recording)."""

    upload_id: uuid.UUID | None = None
    live_until: float = 0.0


def live_enqueue(upload: AudioUpload) -> None:
    send_on_commit("transcription.tasks.live", str(upload.pk))


def note_arrival(upload: AudioUpload, data: bytes) -> None:
    """A cheap lower bound on the seconds recorded, from the Cluster timecodes in a new part, so the
    progress shows a backlog even while no worker has decoded anything."""
    cluster = webm.resync(data)
    if cluster is not None:
        # Parts come in order, a few seconds each: four bytes of audio that look like a Cluster far
        # ahead must not make the progress claim more than was recorded.
        AudioUpload.objects.filter(pk=upload.pk, live_recorded__gte=cluster.seconds - ARRIVAL_JUMP_SECONDS).update(
            live_recorded=Greatest("live_recorded", cluster.seconds)
        )


def live_progress(upload: AudioUpload) -> dict[str, Any]:
    """How far live transcription is: seconds transcribed and recorded, and whether it is catching up."""
    behind = upload.live_recorded - upload.live_from
    return {
        "transcribed": round(upload.live_from, 1),
        "recorded": round(upload.live_recorded, 1),
        "catching_up": not upload.live_stopped and behind > NORMAL_LAG + WINDOW_SECONDS,
        "stopped": upload.live_stopped,
        "lost": round(upload.live_lost, 1),
    }


# --- The worker side --------------------------------------------------------------------------


def _claim(upload_id: str) -> bool:
    upload = AudioUpload.objects.filter(pk=upload_id).only("live_claimed_by", "live_heartbeat_at").first()
    if upload is None:
        return False
    stale = timezone.now() - timedelta(seconds=settings.TRANSCRIPTION_STALE_SECONDS)
    free = Q(live_claimed_by="") | Q(live_heartbeat_at__lt=stale)
    if upload.live_claimed_by and _holder_is_gone(upload.live_claimed_by):
        free |= Q(live_claimed_by=upload.live_claimed_by)
    return bool(
        AudioUpload.objects.filter(
            free, pk=upload_id, status=UploadStatus.OPEN, live_stopped=False, parts_deleted_at=None
        ).update(live_claimed_by=_worker_id(), live_heartbeat_at=timezone.now())
    )


def _release(upload_id: str) -> None:
    AudioUpload.objects.filter(pk=upload_id, live_claimed_by=_worker_id()).update(live_claimed_by="")


def _mine(upload_id: str | uuid.UUID) -> Any:
    return AudioUpload.objects.filter(pk=upload_id, status=UploadStatus.OPEN, live_claimed_by=_worker_id())


def live_stop(upload_id: str) -> None:
    """Give up live transcription of a recording (undecodable, a second recording's header): what
    is held stays, and Stop transcribes it as before."""
    AudioUpload.objects.filter(pk=upload_id).update(live_stopped=True)
    _release(upload_id)


def live_run(*, upload_id: str) -> int:
    """Transcribe every whole window that has arrived; returns how many. Safe to call any number
    of times: a run that finds the upload held by another returns 0 (the holder looks again
    for parts that arrived meanwhile before it lets go)."""
    done = missing = 0
    while _claim(upload_id):
        try:
            seen, windows = _advance(upload_id)
            done += windows
        except FileNotFoundError:
            # The sweeper deleted held parts meanwhile; one more pass starts from where it left them.
            logger.info("live transcription of upload %s: held parts moved", upload_id)
            missing += 1
            if missing > 1:
                break
            seen = -1
        finally:
            _release(upload_id)
        upload = AudioUpload.objects.filter(pk=upload_id).only("next_seq", "status", "live_stopped").first()
        if upload is None or upload.status != UploadStatus.OPEN or upload.live_stopped or upload.next_seq <= seen:
            break
    return done


@dataclass
class _Held:
    data: bytes  # the parts from live_seq (from byte live_skip) up to the last one seen
    starts: list[tuple[int, int]]  # (seq, offset in data of the part's first held byte)

    def position(self, offset: int, *, live_seq: int, live_skip: int) -> tuple[int, int]:
        """(part, byte in that part) of an offset into ``data``."""
        seq, begin = next((s, b) for s, b in reversed(self.starts) if b <= offset)
        return seq, offset - begin + (live_skip if seq == live_seq else 0)


def _held(upload: AudioUpload, upto: int) -> _Held:
    storage = private_storage()
    pieces: list[bytes] = []
    starts: list[tuple[int, int]] = []
    size = 0
    for seq in range(upload.live_seq, upto):
        with storage.open(upload.part_name(seq), "rb") as part:
            data = part.read()
        if seq == upload.live_seq:
            data = data[upload.live_skip :]
        starts.append((seq, size))
        pieces.append(data)
        size += len(data)
    return _Held(b"".join(pieces), starts)


def _scale(header: bytes) -> int:
    parsed = webm.header(header + CLUSTER_START)
    return parsed.scale_ns if parsed else webm.DEFAULT_SCALE_NS


def _store_header(upload: AudioUpload) -> bool:
    """Keep the recording's header (EBML, Segment head, Info, Tracks: no audio) once part 0 has it."""
    held = _held(upload, upload.next_seq)
    try:
        head = webm.header(held.data)
    except ValueError:
        live_stop(str(upload.pk))
        logger.info("live transcription of upload %s off: not a WebM stream", upload.pk)
        return False
    if head is None:
        return False
    seq, skip = held.position(head.length, live_seq=0, live_skip=0)
    return bool(_mine(upload.pk).update(live_header=held.data[: head.length], live_seq=seq, live_skip=skip))


def _advance(upload_id: str) -> tuple[int, int]:
    """One pass over what has arrived: (parts seen, windows transcribed)."""
    upload = AudioUpload.objects.select_related("practice").get(pk=upload_id)
    seen = upload.next_seq
    if seen == 0:
        return seen, 0
    if not upload.live_header:
        if not _store_header(upload):
            return seen, 0
        upload.refresh_from_db()
    header = bytes(upload.live_header)
    scale = _scale(header)
    held = _held(upload, seen)
    if upload.live_resync:
        return seen, _resync(upload, held, scale)
    scan = webm.clusters(held.data, scale_ns=scale)
    if not scan.clusters:
        return seen, 0
    data = held.data if scan.new_header_at is None else held.data[: scan.new_header_at]
    origin = scan.clusters[0].seconds
    # Far behind (a busy site), a pass decodes a few minutes at a time, not the whole backlog.
    beyond = next((c for c in scan.clusters if c.seconds > origin + DECODE_MAX_SECONDS), None)
    if beyond is not None:
        data = data[: beyond.offset]
    pcm = _decode(header + data, start=origin)
    recorded = origin + len(pcm) / SAMPLE_RATE
    _mine(upload.pk).update(live_recorded=Greatest("live_recorded", recorded), live_heartbeat_at=timezone.now())
    hotwords, prompt = engine.priming((upload.priming_terms or "").splitlines())
    windows = 0
    start = upload.live_from
    while recorded - start >= NORMAL_LAG:
        nominal = start + WINDOW_SECONDS
        low, high = nominal - SEARCH_SECONDS, nominal + SEARCH_SECONDS
        cut = quietest_point(pcm[_at(low, origin) : _at(high, origin)], window_start=low, nominal=nominal)
        end = round(cut if cut is not None else nominal, 3)
        piece = pcm[_at(start, origin) : _at(end, origin)]
        result = engine.transcribe(
            piece,
            offset=start,
            hotwords=hotwords,
            initial_prompt=prompt,
            word_timestamps=True,
            model_dir=settings.WHISPER_MODEL or None,
            cpu_threads=settings.WHISPER_CPU_THREADS,
        )
        index = upload.live_windows + windows
        prints = voice_prints(
            piece, result.segments, offset=start, words=result.words, first_origin=index * _ORIGIN_STRIDE
        )
        saved = _window_save(
            upload,
            index=index,
            start=start,
            end=end,
            segments=result.segments,
            speech_found=result.speech_found,
            language=result.language,
            prints=[p.row() for p in prints],
        )
        if not saved:  # Stop came, or the claim was lost
            return seen, windows
        logger.info(
            "live window %d of upload %s: %.1f-%.1f s, %d segments", index, upload.pk, start, end, len(result.segments)
        )
        windows += 1
        start = end
    del pcm
    if windows:
        _drop(upload, held, scan.clusters, start)
    if scan.new_header_at is not None:
        # A second recording in the same upload restarts its timestamps; Stop handles the rest as before.
        logger.info("live transcription of upload %s stops at a second recording", upload.pk)
        live_stop(str(upload.pk))
    # Only part of the backlog was decoded: report no part seen, so the run goes round again.
    return (0 if beyond is not None and windows else seen), windows


def _at(seconds: float, origin: float) -> int:
    return max(0, round((seconds - origin) * SAMPLE_RATE))


def _decode(data: bytes, *, start: float) -> audio_lib.AudioArray:
    handle = tempfile.NamedTemporaryFile(prefix="live-", suffix=".webm", delete=False)  # noqa: SIM115
    try:
        with handle:
            handle.write(data)
        return audio_lib.decode(handle.name, start=start, absolute=True)
    finally:
        os.unlink(handle.name)


def _window_save(
    upload: AudioUpload,
    *,
    index: int,
    start: float,
    end: float,
    segments: list[Segment],
    speech_found: bool,
    language: str,
    prints: list[dict[str, Any]],
) -> bool:
    with transaction.atomic():
        locked = _mine(upload.pk).select_for_update().filter(live_windows=index).first()
        if locked is None:
            return False
        LiveWindow.objects.create(
            practice_id=upload.practice_id,
            upload=locked,
            index=index,
            start=start,
            end=end,
            speech_found=speech_found,
            language=language,
            segments=[[s.start, s.end, s.text] for s in segments],
            voice_prints=prints,
        )
        locked.live_windows = index + 1
        locked.live_from = end
        locked.live_heartbeat_at = timezone.now()
        locked.save(update_fields=["live_windows", "live_from", "live_heartbeat_at"])
    return True


def _drop(upload: AudioUpload, held: _Held, clusters: list[webm.Cluster], transcribed: float) -> None:
    """Delete the parts whose audio is all transcribed: the held audio then begins at the Cluster
    in which the untranscribed audio begins."""
    keep = [c for c in clusters if c.seconds <= transcribed + 1e-6]
    if not keep:
        return
    seq, skip = held.position(keep[-1].offset, live_seq=upload.live_seq, live_skip=upload.live_skip)
    if seq == upload.live_seq:
        _mine(upload.pk).filter(live_seq=upload.live_seq).update(live_skip=skip)
        return
    moved = (
        _mine(upload.pk)
        .filter(live_seq=upload.live_seq, live_skip=upload.live_skip)
        .update(live_seq=seq, live_skip=skip)
    )
    if moved:
        _parts_delete(upload, range(upload.live_seq, seq), reason="transcribed_live")


def _parts_delete(upload: AudioUpload, seqs: range, *, reason: str) -> None:
    storage = private_storage()
    size = 0
    for seq in seqs:
        name = upload.part_name(seq)
        if storage.exists(name):
            size += storage.size(name)
            storage.delete(name)
    audit_record(
        action="audio.delete",
        practice=upload.practice,
        obj=upload,
        detail={"reason": reason, "bytes": size, "parts": len(seqs), "first_part": seqs.start},
    )
    logger.info("parts %d-%d of audio upload %s deleted (%s)", seqs.start, seqs.stop - 1, upload.pk, reason)


def _resync(upload: AudioUpload, held: _Held, scale: int) -> int:
    """After the sweeper deleted parts past the age bound, the held audio begins inside a Cluster:
    find the next Cluster and carry on from it; the audio in between was lost."""
    cluster = webm.resync(held.data, scale_ns=scale)
    if cluster is None:
        return 0
    seq, skip = held.position(cluster.offset, live_seq=upload.live_seq, live_skip=upload.live_skip)
    lost = max(0.0, cluster.seconds - upload.live_from)
    _mine(upload.pk).filter(live_seq=upload.live_seq, live_resync=True).update(
        live_seq=seq,
        live_skip=skip,
        live_resync=False,
        live_from=max(upload.live_from, cluster.seconds),
        live_lost=upload.live_lost + lost,
    )
    if seq > upload.live_seq:
        _parts_delete(upload, range(upload.live_seq, seq), reason="live_age_bound")
    return 0


# --- Stop -------------------------------------------------------------------------------------


def tail_write(upload: AudioUpload, handle: Any, *, upto: int) -> float:
    """Write the header and the audio not yet transcribed, in parts before ``upto``, to ``handle``;
    returns where that audio takes over from the live windows (the recording's seconds)."""
    held = _held(upload, upto)
    data = held.data
    scale = _scale(bytes(upload.live_header))
    if upload.live_resync:
        cluster = webm.resync(data, scale_ns=scale)
        data = data[cluster.offset :] if cluster else b""
        first = cluster.seconds if cluster else upload.live_from
    else:
        scan = webm.clusters(data[:65536], scale_ns=scale)
        first = scan.clusters[0].seconds if scan.clusters else upload.live_from
    handle.write(bytes(upload.live_header))
    handle.write(data)
    return max(upload.live_from, first)


def live_attach(transcription: Transcription, path: RecordingPath) -> None:
    """Make the recording's live windows the finished first chunks of its transcription (in the
    caller's transaction, before the job is queued), so the pipeline transcribes only the rest."""
    windows = list(LiveWindow.objects.filter(upload_id=path.upload_id).order_by("index"))
    if not windows or path.live_until <= 0:
        return
    chunks = [
        TranscriptionChunk(
            practice_id=transcription.practice_id,
            transcription=transcription,
            index=w.index,
            start=w.start,
            end=w.end,
            status=ChunkStatus.DONE,
            speech_found=w.speech_found,
            done_seconds=w.end - w.start,
            voice_prints=w.voice_prints or [],
        )
        for w in windows
    ]
    TranscriptionChunk.objects.bulk_create(chunks)
    TranscriptSegment.objects.bulk_create(
        [
            TranscriptSegment(
                practice_id=transcription.practice_id,
                transcription=transcription,
                chunk_index=w.index,
                start=start,
                end=end,
                text=text,
            )
            for w in windows
            for start, end, text in (w.segments or [])
        ]
    )
    language = next((w.language for w in windows if w.language), "")
    Transcription.objects.filter(pk=transcription.pk).update(live_until=path.live_until, language=language)
    transcription.live_until = path.live_until
    logger.info(
        "transcription %s takes %d live windows (%.0f s) of upload %s",
        transcription.pk,
        len(windows),
        path.live_until,
        path.upload_id,
    )


def live_windows_delete(upload: AudioUpload) -> None:
    LiveWindow.objects.filter(upload=upload).delete()


# --- The sweeper ------------------------------------------------------------------------------


def sweep_live_audio() -> int:
    """While a recording is transcribed live, delete held parts that arrived more than
    LIVE_AUDIO_MAX_AGE ago and have more than that much of the recording after them.

    Both conditions: a paused recording or a dropped connection (no new audio) keeps what it
    holds for Stop, and so does a recording live transcription has not reached yet (no worker:
    AUDIO_MAX_AGE applies). Returns the number of parts deleted."""
    bound = settings.LIVE_AUDIO_MAX_AGE
    cutoff = timezone.now() - timedelta(seconds=bound)
    storage = private_storage()
    deleted = 0
    live = AudioUpload.objects.filter(
        status=UploadStatus.OPEN, parts_deleted_at=None, live_stopped=False, live_windows__gt=0
    ).select_related("practice")
    for upload in live:
        stop = upload.live_seq
        # The newest part is kept: the recorder is still writing the Cluster it ends in.
        while stop < upload.next_seq - 1:
            name = upload.part_name(stop)
            if not storage.exists(name) or storage.get_modified_time(name) >= cutoff:
                break
            ends = _part_ends(storage, upload.part_name(stop + 1))
            if ends is None or upload.live_recorded - ends < bound:
                break
            stop += 1
        if stop == upload.live_seq:
            continue
        moved = AudioUpload.objects.filter(
            pk=upload.pk, live_seq=upload.live_seq, live_skip=upload.live_skip, status=UploadStatus.OPEN
        ).update(live_seq=stop, live_skip=0, live_resync=True)
        if moved:
            _parts_delete(upload, range(upload.live_seq, stop), reason="live_age_bound")
            deleted += stop - upload.live_seq
    return deleted


def _part_ends(storage: Any, next_part: str) -> float | None:
    """The recording's seconds by which a part's audio has ended: where the next part's first Cluster begins."""
    if not storage.exists(next_part):
        return None
    with storage.open(next_part, "rb") as part:
        cluster = webm.resync(part.read())
    return cluster.seconds if cluster else None
