"""Transcript retention: each practice's policy enforced, by the beat task.

The transcript (segments, chart terms, voice prints) is deleted by transcription; which
transcripts are due is a notes question, because it depends on the notes that use them.
"""

from __future__ import annotations

import logging

from intellisession.models import Practice, TranscriptRetention
from notes.selectors import transcriptions_due_for_deletion
from transcription.services.transcripts import transcript_delete

logger = logging.getLogger(__name__)


def transcript_retention_enforce() -> int:
    """Delete every transcript whose practice's policy says it is due. Returns how many were deleted."""
    count = 0
    policies = [TranscriptRetention.ON_SIGN, TranscriptRetention.AFTER_DAYS]
    for practice in Practice.objects.filter(transcript_retention__in=policies):
        for transcription in transcriptions_due_for_deletion(practice=practice).select_related("practice"):
            transcript_delete(transcription=transcription, reason=practice.transcript_retention)
            count += 1
    logger.info("transcript retention: %d transcript(s) deleted", count)
    return count
