"""Generate Note: the form, its refusals, attached files and browser recordings in parts."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from intellisession.models import AuditEvent
from notes.models import InputKind, NoteRequest, NoteTemplate
from tests.conftest import World
from tests.samples import SAMPLES
from tests.ui.conftest import give_consent, signed_in
from transcription.models import AudioUpload, UploadStatus, private_storage
from transcription.services.uploads import sweep_stale_uploads

pytestmark = pytest.mark.django_db
WEBM = (SAMPLES / "sample_session.webm").read_bytes()


def generate_url(world: World) -> str:
    return f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/notes/new/"


def form(**fields: object) -> dict[str, object]:
    return {"style": "soap", "date_of_service": "2026-01-07", **fields}


def test_generate_page_preselects_the_practice_default_and_lists_templates(world: World) -> None:
    NoteTemplate.objects.create(
        practice=world.a.practice,
        name="House style",
        created_by=world.a.admin,
        sections=[{"key": "a", "title": "A", "instructions": "", "role": "summary"}],
    )
    give_consent(world.a)
    page = signed_in(world.a.clinician).get(generate_url(world)).content.decode()
    assert '<option value="soap" selected>' in page and "House style" in page
    for label in (
        "Summary Only",
        "Record",
        "Start recording",
        "Attach file",
        "Pause",
        "Stop",
        "Create",
        "Pre-session observations",
        "Post-session reflections",
        "Session summary",
        'aria-label="Add another input"',
    ):
        assert label in page, label


def test_summary_only_note_request_goes_to_progress(world: World) -> None:
    browser = signed_in(world.a.clinician)
    response = browser.post(
        generate_url(world),
        form(
            summary_only="on",
            text_kind=["pre_session", "session_summary"],
            text_body=["Tired on arrival.", "We planned a sleep diary."],
            instruction="Keep it brief.",
        ),
    )
    request = NoteRequest.objects.get()
    assert response["Location"] == f"/p/{world.a.practice.slug}/requests/{request.pk}/"
    assert [(i.kind, i.text) for i in request.inputs.all()] == [
        (InputKind.PRE_SESSION, "Tired on arrival."),
        (InputKind.SESSION_SUMMARY, "We planned a sleep diary."),
    ]
    assert request.summary_only and request.instruction == "Keep it brief."


def test_audio_is_required_unless_summary_only(world: World) -> None:
    response = signed_in(world.a.clinician).post(
        generate_url(world), form(text_kind="session_summary", text_body="Talked.")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Record or attach the session audio" in page and "Talked." in page  # typed text kept
    assert not NoteRequest.objects.exists()


def test_future_date_of_service_is_refused(world: World) -> None:
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = signed_in(world.a.clinician).post(
        generate_url(world),
        form(date_of_service=tomorrow, summary_only="on", text_body="x", text_kind="session_summary"),
    )
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()


def test_attached_audio_without_consent_is_refused(world: World) -> None:
    upload = SimpleUploadedFile("s.webm", WEBM, content_type="audio/webm")
    response = signed_in(world.a.clinician).post(generate_url(world), form(audio=upload))
    assert response.status_code == 400 and "no recording consent on file" in response.content.decode()


def test_attached_audio_with_consent_creates_the_request(world: World) -> None:
    give_consent(world.a)
    upload = SimpleUploadedFile("s.webm", WEBM, content_type="audio/webm")
    response = signed_in(world.a.clinician).post(generate_url(world), form(audio=upload))
    assert response.status_code == 302
    assert NoteRequest.objects.get().inputs.get().kind == InputKind.AUDIO


def test_a_file_that_is_not_audio_is_refused_by_content(world: World) -> None:
    give_consent(world.a)
    upload = SimpleUploadedFile("s.mp3", (SAMPLES / "not_audio.mp3").read_bytes(), content_type="audio/mpeg")
    response = signed_in(world.a.clinician).post(generate_url(world), form(audio=upload))
    assert response.status_code == 400 and not NoteRequest.objects.exists()


# --- Recording in parts -------------------------------------------------------------------


def start(world: World) -> AudioUpload:
    response = signed_in(world.a.clinician).post(
        f"/p/{world.a.practice.slug}/uploads/", {"client_id": str(world.a.client.pk)}
    )
    assert response.status_code == 201, response.content
    return AudioUpload.objects.get(pk=response.json()["id"])


def send(world: World, upload: AudioUpload, seq: int, data: bytes, user: object = None) -> dict[str, object]:
    browser = signed_in(user or world.a.clinician)
    response = browser.post(
        f"/p/{world.a.practice.slug}/uploads/{upload.pk}/parts/{seq}/", data, content_type="application/octet-stream"
    )
    return {"status": response.status_code, **response.json()}


def parts(data: bytes, count: int) -> list[bytes]:
    size = len(data) // count + 1
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_recording_needs_consent_on_file(world: World) -> None:
    response = signed_in(world.a.clinician).post(
        f"/p/{world.a.practice.slug}/uploads/", {"client_id": str(world.a.client.pk)}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_consent"


def test_parts_are_idempotent_and_out_of_order_parts_get_409(world: World) -> None:
    give_consent(world.a)
    upload = start(world)
    first, second, third = parts(WEBM, 3)
    assert send(world, upload, 0, first)["next_seq"] == 1
    assert send(world, upload, 0, first)["next_seq"] == 1  # a resend after a lost answer
    gap = send(world, upload, 2, third)
    assert gap["status"] == 409 and gap["expected_seq"] == 1
    assert send(world, upload, 1, second)["next_seq"] == 2
    upload.refresh_from_db()
    assert upload.bytes == len(first) + len(second)
    assert private_storage().exists(f"uploads/{world.a.practice.pk}/{upload.pk}/1")


def test_oversized_part_is_refused(world: World) -> None:
    give_consent(world.a)
    upload = start(world)
    with override_settings(AUDIO_MAX_BYTES=10):
        assert send(world, upload, 0, b"x" * 11)["status"] == 413


def test_only_the_recording_clinician_can_add_parts(world: World) -> None:
    give_consent(world.a)
    upload = start(world)
    response = signed_in(world.a.admin).post(
        f"/p/{world.a.practice.slug}/uploads/{upload.pk}/parts/0/", b"x", content_type="application/octet-stream"
    )
    assert response.status_code == 404


def test_finished_recording_becomes_the_audio_input_and_its_parts_are_deleted(world: World) -> None:
    give_consent(world.a)
    upload = start(world)
    for seq, part in enumerate(parts(WEBM, 4)):
        send(world, upload, seq, part)
    response = signed_in(world.a.clinician).post(generate_url(world), form(upload_id=str(upload.pk)))
    assert response.status_code == 302, response.content.decode()[:2000]
    request = NoteRequest.objects.get()
    transcription = request.inputs.get(kind=InputKind.AUDIO).transcription
    assert transcription is not None and transcription.audio_format and transcription.duration > 40
    upload.refresh_from_db()
    assert upload.status == UploadStatus.FINISHED and upload.parts_deleted_at is not None
    assert not private_storage().exists(upload.part_name(0))
    event = AuditEvent.objects.get(action="audio.delete", object_id=str(upload.pk))
    assert event.detail["reason"] == "intake"


def test_a_refused_form_keeps_the_recording_open(world: World) -> None:
    give_consent(world.a)
    upload = start(world)
    send(world, upload, 0, WEBM)
    response = signed_in(world.a.clinician).post(
        generate_url(world),
        form(upload_id=str(upload.pk), summary_only="on", text_kind="session_summary", text_body="Talked."),
    )
    assert response.status_code == 400
    assert f'name="upload_id" value="{upload.pk}"' in response.content.decode()
    upload.refresh_from_db()
    assert upload.status == UploadStatus.OPEN and private_storage().exists(upload.part_name(0))


def test_recording_of_another_client_is_refused(world: World) -> None:
    from clients.models import Client

    give_consent(world.a)
    upload = start(world)
    send(world, upload, 0, WEBM)
    other = Client.objects.create(practice=world.a.practice, name="Other")
    other.assigned_clinicians.add(world.a.clinician)
    response = signed_in(world.a.clinician).post(
        f"/p/{world.a.practice.slug}/clients/{other.pk}/notes/new/", form(upload_id=str(upload.pk))
    )
    assert response.status_code == 400 and "belongs to another client" in response.content.decode()


def test_reload_can_read_where_a_recording_stands_and_discard_it(world: World) -> None:
    give_consent(world.a)
    upload = start(world)
    send(world, upload, 0, WEBM[:5000])
    browser = signed_in(world.a.clinician)
    state = browser.get(f"/p/{world.a.practice.slug}/uploads/{upload.pk}/").json()
    assert state == {
        "id": str(upload.pk),
        "status": "open",
        "next_seq": 1,
        "bytes": 5000,
        "client_id": str(world.a.client.pk),
        # No worker in this test: nothing transcribed live yet.
        "live": {"transcribed": 0.0, "recorded": 0.0, "catching_up": False, "stopped": False, "lost": 0.0},
    }
    browser.post(f"/p/{world.a.practice.slug}/uploads/{upload.pk}/discard/")
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ABANDONED and not private_storage().exists(upload.part_name(0))


def test_sweeper_deletes_parts_of_quiet_recordings(world: World) -> None:
    give_consent(world.a)
    quiet, busy = start(world), start(world)
    send(world, quiet, 0, WEBM[:4000])
    send(world, busy, 0, WEBM[:4000])
    AudioUpload.objects.filter(pk=quiet.pk).update(last_chunk_at=timezone.now() - datetime.timedelta(hours=2))
    assert sweep_stale_uploads() == 1
    quiet.refresh_from_db()
    assert quiet.status == UploadStatus.ABANDONED and not private_storage().exists(quiet.part_name(0))
    assert private_storage().exists(busy.part_name(0))
    event = AuditEvent.objects.get(action="audio.delete", object_id=str(quiet.pk))
    assert event.detail == {"reason": "age_bound", "bytes": 4000, "parts": 1}


def test_finishing_twice_is_refused(world: World) -> None:
    from intellisession.errors import DomainError
    from transcription.services.uploads import upload_finish

    give_consent(world.a)
    upload = start(world)
    send(world, upload, 0, WEBM)
    path = upload_finish(upload)
    try:
        assert Path(path).read_bytes() == WEBM
        with pytest.raises(DomainError):
            upload_finish(upload)
    finally:
        Path(path).unlink()


def test_the_periodic_sweep_includes_quiet_recordings(world: World) -> None:
    from transcription.services.sweeper import sweep

    give_consent(world.a)
    quiet = start(world)
    send(world, quiet, 0, WEBM[:4000])
    AudioUpload.objects.filter(pk=quiet.pk).update(last_chunk_at=timezone.now() - datetime.timedelta(hours=2))
    assert sweep()["uploads_deleted"] == 1
