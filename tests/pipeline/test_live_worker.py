"""Live transcription through the recorder's own endpoints with a real Celery worker: the parts of a
real MediaRecorder recording are posted as the browser posts them, the worker transcribes them while
"recording" goes on, and Stop (the Generate Note form) ends in a note from the whole recording."""

from __future__ import annotations

import pytest

from notes.models import NoteRequest
from tests.conftest import World, wait_for
from tests.fixtures.recorder import PARTS
from tests.pipeline.conftest import stored_audio
from tests.ui.conftest import signed_in
from transcription.models import AudioUpload, LiveWindow, Transcription, private_storage


def test_the_worker_transcribes_parts_as_they_arrive_and_stop_ends_in_a_note(
    pipeline: object, consented: World
) -> None:
    browser = signed_in(consented.a.clinician)
    slug = consented.a.practice.slug
    started = browser.post(f"/p/{slug}/uploads/", {"client_id": str(consented.a.client.pk)})
    assert started.status_code == 201
    upload_id = started.json()["id"]
    answers = []
    for seq, part in enumerate(PARTS):
        response = browser.post(
            f"/p/{slug}/uploads/{upload_id}/parts/{seq}/", part.read_bytes(), content_type="application/octet-stream"
        )
        assert response.status_code == 200
        answers.append(response.json())
    assert answers[-1]["live"]["recorded"] >= 70  # known from the Cluster timecodes as parts arrive
    # Transcribed while the recording is still open, and the transcribed parts are gone.
    wait_for(lambda: LiveWindow.objects.filter(upload_id=upload_id).count() == 2, timeout=180)
    upload = AudioUpload.objects.get(pk=upload_id)
    assert upload.status == "open" and not private_storage().exists(upload.part_name(0))
    progress = browser.get(f"/p/{slug}/uploads/{upload_id}/").json()["live"]
    assert progress["transcribed"] > 55 and progress["catching_up"] is False

    response = browser.post(
        f"/p/{slug}/clients/{consented.a.client.pk}/notes/new/",
        {"style": "soap", "date_of_service": "2026-01-07", "upload_id": upload_id},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request = NoteRequest.objects.get()
    request = wait_for(lambda: NoteRequest.objects.filter(pk=request.pk, status="ready").first(), timeout=180)
    transcription = Transcription.objects.get(note_inputs__request=request)
    assert transcription.live_until == upload.live_from and 74 < transcription.duration < 76
    chunks = list(transcription.chunks.order_by("index"))
    assert len(chunks) == 3 and chunks[-1].start == upload.live_from  # Stop transcribed only the rest
    segments = list(transcription.segments.order_by("start"))
    assert segments[-1].end > 70 and {s.speaker for s in segments} == {"Speaker 1", "Speaker 2"}
    text = " ".join(s.text for s in segments).lower()
    assert all(word in text for word in ("brother", "manager", "journal")), text[:300]
    assert stored_audio() == [] and not LiveWindow.objects.filter(upload_id=upload_id).exists()
    assert not any(private_storage().exists(upload.part_name(seq)) for seq in range(len(PARTS)))


pytestmark = pytest.mark.django_db(transaction=True)
