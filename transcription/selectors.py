"""Reads of transcripts; the practice is always a required keyword."""

from __future__ import annotations

from intellisession.models import Practice
from transcription.models import Transcription, TranscriptSegment
from transcription.types import Segment


def transcription_speakers(*, practice: Practice, transcription: Transcription) -> list[str]:
    """The speaker labels in a transcript, in the order they first speak."""
    labels = (
        TranscriptSegment.objects.filter(practice=practice, transcription=transcription)
        .exclude(speaker="")
        .values_list("speaker", flat=True)
    )
    return list(dict.fromkeys(labels))


def transcription_segments(*, practice: Practice, transcription: Transcription) -> list[Segment]:
    """A transcript's segments, each speaker shown by the name the clinician gave it."""
    rows = TranscriptSegment.objects.filter(practice=practice, transcription=transcription)
    return [
        Segment(
            start=r.start,
            end=r.end,
            text=r.text or "",
            speaker=transcription.speaker_name(r.speaker) if r.speaker else "",
        )
        for r in rows
    ]
