"""Generate Note's inputs: a refused file shown by its field, and consent recorded from inside the form."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from clients.models import RecordingConsent
from notes.models import NoteRequest
from tests.conftest import World
from tests.samples import SAMPLES
from tests.ui.conftest import give_consent, signed_in
from tests.ui.test_generate import form, generate_url

pytestmark = pytest.mark.django_db
DIALOG = {"HX-Request": "true"}  # what the dialog's script sends


def consent_url(world: World) -> str:
    return f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/notes/new/consent/"


def not_audio(name: str = "notes.mp3") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (SAMPLES / "not_audio.mp3").read_bytes(), content_type="audio/mpeg")


def formats(text: str) -> list[str]:
    return re.findall(r"\b(?:MP3|WAV|M4A|WEBM|OGG|FLAC)\b", text)


def test_a_refused_file_is_named_by_its_field_on_the_attach_tab(world: World) -> None:
    give_consent(world.a)
    response = signed_in(world.a.clinician).post(generate_url(world), form(audio=not_audio()), headers=DIALOG)
    assert response.status_code == 400 and not NoteRequest.objects.exists()
    page = response.content.decode()
    assert "<html" not in page  # the form alone, for the dialog to show its errors in place
    slot = re.search(r'<div id="gen-audio-error" data-error-slot="audio">(.*?)</div>', page, re.S)
    assert slot and "notes.mp3 is not an audio recording" in slot.group(1)
    assert re.search(r'id="gen-tab-attach"[^>]*aria-selected="true"', page)
    label = re.search(r'<label for="gen-audio-file">(.*?)</label>', page)
    assert label and formats(label.group(1)) == formats(slot.group(1)) == ["MP3", "WAV", "M4A", "WEBM", "OGG", "FLAC"]


def test_without_scripts_the_page_comes_back_on_the_attach_tab(world: World) -> None:
    give_consent(world.a)
    response = signed_in(world.a.clinician).post(generate_url(world), form(audio=not_audio("session 3.mp3")))
    page = response.content.decode()
    assert response.status_code == 400 and "<html" in page
    assert "session 3.mp3 is not an audio recording" in page
    assert re.search(r'id="gen-tab-attach"[^>]*aria-selected="true"', page)


def test_other_refusals_stay_above_the_form_on_the_record_tab(world: World) -> None:
    response = signed_in(world.a.clinician).post(
        generate_url(world), form(text_kind="session_summary", text_body="Talked."), headers=DIALOG
    )
    page = response.content.decode()
    assert response.status_code == 400 and "Record or attach the session audio" in page
    assert re.search(r'id="gen-tab-record"[^>]*aria-selected="true"', page)
    assert '<div id="gen-audio-error" data-error-slot="audio"></div>' in page


def test_the_dialog_is_sent_on_to_the_progress_page(world: World) -> None:
    response = signed_in(world.a.clinician).post(
        generate_url(world), form(summary_only="on", text_kind="session_summary", text_body="Talked."), headers=DIALOG
    )
    request = NoteRequest.objects.get()
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/p/{world.a.practice.slug}/requests/{request.pk}/"


def test_the_form_offers_to_record_consent_when_none_is_on_file(world: World) -> None:
    page = signed_in(world.a.clinician).get(generate_url(world)).content.decode()
    assert "Record the client's consent" in page and 'form="gen-consent-form"' in page
    assert 'id="gen-consent-form"' in page and 'hx-post="' + consent_url(world) in page
    give_consent(world.a)
    page = signed_in(world.a.clinician).get(generate_url(world)).content.decode()
    assert "gen-consent-form" not in page and 'data-upload-field="upload_id"' in page


def test_consent_recorded_from_the_form_brings_the_recorder(world: World) -> None:
    response = signed_in(world.a.clinician).post(
        consent_url(world), {"given_on": timezone.localdate().isoformat(), "method": "verbal"}, headers=DIALOG
    )
    assert response.status_code == 200
    consent = RecordingConsent.objects.get(client=world.a.client)
    assert consent.method == "verbal" and consent.recorded_by == world.a.clinician
    page = response.content.decode()
    assert "Recording consent recorded." in page and 'data-upload-field="upload_id"' in page
    assert re.search(r'id="gen-audio-file"[^>]*>', page) and "disabled" not in re.search(
        r'<input type="file" id="gen-audio-file"[^>]*>', page
    ).group(0)  # type: ignore[union-attr]


def test_a_refused_consent_comes_back_with_its_error_and_records_nothing(world: World) -> None:
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = signed_in(world.a.clinician).post(consent_url(world), {"given_on": tomorrow}, headers=DIALOG)
    assert response.status_code == 400 and not RecordingConsent.objects.exists()
    page = response.content.decode()
    assert (
        "cannot be in the future" in page
        and 'id="gen-consent-given_on"' in page
        and 'data-upload-field="upload_id"' not in page
    )


def dictation_form(**fields: object) -> dict[str, object]:
    recording = SimpleUploadedFile("summary.mp3", (SAMPLES / "sample_session.mp3").read_bytes(), "audio/mpeg")
    return form(summary_only="on", text_kind="session_summary", text_body="", **{"input_audio-1": recording}, **fields)


def test_an_inputs_audio_marked_dictation_needs_no_consent(world: World) -> None:
    response = signed_in(world.a.clinician).post(generate_url(world), dictation_form(**{"dictation-1": "on"}))
    assert response.status_code == 302
    assert [i.kind for i in NoteRequest.objects.get().inputs.all()] == ["dictation"]


def test_an_inputs_audio_not_marked_dictation_is_a_session_recording_and_needs_consent(world: World) -> None:
    response = signed_in(world.a.clinician).post(generate_url(world), dictation_form(), headers=DIALOG)
    assert response.status_code == 400 and not NoteRequest.objects.exists()
    assert "mark it as Dictation if it holds only your voice" in response.content.decode()
    response = signed_in(world.a.clinician).post(
        generate_url(world), {**dictation_form(), "summary_only": ""}, headers=DIALOG
    )
    assert response.status_code == 400 and "no recording consent on file" in response.content.decode()


def test_the_dictation_box_is_ticked_when_the_client_has_no_consent(world: World) -> None:
    page = signed_in(world.a.clinician).get(generate_url(world)).content.decode()
    assert re.search(r'<input type="checkbox" id="in1-dictation" name="dictation-1"[^>]* checked>', page)
    assert "Dictation (my voice only)" in page
    give_consent(world.a)
    page = signed_in(world.a.clinician).get(generate_url(world)).content.decode()
    assert not re.search(r'<input type="checkbox" id="in1-dictation"[^>]* checked>', page)
