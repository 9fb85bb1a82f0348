"""The note document: one set of versioned models for a note's body.

Sections of sentences with their evidence, themes, progress per treatment goal, the risk items
found in the session, the clinician's risk assessments, a report of the context the note was
written with, warnings where the session's material differs from the chart, and the review
state (sentences accepted, removed or rewritten; assessments completed). Engines produce it,
the services store it (encrypted, on `Note.body`), the API documents it from these same
models, and pages read it.

A stored document names its `version`; `NoteDocument.load` reads every version this code has
written (today only version 2; version 1 was three separate columns, converted by a migration).
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

SCHEMA_VERSION: Literal[2] = 2

EvidenceSource = Literal["transcript", "input", "prior_note"]
RiskCategory = Literal["suicide", "self_harm", "harm_to_others", "abuse"]
RiskStatus = Literal["endorsed", "denied", "historical", "hypothetical", "other_person"]
SuicideLevel = Literal["wish_to_be_dead", "active_thoughts", "method", "intent", "plan", "preparatory", "attempt"]
# "llm": a statement the model reported that the source does not contain word for word.
RiskSource = Literal["transcript", "input", "llm"]
# "discussed" is the offline drafter's own: the goal came up, but judging progress needs a writer.
GoalStatus = Literal["progressing", "no_change", "regressing", "met", "not_addressed", "discussed"]
EngineName = Literal["llm", "offline"]
# "" not reviewed; "accepted"/"removed" an unsupported sentence the clinician kept or dropped;
# "edited" the clinician's own wording (they vouch for it, it needs no evidence).
Resolution = Literal["", "accepted", "removed", "edited"]

RISK_CATEGORIES: tuple[RiskCategory, ...] = ("suicide", "self_harm", "harm_to_others", "abuse")
RISK_STATUSES: tuple[RiskStatus, ...] = ("endorsed", "denied", "historical", "hypothetical", "other_person")
# Least to most severe; an item found several times in a sentence keeps the highest.
SUICIDE_LEVELS: tuple[SuicideLevel, ...] = (
    "wish_to_be_dead", "active_thoughts", "method", "intent", "plan", "preparatory", "attempt",
)  # fmt: skip
GOAL_STATUSES: tuple[GoalStatus, ...] = ("progressing", "no_change", "regressing", "met", "not_addressed")
GOAL_PROGRESS_STATUSES: tuple[GoalStatus, ...] = (*GOAL_STATUSES, "discussed")

NO_CONTENT = "No relevant content in the recording or inputs."

RISK_LABELS: dict[str, str] = {
    "suicide": "Suicide risk", "self_harm": "Self-harm", "harm_to_others": "Harm to others", "abuse": "Abuse",
}  # fmt: skip
STATUS_LABELS: dict[str, str] = {
    "endorsed": "Reported now",
    "denied": "Denied",
    "historical": "In the past",
    "hypothetical": "Hypothetical",
    "other_person": "About someone else",
}
LEVEL_LABELS: dict[str, str] = {
    "wish_to_be_dead": "Wish to be dead",
    "active_thoughts": "Non-specific active suicidal thoughts",
    "method": "Active suicidal ideation with any methods (not plan) without intent to act",
    "intent": "Active suicidal ideation with some intent to act, without specific plan",
    "plan": "Active suicidal ideation with specific plan and intent",
    "preparatory": "Preparatory acts or behavior",
    "attempt": "Suicide attempt",
}
# The answers of a risk assessment, in the words the form and the exported note use.
ASSESSMENT_CHOICES: dict[str, dict[str, str]] = {
    "ideation": {"none": "None", "passive": "Passive (wish to be dead, no thoughts of acting)", "active": "Active"},
    "plan": {"none": "No plan", "vague": "Vague plan", "specific": "Specific plan"},
    "intent": {"none": "No intent", "ambivalent": "Ambivalent", "present": "Intent present"},
    "means": {
        "no_access": "No access to means",
        "access": "Has access to means",
        "restricted": "Access to means restricted as part of the safety plan",
    },
    "safety_plan": {
        "completed": "Completed in session",
        "updated": "Reviewed and updated",
        "declined": "Offered; client declined",
        "not_done": "Not done",
    },
}
ASSESSMENT_LABELS: dict[str, str] = {
    "ideation": "Ideation",
    "plan": "Plan",
    "intent": "Intent",
    "means": "Means",
    "protective_factors": "Protective factors",
    "safety_plan": "Safety plan",
    "response": "Clinician's response",
}


class DocumentModel(BaseModel):
    """Strict about shape: a stored or received document with unknown fields is an error."""

    model_config = ConfigDict(extra="forbid")


class Evidence(DocumentModel):
    """A passage of source text that supports a sentence; times only for transcript evidence."""

    source: EvidenceSource
    quote: str
    start: float | None = None
    end: float | None = None
    ref: str = Field(default="", description="The id of the passage in the material the note was written from.")


class Sentence(DocumentModel):
    """One sentence of a note. `placeholder` marks the "no content" marker; `issue` says why unsupported."""

    text: str
    supported: bool = False
    evidence: list[Evidence] = Field(default_factory=list)
    placeholder: bool = False
    issue: str = ""
    resolution: Resolution = ""

    @property
    def shown(self) -> bool:
        """Part of the note's text: not removed and not the empty-section marker."""
        return self.resolution != "removed" and not self.placeholder

    @property
    def needs_review(self) -> bool:
        return not self.supported and not self.placeholder and not self.resolution


class NoteSection(DocumentModel):
    key: str
    title: str
    sentences: list[Sentence] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _derived_text(cls, data: Any) -> Any:
        """A dumped section carries its text; it is derived from the sentences, so reading drops it."""
        if isinstance(data, dict) and "text" in data:
            return {k: v for k, v in data.items() if k != "text"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """The section as one paragraph, as the clinician reads and signs it."""
        return " ".join(s.text for s in self.sentences if s.shown)


class RiskItem(DocumentModel):
    """One risk statement found in the session: what it is, where it was said, and what qualifies it."""

    model_config = ConfigDict(frozen=True)

    category: RiskCategory
    status: RiskStatus
    level: SuicideLevel | None = Field(default=None, description="For suicide: the C-SSRS level the words allow.")
    quote: str
    source: RiskSource
    ref: str = ""
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    protective_factors: tuple[str, ...] = ()
    context: str | None = Field(default=None, description="The neighbouring sentence that qualifies the statement.")

    @property
    def endorsed(self) -> bool:
        """The client reports it now: the only status that needs a risk assessment before signing."""
        return self.status == "endorsed"


class RiskAssessment(DocumentModel):
    """The clinician's assessment of one risk category the client endorsed, completed before signing."""

    category: RiskCategory
    ideation: Literal["none", "passive", "active"]
    plan: Literal["none", "vague", "specific"]
    intent: Literal["none", "ambivalent", "present"]
    means: Literal["no_access", "access", "restricted"] = Field(
        description="Access to lethal means; restricted: access reduced as part of the safety plan."
    )
    protective_factors: str = ""
    safety_plan: Literal["completed", "updated", "declined", "not_done"]
    response: str = Field(min_length=1, description="The clinician's response and follow-up, in their words.")
    completed_by: str = ""
    completed_at: datetime.datetime | None = None

    def lines(self) -> list[tuple[str, str]]:
        """(label, answer) in the form's order, for the note page and the exported note."""
        answers = [
            (ASSESSMENT_LABELS[name], ASSESSMENT_CHOICES[name][getattr(self, name)]) for name in ASSESSMENT_CHOICES
        ]
        answers.insert(4, (ASSESSMENT_LABELS["protective_factors"], self.protective_factors or "None named"))
        return [*answers, (ASSESSMENT_LABELS["response"], self.response)]


class GoalProgress(DocumentModel):
    goal_id: str
    status: GoalStatus
    evidence_quote: str = ""
    evidence: list[Evidence] = Field(default_factory=list)


class StretchReport(DocumentModel):
    """One stretch of a long transcript, read by the model on its own in the first of two stages."""

    first: str = Field(description="Id of the stretch's first segment (S1, S2...).")
    last: str
    start: float
    end: float
    segments: int
    approx_tokens: int
    facts: int = 0
    seconds: float | None = None


class ContextReport(DocumentModel):
    """What of the available context went to the writer, so the note records what was left out.

    `stages` is 1 when everything fitted one call, 2 when the transcript was read in `stretches`
    (facts extracted from each) and the note composed from those facts; `reasons` says why, and
    what was shortened, in words the clinician reads on the note page."""

    prior_note_ids_used: list[str] = Field(default_factory=list)
    prior_notes_shortened: list[str] = Field(default_factory=list)
    prior_notes_omitted: list[str] = Field(default_factory=list)
    transcript_shortened: bool = False
    instructions: list[str] = Field(default_factory=list)
    transcript_segments_omitted: int = 0
    approx_tokens: int = 0
    budget_tokens: int = 0
    stages: int = 1
    calls: int = 0
    segments_total: int = 0
    segments_sent: int = 0
    stretches: list[StretchReport] = Field(default_factory=list)
    style_example_ids: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    compose_seconds: float | None = None


PlanStatus = Literal["done", "partly_done", "not_done", "not_discussed"]
PLAN_STATUSES: tuple[PlanStatus, ...] = ("done", "partly_done", "not_done", "not_discussed")


class PlanReview(DocumentModel):
    """Whether an item of the last note's plan or homework was done, with the passages that say so."""

    item: str
    status: PlanStatus
    evidence: list[Evidence] = Field(default_factory=list)


WarningKind = Literal["wrong_client", "medication"]


class SourceWarning(DocumentModel):
    """Something in the session's material that does not match the chart (the client addressed by
    another client's name, a medication or prescriber not on the chart), shown before signing."""

    kind: WarningKind
    text: str
    evidence: list[Evidence] = Field(default_factory=list)


class NoteDocument(DocumentModel):
    """A note's body as stored: what was written, and the clinician's review of it."""

    version: Literal[2] = SCHEMA_VERSION
    sections: list[NoteSection] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    goal_progress: list[GoalProgress] = Field(default_factory=list)
    plan_review: list[PlanReview] = Field(default_factory=list)
    risks: list[RiskItem] = Field(default_factory=list)
    risk_assessments: list[RiskAssessment] = Field(default_factory=list)
    context: ContextReport | None = None
    warnings: list[SourceWarning] = Field(default_factory=list)

    @classmethod
    def load(cls, data: dict[str, Any]) -> NoteDocument:
        return cls.model_validate(data)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def section(self, key: str) -> NoteSection | None:
        return next((s for s in self.sections if s.key == key), None)

    def plain_sections(self) -> list[dict[str, str]]:
        return [{"key": s.key, "title": s.title, "text": s.text} for s in self.sections]

    def unresolved_sentences(self) -> int:
        return sum(1 for section in self.sections for sentence in section.sentences if sentence.needs_review)

    def endorsed_categories(self) -> list[RiskCategory]:
        """Categories with an item the client endorsed, in the order first found."""
        return list(dict.fromkeys(item.category for item in self.risks if item.endorsed))

    def assessment(self, category: str) -> RiskAssessment | None:
        return next((a for a in self.risk_assessments if a.category == category), None)

    def pending_assessments(self) -> list[RiskCategory]:
        """Endorsed categories without a completed risk assessment: each blocks signing."""
        return [c for c in self.endorsed_categories() if self.assessment(c) is None]


class NoteDraft(NoteDocument):
    """A generated note before the clinician sees it: the document plus who wrote it.

    `context` is None for offline drafts (there was no prompt)."""

    engine: EngineName
    offline_notice: str | None = None
    model: str = ""

    def document(self) -> NoteDocument:
        return NoteDocument.model_validate(self.model_dump(exclude={"engine", "offline_notice", "model"}))
