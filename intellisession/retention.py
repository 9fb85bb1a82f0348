"""Enforcing each practice's transcript retention policy.

The transcript (segments, priming terms, voice prints) is deleted; the note,
including the quotes it carries as evidence, stays. A transcript still needed
by an unsigned note or an unfinished request is kept until that is settled.

The pipeline's models are looked up through the app registry so this package
keeps pointing one way (nothing here imports transcription or notes).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from intellisession.audit import audit_record
from intellisession.models import Practice, TranscriptRetention

logger = logging.getLogger(__name__)

SIGNED = "signed"
FINISHED_REQUEST = ("ready", "no_speech", "failed")


def _models() -> tuple[Any, Any, Any, Any]:
    return (apps.get_model("transcription", "Transcription"), apps.get_model("transcription", "TranscriptSegment"),
            apps.get_model("transcription", "TranscriptionChunk"), apps.get_model("notes", "NoteInput"))


def _with_transcript(practice: Practice) -> QuerySet[Any]:
    transcription, segment, _, _ = _models()
    has_segments = Exists(segment.objects.filter(transcription=OuterRef("pk")))
    return transcription.objects.filter(practice=practice, finished_at__isnull=False).filter(has_segments)


def _still_needed(transcriptions: QuerySet[Any]) -> QuerySet[Any]:
    """Drop transcripts a draft note or an unfinished request still reads."""
    note_input = _models()[3]
    uses = note_input.objects.filter(transcription=OuterRef("pk"))
    draft = uses.exclude(request__note__isnull=True).exclude(request__note__status=SIGNED)
    unfinished = uses.exclude(request__status__in=FINISHED_REQUEST)
    return transcriptions.exclude(Exists(draft)).exclude(Exists(unfinished))


def due_for_deletion(practice: Practice) -> QuerySet[Any]:
    candidates = _with_transcript(practice)
    if practice.transcript_retention == TranscriptRetention.ON_SIGN:
        signed = _models()[3].objects.filter(transcription=OuterRef("pk"), request__note__status=SIGNED)
        return _still_needed(candidates.filter(Exists(signed)))
    if practice.transcript_retention == TranscriptRetention.AFTER_DAYS:
        cutoff = timezone.now() - timedelta(days=practice.transcript_retention_days)
        return _still_needed(candidates.filter(finished_at__lt=cutoff))
    return candidates.none()


@transaction.atomic
def transcript_delete(*, transcription: Any, reason: str) -> int:
    _, segment, chunk, _ = _models()
    deleted, _ = segment.objects.filter(transcription=transcription).delete()
    chunk.objects.filter(transcription=transcription).update(voice_prints=[])
    type(transcription).objects.filter(pk=transcription.pk).update(priming_terms=None, speaker_names={})
    audit_record(action="transcript.delete", practice=transcription.practice, obj=transcription,
                 detail={"segments": deleted, "policy": reason})
    return int(deleted)


def transcript_retention_enforce() -> int:
    """Delete every transcript whose practice's policy says it is due. Returns how many were deleted."""
    count = 0
    policies = [TranscriptRetention.ON_SIGN, TranscriptRetention.AFTER_DAYS]
    for practice in Practice.objects.filter(transcript_retention__in=policies):
        for transcription in due_for_deletion(practice).select_related("practice"):
            transcript_delete(transcription=transcription, reason=practice.transcript_retention)
            count += 1
    logger.info("transcript retention: %d transcript(s) deleted", count)
    return count
