"""Rough edges a new clinician met on the note and client pages: signing asks for a confirmation
that lists what is still as drafted, imported notes say what they are, the notes menu is on
every page, and dates read one way with their time zone."""

from __future__ import annotations

import datetime

import pytest

from notes.services.review import note_import, note_sentence_resolve
from tests.conftest import World
from tests.ui.conftest import ASSESSMENT, make_draft, signed_in

pytestmark = pytest.mark.django_db


def test_signing_lists_what_is_unedited_and_needs_the_confirmation(world: World) -> None:
    draft = make_draft(world.a, engine="offline")
    note_sentence_resolve(note=draft, actor=world.a.clinician, section_key="subjective", index=1, action="accept")
    browser = signed_in(world.a.clinician)
    browser.post(f"/p/{draft.practice.slug}/notes/{draft.pk}/risk-assessment/", ASSESSMENT)
    page = browser.get(f"/p/{draft.practice.slug}/notes/{draft.pk}/").content.decode()
    assert "As written by the offline drafter, not edited by you: Subjective, Plan." in page
    assert "Kept without support in the session: 1 sentence." in page
    refused = browser.post(f"/p/{draft.practice.slug}/notes/{draft.pk}/sign/", follow=True).content.decode()
    assert "Confirm that you have reviewed the whole note" in refused
    draft.refresh_from_db()
    assert not draft.is_signed
    signed = browser.post(f"/p/{draft.practice.slug}/notes/{draft.pk}/sign/", {"confirm": "on"}, follow=True)
    page = signed.content.decode()
    assert "Note signed." in page and "Before you sign" not in page
    draft.refresh_from_db()
    assert draft.is_signed and draft.signed_at is not None
    assert f"on {draft.signed_at:%b} {draft.signed_at.day}, {draft.signed_at:%Y, %H:%M} UTC" in page


def test_an_imported_note_shows_its_date_of_service_and_who_imported_it(world: World) -> None:
    note = note_import(
        practice=world.a.practice,
        client=world.a.client,
        author=world.a.clinician,
        text="Subjective: doing better.",
        date_of_service=datetime.date(2025, 3, 4),
    )
    browser = signed_in(world.a.clinician)
    page = browser.get(f"/p/{note.practice.slug}/notes/{note.pk}/").content.decode()
    assert "Imported from another system by" in page and "date of service Mar 4, 2025" in page
    text = browser.get(f"/p/{note.practice.slug}/notes/{note.pk}/export.txt").content.decode()
    assert "Imported from another system by" in text and "Electronically signed" not in text


def test_templates_and_note_settings_are_in_the_menu_on_every_page(world: World) -> None:
    browser = signed_in(world.a.admin)
    slug = world.a.practice.slug
    for path in (f"/p/{slug}/", f"/p/{slug}/admin/members/", f"/p/{slug}/note-settings/"):
        page = browser.get(path).content.decode()
        assert f'href="/p/{slug}/templates/">Templates</a>' in page, path
        assert f'href="/p/{slug}/note-settings/">Note settings</a>' in page, path
