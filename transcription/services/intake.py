"""Intake and storage: a checked recording stored privately, its job queued, its audio read back
and deleted.

Audio lives in private storage only between intake and the end of its transcription;
``audio_delete`` runs when the transcription ends and in the sweeper, and every deletion
writes an audit event (the deletion receipt).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import Practice
from intellisession.queueing import send_on_commit
from transcription import audio as audio_lib
from transcription.models import Transcription
from transcription.services import live

logger = logging.getLogger(__name__)


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


class AudioRefused(DomainError):
    """A recording refused by its content; ``upload_name`` is the file's name ("" for a browser
    recording), so that a form can show the refusal by the field the file came from."""

    def __init__(self, rejected: audio_lib.AudioRejected, *, upload_name: str = "") -> None:
        message = rejected.about(upload_name) if upload_name else rejected.message
        super().__init__(message, code=f"audio_{rejected.code}")
        self.upload_name = upload_name


def audio_check(path: Path, *, name: str = "") -> audio_lib.AudioInfo:
    """Probe by content; a refusal becomes a DomainError with the message a clinician reads,
    naming the file when it has a ``name``."""
    try:
        return audio_lib.probe(path, max_duration=settings.AUDIO_MAX_SECONDS, max_bytes=settings.AUDIO_MAX_BYTES)
    except audio_lib.AudioRejected as rejected:
        raise AudioRefused(rejected, upload_name=name) from None


def upload_name(upload: UploadedFile | Path) -> str:
    """The name the clinician gave the file; a browser recording (a path of ours) has none."""
    return "" if isinstance(upload, Path) else Path(upload.name or "").name


def transcription_create(
    *, practice: Practice, path: Path, info: audio_lib.AudioInfo, priming_terms: Iterable[str] = ()
) -> Transcription:
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
        if isinstance(path, live.RecordingPath):
            live.live_attach(transcription, path)
    except BaseException:
        transcription.audio.storage.delete(transcription.audio.name or "")
        raise
    # If the caller's transaction rolls back after this, the stored file is an orphan: use
    # ``transcriptions_stored``, which deletes it; the sweeper deletes any left by a crash.
    return transcription


@contextmanager
def transcriptions_stored(
    *, practice: Practice, uploads: Sequence[UploadedFile | Path], priming_terms: Iterable[str] = ()
) -> Iterator[list[Transcription]]:
    """Every upload checked first, then each stored: one refused file stores none of them.

    Run inside the caller's transaction; if the caller's block raises, the files stored here
    are deleted at once (their rows roll back with the caller's), not left for the sweeper."""
    terms = list(priming_terms)
    stored: list[Transcription] = []
    with ExitStack() as stack:
        paths = [stack.enter_context(local_upload_path(upload)) for upload in uploads]
        checked = [
            (path, audio_check(path, name=upload_name(upload))) for path, upload in zip(paths, uploads, strict=True)
        ]
        try:
            for path, info in checked:
                stored.append(transcription_create(practice=practice, path=path, info=info, priming_terms=terms))
            yield stored
        except BaseException:
            for transcription in stored:
                transcription.audio.storage.delete(transcription.audio.name or "")
            raise


def transcription_enqueue(transcription: Transcription) -> None:
    """Queue the job once its rows are committed.

    With the broker unreachable the upload is still accepted: the job stays QUEUED in the
    database, and the sweeper queues it again once it is older than
    TRANSCRIPTION_STALE_SECONDS (see ``requeue_stuck``). Failing here, after the commit,
    would tell the user the upload failed while its job exists."""
    send_on_commit("transcription.tasks.start", str(transcription.pk))


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
    audit_record(
        action="audio.delete",
        practice=transcription.practice,
        obj=transcription,
        detail={"reason": reason, "bytes": transcription.audio_bytes},
    )
    logger.info("audio of transcription %s deleted (%s)", transcription.pk, reason)
    return True
