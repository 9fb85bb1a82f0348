"""Read a photographed or scanned page of handwritten notes, offline.

RapidOCR runs its ONNX text detection and recognition models, which ship inside the
``rapidocr-onnxruntime`` package: nothing is downloaded and nothing leaves the server. Pages
are JPEG, PNG, HEIC (where ``pillow-heif`` decodes it) or PDF (rendered with ``pypdfium2``).
Pure code: no Django, no database; the caller holds the bytes and drops them afterwards.
"""

from __future__ import annotations

import functools
import io
import logging
import time
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

MAX_PAGES = 10  # of a PDF; a longer document is refused rather than read in part
MAX_SIDE = 2400  # pixels; larger photos are scaled down first (phones take 4000+), which reads as well
MAX_PIXELS = 60_000_000  # before scaling: refuses a decompression bomb, fits any phone photo
MIN_SCORE = 0.5  # RapidOCR's confidence below which a piece of text is noise (a smudge, a ruled line)


class PageRejected(Exception):
    """A page we cannot read, with a slug for code and a sentence for the clinician."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@functools.cache
def heic_supported() -> bool:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def accepted_formats() -> tuple[str, ...]:
    return ("JPEG", "PNG", *(("HEIC",) if heic_supported() else ()), "PDF")


def accepted_text() -> str:
    names = accepted_formats()
    return ", ".join(names[:-1]) + " or " + names[-1]


@functools.cache
def _engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except (ImportError, OSError) as exc:  # OpenCV without the system's libGL, say
        logger.error("handwriting reader unavailable: %s", type(exc).__name__)
        raise PageRejected(
            "unavailable", "Handwritten notes cannot be read on this server at the moment; please type them."
        ) from None
    return RapidOCR()


def read_page(data: bytes) -> str:
    """The page's writing as lines of text, top to bottom; raises PageRejected."""
    began = time.monotonic()
    pages = _pdf_pages(data) if data[:5] == b"%PDF-" else [_photo(data)]
    lines = [line for page in pages for line in _lines(page)]
    logger.info("handwriting read: %d page(s), %d line(s) in %.1f s", len(pages), len(lines), time.monotonic() - began)
    if not lines:
        raise PageRejected("no_text", "No writing was found on this page. Try a sharper, brighter photo.")
    return "\n".join(lines)


def _not_a_page() -> PageRejected:
    return PageRejected("not_a_page", f"This file is not a photo or scan we can read (we accept {accepted_text()}).")


def _photo(data: bytes) -> Image.Image:
    heic_supported()
    try:
        opened = Image.open(io.BytesIO(data))
        if opened.format not in {"JPEG", "PNG", "HEIF", "MPO"}:
            raise _not_a_page()
        if opened.width * opened.height > MAX_PIXELS:
            raise PageRejected("too_large", "This photo has too many pixels to read; take it at a lower resolution.")
        return ImageOps.exif_transpose(opened)  # a phone photo taken sideways reads upright
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise _not_a_page() from None


def _pdf_pages(data: bytes) -> list[Image.Image]:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        raise _not_a_page() from None
    try:
        if len(document) > MAX_PAGES:
            raise PageRejected("too_many_pages", f"This PDF has {len(document)} pages; the limit is {MAX_PAGES}.")
        # Scale 2 renders at 144 dpi: handwriting reads well and a page stays under MAX_SIDE.
        return [document[i].render(scale=2).to_pil() for i in range(len(document))]
    finally:
        document.close()


def _lines(image: Image.Image) -> list[str]:
    image = image.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    found, _ = _engine()(np.asarray(image))
    pieces = [(box, text) for box, text, score in found or [] if float(score) >= MIN_SCORE and text.strip()]
    return _in_reading_order(pieces)


def _in_reading_order(pieces: list[tuple[Any, str]]) -> list[str]:
    """Pieces of text joined into lines: a piece whose middle lies within the height of the line
    being built belongs to it; each line reads left to right."""
    rows: list[tuple[float, float, list[tuple[float, str]]]] = []  # (middle, half height, [(left, text)])
    for box, text in sorted(pieces, key=lambda p: min(y for _, y in p[0])):
        ys = [y for _, y in box]
        middle, half = (min(ys) + max(ys)) / 2, (max(ys) - min(ys)) / 2
        left = min(x for x, _ in box)
        row = next((r for r in rows if abs(r[0] - middle) <= max(r[1], half)), None)
        if row is None:
            rows.append((middle, half, [(left, text.strip())]))
        else:
            row[2].append((left, text.strip()))
    return [" ".join(text for _, text in sorted(row[2])) for row in sorted(rows, key=lambda r: r[0])]


_ACCEPT = {
    "JPEG": ".jpg,.jpeg,image/jpeg",
    "PNG": ".png,image/png",
    "HEIC": ".heic,.heif,image/heic,image/heif",
    "PDF": ".pdf,application/pdf",
}


def accept_attribute() -> str:
    """The file field's ``accept``: the same formats as the refusal names."""
    return ",".join(_ACCEPT[name] for name in accepted_formats())
