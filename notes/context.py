"""What a note is written from: the session's typed inputs, prior notes, goals and instructions.

Plain data, no database: selectors build a NoteContext from the rows, engines read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from notes.styles import Style
from transcription.types import Segment

InputKind = Literal["session_summary", "pre_session", "post_session", "dictation"]
InstructionLevel = Literal["general", "template", "client", "note"]

INSTRUCTION_LEVELS: tuple[InstructionLevel, ...] = ("general", "template", "client", "note")


@dataclass(frozen=True, slots=True)
class TextInput:
    """A typed input for this session (summary, pre/post-session notes, dictation)."""

    kind: InputKind
    text: str
    ref: str


@dataclass(frozen=True, slots=True)
class PriorNote:
    """A signed earlier note; `date` is ISO (YYYY-MM-DD); `plan` its plan section (plan and homework)."""

    ref: str
    date: str
    text: str
    plan: str = ""


@dataclass(frozen=True, slots=True)
class Goal:
    """A treatment goal; `ref` is the id the model reports progress against."""

    ref: str
    description: str
    target: str = ""


@dataclass(frozen=True, slots=True)
class Instruction:
    """A custom instruction and the level it was set at."""

    level: InstructionLevel
    text: str


@dataclass(slots=True)
class NoteContext:
    """Everything a note is written from. `prior_notes` are newest first.

    `style_examples`: the clinician's own recent signed notes in this style (other clients), shown
    to a model as examples of voice and format only, never as facts."""

    style: Style
    segments: list[Segment] = field(default_factory=list)
    inputs: list[TextInput] = field(default_factory=list)
    prior_notes: list[PriorNote] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    instructions: list[Instruction] = field(default_factory=list)
    speaker_roles: dict[str, str] | None = None
    # The client's chart medications, one line each as entered ("Sertraline 50 mg, Dr. Patel").
    medications: list[str] = field(default_factory=list)
    style_examples: list[PriorNote] = field(default_factory=list)
