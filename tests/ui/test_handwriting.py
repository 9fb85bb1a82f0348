"""Handwritten notes: a photographed or scanned page, made in test setup, read by the real OCR
models into text for an input's text box; the image is deleted once read and stored nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests.conftest import World, with_rate
from tests.handwriting import NOTES, page_bytes, word_accuracy
from tests.samples import SAMPLES
from tests.ui.conftest import signed_in

pytestmark = pytest.mark.django_db


def read_url(world: World) -> str:
    return f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/handwriting/"


def stored_files() -> set[Path]:
    """Everything in private storage, where recordings, consent forms and any other upload is kept."""
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.parametrize(
    ("kind", "name", "content_type"), [("JPEG", "page.jpg", "image/jpeg"), ("PDF", "scan.pdf", "application/pdf")]
)
def test_a_page_of_handwriting_is_read_and_the_image_is_gone(
    world: World, tmp_path: Path, kind: str, name: str, content_type: str
) -> None:
    before = stored_files()
    page = SimpleUploadedFile(name, page_bytes(kind), content_type=content_type)
    # Every upload to a temporary file here, so that the test can see it is deleted.
    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=0, FILE_UPLOAD_TEMP_DIR=str(tmp_path)):
        response = signed_in(world.a.clinician).post(read_url(world), {"page": page})
    assert response.status_code == 200, response.content
    text = response.json()["text"]
    assert word_accuracy(text) >= 0.8, text
    assert len(text.splitlines()) == len(NOTES)  # line by line, top to bottom, for correcting
    assert list(tmp_path.iterdir()) == []
    assert stored_files() == before


def test_a_file_that_is_not_a_page_is_refused_by_name(world: World, tmp_path: Path) -> None:
    page = SimpleUploadedFile("notes.jpg", (SAMPLES / "sample_session.mp3").read_bytes(), content_type="image/jpeg")
    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=0, FILE_UPLOAD_TEMP_DIR=str(tmp_path)):
        response = signed_in(world.a.clinician).post(read_url(world), {"page": page})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith("notes.jpg is not a photo or scan we can read (we accept JPEG, PNG")
    assert list(tmp_path.iterdir()) == []


def test_a_blank_page_says_no_writing_was_found(world: World) -> None:
    page = SimpleUploadedFile("blank.png", page_bytes("PNG", lines=[]), content_type="image/png")
    response = signed_in(world.a.clinician).post(read_url(world), {"page": page})
    assert response.status_code == 400 and "No writing was found" in response.json()["error"]["message"]


def test_no_file_is_a_clear_refusal(world: World) -> None:
    response = signed_in(world.a.clinician).post(read_url(world), {})
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_page"


def test_the_form_offers_to_read_handwritten_notes(world: World) -> None:
    page = signed_in(world.a.clinician).get(f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/notes/new/")
    html = page.content.decode()
    assert "Handwritten notes" in html and f'data-handwriting-url="{read_url(world)}"' in html
    assert 'accept=".jpg,.jpeg,image/jpeg,.png,image/png' in html and "application/pdf" in html


def test_pages_read_past_the_members_limit_are_refused_with_retry_after(world: World, tmp_path: Path) -> None:
    # Each read is seconds of OCR in the web process: one member may not keep a worker busy.
    page = SimpleUploadedFile("page.jpg", page_bytes("JPEG"), content_type="image/jpeg")
    with (
        with_rate("page_read", "0/hour"),
        override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=0, FILE_UPLOAD_TEMP_DIR=str(tmp_path)),
    ):
        response = signed_in(world.a.clinician).post(read_url(world), {"page": page})
    assert response.status_code == 429
    assert response.json()["error"]["message"].startswith("Too many pages read; try again in")
    assert int(response["Retry-After"]) > 0
    assert list(tmp_path.iterdir()) == []  # refused, and the image is gone all the same
