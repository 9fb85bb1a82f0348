"""A clinician records a session in the browser and signs the note; also the file and text paths."""

from __future__ import annotations

import re
from typing import Any

import pytest

from notes.styles import BUILTIN_STYLES
from tests.browser.conftest import screenshot, sign_in, worker_fixture
from tests.conftest import World
from tests.samples import SAMPLES
from tests.ui.conftest import give_consent, make_draft

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

worker = worker_fixture()  # offline drafter: no language model configured
NOTE_URL = re.compile(r".*/notes/[0-9a-f-]{36}/$")


@pytest.fixture
def ready(transactional_db: None, world: World, worker: Any) -> World:
    give_consent(world.a)
    return world


def open_dialog(page: Any, world: World) -> Any:
    sign_in(page, world.a.clinician.email)
    page.goto(f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/")
    page.get_by_role("link", name="Generate Note").click()
    dialog = page.get_by_role("dialog", name="Generate Note")
    dialog.wait_for()
    return dialog


def create_and_wait_for_note(page: Any, dialog: Any, shot: str | None = None) -> None:
    dialog.get_by_role("button", name="Create").click()
    if shot:
        page.wait_for_url(re.compile(r".*/requests/[0-9a-f-]{36}/$"))
        page.locator("#job-status").wait_for()
        screenshot(page, shot)
    # A short text-only request can be written before its progress page loads; that page then
    # opens the note at once, so only the note's address is waited for.
    page.wait_for_url(NOTE_URL, timeout=180_000)


def assert_sections(page: Any, style: str) -> None:
    for section in BUILTIN_STYLES[style].sections:
        assert page.get_by_role("heading", name=section.title, exact=True).is_visible(), section.title


def resolve_and_sign(page: Any) -> None:
    # Each category the client endorsed needs the clinician's risk assessment before signing.
    while page.locator("[data-risk-group].pending [data-assessment-form]").count():
        form = page.locator("[data-risk-group].pending [data-assessment-form]").first
        for answer in ("Passive", "No plan", "No intent", "No access to means", "Completed in session"):
            form.get_by_label(re.compile(answer)).check()
        form.get_by_label("Clinician's response").fill("Safety plan reviewed; follow-up call tomorrow.")
        form.get_by_role("button", name="Save risk assessment").click()
        page.get_by_text("Risk assessment saved.").wait_for()
    while page.get_by_role("button", name=re.compile("^Accept")).count():
        page.get_by_role("button", name=re.compile("^Accept")).first.click()
        page.wait_for_load_state()
    assert page.locator("#sign-review").is_visible()  # what is still as drafted is listed
    page.get_by_label(re.compile("I have reviewed this note")).check()
    page.get_by_role("button", name="Sign", exact=True).click()
    page.get_by_text("Note signed.").wait_for()
    assert page.locator("[data-note-status]").inner_text() == "Signed"


def test_record_create_watch_progress_review_and_sign(page: Any, ready: World) -> None:
    dialog = open_dialog(page, ready)
    screenshot(page, "generate-dialog")
    assert dialog.get_by_label("Template").input_value() == "soap"  # the preferred style, preselected
    dialog.get_by_role("button", name="Add another input").click()
    block = dialog.locator("[data-input-block]").nth(1)
    block.get_by_label("Kind of text").select_option("post_session")
    block.get_by_label("Text input").fill("Client said some evenings he can't go on; safety plan reviewed.")
    dialog.get_by_role("button", name="Start recording", exact=True).click()
    dialog.get_by_text("Recording.").wait_for()
    screenshot(page, "generate-dialog-recording")
    page.wait_for_timeout(6_000)
    dialog.get_by_role("button", name="Pause").click()
    paused_at = dialog.locator("[data-audio-primary] [data-rec-time]").inner_text()
    page.wait_for_timeout(1_200)
    assert dialog.locator("[data-audio-primary] [data-rec-time]").inner_text() == paused_at
    dialog.get_by_role("button", name="Resume").click()
    page.wait_for_timeout(9_000)
    assert float(dialog.locator("[data-audio-primary] [data-rec-level]").get_attribute("value") or 0) >= 0
    dialog.get_by_role("button", name="Stop").click()
    dialog.get_by_text(re.compile(r"Recording stopped: 0:1[4-7] recorded and uploaded")).wait_for()
    create_and_wait_for_note(page, dialog, shot="progress")
    assert_sections(page, "soap")
    first = page.locator("[data-sentence]").first
    first.focus()
    first.press("Enter")
    assert first.get_attribute("aria-expanded") == "true"
    assert page.locator(".sent-wrap.open .evidence").is_visible()
    assert page.locator("[data-risk]").count() >= 1
    screenshot(page, "note-review")
    resolve_and_sign(page)
    screenshot(page, "note-signed")


def test_dropped_connection_and_reload_keep_the_recording(page: Any, ready: World) -> None:
    from transcription.models import AudioUpload

    dialog = open_dialog(page, ready)
    dialog.get_by_role("button", name="Start recording", exact=True).click()
    dialog.get_by_text("Recording.").wait_for()
    page.wait_for_timeout(3_500)
    page.context.set_offline(True)
    dialog.get_by_text(re.compile("Connection lost")).wait_for(timeout=15_000)
    page.wait_for_timeout(3_000)
    page.context.set_offline(False)
    dialog.get_by_text(re.compile(r"Uploaded \d+ KB so far")).wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)
    page.on("dialog", lambda prompt: prompt.accept())  # "leave the page while recording?"
    page.reload()  # as if the tab had closed mid-session
    upload = AudioUpload.objects.get()
    assert upload.status == "open" and upload.next_seq >= 3  # parts from before, during and after the outage
    page.get_by_role("link", name="Generate Note").click()
    dialog.get_by_text("An unfinished recording of this client was found").wait_for()
    dialog.get_by_role("button", name="Use what was saved").click()
    create_and_wait_for_note(page, dialog)
    assert_sections(page, "soap")
    upload.refresh_from_db()
    assert upload.status == "finished" and upload.parts_deleted_at is not None


def test_attach_a_file(page: Any, ready: World) -> None:
    dialog = open_dialog(page, ready)
    dialog.get_by_role("tab", name="Attach file").click()
    dialog.get_by_label(re.compile("Audio file")).first.set_input_files(str(SAMPLES / "sample_session.mp3"))
    create_and_wait_for_note(page, dialog)
    assert_sections(page, "soap")
    assert "journal" in page.locator("article.note-body").inner_text().lower()


def test_summary_only(page: Any, ready: World) -> None:
    dialog = open_dialog(page, ready)
    dialog.get_by_label("Template").select_option("dap")
    dialog.get_by_role("switch", name="Summary Only").check()
    assert not dialog.get_by_role("button", name="Start recording", exact=True).is_visible()
    dialog.get_by_label("Text input").first.fill(
        "Client reported better sleep this week. We practised a breathing exercise. Next session in two weeks."
    )
    create_and_wait_for_note(page, dialog)
    assert_sections(page, "dap")
    resolve_and_sign(page)


def test_escape_closes_the_dialog_and_returns_focus(page: Any, ready: World) -> None:
    dialog = open_dialog(page, ready)
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Generate Note"


def test_another_practices_note_is_404(page: Any, transactional_db: None, world: World) -> None:
    other = make_draft(world.b)
    sign_in(page, world.a.clinician.email)
    response = page.goto(f"/p/{world.a.practice.slug}/notes/{other.pk}/")
    assert response is not None and response.status == 404
    response = page.goto(f"/p/{world.b.practice.slug}/notes/{other.pk}/")
    assert response is not None and response.status == 404
