"""Reading pages of handwriting offline with the real RapidOCR models: each format a phone or a
scanner makes, lines in reading order, and plain refusals."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.handwriting import NOTES, page_bytes, page_image, word_accuracy
from transcription import handwriting
from transcription.handwriting import PageRejected, read_page


def heic_bytes() -> bytes:
    assert handwriting.heic_supported()  # pillow-heif is a dependency: iPhone photos must read
    out = io.BytesIO()
    page_image().save(out, format="HEIF", quality=80)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["PNG", "HEIC"])
def test_each_format_reads_line_by_line(kind: str) -> None:
    text = read_page(heic_bytes() if kind == "HEIC" else page_bytes(kind))
    assert word_accuracy(text) >= 0.8, text
    assert text.splitlines()[0].startswith("Client arrived") and len(text.splitlines()) == len(NOTES)


def test_a_photo_taken_sideways_reads_upright() -> None:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: the viewer rotates it back by 90 degrees
    page_image().rotate(90, expand=True).save(out, format="JPEG", exif=exif)
    assert word_accuracy(read_page(out.getvalue())) >= 0.8


def test_the_pages_of_a_scanned_pdf_read_in_order() -> None:
    first, second = page_image(NOTES[:3]), page_image(NOTES[3:], seed=11)
    out = io.BytesIO()
    first.save(out, format="PDF", save_all=True, append_images=[second])
    assert word_accuracy(read_page(out.getvalue())) >= 0.8


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not a picture at all", "not_a_page"),
        (b"%PDF-1.4\nbroken", "not_a_page"),
        (page_bytes("PNG", lines=[]), "no_text"),
    ],
)
def test_what_cannot_be_read_is_refused_plainly(data: bytes, code: str) -> None:
    with pytest.raises(PageRejected) as rejected:
        read_page(data)
    assert rejected.value.code == code and rejected.value.message[0].isupper()


def test_a_long_pdf_is_refused_rather_than_read_in_part() -> None:
    out = io.BytesIO()
    blank = Image.new("RGB", (200, 200), "white")
    blank.save(out, format="PDF", save_all=True, append_images=[blank] * handwriting.MAX_PAGES)
    with pytest.raises(PageRejected) as rejected:
        read_page(out.getvalue())
    assert rejected.value.code == "too_many_pages"


def test_the_refusal_and_the_field_name_the_same_formats() -> None:
    assert handwriting.accepted_text() == "JPEG, PNG, HEIC or PDF"
    with pytest.raises(PageRejected) as rejected:
        read_page(b"GIF89a")
    assert "(we accept JPEG, PNG, HEIC or PDF)" in rejected.value.message
    accept = handwriting.accept_attribute().split(",")
    assert {"image/jpeg", "image/png", "image/heic", "application/pdf"} <= set(accept)
