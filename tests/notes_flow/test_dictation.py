"""A dictated summary: the clinician's own voice, transcribed by the real model, needs no client
recording consent and reaches the note as the clinician's input; a session recording of the
same client is still refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from intellisession.errors import DomainError
from intellisession.models import AuditEvent
from notes.models import InputKind, NoteRequest
from notes.selectors import note_context, request_segments
from notes.styles import BUILTIN_STYLES
from tests.conftest import World, api_client_for
from tests.notes_flow.conftest import generate
from tests.samples import SAMPLES
from tests.ui.conftest import signed_in


def recording(name: str = "dictation.mp3") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (SAMPLES / "sample_session.mp3").read_bytes(), content_type="audio/mpeg")


@pytest.mark.usefixtures("eager")
def test_a_dictation_goes_through_without_consent_and_reads_as_the_clinicians_input(
    transactional_db: None, world: World
) -> None:
    request, note = generate(world, summary_only=True, style_key="dap", dictations=[recording()])
    assert request.status == "ready" and note is not None
    dictation = request.inputs.get()
    assert dictation.kind == InputKind.DICTATION and dictation.transcription is not None
    # Not a session transcript: the note is written from it as from a typed summary.
    assert request_segments(practice=request.practice, request=request) == []
    ctx = note_context(request, style=BUILTIN_STYLES["dap"])
    assert [i.kind for i in ctx.inputs] == ["dictation"] and "journal" in ctx.inputs[0].text.lower()
    evidence = {e.source for s in note.document.sections for sentence in s.sentences for e in sentence.evidence}
    assert evidence == {"input"}
    assert "journal" in " ".join(s.text for s in note.document.sections).lower()
    confirmation = AuditEvent.objects.get(action="note_request.dictation")
    assert confirmation.object_id == str(request.pk) and confirmation.actor == world.a.clinician
    assert confirmation.detail["own_voice_only"] == "confirmed by the clinician"
    dictation.transcription.refresh_from_db()
    assert not dictation.transcription.audio  # deleted once transcribed, like a session's
    page = signed_in(world.a.clinician).get(reverse("note-detail", args=[world.a.practice.slug, note.pk]))
    html = page.content.decode()
    assert ">Dictation transcript</a>" in html and ">Transcript</a>" not in html
    # Its evidence says what it is, not "Typed input".
    assert '<span class="ev-source">Dictation transcript</span>' in html and "Typed input" not in html


def test_a_session_recording_of_a_client_without_consent_is_still_refused(db: None, world: World) -> None:
    for summary_only in (True, False):
        with pytest.raises(DomainError) as refused:
            generate(
                world,
                summary_only=summary_only,
                style_key="dap",
                audio=SAMPLES / "sample_session.mp3",
                dictations=[recording()],
                texts=[("session_summary", "Talked.")],
            )
        assert refused.value.code == ("summary_only_audio" if summary_only else "no_consent")
    assert not NoteRequest.objects.exists()


def post(world: World, field: str, *, summary_only: bool) -> Any:
    """The sample recording sent to the API as ``field`` ("audio" or "dictation_audio")."""
    api = api_client_for(world.a.clinician)
    with open(SAMPLES / "sample_session.mp3", "rb") as handle:
        body = {"client_id": str(world.a.client.pk), "style_key": "dap", "summary_only": summary_only, field: [handle]}
        return api.post(f"/api/v1/practices/{world.a.practice.slug}/note-requests/", body, format="multipart")


def test_the_api_takes_a_dictation_without_consent_and_refuses_session_audio(db: None, world: World) -> None:
    refused = post(world, "audio", summary_only=False)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "no_consent"
    accepted = post(world, "dictation_audio", summary_only=True)
    assert accepted.status_code == 202, accepted.content
    request = NoteRequest.objects.get(pk=accepted.json()["id"])
    assert [i.kind for i in request.inputs.all()] == [InputKind.DICTATION]
    assert AuditEvent.objects.filter(action="note_request.dictation", object_id=str(request.pk)).count() == 1
