"""Versions of a draft: regenerating keeps the text it replaces, edits included; an earlier version
can be read and restored until the note is signed."""

from __future__ import annotations

import pytest

from notes.models import Note, NoteVersion, VersionReason
from notes.services.review import note_sign, note_update_section, note_version_keep, note_version_restore
from tests.conftest import World
from tests.ui.conftest import ASSESSMENT, make_draft, signed_in

pytestmark = pytest.mark.django_db


def url(note: Note, suffix: str = "") -> str:
    return f"/p/{note.practice.slug}/notes/{note.pk}/{suffix}"


def test_an_edited_draft_replaced_by_regeneration_can_be_read_and_restored(world: World) -> None:
    draft = make_draft(world.a)
    note_update_section(note=draft, actor=world.a.clinician, section_key="plan", text="My own plan, typed by hand.")
    # What the pipeline does before it writes a regenerated draft into the same note:
    note_version_keep(draft, reason=VersionReason.REGENERATED, actor=world.a.clinician)
    note_update_section(note=draft, actor=world.a.clinician, section_key="plan", text="The regenerated plan.")

    browser = signed_in(world.a.clinician)
    page = browser.get(url(draft)).content.decode()
    assert "Earlier versions" in page and 'data-version="1"' in page
    version_page = browser.get(url(draft, "versions/1/")).content.decode()
    assert "My own plan, typed by hand." in version_page and "Restore this version" in version_page

    response = browser.post(url(draft, "versions/1/restore/"), follow=True)
    assert "Earlier version restored" in response.content.decode()
    draft.refresh_from_db()
    assert draft.document.section("plan").text == "My own plan, typed by hand."  # type: ignore[union-attr]
    kept = NoteVersion.objects.get(note=draft, number=2)
    assert kept.reason == VersionReason.RESTORED
    assert kept.document.section("plan").text == "The regenerated plan."  # type: ignore[union-attr]


def test_a_signed_note_offers_no_versions_and_refuses_a_restore(world: World) -> None:
    draft = make_draft(world.a, risks=[])
    note_version_keep(draft, reason=VersionReason.REGENERATED, actor=world.a.clinician)
    browser = signed_in(world.a.clinician)
    browser.post(url(draft, "sentence/"), {"section": "subjective", "index": 1, "action": "accept"})
    draft.refresh_from_db()
    note_sign(note=draft, actor=world.a.clinician)
    assert "Earlier versions" not in browser.get(url(draft)).content.decode()
    response = browser.post(url(draft, "versions/1/restore/"), follow=True)
    assert "A signed note cannot be changed" in response.content.decode()
    assert browser.get(url(draft, "versions/9/")).status_code == 404


def test_a_version_of_another_note_cannot_be_restored(world: World) -> None:
    from intellisession.errors import DomainError

    first, second = make_draft(world.a), make_draft(world.a)
    version = note_version_keep(first, reason=VersionReason.REGENERATED, actor=world.a.clinician)
    with pytest.raises(DomainError, match="another note"):
        note_version_restore(note=second, version=version, actor=world.a.clinician)


def test_the_assessment_form_is_part_of_the_review(world: World) -> None:
    draft = make_draft(world.a)
    browser = signed_in(world.a.clinician)
    assert browser.post(url(draft, "risk-assessment/"), ASSESSMENT).status_code == 302
    draft.refresh_from_db()
    assert [a.category for a in draft.document.risk_assessments] == ["suicide"]
    assert "Assessed" in browser.get(url(draft)).content.decode()
