"""Pure fixtures for the note-writing layer: the sample session as segments, contexts per style."""

from __future__ import annotations

import pytest

from notes.context import Goal, Instruction, NoteContext, PriorNote, TextInput
from notes.styles import BUILTIN_STYLES
from tests.samples import SAMPLES
from transcription.types import Segment

SAMPLE = SAMPLES / "sample_session.txt"
ROLES = {"Speaker 1": "therapist", "Speaker 2": "client"}
CHARS_PER_SECOND = 15.0  # a plausible speaking rate for fake times
JOURNAL = "For this week, would you write in your journal for ten minutes each evening about one memory of your father?"
FEELING_QUESTION = "How did it feel to share that with your brother?"


def sample_lines() -> list[str]:
    return [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def segments_from_script(lines: list[str]) -> list[Segment]:
    """ "T:" lines become Speaker 1, "C:" lines Speaker 2, with times from the text length."""
    segments: list[Segment] = []
    clock = 0.0
    for line in lines:
        tag, text = line.split(":", 1)
        duration = round(len(text.strip()) / CHARS_PER_SECOND, 2)
        speaker = "Speaker 1" if tag.strip() == "T" else "Speaker 2"
        segments.append(Segment(clock, clock + duration, text.strip(), speaker))
        clock = round(clock + duration + 0.5, 2)
    return segments


def fifty_minutes() -> list[Segment]:
    """About fifty minutes of transcript: the sample's lines over and over, each made unique."""
    base = segments_from_script(sample_lines())
    return [
        Segment(
            round(i * 4.2, 2),
            round(i * 4.2 + 4.0, 2),
            f"{base[i % len(base)].text} Item {i} was noted.",
            base[i % len(base)].speaker,
        )
        for i in range(700)
    ]


@pytest.fixture
def segments() -> list[Segment]:
    return segments_from_script(sample_lines())


def make_ctx(style: str = "soap", segments: list[Segment] | None = None, **fields: object) -> NoteContext:
    ctx = NoteContext(style=BUILTIN_STYLES[style], segments=segments or segments_from_script(sample_lines()))
    ctx.speaker_roles = dict(ROLES)
    for name, value in fields.items():
        setattr(ctx, name, value)
    return ctx


def full_ctx(style: str = "soap") -> NoteContext:
    """The sample session with every kind of context a real note has."""
    return make_ctx(
        style,
        inputs=[TextInput("pre_session", "Client appeared tired and was tearful in the waiting room.", "input-1")],
        prior_notes=[
            PriorNote("note-2", "2024-05-07", "Client anticipates the anniversary of her father's death."),
            PriorNote("note-1", "2024-04-30", "Client discussed a plan to return to work part time."),
        ],
        goals=[Goal("goal-1", "Return to work part time", "by June"), Goal("goal-2", "Process grief", "")],
        themes=["grief", "return to work"],
        instructions=[
            Instruction("note", "Mention the journal homework."),
            Instruction("general", "Write in the third person."),
            Instruction("client", "Refer to the client as Sam."),
            Instruction("template", "Keep each section under 120 words."),
        ],
    )
