"""The pipeline with a real Celery worker on the real broker and the real Whisper model."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from intellisession.models import AuditEvent
from notes.models import Note, NoteRequest
from tests.audio_tools import concat, load, reencode, silence, write
from tests.conftest import World, api_client_for, wait_for
from tests.pipeline.conftest import stored_audio
from tests.samples import SAMPLES
from transcription.models import Transcription, TranscriptSegment

KEY_WORDS = ("brother", "manager", "journal")


def create(world: World, audio: Path, **fields: object) -> uuid.UUID:
    api = api_client_for(world.a.clinician)
    with open(audio, "rb") as handle:
        response = api.post(
            f"/api/v1/practices/{world.a.practice.slug}/note-requests/",
            {"client_id": str(world.a.client.pk), "style_key": "soap", "audio": [handle], **fields},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    return uuid.UUID(response.json()["id"])


def finished(request_id: uuid.UUID) -> NoteRequest | None:
    request = NoteRequest.objects.get(pk=request_id)
    return request if request.is_finished else None


def transcript_text(request_id: uuid.UUID) -> str:
    return " ".join(
        s.text or "" for s in TranscriptSegment.objects.filter(transcription__note_inputs__request_id=request_id)
    ).lower()


@pytest.fixture(scope="module")
def formats(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    made = tmp_path_factory.mktemp("formats")
    files = {ext: SAMPLES / f"sample_session.{ext}" for ext in ("wav", "mp3", "m4a", "webm")}
    files["ogg"] = reencode(SAMPLES / "sample_session.wav", made / "session.ogg")
    files["flac"] = reencode(SAMPLES / "sample_session.wav", made / "session.flac")
    return files


@pytest.mark.parametrize("ext", ["wav", "mp3", "m4a", "webm", "ogg", "flac"])
def test_each_format_becomes_a_note_and_its_audio_is_deleted(
    pipeline: object, consented: World, formats: dict[str, Path], ext: str
) -> None:
    request_id = create(consented, formats[ext])
    request = wait_for(lambda: finished(request_id), timeout=120)
    assert request.status == "ready", (request.status, request.error)
    text = transcript_text(request_id)
    assert all(word in text for word in KEY_WORDS), text[:200]
    note = Note.objects.get(request_id=request_id)
    assert [s.key for s in note.document.sections] == ["subjective", "objective", "assessment", "plan"]
    transcription = Transcription.objects.get(note_inputs__request_id=request_id)
    assert transcription.audio_format == ext and not transcription.audio and transcription.audio_deleted_at
    assert stored_audio() == []
    receipt = AuditEvent.objects.get(action="audio.delete", object_id=str(transcription.pk))
    assert receipt.detail["reason"] == "transcribed"


def test_progress_is_visible_through_the_api(pipeline: object, consented: World) -> None:
    request_id = create(consented, SAMPLES / "sample_session.m4a")
    api = api_client_for(consented.a.clinician)
    seen = set()

    def done() -> bool:
        body = api.get(f"/api/v1/practices/alpha/note-requests/{request_id}/").json()
        seen.add(body["status"])
        return body["status"] in ("ready", "failed")

    wait_for(done, timeout=120, every=0.05)
    assert "ready" in seen and seen & {"queued", "transcribing", "generating"}
    body = api.get(f"/api/v1/practices/alpha/note-requests/{request_id}/").json()
    assert body["note_id"] and body["progress"] is None and body["error"] == ""


def test_silence_ends_no_speech_without_a_note(pipeline: object, consented: World, tmp_path: Path) -> None:
    request_id = create(consented, write(tmp_path / "quiet.wav", silence(20)))
    request = wait_for(lambda: finished(request_id), timeout=60)
    assert request.status == "no_speech"
    assert "No speech" in request.error
    assert not Note.objects.filter(request_id=request_id).exists()
    assert stored_audio() == []


def test_chart_medication_is_spelled_right(pipeline: object, consented: World) -> None:
    client = consented.a.client
    client.medications = "sertraline 50 mg"
    client.save()
    request_id = create(consented, Path(__file__).parent.parent / "fixtures" / "audio" / "sertraline.wav")
    request = wait_for(lambda: finished(request_id), timeout=60)
    assert request.status == "ready", request.error
    assert "sertraline" in transcript_text(request_id)


def test_other_practice_cannot_see_the_job(pipeline: object, consented: World) -> None:
    request_id = create(consented, SAMPLES / "sample_session.mp3")
    outsider = api_client_for(consented.b.admin)
    assert outsider.get(f"/api/v1/practices/alpha/note-requests/{request_id}/").status_code == 404
    assert outsider.get(f"/api/v1/practices/beta/note-requests/{request_id}/").status_code == 404
    wait_for(lambda: finished(request_id), timeout=120)


def test_long_recording_is_split_into_chunks_and_merged_in_order(
    pipeline: object, consented: World, tmp_path: Path
) -> None:
    sample = load(SAMPLES / "sample_session.wav")
    audio = write(tmp_path / "long.wav", concat(sample, silence(3), sample, silence(3), sample))
    request_id = create(consented, audio)
    request = wait_for(lambda: finished(request_id), timeout=240)
    assert request.status == "ready", request.error
    transcription = Transcription.objects.get(note_inputs__request_id=request_id)
    starts = list(TranscriptSegment.objects.filter(transcription=transcription).values_list("start", flat=True))
    assert starts == sorted(starts) and starts[-1] > 100
    assert transcription.chunks_total >= 2  # the shared worker splits at 60 s (see tests/conftest.py)
    assert transcript_text(request_id).count("journal") == 3
