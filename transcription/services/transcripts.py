"""A stored transcript: the names the clinician gives its speakers, and its deletion under the
practice's retention policy."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from intellisession.audit import audit_record
from intellisession.errors import DomainError
from transcription.models import Transcription, TranscriptionChunk, TranscriptSegment
from transcription.selectors import transcription_speakers

SPEAKER_NAME_MAX = 40


def transcription_rename_speakers(*, transcription: Transcription, names: dict[str, str], actor: Any) -> None:
    """Name the speakers ("Speaker 1" -> "Therapist"); an empty name shows the label again."""
    known = set(transcription_speakers(practice=transcription.practice, transcription=transcription))
    if set(names) - known:
        raise DomainError("That speaker is not in this transcript.", code="unknown_speaker")
    cleaned: dict[str, str] = {}
    for label, name in names.items():
        name = " ".join(name.split())
        if len(name) > SPEAKER_NAME_MAX:
            raise DomainError(f"A speaker's name can be at most {SPEAKER_NAME_MAX} characters.", code="name_too_long")
        if name and name != label:
            cleaned[label] = name
    transcription.speaker_names = cleaned
    transcription.save(update_fields=["speaker_names"])
    audit_record(
        action="transcript.edit",
        practice=transcription.practice,
        actor=actor,
        obj=transcription,
        detail={"speakers_named": len(cleaned)},
    )


@transaction.atomic
def transcript_delete(*, transcription: Transcription, reason: str) -> int:
    """Delete a transcript's text (segments), its voice prints and its chart terms, with the audit
    receipt; the job row stays so the notes that quoted it still say where their quotes came from."""
    deleted, _ = TranscriptSegment.objects.filter(transcription=transcription).delete()
    TranscriptionChunk.objects.filter(transcription=transcription).update(voice_prints=[])
    Transcription.objects.filter(pk=transcription.pk).update(priming_terms=None, speaker_names={})
    audit_record(
        action="transcript.delete",
        practice=transcription.practice,
        obj=transcription,
        detail={"segments": deleted, "policy": reason},
    )
    return int(deleted)
