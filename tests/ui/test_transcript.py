"""The transcript page: the recording's text with times, speakers the clinician can name, audited views."""

from __future__ import annotations

import pytest

from intellisession.models import AuditEvent
from notes.models import InputKind, Note
from notes.output import note_json
from tests.conftest import World, api_client_for
from tests.ui.conftest import signed_in
from transcription.models import Transcription, TranscriptionStatus, TranscriptSegment
from transcription.services.transcripts import transcript_delete

pytestmark = pytest.mark.django_db

LINES = [
    (3.0, "Speaker 1", "How did the week go with the sleep diary?"),
    (75.2, "Speaker 2", "I slept badly most nights."),
    (81.0, "Speaker 1", "Let's keep the diary going."),
]


@pytest.fixture
def recorded(world: World, draft: Note) -> Transcription:
    assert draft.request is not None
    transcription = Transcription.objects.create(
        practice=draft.practice, status=TranscriptionStatus.DONE, duration=90.0, priming_terms=""
    )
    TranscriptSegment.objects.bulk_create(
        [
            TranscriptSegment(
                practice=draft.practice,
                transcription=transcription,
                start=start,
                end=start + 4,
                speaker=speaker,
                text=text,
            )
            for start, speaker, text in LINES
        ]
    )
    draft.request.inputs.create(practice=draft.practice, kind=InputKind.AUDIO, transcription=transcription)
    return transcription


def url(note: Note) -> str:
    return f"/p/{note.practice.slug}/notes/{note.pk}/transcript/"


def test_transcript_shows_times_speakers_and_text_and_is_audited(
    world: World, draft: Note, recorded: Transcription
) -> None:
    note_page = signed_in(world.a.clinician).get(f"/p/{draft.practice.slug}/notes/{draft.pk}/").content.decode()
    assert url(draft) in note_page  # the note links to its transcript
    page = signed_in(world.a.clinician).get(url(draft)).content.decode()
    assert "1:15" in page and "<strong>Speaker 2:</strong> I slept badly most nights." in page
    event = AuditEvent.objects.get(action="transcript.view")
    assert event.object_id == str(recorded.pk) and event.actor == world.a.clinician
    assert "slept" not in str(event.detail)


def test_clinician_names_the_speakers_and_the_names_are_used_everywhere(
    world: World, draft: Note, recorded: Transcription
) -> None:
    browser = signed_in(world.a.clinician)
    response = browser.post(
        url(draft),
        {"transcription": str(recorded.pk), "speaker": ["Speaker 1", "Speaker 2"], "name": ["Therapist", "  Client  "]},
        follow=True,
    )
    page = response.content.decode()
    assert "Speaker names saved." in page
    assert "<strong>Client:</strong> I slept badly most nights." in page
    recorded.refresh_from_db()
    assert recorded.speaker_names == {"Speaker 1": "Therapist", "Speaker 2": "Client"}
    assert draft.request is not None
    speakers = {s["speaker"] for s in note_json(draft.request, draft)["transcript"]["segments"]}
    assert speakers == {"Therapist", "Client"}
    edit = AuditEvent.objects.get(action="transcript.edit")
    assert edit.detail == {"speakers_named": 2}
    # An empty name shows the label again; an unknown label is refused in plain words.
    browser.post(url(draft), {"transcription": str(recorded.pk), "speaker": ["Speaker 1"], "name": [""]})
    recorded.refresh_from_db()
    assert recorded.speaker_names == {}
    page = browser.post(
        url(draft), {"transcription": str(recorded.pk), "speaker": ["Speaker 9"], "name": ["X"]}, follow=True
    ).content.decode()
    assert "That speaker is not in this transcript." in page


def test_speaker_names_are_stored_encrypted(world: World, draft: Note, recorded: Transcription) -> None:
    from django.db import connection

    signed_in(world.a.clinician).post(
        url(draft), {"transcription": str(recorded.pk), "speaker": ["Speaker 2"], "name": ["Jordan Avery"]}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT speaker_names FROM transcription_transcription WHERE id = %s", [recorded.pk])
        raw = cursor.fetchone()[0]
    assert "Jordan" not in raw


def test_read_only_member_cannot_rename_and_other_transcripts_are_404(
    world: World, draft: Note, recorded: Transcription
) -> None:
    reader = signed_in(world.a.reader)
    response = reader.post(url(draft), {"transcription": str(recorded.pk), "speaker": ["Speaker 1"], "name": ["X"]})
    assert response.status_code == 403
    other = Transcription.objects.create(practice=draft.practice, status=TranscriptionStatus.DONE, priming_terms="")
    response = signed_in(world.a.clinician).post(
        url(draft), {"transcription": str(other.pk), "speaker": ["Speaker 1"], "name": ["X"]}
    )
    assert response.status_code == 404  # a transcript that is not this note's


def test_deleted_transcript_says_why(world: World, draft: Note, recorded: Transcription) -> None:
    transcript_delete(transcription=recorded, reason="on_sign")
    page = signed_in(world.a.clinician).get(url(draft)).content.decode()
    assert "deleted under the practice&#x27;s transcript retention policy" in page
    assert not AuditEvent.objects.filter(action="transcript.view").exists()


def test_note_api_records_a_transcript_view(world: World, draft: Note, recorded: Transcription) -> None:
    api = api_client_for(world.a.clinician)
    body = api.get(f"/api/v1/practices/{draft.practice.slug}/notes/{draft.pk}/").json()
    assert len(body["transcript"]["segments"]) == 3
    assert AuditEvent.objects.filter(action="transcript.view", object_id=str(recorded.pk)).count() == 1
