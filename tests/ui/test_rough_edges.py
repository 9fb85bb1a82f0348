"""Small things a new user met outside the Generate Note dialog: sign-in wording, the icon, the 404
page with DEBUG on, copying one section, practice settings, plurals."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client as BrowserClient
from django.test import override_settings

from intellisession.models import AuditEvent, TranscriptRetention
from notes.context import PriorNote
from notes.document import ContextReport
from notes.models import Note
from notes.prompt import _fit_prior_notes
from tests.conftest import World
from tests.ui.conftest import signed_in

pytestmark = pytest.mark.django_db


# --- sign-in: accounts come by invitation


def test_sign_in_page_says_accounts_come_by_invitation_and_offers_no_sign_up(client: BrowserClient) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "Accounts are by invitation" in page and "administrator to invite you" in page
    assert "sign up" not in page.lower() and "/accounts/signup/" not in page
    assert 'name="login"' in page and 'name="password"' in page  # still the sign-in form


def test_sign_up_address_explains_invitations_instead_of_sign_up_closed(client: BrowserClient) -> None:
    page = client.get("/accounts/signup/").content.decode()
    assert "Accounts are by invitation" in page and "Sign Up Closed" not in page
    assert 'href="/accounts/login/"' in page


def test_password_reset_for_an_unknown_address_explains_invitations(client: BrowserClient) -> None:
    client.post("/accounts/password/reset/", {"email": "nobody@example.test"})
    (message,) = mail.outbox
    assert "accounts are by invitation" in message.body.lower() and "sign up" not in message.body.lower()


# --- the icon


def test_pages_link_the_icon_and_favicon_ico_leads_to_it(client: BrowserClient) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200 and response.redirect_chain == [("/static/favicon.svg", 301)]
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)  # type: ignore[attr-defined]


# --- 404 with DEBUG on: the project's page, never Django's list of URL patterns


@override_settings(DEBUG=True)
def test_unknown_url_with_debug_on_gets_the_projects_404_page(world: World) -> None:
    response = signed_in(world.a.clinician).get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in page and "There is nothing here" in page
    assert "URLconf" not in page and "p/&lt;slug:practice_slug&gt;" not in page and "healthz" not in page


@override_settings(DEBUG=True)
def test_another_practices_note_with_debug_on_gets_the_projects_404_page(world: World) -> None:
    from tests.ui.conftest import make_draft

    other = make_draft(world.b)
    response = signed_in(world.a.clinician).get(f"/p/{world.a.practice.slug}/notes/{other.pk}/")
    page = response.content.decode()
    assert response.status_code == 404 and "<h1>Not found</h1>" in page
    assert "Raised by" not in page and "notes.views" not in page


@override_settings(DEBUG=True)
def test_with_debug_on_the_api_404_keeps_its_shape_and_a_missing_slash_still_redirects(client: BrowserClient) -> None:
    api = client.get("/api/v1/no-such-thing/")
    assert api.status_code == 404 and api.json() == {"error": {"code": "not_found", "message": "Not found."}}
    redirect = client.get("/accounts/login")
    assert redirect.status_code == 301 and redirect["Location"] == "/accounts/login/"


# --- copying one section for the EHR


def section_url(note: Note, key: str) -> str:
    return f"/p/{note.practice.slug}/notes/{note.pk}/export.txt?section={key}"


def test_one_sections_text_is_its_words_alone_and_the_export_is_audited_by_key(world: World, draft: Note) -> None:
    browser = signed_in(world.a.clinician)
    response = browser.get(section_url(draft, "plan"))
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "Journal nightly.\n"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="note.export")
    assert event.detail == {"format": "text", "section": "plan"} and event.object_id == str(draft.pk)


def test_a_section_with_nothing_left_copies_as_none_like_the_whole_note(world: World, draft: Note) -> None:
    document = draft.document
    for sentence in document.sections[1].sentences:
        sentence.resolution = "removed"
    draft.body = document.dump()
    draft.save(update_fields=["body"])
    browser = signed_in(world.a.clinician)
    assert browser.get(section_url(draft, "plan")).content.decode() == "(none)\n"
    whole = browser.get(f"/p/{draft.practice.slug}/notes/{draft.pk}/export.txt").content.decode()
    assert "PLAN\n(none)\n" in whole


def test_an_unknown_section_is_a_404_and_another_practice_cannot_copy(world: World, draft: Note) -> None:
    assert signed_in(world.a.clinician).get(section_url(draft, "nope")).status_code == 404
    stranger = signed_in(world.b.clinician).get(f"/p/{world.b.practice.slug}/notes/{draft.pk}/export.txt?section=plan")
    assert stranger.status_code == 404
    assert not AuditEvent.objects.filter(action="note.export").exists()


def test_note_page_has_a_copy_button_for_each_section(world: World, draft: Note) -> None:
    page = signed_in(world.a.clinician).get(f"/p/{draft.practice.slug}/notes/{draft.pk}/").content.decode()
    for key, title in (("subjective", "Subjective"), ("plan", "Plan")):
        assert f'data-copy-url="/p/{draft.practice.slug}/notes/{draft.pk}/export.txt?section={key}"' in page
        assert f'Copy<span class="visually-hidden"> {title}</span>' in page


# --- practice settings: the number of days only when it is used


def settings_url(world: World) -> str:
    return f"/p/{world.a.practice.slug}/admin/settings/"


def test_keeping_transcripts_saves_without_a_number_of_days(world: World) -> None:
    practice = world.a.practice
    practice.transcript_retention, practice.transcript_retention_days = TranscriptRetention.ON_SIGN, 21
    practice.save()
    form = {"transcript_retention": TranscriptRetention.KEEP, "transcript_retention_days": ""}
    response = signed_in(world.a.admin).post(settings_url(world), form)
    assert response.status_code == 302
    practice.refresh_from_db()
    assert (practice.transcript_retention, practice.transcript_retention_days) == ("keep", 21)


def test_deleting_after_days_needs_the_number_of_days(world: World) -> None:
    form = {"transcript_retention": TranscriptRetention.AFTER_DAYS, "transcript_retention_days": ""}
    response = signed_in(world.a.admin).post(settings_url(world), form)
    assert response.status_code == 400
    assert "Say after how many days transcripts are deleted (1 to 3650)." in response.content.decode()
    world.a.practice.refresh_from_db()
    assert world.a.practice.transcript_retention == "keep"


def test_settings_page_puts_each_checkbox_inside_its_label_and_days_are_not_marked_required(world: World) -> None:
    page = signed_in(world.a.admin).get(settings_url(world)).content.decode()
    for name in ("require_mfa", "share_caseload", "share_client_instructions"):
        assert f'<label class="check" for="id_{name}"><input type="checkbox" name="{name}"' in page
    assert '<fieldset class="field options">' in page and "<legend>Transcripts" in page
    assert 'for="id_transcript_retention_days">Days to keep transcripts</label>' in page  # no "*"


def test_share_client_instructions_is_saved_from_the_settings_page(world: World) -> None:
    form = {"transcript_retention": TranscriptRetention.KEEP, "share_client_instructions": "on"}
    assert signed_in(world.a.admin).post(settings_url(world), form).status_code == 302
    world.a.practice.refresh_from_db()
    assert world.a.practice.share_client_instructions is True


# --- plurals


@pytest.mark.parametrize(
    ("count", "words"), [(1, "1 older note was left out for length."), (2, "2 older notes were left out for length.")]
)
def test_notes_left_out_of_the_prompt_are_counted_in_words(count: int, words: str) -> None:
    report = ContextReport()
    notes = [PriorNote(ref=f"N{i}", date=f"2026-01-0{i + 1}", text="Slept badly.") for i in range(count)]
    assert _fit_prior_notes(notes, 0, report) == []
    assert report.reasons == [words]


def test_revoking_one_api_token_says_so_in_the_singular(world: World) -> None:
    from intellisession.tokens import api_token_issue

    api_token_issue(user=world.a.clinician, second_factor=True)
    member = world.a.practice.memberships.get(user=world.a.clinician)
    browser = signed_in(world.a.admin)
    response = browser.post(f"/p/{world.a.practice.slug}/admin/members/{member.pk}/tokens/revoke/", follow=True)
    assert f"1 API token of {world.a.clinician.email} no longer works." in response.content.decode()
