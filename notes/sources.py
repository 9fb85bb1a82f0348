"""Source material cut into sentences (TextUnit), each knowing where it came from: the
transcript (with times and speaker role), a typed input, or a prior note."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from notes.context import PriorNote, TextInput
from notes.document import Evidence, EvidenceSource
from notes.speakers import guess_role, resolve_speakers
from notes.text import sentence_spans, split_sentences
from transcription.types import Segment


@dataclass(frozen=True, slots=True)
class TextUnit:
    """One sentence of source material, with where it came from.

    `stream` groups units that follow each other (the transcript, or one input or
    prior note) so that neighbours can be found; `position` is the order within it.
    """

    text: str
    source: EvidenceSource
    ref: str
    start: float | None
    end: float | None
    speaker: str
    stream: str
    position: int
    kind: str = ""

    def evidence(self) -> Evidence:
        return Evidence(source=self.source, start=self.start, end=self.end, quote=self.text, ref=self.ref)


def transcript_units(segments: list[Segment], speaker_roles: dict[str, str] | None) -> list[TextUnit]:
    """Split segments into sentences, interpolating times by character position within each segment."""
    roles = resolve_speakers(segments, speaker_roles)
    units: list[TextUnit] = []
    for index, segment in enumerate(segments):
        length = max(len(segment.text), 1)
        span_s = max(segment.end - segment.start, 0.0)
        for a, b in sentence_spans(segment.text):
            start = round(segment.start + span_s * a / length, 2)
            end = round(segment.start + span_s * b / length, 2)
            speaker = roles.get(segment.speaker) or guess_role(segment.text[a:b])
            units.append(
                TextUnit(
                    segment.text[a:b], "transcript", f"segment:{index}", start, end, speaker, "transcript", len(units)
                )
            )
    return units


def input_units(inputs: Iterable[TextInput]) -> list[TextUnit]:
    units: list[TextUnit] = []
    for item in inputs:
        for position, sentence in enumerate(split_sentences(item.text)):
            units.append(
                TextUnit(sentence, "input", item.ref, None, None, "", f"input:{item.ref}", position, item.kind)
            )
    return units


def prior_note_units(notes: Iterable[PriorNote]) -> list[TextUnit]:
    units: list[TextUnit] = []
    for note in notes:
        for position, sentence in enumerate(split_sentences(note.text)):
            units.append(TextUnit(sentence, "prior_note", note.ref, None, None, "", f"prior:{note.ref}", position))
    return units
