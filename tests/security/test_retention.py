"""Transcript retention: each practice's policy is enforced by a periodic task, with an audit event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from intellisession.models import AuditEvent, Practice, TranscriptRetention
from notes.models import Note, NoteInput, NoteRequest, NoteStatus, RequestStatus
from notes.tasks import enforce_transcript_retention
from tests.conftest import Side, World
from tests.test_isolation import _note
from transcription.models import Transcription, TranscriptionStatus, TranscriptSegment

pytestmark = pytest.mark.django_db


def transcribed_note(side: Side, *, days_ago: int = 0, signed: bool = False) -> tuple[Transcription, Note]:
    """A finished transcription feeding a fresh note request and its note."""
    finished = timezone.now() - timedelta(days=days_ago)
    transcription = Transcription.objects.create(
        practice=side.practice, status=TranscriptionStatus.DONE, finished_at=finished, priming_terms="sertraline"
    )
    TranscriptSegment.objects.create(
        practice=side.practice, transcription=transcription, start=0, end=2, text="I slept badly this week."
    )
    note = Note.objects.select_related("request").get(pk=_note(side))
    assert note.request is not None
    NoteRequest.objects.filter(pk=note.request.pk).update(status=RequestStatus.READY)
    NoteInput.objects.create(practice=side.practice, request=note.request, kind="audio", transcription=transcription)
    if signed:
        Note.objects.filter(pk=note.pk).update(status=NoteStatus.SIGNED, signed_at=timezone.now())
    return transcription, note


def set_policy(practice: Practice, policy: str, days: int = 30) -> None:
    practice.transcript_retention, practice.transcript_retention_days = policy, days
    practice.save()


def segments(transcription: Transcription) -> int:
    return TranscriptSegment.objects.filter(transcription=transcription).count()


def test_on_sign_policy_deletes_the_transcript_of_a_signed_note_only(world: World) -> None:
    set_policy(world.a.practice, TranscriptRetention.ON_SIGN)
    signed, note = transcribed_note(world.a, signed=True)
    assert enforce_transcript_retention() == 1
    assert segments(signed) == 0
    assert Transcription.objects.get(pk=signed.pk).priming_terms in (None, "")
    assert Note.objects.get(pk=note.pk).document.sections[0].text == "Continue."  # the note itself stays
    event = AuditEvent.objects.get(action="transcript.delete", object_id=str(signed.pk))
    assert event.practice_id == world.a.practice.pk and event.detail == {"segments": 1, "policy": "on_sign"}


def test_on_sign_policy_keeps_a_draft_notes_transcript(world: World) -> None:
    set_policy(world.a.practice, TranscriptRetention.ON_SIGN)
    draft, _ = transcribed_note(world.a, signed=False)
    assert enforce_transcript_retention() == 0
    assert segments(draft) == 1


def test_after_days_policy_uses_the_practices_own_number_of_days(world: World) -> None:
    set_policy(world.a.practice, TranscriptRetention.AFTER_DAYS, days=10)
    old, _ = transcribed_note(world.a, days_ago=11, signed=True)
    set_policy(world.b.practice, TranscriptRetention.AFTER_DAYS, days=30)
    other, _ = transcribed_note(world.b, days_ago=11, signed=True)
    assert enforce_transcript_retention() == 1
    assert segments(old) == 0 and segments(other) == 1


def test_keep_policy_deletes_nothing(world: World) -> None:
    kept, _ = transcribed_note(world.a, days_ago=400, signed=True)
    assert world.a.practice.transcript_retention == TranscriptRetention.KEEP
    assert enforce_transcript_retention() == 0
    assert segments(kept) == 1


def test_retention_task_is_scheduled() -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "notes.tasks.enforce_transcript_retention" in tasks
