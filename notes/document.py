"""The note body an engine produces: sections of sentences with their evidence, risk flags,
goal progress, and a report of the context the prompt carried.

Plain data, no database; the services store it on the Note row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from notes.risk import RiskItem

EvidenceSource = Literal["transcript", "input", "prior_note"]
RiskCategory = Literal["suicide", "self_harm", "harm_to_others", "abuse"]
RiskSource = Literal["transcript", "input", "llm"]
# "discussed" is the offline drafter's own: the goal came up, but judging progress needs a writer.
GoalStatus = Literal["progressing", "no_change", "regressing", "met", "not_addressed", "discussed"]
EngineName = Literal["llm", "offline"]

RISK_CATEGORIES: tuple[RiskCategory, ...] = ("suicide", "self_harm", "harm_to_others", "abuse")
GOAL_STATUSES: tuple[GoalStatus, ...] = ("progressing", "no_change", "regressing", "met", "not_addressed")

NO_CONTENT = "No relevant content in the recording or inputs."


@dataclass(slots=True)
class Evidence:
    """A piece of source text that supports a sentence; times only for transcript evidence."""

    source: EvidenceSource
    start: float | None
    end: float | None
    quote: str
    ref: str = ""


@dataclass(slots=True)
class Sentence:
    """One sentence of a note. `placeholder` marks the "no content" marker; `issue` says why unsupported."""

    text: str
    supported: bool
    evidence: list[Evidence] = field(default_factory=list)
    placeholder: bool = False
    issue: str = ""


@dataclass(slots=True)
class SectionDraft:
    key: str
    title: str
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The section as one paragraph."""
        return " ".join(s.text for s in self.sentences)


@dataclass(slots=True)
class RiskFlag:
    """Risk language found in the session. `negated` means it was denied or ruled out; still shown."""

    category: RiskCategory
    quote: str
    start: float | None
    source: RiskSource
    negated: bool = False
    ref: str = ""


@dataclass(slots=True)
class GoalProgress:
    goal_id: str
    status: GoalStatus
    evidence_quote: str


@dataclass(slots=True)
class ContextReport:
    """What of the available context went into the prompt, so the note can record what was left out."""

    prior_note_ids_used: list[str] = field(default_factory=list)
    prior_notes_shortened: list[str] = field(default_factory=list)
    prior_notes_omitted: list[str] = field(default_factory=list)
    transcript_shortened: bool = False
    instructions: list[str] = field(default_factory=list)
    transcript_segments_omitted: int = 0
    approx_tokens: int = 0


@dataclass(slots=True)
class NoteDraft:
    """A generated note before the clinician edits it. `context` is None for offline drafts (no prompt)."""

    sections: list[SectionDraft]
    themes: list[str]
    goal_progress: list[GoalProgress]
    risk_flags: list[RiskItem]
    engine: EngineName
    offline_notice: str | None
    context: ContextReport | None = None
    model: str = ""
