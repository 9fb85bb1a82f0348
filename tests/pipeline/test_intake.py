"""Intake refuses bad input before anything is stored or queued, with a message a clinician reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from intellisession.models import AuditEvent
from notes.models import NoteRequest
from tests.audio_tools import load, pad, write
from tests.conftest import World, api_client_for
from tests.pipeline.conftest import stored_audio
from tests.samples import SAMPLES
from transcription.models import Transcription

pytestmark = pytest.mark.django_db


def post_audio(world: World, path: Path, **fields: object) -> tuple[int, dict[str, object]]:
    api = api_client_for(world.a.clinician)
    with open(path, "rb") as handle:
        response = api.post(
            f"/api/v1/practices/{world.a.practice.slug}/note-requests/",
            {"client_id": str(world.a.client.pk), "style_key": "soap", "audio": [handle], **fields},
            format="multipart",
        )
    return response.status_code, response.json()


def assert_nothing_kept() -> None:
    assert not NoteRequest.objects.exists()
    assert not Transcription.objects.exists()
    assert stored_audio() == []


@pytest.mark.parametrize(
    ("sample", "code", "words"),
    [
        ("empty.wav", "audio_empty", "empty"),
        ("not_audio.mp3", "audio_not_audio", "not an audio recording"),
        ("truncated.m4a", "audio_damaged", "damaged"),
    ],
)
def test_bad_file_is_refused_with_a_clear_message(consented: World, sample: str, code: str, words: str) -> None:
    status, body = post_audio(consented, SAMPLES / sample)
    assert status == 400
    error = body["error"]
    assert isinstance(error, dict) and error["code"] == code
    assert words in str(error["message"]).lower()
    assert_nothing_kept()


@override_settings(AUDIO_MAX_SECONDS=30)
def test_over_length_recording_is_refused(consented: World) -> None:
    status, body = post_audio(consented, SAMPLES / "sample_session.wav")
    assert status == 400 and body["error"]["code"] == "audio_too_long"  # type: ignore[index]
    assert "limit" in body["error"]["message"]  # type: ignore[index]
    assert_nothing_kept()


@override_settings(AUDIO_MAX_BYTES=100_000)
def test_over_size_recording_is_refused(consented: World) -> None:
    status, body = post_audio(consented, SAMPLES / "sample_session.wav")
    assert status == 400 and body["error"]["code"] == "audio_too_large"  # type: ignore[index]
    assert_nothing_kept()


def test_audio_without_consent_is_refused(world: World) -> None:
    status, body = post_audio(world, SAMPLES / "sample_session.mp3")
    assert status == 400 and body["error"]["code"] == "no_consent"  # type: ignore[index]
    assert "consent" in body["error"]["message"]  # type: ignore[index]
    assert_nothing_kept()


def test_revoked_consent_no_longer_allows_audio(consented: World) -> None:
    api = api_client_for(consented.a.clinician)
    consent = consented.a.client.consents.get()
    assert api.post(f"/api/v1/practices/alpha/consents/{consent.pk}/revoke/").status_code == 200
    status, body = post_audio(consented, SAMPLES / "sample_session.mp3")
    assert status == 400 and body["error"]["code"] == "no_consent"  # type: ignore[index]


def test_audio_is_checked_by_content_not_by_name(consented: World, tmp_path: Path) -> None:
    disguised = tmp_path / "session.txt"
    disguised.write_bytes((SAMPLES / "sample_session.mp3").read_bytes())
    status, body = post_audio(consented, disguised, summary_only=False)
    assert status == 202, body
    transcription = Transcription.objects.get()
    assert transcription.audio_format == "mp3"
    assert not (transcription.audio.name or "").endswith(".txt")


def test_summary_only_with_audio_is_refused(consented: World) -> None:
    status, body = post_audio(
        consented, SAMPLES / "sample_session.mp3", summary_only=True, session_summary="Talked about sleep."
    )
    assert status == 400 and body["error"]["code"] == "summary_only_audio"  # type: ignore[index]
    assert_nothing_kept()


def test_note_without_audio_or_summary_only_is_refused(consented: World) -> None:
    api = api_client_for(consented.a.clinician)
    response = api.post(
        "/api/v1/practices/alpha/note-requests/",
        {"client_id": str(consented.a.client.pk), "session_summary": "Talked."},
        format="json",
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "audio_required"


def test_read_only_member_cannot_create_a_note_request(consented: World) -> None:
    api = api_client_for(consented.a.reader)
    response = api.post(
        "/api/v1/practices/alpha/note-requests/",
        {"client_id": str(consented.a.client.pk), "summary_only": True, "session_summary": "Talked."},
        format="json",
    )
    assert response.status_code == 403
    assert not NoteRequest.objects.exists()


def test_long_silence_padded_recording_is_accepted(consented: World, tmp_path: Path) -> None:
    audio = write(tmp_path / "padded.wav", pad(load(SAMPLES / "sample_session.wav"), before=5, after=5))
    status, _ = post_audio(consented, audio)
    assert status == 202
    assert AuditEvent.objects.filter(action="note_request.create").count() == 1
