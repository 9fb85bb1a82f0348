"""A handwritten page read into text for the clinician to correct before creating the note.

The image is read in memory and deleted as soon as it has been read (Django's temporary file
for a large upload included): it is never stored, and only the text the clinician then keeps
goes into the note request.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile

from intellisession.errors import DomainError
from intellisession.limits import page_read_count
from transcription import handwriting
from transcription.audio import format_size

logger = logging.getLogger(__name__)

PAGE_MAX_BYTES = 25 * 10**6


def handwriting_read(upload: UploadedFile, *, user_id: object) -> str:
    """The page's text; a refusal is a DomainError naming the file (a 429 past the user's limit
    of pages read). The upload is gone afterwards."""
    name = Path(upload.name or "").name or "This file"
    try:
        page_read_count(user_id=user_id)
        if (upload.size or 0) > PAGE_MAX_BYTES:
            raise DomainError(
                f"{name} is {format_size(upload.size or 0)}; the limit is {format_size(PAGE_MAX_BYTES)}.",
                code="page_too_large",
            )
        return handwriting.read_page(upload.read())
    except handwriting.PageRejected as rejected:
        message = rejected.message.replace("This file", name, 1)
        raise DomainError(message, code=f"page_{rejected.code}") from None
    finally:
        _discard(upload)


def _discard(upload: UploadedFile) -> None:
    path = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else None
    upload.close()
    if path:
        Path(path).unlink(missing_ok=True)
