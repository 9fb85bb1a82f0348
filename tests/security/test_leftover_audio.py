"""Finding 9: a multipart request with one valid recording and one invalid one answered 400
`audio_empty` but left the valid recording in private storage with no row pointing to it, until
the sweeper's age bound; and the sweeper's deletion receipt named no practice."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client as BrowserClient
from django.test import override_settings

from clients.models import RecordingConsent
from intellisession.models import AuditEvent, Practice
from notes.models import NoteRequest
from tests.conftest import World, api_client_for
from tests.samples import SAMPLES
from transcription.models import Transcription, private_storage
from transcription.services import sweeper

pytestmark = pytest.mark.django_db


def practice_audio(practice: Practice) -> list[Path]:
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "audio" / str(practice.pk)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def consented(world: World) -> World:
    RecordingConsent.objects.create(
        practice=world.a.practice,
        client=world.a.client,
        given_on=datetime.date(2026, 1, 5),
        recorded_by=world.a.clinician,
    )
    return world


def two_recordings(valid: Any, empty: Any) -> list[Any]:
    return [valid, empty]  # the valid one first: it was stored before the empty one was refused


def test_api_request_with_one_bad_recording_stores_none(consented: World) -> None:
    world = consented
    with open(SAMPLES / "sample_session.mp3", "rb") as valid, open(SAMPLES / "empty.wav", "rb") as empty:
        response = api_client_for(world.a.clinician).post(
            f"/api/v1/practices/{world.a.practice.slug}/note-requests/",
            {"client_id": str(world.a.client.pk), "style_key": "soap", "audio": two_recordings(valid, empty)},
            format="multipart",
        )
    assert response.status_code == 400 and response.json()["error"]["code"] == "audio_empty"
    assert practice_audio(world.a.practice) == []
    assert not Transcription.objects.filter(practice=world.a.practice).exists()
    assert not NoteRequest.objects.filter(practice=world.a.practice).exists()


def test_web_form_with_one_bad_recording_stores_none(consented: World) -> None:
    world = consented
    page = BrowserClient()
    page.force_login(world.a.clinician)
    with open(SAMPLES / "sample_session.mp3", "rb") as valid, open(SAMPLES / "empty.wav", "rb") as empty:
        response = page.post(
            f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/notes/new/",
            {"style": "soap", "date_of_service": "2026-01-05", "audio": two_recordings(valid, empty)},
        )
    assert response.status_code == 400 and "empty" in response.content.decode().lower()
    assert practice_audio(world.a.practice) == []
    assert not NoteRequest.objects.filter(practice=world.a.practice).exists()


def test_a_failure_after_the_files_are_stored_deletes_them(consented: World, monkeypatch: Any) -> None:
    """Whatever fails after storing (here, writing the audit event) takes the stored files with it."""
    world = consented

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr("notes.services.requests.audit_record", broken)
    api = api_client_for(world.a.clinician)
    api.raise_request_exception = False
    with open(SAMPLES / "sample_session.mp3", "rb") as valid:
        response = api.post(
            f"/api/v1/practices/{world.a.practice.slug}/note-requests/",
            {"client_id": str(world.a.client.pk), "style_key": "soap", "audio": [valid]},
            format="multipart",
        )
    assert response.status_code == 500
    assert practice_audio(world.a.practice) == []


def test_the_sweepers_receipt_for_an_orphan_names_its_practice(world: World) -> None:
    storage = private_storage()
    name = storage.save(f"audio/{world.a.practice.pk}/orphan", ContentFile(b"left behind"))
    with override_settings(AUDIO_MAX_AGE=0):
        sweeper.sweep_orphan_files()
    assert not storage.exists(name)
    receipt = AuditEvent.objects.get(action="audio.delete", object_id="orphan", detail__reason="orphan")
    assert receipt.practice_id == world.a.practice.pk
