"""The note review page: evidence, unsupported sentences, risk items, signing, exports, addenda."""

from __future__ import annotations

import pytest

from intellisession.models import AuditEvent
from notes.models import Note, NoteRequest
from tests.conftest import World
from tests.ui.conftest import ASSESSMENT, make_draft, signed_in

pytestmark = pytest.mark.django_db


def url(note: Note, action: str = "") -> str:
    base = f"/p/{note.practice.slug}/notes/{note.pk}/"
    return base + (f"{action}/" if action and "." not in action else action)


def test_review_page_shows_sections_evidence_and_blockers(world: World, draft: Note) -> None:
    page = signed_in(world.a.clinician).get(url(draft)).content.decode()
    assert "Subjective" in page and "Plan" in page
    assert "I slept badly" in page and "Session recording · 1:15" in page
    assert "Unsupported" in page and "No support found in the session or the inputs." in page
    assert "1 sentence has no support" in page and "complete the risk assessment" in page
    assert 'data-sign disabled aria-describedby="blockers"' in page
    assert "Export PDF" in page and "Copy for EHR" in page


def test_viewing_a_note_is_audited_with_ids_only(world: World, draft: Note) -> None:
    signed_in(world.a.clinician).get(url(draft))
    event = AuditEvent.objects.get(action="note.view")
    assert event.object_id == str(draft.pk) and event.actor == world.a.clinician
    assert "jazz" not in str(event.detail)


def test_accept_remove_acknowledge_then_sign(world: World, draft: Note) -> None:
    browser = signed_in(world.a.clinician)
    response = browser.post(url(draft, "sentence"), {"section": "subjective", "index": 1, "action": "remove"})
    assert response.status_code == 302 and response["Location"].endswith("#section-subjective")
    draft.refresh_from_db()
    assert draft.document.sections[0].text == "Client slept badly."
    browser.post(url(draft, "sign"), {"confirm": "on"})
    draft.refresh_from_db()
    assert not draft.is_signed  # the endorsed risk still needs its assessment
    browser.post(url(draft, "risk-assessment"), ASSESSMENT)
    response = browser.post(url(draft, "sign"), {"confirm": "on"}, follow=True)
    assert "Note signed." in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_signed and draft.content_hash


def test_sign_refusal_is_shown_in_plain_words(world: World, draft: Note) -> None:
    page = signed_in(world.a.clinician).post(url(draft, "sign"), {"confirm": "on"}, follow=True).content.decode()
    assert "accept or remove it" in page


def test_signed_note_is_read_only_and_takes_addenda(world: World, draft: Note) -> None:
    browser = signed_in(world.a.clinician)
    browser.post(url(draft, "sentence"), {"section": "subjective", "index": 1, "action": "accept"})
    browser.post(url(draft, "risk-assessment"), ASSESSMENT)
    browser.post(url(draft, "sign"), {"confirm": "on"})
    page = browser.get(url(draft)).content.decode()
    assert "Edit<span" not in page and "data-sign" not in page and "Add addendum" in page
    response = browser.post(url(draft, "section"), {"section": "plan", "text": "Changed"}, follow=True)
    assert "A signed note cannot be changed" in response.content.decode()
    browser.post(url(draft, "addenda"), {"text": "Called the client on Friday."})
    assert "Called the client on Friday." in browser.get(url(draft)).content.decode()


def test_editing_a_section_replaces_its_text(world: World, draft: Note) -> None:
    browser = signed_in(world.a.clinician)
    browser.post(url(draft, "section"), {"section": "plan", "text": "Journal three evenings."})
    draft.refresh_from_db()
    assert draft.document.sections[1].text == "Journal three evenings."
    assert "Written by the clinician." in browser.get(url(draft)).content.decode()


def test_unknown_section_is_an_error_message_not_a_crash(world: World, draft: Note) -> None:
    response = signed_in(world.a.clinician).post(url(draft, "section"), {"section": "nope", "text": "x"}, follow=True)
    assert "This note has no such section." in response.content.decode()


def test_pdf_and_text_exports_are_audited(world: World, draft: Note) -> None:
    browser = signed_in(world.a.clinician)
    pdf = browser.get(url(draft, "export.pdf"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"] and "jazz" not in pdf["Content-Disposition"]
    text = browser.get(url(draft, "export.txt"))
    assert "SUBJECTIVE" in text.content.decode() and "DRAFT - not signed" in text.content.decode()
    formats = sorted(e.detail["format"] for e in AuditEvent.objects.filter(action="note.export"))
    assert formats == ["pdf", "text"]


def test_regenerate_goes_to_the_progress_page(world: World, draft: Note) -> None:
    response = signed_in(world.a.clinician).post(url(draft, "regenerate"), {"style": "dap"})
    new = NoteRequest.objects.exclude(pk=str(draft.request_id)).get()
    assert new.style_key == "dap" and new.regenerates_id == draft.pk
    assert response["Location"] == f"/p/{draft.practice.slug}/requests/{new.pk}/"


def test_regenerate_with_unknown_style_is_refused(world: World, draft: Note) -> None:
    response = signed_in(world.a.clinician).post(url(draft, "regenerate"), {"style": "nope"}, follow=True)
    assert "Choose one of this practice" in response.content.decode()
    assert NoteRequest.objects.count() == 1


def test_read_only_member_sees_signed_notes_only(world: World, draft: Note) -> None:
    reader = signed_in(world.a.reader)
    assert reader.get(url(draft)).status_code == 404
    assert reader.post(url(draft, "sign")).status_code == 403
    signed = make_draft(world.a, status="signed", risks=[])
    page = reader.get(url(signed)).content.decode()
    assert "Client slept badly." in page and "data-sign" not in page and "Add addendum" not in page


def test_other_practice_note_is_404(world: World) -> None:
    other = make_draft(world.b)
    browser = signed_in(world.a.admin)
    assert browser.get(url(other)).status_code == 404
    assert browser.get(f"/p/{world.a.practice.slug}/notes/{other.pk}/export.pdf").status_code == 404
    assert browser.post(url(other, "sign")).status_code == 404


def test_clinician_outside_caseload_gets_404(world: World, draft: Note) -> None:
    from intellisession.models import Membership, Role
    from tests.conftest import make_user

    colleague = make_user("colleague@alpha.test")
    Membership.objects.create(user=colleague, practice=world.a.practice, role=Role.CLINICIAN)
    assert signed_in(colleague).get(url(draft)).status_code == 404
