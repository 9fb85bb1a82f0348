"""Generate Note's inputs in the browser: consent recorded from inside the dialog, and a refused
file shown in the dialog on its tab, with everything typed still there."""

from __future__ import annotations

import re
from typing import Any

import pytest

from clients.models import RecordingConsent
from notes.models import NoteRequest
from tests.browser.conftest import PHONE, TOUCH, browser_page, screenshot, worker_fixture
from tests.browser.test_generate_note import NOTE_URL, open_dialog
from tests.browser.test_recorder import fits
from tests.conftest import World
from tests.samples import SAMPLES
from tests.ui.conftest import give_consent

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

worker = worker_fixture()  # offline drafter: no language model configured
SUMMARY = "Client arrived early and talked about the move to a new flat."
# What the fake microphone plays (the sample session, looped): a dictation recorded from it holds these words.
SPOKEN = set(re.findall(r"[a-z']{4,}", (SAMPLES / "sample_session.txt").read_text().lower()))


def type_summary(dialog: Any) -> None:
    dialog.get_by_label("Template").select_option("dap")
    dialog.get_by_label("Text input").first.fill(SUMMARY)


def test_consent_recorded_inside_the_dialog_brings_the_recorder(
    page: Any, transactional_db: None, world: World, worker: Any
) -> None:
    dialog = open_dialog(page, world)
    type_summary(dialog)
    assert dialog.get_by_text("Recording is unavailable").is_visible()
    assert not dialog.get_by_role("button", name="Start recording", exact=True).count()
    dialog.get_by_label(re.compile("How it was given")).select_option("verbal")
    dialog.get_by_role("heading", name="Record the client's consent").scroll_into_view_if_needed()
    screenshot(page, "generate-dialog-consent-form")
    dialog.get_by_role("button", name="Record consent").click()
    dialog.get_by_text("Recording consent recorded.").wait_for()
    screenshot(page, "generate-dialog-consent-recorded")
    consent = RecordingConsent.objects.get(client=world.a.client)
    assert consent.method == "verbal" and consent.recorded_by == world.a.clinician
    # Still the same dialog, with what was typed and chosen; the recorder and the file field work now.
    assert dialog.is_visible() and page.url.endswith(f"/clients/{world.a.client.pk}/")
    assert dialog.get_by_label("Text input").first.input_value() == SUMMARY
    assert dialog.get_by_label("Template").input_value() == "dap"
    dialog.get_by_role("tab", name="Attach file").click()
    assert dialog.locator("#gen-audio-file").is_enabled()
    dialog.get_by_role("tab", name="Record").click()
    dialog.get_by_role("button", name="Start recording", exact=True).click()
    dialog.get_by_text("Recording.").wait_for()
    page.wait_for_timeout(4000)
    dialog.get_by_role("button", name="Stop").click()
    dialog.get_by_text(re.compile("Recording stopped: .* recorded and uploaded")).wait_for()
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(NOTE_URL, timeout=180_000)
    request = NoteRequest.objects.get()
    assert {i.kind for i in request.inputs.all()} == {"audio", "session_summary"}


def test_a_refused_file_stays_in_the_dialog_on_its_tab(page: Any, transactional_db: None, world: World) -> None:
    give_consent(world.a)
    dialog = open_dialog(page, world)
    type_summary(dialog)
    dialog.get_by_role("tab", name="Attach file").click()
    field = dialog.locator("#gen-audio-file")
    field.set_input_files(
        {"name": "notes.mp3", "mimeType": "audio/mpeg", "buffer": (SAMPLES / "not_audio.mp3").read_bytes()}
    )
    dialog.get_by_role("button", name="Create").click()
    error = dialog.locator("#gen-audio-error")
    error.get_by_text("notes.mp3 is not an audio recording").wait_for()
    screenshot(page, "generate-dialog-upload-refused")
    assert dialog.is_visible() and page.url.endswith(f"/clients/{world.a.client.pk}/")
    assert dialog.get_by_role("tab", name="Attach file").get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "gen-audio-file"
    label = dialog.locator('label[for="gen-audio-file"]').inner_text()
    formats = re.compile(r"\b(?:MP3|WAV|M4A|WEBM|OGG|FLAC)\b")
    assert formats.findall(label) == formats.findall(error.inner_text()) and len(formats.findall(label)) == 6
    assert dialog.get_by_label("Text input").first.input_value() == SUMMARY
    assert dialog.get_by_role("button", name="Create").is_enabled()
    assert not NoteRequest.objects.exists()
    # Another file, and the same dialog goes on to the progress page.
    field.set_input_files(str(SAMPLES / "sample_session.mp3"))
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/requests/[0-9a-f-]{36}/$"))
    assert NoteRequest.objects.get().inputs.count() == 2


def test_a_session_addressing_another_clients_name_is_warned_of_before_signing(
    page: Any, transactional_db: None, world: World, worker: Any
) -> None:
    from clients.models import Client

    give_consent(world.a)
    sam = Client.objects.create(practice=world.a.practice, name="Sam Okafor")  # the sample greets "Sam"
    sam.assigned_clinicians.add(world.a.clinician)
    dialog = open_dialog(page, world)
    dialog.get_by_role("tab", name="Attach file").click()
    dialog.locator("#gen-audio-file").set_input_files(str(SAMPLES / "sample_session.mp3"))
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(NOTE_URL, timeout=180_000)
    warning = page.locator("#source-warnings [data-warning=wrong_client]")
    assert warning.is_visible()
    text = warning.inner_text()
    assert "addresses the client as 'Sam'" in text and f"check it belongs to {world.a.client.name}" in text
    assert "Okafor" not in text  # the other client is not named beyond what the recording says
    screenshot(page, "note-wrong-client-warning")
    # Shown above the sign form, for the clinician to see before signing.
    assert page.locator("#source-warnings").bounding_box()["y"] < page.locator("[data-sign]").bounding_box()["y"]


def test_a_dictation_goes_through_without_consent_and_a_session_recording_does_not(
    page: Any, transactional_db: None, world: World, worker: Any
) -> None:
    dialog = open_dialog(page, world)
    dialog.get_by_role("switch", name="Summary Only").check()
    block = dialog.locator("[data-input-block]").first
    block.get_by_role("tab", name="Audio").click()
    dictation = block.get_by_label(re.compile("Dictation \\(my voice only\\)"))
    assert dictation.is_checked()  # no consent on file: an input's audio can only be a dictation
    block.get_by_label(re.compile("Audio file")).set_input_files(str(SAMPLES / "sample_session.mp3"))
    screenshot(page, "generate-dialog-dictation")
    # Unticked, it is a session recording of a client without consent: refused, in the dialog.
    dictation.uncheck()
    dialog.get_by_role("switch", name="Summary Only").uncheck()
    dialog.get_by_role("button", name="Create").click()
    dialog.locator("[data-form-errors]").get_by_text(re.compile("no recording consent on file")).wait_for()
    screenshot(page, "generate-dialog-session-audio-refused")
    assert dialog.is_visible() and not NoteRequest.objects.exists()
    dialog.get_by_role("switch", name="Summary Only").check()
    assert dictation.is_checked()
    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(NOTE_URL, timeout=180_000)
    request = NoteRequest.objects.get()
    assert [i.kind for i in request.inputs.all()] == ["dictation"]
    assert "journal" in page.locator("article.note-body").inner_text().lower()


def test_a_handwritten_page_is_read_into_the_text_box_to_correct(
    page: Any, transactional_db: None, world: World
) -> None:
    from tests.handwriting import page_bytes, word_accuracy

    dialog = open_dialog(page, world)
    block = dialog.locator("[data-input-block]").first
    block.get_by_label(re.compile("Text input")).fill("Seen at 3 pm.")
    block.get_by_label(re.compile("Handwritten notes")).set_input_files(
        {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": page_bytes("JPEG")}
    )
    block.get_by_role("button", name="Read into the text box").click()
    block.get_by_text(re.compile("Page read and the image deleted")).wait_for(timeout=60_000)
    text = block.get_by_label(re.compile("Text input")).input_value()
    assert text.startswith("Seen at 3 pm.\n")  # added to what was typed, not in its place
    assert word_accuracy(text.split("\n", 1)[1]) >= 0.8
    assert page.evaluate("document.activeElement.name") == "text_body"
    screenshot(page, "generate-dialog-handwriting-read")
    # The page itself never goes with the form: only the text does.
    assert block.get_by_label(re.compile("Handwritten notes")).get_attribute("name") is None


def test_a_dictation_recorded_in_an_input_reaches_the_note_for_a_client_without_consent(
    chromium: Any, live_server: Any, transactional_db: None, world: World, worker: Any
) -> None:
    from intellisession.models import AuditEvent
    from notes.selectors import note_context
    from notes.styles import BUILTIN_STYLES
    from transcription.models import AudioUpload

    assert not RecordingConsent.objects.exists()
    with browser_page(chromium, live_server, PHONE, **TOUCH, permissions=["microphone"]) as page:
        dialog = open_dialog(page, world)
        dialog.get_by_label("Template").select_option("dap")
        dialog.get_by_role("switch", name="Summary Only").check()
        block = dialog.locator("[data-input-block]").first
        block.get_by_role("tab", name="Audio").click()
        record = block.get_by_role("button", name="Record dictation", exact=True)
        assert block.get_by_role("tab", name="Audio", exact=True).is_visible() and record.is_visible()
        assert dialog.get_by_role("button", name="Record", exact=True).count() == 0  # no button named as a tab
        assert block.get_by_label(re.compile("Dictation \\(my voice only\\)")).is_checked()
        discard = block.get_by_role("button", name="Discard dictation")
        assert discard.count() == 0  # nothing recorded yet

        record.click()
        block.get_by_text("Recording your dictation.").wait_for()
        peak = 0.0
        for _ in range(40):  # 12 s of the clinician speaking
            page.wait_for_timeout(300)
            peak = max(peak, float(block.locator("[data-rec-level]").get_attribute("value") or 0))
        assert peak > 0.05, f"the level stayed at {peak}"
        assert re.fullmatch(r"0:1\d", block.locator("[data-rec-time]").inner_text())  # the time runs
        upload = AudioUpload.objects.get()
        assert upload.dictation and upload.client == world.a.client and upload.next_seq >= 3  # parts while recording
        screenshot(page, "generate-dialog-dictation-recording")
        block.get_by_role("button", name="Stop dictation", exact=True).click()
        block.get_by_text(re.compile(r"Dictation stopped: 0:1\d recorded and uploaded\. It is attached")).wait_for()
        assert discard.is_visible()
        assert block.get_by_role("button", name="Add to the dictation", exact=True).is_visible()
        fits(page, "a recorded dictation", PHONE["width"])
        block.locator("[data-rec-discard]").scroll_into_view_if_needed()
        screenshot(page, "generate-dialog-dictation-recorded")
        # It stays a dictation: unticking is undone while the recording is attached.
        block.get_by_label(re.compile("Dictation \\(my voice only\\)")).click()
        assert block.get_by_label(re.compile("Dictation \\(my voice only\\)")).is_checked()

        dialog.get_by_role("button", name="Create").click()
        page.wait_for_url(NOTE_URL, timeout=180_000)
        body = page.locator("article.note-body").inner_text().lower()
        screenshot(page, "note-from-recorded-dictation")

    request = NoteRequest.objects.get()
    spoken = request.inputs.get()
    assert spoken.kind == "dictation" and spoken.transcription is not None
    text = note_context(request, style=BUILTIN_STYLES["dap"]).inputs[0].text.lower()
    words = re.findall(r"[a-z']{4,}", text)
    heard = [w for w in words if w in SPOKEN]
    assert len(heard) >= 10 and len(heard) >= 0.7 * len(words), text  # the sample's words, transcribed
    assert len({w for w in heard if w in body}) >= 5, (text, body)  # and the note is written from them
    confirmation = AuditEvent.objects.get(action="note_request.dictation")
    assert confirmation.object_id == str(request.pk) and confirmation.actor == world.a.clinician
    assert confirmation.detail["source"] == "browser_recording" and confirmation.detail["upload"] == str(upload.pk)
    assert AuditEvent.objects.get(action="audio.dictation_start").object_id == str(upload.pk)
    upload.refresh_from_db()
    spoken.transcription.refresh_from_db()
    assert upload.parts_deleted_at is not None  # the parts went at intake
    assert not spoken.transcription.audio and spoken.transcription.audio_deleted_at is not None  # the file after
