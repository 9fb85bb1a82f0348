"""PDFs print every name as it is written: Polish, Vietnamese, any Latin alphabet."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from notes.services import review
from tests.conftest import World
from tests.documents import note_body
from tests.ui.conftest import make_draft, signed_in

pytestmark = pytest.mark.django_db

CLIENT = "Michał Nguyễn"
CLINICIAN = "Zofia Wiśniewska-Đặng"
PRACTICE = "Poradnia Łódź · Phòng khám Hà Nội"


def pdf_text(content: bytes) -> list[str]:
    """The text of each page, as a reader's copy and paste or a search would see it."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_a_signed_note_prints_the_clients_and_clinicians_names_intact(world: World) -> None:
    world.a.client.name = CLIENT
    world.a.client.save()
    world.a.clinician.full_name = CLINICIAN
    world.a.clinician.save()
    long_plan = " ".join(["Michał will keep the sleep diary (dziennik snu) every evening."] * 80)
    note = make_draft(
        world.a,
        body=note_body({"subjective": "Michał said he slept well: “ngủ ngon”.", "plan": long_plan}),
    )
    review.note_sign(note=note, actor=world.a.clinician)
    response = signed_in(world.a.clinician).get(f"/p/{note.practice.slug}/notes/{note.pk}/export.pdf")
    assert response.status_code == 200
    pages = pdf_text(response.content)
    assert len(pages) > 1
    assert all(CLIENT in page for page in pages), "the client's name heads every page"
    assert "Michał said he slept well: “ngủ ngon”." in pages[0]
    assert f"Electronically signed by {CLINICIAN}" in pages[-1]
    assert "?" not in "".join(pages)


def test_the_consent_form_is_filled_in_with_the_names_intact(world: World) -> None:
    world.a.practice.name = PRACTICE
    world.a.practice.save()
    world.a.client.name = CLIENT
    world.a.client.save()
    world.a.clinician.full_name = CLINICIAN
    world.a.clinician.save()
    response = signed_in(world.a.clinician).get(
        f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/consent-form.pdf"
    )
    assert response.status_code == 200
    (page,) = pdf_text(response.content)
    assert PRACTICE in page and "Consent to audio recording of therapy sessions" in page
    assert CLIENT in page, "the form is filled in with the client's name, every letter intact"
    assert CLINICIAN in page
