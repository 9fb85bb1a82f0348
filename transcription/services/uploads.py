"""Browser recordings uploaded in parts while the session is being recorded.

The recorder sends each MediaRecorder chunk as a numbered part. A part the server
already has is acknowledged again (the browser may resend after a dropped
connection); a part from the future is refused with the number expected, so the
browser resends what is missing. Finishing concatenates the parts into one WebM
file on local disk for the normal intake (probe, consent gate, storage), after
which the parts are deleted. Parts of a recording that goes quiet for
AUDIO_MAX_AGE seconds are deleted by the sweeper, with an audit receipt.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F, Q
from django.utils import timezone

from clients.models import Client
from clients.selectors import consent_active
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import User
from transcription.models import AudioUpload, UploadStatus, private_storage

logger = logging.getLogger(__name__)

# MediaRecorder with a few seconds' timeslice produces far smaller parts; this bounds a bad client.
CHUNK_MAX_BYTES = 4 * 1024 * 1024


class SequenceError(DomainError):
    """A part arrived out of order; ``expected`` is the part the server wants next."""

    def __init__(self, expected: int) -> None:
        super().__init__(f"Part {expected} is expected next.", code="out_of_order", status_code=409)
        self.expected = expected


def upload_start(*, client: Client, actor: User, dictation: bool = False) -> AudioUpload:
    """Open a recording for a client; a session recording is refused at once when no recording
    consent is on file. A dictation (the clinician confirmed it holds only their own voice) needs
    none; the audit log records the confirmation."""
    if not dictation and consent_active(practice=client.practice, client=client) is None:
        raise DomainError(
            "This client has no recording consent on file. Record their consent before recording "
            "(a dictation of your own voice only needs none).",
            code="no_consent",
        )
    upload = AudioUpload.objects.create(practice=client.practice, client=client, created_by=actor, dictation=dictation)
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
    upload.refresh_from_db()
    return upload


def upload_finish(upload: AudioUpload) -> Path:
    """Claim the recording and write its parts, in order, to a local temporary WebM file.

    The caller owns the file: it passes it to intake and removes it. On success it calls
    ``upload_release``; on a refusal ``upload_reopen``, so the clinician can fix the form
    without losing the recording."""
    claimed = AudioUpload.objects.filter(pk=upload.pk, status=UploadStatus.OPEN).update(status=UploadStatus.FINISHED)
    if not claimed:
        raise DomainError("This recording is already finished or was discarded.", code="upload_closed", status_code=409)
    upload.refresh_from_db()
    if upload.next_seq == 0:
        upload_reopen(upload)
        raise DomainError("Nothing was recorded yet.", code="upload_empty")
    storage = private_storage()
    handle = tempfile.NamedTemporaryFile(prefix="recording-", suffix=".webm", delete=False)  # noqa: SIM115
    with handle:
        for seq in range(upload.next_seq):
            with storage.open(upload.part_name(seq), "rb") as part:
                shutil.copyfileobj(part, handle, 1024 * 1024)
    return Path(handle.name)


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
