"""A dictation recorded in the browser from an input's Audio tab: it needs no client recording
consent, the audit log records it, it stays a dictation (never the session's recording), it is
kept within its practice, and its parts are deleted once it is taken in. A session recording of a
client without consent is refused by the server whatever the page sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from clients.models import RecordingConsent
from intellisession.models import AuditEvent
from notes.models import InputKind, NoteRequest
from tests.conftest import World
from tests.ui.conftest import give_consent, signed_in
from tests.ui.test_generate import WEBM, form, generate_url, parts, send
from transcription.models import AudioUpload, UploadStatus, private_storage

pytestmark = pytest.mark.django_db


def start(world: World, **fields: str) -> Any:
    return signed_in(world.a.clinician).post(
        f"/p/{world.a.practice.slug}/uploads/", {"client_id": str(world.a.client.pk), **fields}
    )


def recorded(world: World, *, dictation: bool) -> AudioUpload:
    response = start(world, **({"dictation": "1"} if dictation else {}))
    assert response.status_code == 201, response.content
    upload = AudioUpload.objects.get(pk=response.json()["id"])
    for seq, part in enumerate(parts(WEBM, 3)):
        assert send(world, upload, seq, part)["next_seq"] == seq + 1
    upload.refresh_from_db()
    return upload


def dictated(upload: AudioUpload, *, ticked: bool = True, **fields: object) -> dict[str, object]:
    """The form as the dialog sends it with the dictation recorded in input 1."""
    data = form(summary_only="on", **{"input_upload-1": str(upload.pk)}, **fields)
    if ticked:
        data["dictation-1"] = "on"
    return data


def test_a_session_recording_of_a_client_without_consent_is_refused(world: World) -> None:
    response = start(world)
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_consent"
    assert "a dictation of your own voice only needs none" in response.json()["error"]["message"]
    assert not AudioUpload.objects.exists()


def test_a_dictation_is_recorded_without_consent_and_the_audit_log_says_so(world: World) -> None:
    upload = recorded(world, dictation=True)
    assert upload.dictation and upload.next_seq == 3
    started = AuditEvent.objects.get(action="audio.dictation_start")
    assert started.object_id == str(upload.pk) and started.actor == world.a.clinician
    assert started.practice == world.a.practice
    assert started.detail == {"client": str(world.a.client.pk), "own_voice_only": "confirmed by the clinician"}

    response = signed_in(world.a.clinician).post(generate_url(world), dictated(upload))
    assert response.status_code == 302, response.content.decode()[:2000]
    request = NoteRequest.objects.get()
    spoken = request.inputs.get()
    assert spoken.kind == InputKind.DICTATION and spoken.transcription is not None
    assert spoken.transcription.duration > 40  # the whole recording, its parts joined in order
    confirmation = AuditEvent.objects.get(action="note_request.dictation")
    assert confirmation.object_id == str(request.pk) and confirmation.actor == world.a.clinician
    assert confirmation.detail == {
        "transcription": str(spoken.transcription.pk),
        "own_voice_only": "confirmed by the clinician",
        "source": "browser_recording",
        "upload": str(upload.pk),
    }
    # The parts are gone once taken in; the stored file goes after transcription, like a session's.
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FINISHED and upload.parts_deleted_at is not None
    assert not any(private_storage().exists(upload.part_name(seq)) for seq in range(3))
    assert AuditEvent.objects.get(action="audio.delete", object_id=str(upload.pk)).detail["reason"] == "intake"


def test_a_dictation_cannot_be_the_sessions_recording(world: World) -> None:
    give_consent(world.a)  # even with consent on file: it was recorded as the clinician's own voice
    upload = recorded(world, dictation=True)
    response = signed_in(world.a.clinician).post(generate_url(world), form(upload_id=str(upload.pk)))
    assert response.status_code == 400
    assert "it cannot be the session&#x27;s recording" in response.content.decode()
    assert not NoteRequest.objects.exists()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.OPEN and private_storage().exists(upload.part_name(0))


def test_a_recorded_dictation_with_its_box_unticked_is_refused_and_kept(world: World) -> None:
    upload = recorded(world, dictation=True)
    response = signed_in(world.a.clinician).post(generate_url(world), dictated(upload, ticked=False))
    assert (
        response.status_code == 400 and "keep &quot;Dictation (my voice only)&quot; ticked" in response.content.decode()
    )
    assert not NoteRequest.objects.exists()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.OPEN  # the clinician can tick it again and Create
    response = signed_in(world.a.clinician).post(generate_url(world), dictated(upload))
    assert response.status_code == 302


def test_a_session_recording_cannot_pass_as_a_dictation_once_consent_is_revoked(world: World) -> None:
    give_consent(world.a)
    upload = recorded(world, dictation=False)
    RecordingConsent.objects.filter(client=world.a.client).update(revoked_at=timezone.now())
    browser = signed_in(world.a.clinician)
    as_dictation = browser.post(generate_url(world), dictated(upload))
    assert as_dictation.status_code == 400 and "not made as a dictation" in as_dictation.content.decode()
    as_session = browser.post(generate_url(world), form(upload_id=str(upload.pk)))
    assert as_session.status_code == 400 and "no recording consent on file" in as_session.content.decode()
    assert not NoteRequest.objects.exists()


def test_another_practice_can_neither_start_nor_use_a_dictation(world: World) -> None:
    upload = recorded(world, dictation=True)
    other = signed_in(world.b.clinician)
    started = other.post(
        f"/p/{world.b.practice.slug}/uploads/", {"client_id": str(world.a.client.pk), "dictation": "1"}
    )
    assert started.status_code == 404
    foreign = other.post(
        f"/p/{world.a.practice.slug}/uploads/", {"client_id": str(world.a.client.pk), "dictation": "1"}
    )
    assert foreign.status_code == 404
    assert other.get(f"/p/{world.b.practice.slug}/uploads/{upload.pk}/").status_code == 404
    url = f"/p/{world.b.practice.slug}/clients/{world.b.client.pk}/notes/new/"
    assert other.post(url, dictated(upload)).status_code == 404
    assert AudioUpload.objects.count() == 1 and not NoteRequest.objects.exists()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.OPEN and upload.practice == world.a.practice
