"""The progress page: stages, percent, failures in plain words with Retry, NO_SPEECH."""

from __future__ import annotations

import datetime

import pytest

from notes.models import NoteRequest, RequestStatus
from tests.conftest import World
from tests.ui.conftest import make_draft, signed_in
from transcription.models import Transcription, TranscriptionStatus

pytestmark = pytest.mark.django_db


def make_request(world: World, **fields: object) -> NoteRequest:
    return NoteRequest.objects.create(
        practice=world.a.practice,
        client=world.a.client,
        created_by=world.a.clinician,
        style_key="soap",
        date_of_service=datetime.date(2026, 1, 7),
        **fields,
    )


def with_audio(world: World, request: NoteRequest, **fields: object) -> Transcription:
    transcription = Transcription.objects.create(practice=world.a.practice, **fields)
    request.inputs.create(practice=world.a.practice, kind="audio", transcription=transcription)
    return transcription


def url(request: NoteRequest, part: str = "") -> str:
    return f"/p/{request.practice.slug}/requests/{request.pk}/{part}"


def test_queued_request_polls_and_has_a_live_region(world: World) -> None:
    request = make_request(world)
    page = signed_in(world.a.clinician).get(url(request)).content.decode()
    assert 'aria-live="polite"' in page and 'hx-trigger="every 2s"' in page and "Queued" in page
    assert "X-Background-Poll" in page


def test_transcribing_shows_percent(world: World) -> None:
    request = make_request(world, status=RequestStatus.TRANSCRIBING)
    with_audio(world, request, duration=60.0, progress=40, status=TranscriptionStatus.RUNNING)
    page = signed_in(world.a.clinician).get(url(request, "status/")).content.decode()
    assert "Transcribing the recording: 40%" in page and '<progress max="100" value="40"' in page


def test_ready_request_redirects_htmx_to_the_note(world: World) -> None:
    note = make_draft(world.a)
    request = note.request
    assert request is not None
    browser = signed_in(world.a.clinician)
    response = browser.get(url(request, "status/"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == f"/p/{world.a.practice.slug}/notes/{note.pk}/"
    # The progress page of a note that is already written (a short summary, done before the
    # page was shown) opens the note itself.
    opened = browser.get(url(request))
    assert opened.status_code == 302 and opened["Location"] == f"/p/{world.a.practice.slug}/notes/{note.pk}/"


def test_failure_is_plain_and_retry_requeues(world: World) -> None:
    request = make_request(
        world,
        status=RequestStatus.FAILED,
        error="The language model refused the request.",
        error_code="llm_400",
        summary_only=True,
    )
    browser = signed_in(world.a.clinician)
    page = browser.get(url(request)).content.decode()
    assert "The note could not be written." in page and "The language model refused the request." in page
    assert ">Retry</button>" in page
    browser.post(url(request, "retry/"))
    request.refresh_from_db()
    assert request.status == RequestStatus.GENERATING and request.error == ""


def test_retry_after_the_audio_is_gone_offers_to_upload_again(world: World) -> None:
    request = make_request(world, status=RequestStatus.FAILED, error="The recording could not be decoded.")
    with_audio(world, request, status=TranscriptionStatus.FAILED)
    browser = signed_in(world.a.clinician)
    response = browser.post(url(request, "retry/"), follow=True)
    page = response.content.decode()
    assert "deleted after it failed, for privacy" in page
    assert "Upload the recording again" in page
    assert f"/clients/{world.a.client.pk}/notes/new/" in page


def test_no_speech_is_said_plainly(world: World) -> None:
    request = make_request(
        world, status=RequestStatus.NO_SPEECH, error="No speech was found in the recording, so no note was written."
    )
    page = signed_in(world.a.clinician).get(url(request)).content.decode()
    assert "No speech found." in page and "no note was written" in page and ">Retry<" not in page


def test_reader_cannot_retry(world: World) -> None:
    request = make_request(world, status=RequestStatus.FAILED, error="x")
    reader = signed_in(world.a.reader)
    assert ">Retry</button>" not in reader.get(url(request)).content.decode()
    assert reader.post(url(request, "retry/")).status_code == 403
