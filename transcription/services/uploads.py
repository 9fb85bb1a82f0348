"""Browser recordings uploaded in parts while the session is being recorded.

The recorder sends each MediaRecorder chunk as a numbered part. A part the server
already has is acknowledged again (the browser may resend after a dropped
connection); a part from the future is refused with the number expected, so the
browser resends what is missing. Finishing concatenates the parts into one WebM
file on local disk for the normal intake (probe, consent gate, storage), after
which the parts are deleted. Parts of a recording that goes quiet for
AUDIO_MAX_AGE seconds are deleted by the sweeper, with an audit receipt.

Each new part also queues live transcription (``transcription.services.live``): what it
has transcribed while the session went on is deleted at once, and finishing hands intake
only the rest of the recording.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clients.models import Client
from clients.selectors import consent_active
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import User
from transcription import audio as audio_lib
from transcription import webm
from transcription.models import AudioUpload, UploadStatus, private_storage
from transcription.services import live
from transcription.services.live import RecordingPath

logger = logging.getLogger(__name__)

# MediaRecorder with a few seconds' timeslice produces far smaller parts; this bounds a bad client.
CHUNK_MAX_BYTES = 4 * 1024 * 1024
EBML_MAGIC = webm.EBML.to_bytes(4, "big")


class SequenceError(DomainError):
    """A part arrived out of order; ``expected`` is the part the server wants next."""

    def __init__(self, expected: int) -> None:
        super().__init__(f"Part {expected} is expected next.", code="out_of_order", status_code=409)
        self.expected = expected


def upload_start(
    *, client: Client, actor: User, dictation: bool = False, priming_terms: Iterable[str] = ()
) -> AudioUpload:
    """Open a recording for a client; a session recording is refused at once when no recording
    consent is on file. A dictation (the clinician confirmed it holds only their own voice) needs
    none; the audit log records the confirmation. ``priming_terms`` (the client's chart terms)
    prime its live transcription."""
    if not dictation and consent_active(practice=client.practice, client=client) is None:
        raise DomainError(
            "This client has no recording consent on file. Record their consent before recording "
            "(a dictation of your own voice only needs none).",
            code="no_consent",
        )
    terms = "\n".join(dict.fromkeys(t.strip() for t in priming_terms if t.strip()))
    upload = AudioUpload.objects.create(
        practice=client.practice, client=client, created_by=actor, dictation=dictation, priming_terms=terms
    )
    if dictation:
        audit_record(
            action="audio.dictation_start",
            practice=client.practice,
            actor=actor,
            obj=upload,
            detail={"client": str(client.pk), "own_voice_only": "confirmed by the clinician"},
        )
    logger.info("audio upload %s started (dictation: %s)", upload.pk, dictation)
    return upload


def _require_open(upload: AudioUpload) -> None:
    if upload.status != UploadStatus.OPEN:
        raise DomainError("This recording is already finished or was discarded.", code="upload_closed", status_code=409)


def upload_append(upload: AudioUpload, seq: int, data: bytes) -> AudioUpload:
    """Store part ``seq``. Idempotent: a part already stored is acknowledged without rewriting."""
    _require_open(upload)
    if len(data) > CHUNK_MAX_BYTES:
        raise DomainError("This part of the recording is too large.", code="chunk_too_large", status_code=413)
    if upload.bytes + len(data) > settings.AUDIO_MAX_BYTES:
        raise DomainError("The recording is larger than this server accepts.", code="too_large", status_code=413)
    upload.refresh_from_db(fields=["next_seq", "status"])
    if seq < upload.next_seq:
        return upload
    if seq > upload.next_seq:
        raise SequenceError(upload.next_seq)
    storage = private_storage()
    name = upload.part_name(seq)
    # A previous attempt may have stored the part and then lost its database update.
    if storage.exists(name):
        storage.delete(name)
    storage.save(name, ContentFile(data))
    now = timezone.now()
    moved = AudioUpload.objects.filter(pk=upload.pk, next_seq=seq, status=UploadStatus.OPEN).update(
        next_seq=F("next_seq") + 1, bytes=F("bytes") + len(data), last_chunk_at=now
    )
    if not moved:
        upload.refresh_from_db(fields=["next_seq", "status"])
        _require_open(upload)
    else:
        live.note_arrival(upload, data)
        live.live_enqueue(upload)
    upload.refresh_from_db()
    return upload


def upload_finish(upload: AudioUpload) -> Path:
    """Claim the recording and write its audio, in order, to a local temporary WebM file.

    When part of it was transcribed live (and its audio deleted), the file holds the header and
    the rest only, and is a ``RecordingPath`` that tells intake where the live windows end.
    The caller owns the file: it passes it to intake and removes it. On success it calls
    ``upload_release``; on a refusal ``upload_reopen``, so the clinician can fix the form
    without losing the recording."""
    with transaction.atomic():
        # The row lock orders this against a live window being saved or its parts dropped.
        locked = AudioUpload.objects.select_for_update().filter(pk=upload.pk, status=UploadStatus.OPEN).first()
        if locked is None:
            raise DomainError(
                "This recording is already finished or was discarded.", code="upload_closed", status_code=409
            )
        AudioUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.FINISHED)
    upload.refresh_from_db()
    if upload.next_seq == 0:
        upload_reopen(upload)
        raise DomainError("Nothing was recorded yet.", code="upload_empty")
    handle = tempfile.NamedTemporaryFile(prefix="recording-", suffix=".webm", delete=False)  # noqa: SIM115
    path = RecordingPath(handle.name)
    path.upload_id = upload.pk
    try:
        with handle:
            path.live_until = _recording_write(upload, handle)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _recording_write(upload: AudioUpload, handle: IO[bytes]) -> float:
    """The audio not transcribed live (all of it when live transcription did not run), as one WebM
    stream; returns where it begins in the recording (0 for all of it)."""
    storage = private_storage()
    live_part = bool(upload.live_windows and upload.live_header)
    first = upload.live_seq if live_part else 0
    restarts = [seq for seq in range(first + 1, upload.next_seq) if _begins_recording(storage, upload.part_name(seq))]
    if not restarts and not live_part:
        for seq in range(upload.next_seq):
            with storage.open(upload.part_name(seq), "rb") as part:
                shutil.copyfileobj(part, handle, 1024 * 1024)
        return 0.0
    # The recorder was started again in the same upload: each recording is a stream of its own.
    bounds = [first, *restarts, upload.next_seq]
    with tempfile.TemporaryDirectory(prefix="recording-") as folder:
        pieces: list[Path] = []
        live_until = 0.0
        for i, (begin, end) in enumerate(itertools.pairwise(bounds)):
            piece = Path(folder) / f"{i}.webm"
            with open(piece, "wb") as out:
                if i == 0 and live_part:
                    live_until = live.tail_write(upload, out, upto=end)
                else:
                    for seq in range(begin, end):
                        with storage.open(upload.part_name(seq), "rb") as part:
                            shutil.copyfileobj(part, out, 1024 * 1024)
            pieces.append(piece)
        if len(pieces) == 1:
            with open(pieces[0], "rb") as piece_file:
                shutil.copyfileobj(piece_file, handle, 1024 * 1024)
        else:
            audio_lib.join_recordings(pieces, handle)
    return live_until


def _begins_recording(storage: Storage, name: str) -> bool:
    """A part that starts a new WebM stream (the recorder started again): only a first part does."""
    with storage.open(name, "rb") as part:
        head = part.read(4096)
    try:
        return head.startswith(EBML_MAGIC) and webm.header(head + live.CLUSTER_START) is not None
    except ValueError:
        return False


def upload_reopen(upload: AudioUpload) -> None:
    AudioUpload.objects.filter(pk=upload.pk, status=UploadStatus.FINISHED, parts_deleted_at=None).update(
        status=UploadStatus.OPEN
    )
    upload.refresh_from_db()


def upload_release(upload: AudioUpload, *, reason: str, status: str = UploadStatus.FINISHED) -> bool:
    """Delete the stored parts and record the deletion receipt. Safe to call twice."""
    claimed = AudioUpload.objects.filter(pk=upload.pk, parts_deleted_at=None).update(
        parts_deleted_at=timezone.now(), status=status
    )
    if not claimed:
        return False
    storage = private_storage()
    for seq in range(upload.next_seq + 1):  # +1: a part stored whose counter update was lost
        storage.delete(upload.part_name(seq))
    live.live_windows_delete(upload)  # their text is in the transcription now, or nobody wants it
    upload.refresh_from_db()
    audit_record(
        action="audio.delete",
        practice=upload.practice,
        obj=upload,
        detail={"reason": reason, "bytes": upload.bytes, "parts": upload.next_seq},
    )
    logger.info("parts of audio upload %s deleted (%s)", upload.pk, reason)
    return True


def upload_discard(upload: AudioUpload) -> bool:
    return upload_release(upload, reason="discarded", status=UploadStatus.ABANDONED)


def sweep_stale_uploads() -> int:
    """Delete the parts of recordings with no new part for AUDIO_MAX_AGE seconds (a closed tab)."""
    cutoff = timezone.now() - timedelta(seconds=settings.AUDIO_MAX_AGE)
    stale = AudioUpload.objects.filter(parts_deleted_at=None).filter(
        Q(last_chunk_at__lt=cutoff) | Q(last_chunk_at=None, created_at__lt=cutoff)
    )
    deleted = 0
    for upload in stale.select_related("practice"):
        status = UploadStatus.FINISHED if upload.status == UploadStatus.FINISHED else UploadStatus.ABANDONED
        deleted += upload_release(upload, reason="age_bound", status=status)
    return deleted
