"""Plain data passed between transcription and its callers (no Django models)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of speech; times in seconds from the start of the recording."""

    start: float
    end: float
    text: str
    speaker: str = ""
