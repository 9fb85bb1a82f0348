"""What the clinician's pages show of notes: sentences with their evidence, risk items, the goal
progress chart and transcripts, shaped for the templates. Reads go through the selectors."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.template.defaultfilters import pluralize
from django.utils import dateformat

from intellisession.models import Practice
from notes.document import LEVEL_LABELS, RISK_LABELS, STATUS_LABELS, Evidence, RiskAssessment, RiskItem, Sentence
from notes.models import Note
from notes.selectors import input_labels, request_transcriptions
from transcription.models import Transcription, TranscriptionStatus
from transcription.selectors import transcription_segments, transcription_speakers

SOURCE_LABELS = {"transcript": "Session recording", "input": "Typed input", "prior_note": "Earlier note"}


def mmss(seconds: float | str | None) -> str:
    try:
        total = max(0, int(float(seconds)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return f"{total // 60}:{total % 60:02d}"


@dataclass
class EvidenceView:
    source: str
    quote: str
    time: str


@dataclass
class SentenceView:
    index: int
    text: str
    resolution: str
    placeholder: bool
    needs_review: bool
    evidence: list[EvidenceView]

    @classmethod
    def of(cls, index: int, sentence: Sentence, inputs: dict[str, str]) -> SentenceView:
        return cls(
            index=index,
            text=sentence.text,
            resolution=sentence.resolution,
            placeholder=sentence.placeholder,
            needs_review=sentence.needs_review,
            evidence=_evidence(sentence.evidence, inputs),
        )

    @property
    def removed(self) -> bool:
        return self.resolution == "removed"


@dataclass
class SectionView:
    key: str
    title: str
    text: str
    sentences: list[SentenceView] = field(default_factory=list)


def _evidence(rows: Iterable[Evidence], inputs: dict[str, str]) -> list[EvidenceView]:
    """`inputs` names a typed input's evidence by what it is (by its ref), else "Typed input"."""
    return [
        EvidenceView(
            source=inputs.get(row.ref, SOURCE_LABELS["input"]) if row.source == "input" else SOURCE_LABELS[row.source],
            quote=row.quote,
            time=mmss(row.start) if row.source == "transcript" else "",
        )
        for row in rows
    ]


def section_views(note: Note) -> list[SectionView]:
    inputs = input_labels(practice=note.practice, request=note.request) if note.request else {}
    return [
        SectionView(
            key=section.key,
            title=section.title,
            text=section.text,
            sentences=[SentenceView.of(i, s, inputs) for i, s in enumerate(section.sentences)],
        )
        for section in note.document.sections
    ]


def sign_review(note: Note) -> list[str]:
    """What the clinician should know they are signing: parts of the draft they have not
    touched, and sentences they kept without support. Shown with the sign button."""
    document = note.document
    points = []
    untouched = [
        s.title
        for s in document.sections
        if any(x.shown for x in s.sentences) and not any(x.resolution == "edited" for x in s.sentences)
    ]
    writer = {"offline": "the offline drafter", "llm": "the language model"}.get(note.engine, "the draft")
    if untouched:
        points.append(f"As written by {writer}, not edited by you: {', '.join(untouched)}.")
    accepted = sum(1 for s in document.sections for x in s.sentences if x.resolution == "accepted")
    if accepted:
        points.append(f"Kept without support in the session: {accepted} sentence{pluralize(accepted)}.")
    empty = [s.title for s in document.sections if not any(x.shown for x in s.sentences)]
    if empty:
        points.append(f"Nothing written in: {', '.join(empty)}.")
    return points


@dataclass
class RiskItemView:
    quote: str
    time: str
    status: str
    status_label: str
    level: str
    where: str


@dataclass
class RiskGroupView:
    """One category's risk items: those the client endorsed need a risk assessment; others are documentation."""

    category: str
    label: str
    endorsed: list[RiskItemView]
    documented: list[RiskItemView]
    assessment: RiskAssessment | None
    form: Any = None  # the assessment form, where the clinician may complete it

    @property
    def needs_assessment(self) -> bool:
        return bool(self.endorsed) and self.assessment is None


def _risk_item(item: RiskItem) -> RiskItemView:
    where = SOURCE_LABELS.get(item.source, "")
    return RiskItemView(
        quote=item.quote,
        time=mmss(item.start),
        status=item.status,
        status_label=STATUS_LABELS[item.status],
        level=LEVEL_LABELS.get(item.level or "", ""),
        where=where,
    )


def risk_views(note: Note) -> list[RiskGroupView]:
    document = note.document
    groups = []
    for category in dict.fromkeys(item.category for item in document.risks):
        items = [item for item in document.risks if item.category == category]
        groups.append(
            RiskGroupView(
                category=category,
                label=RISK_LABELS[category],
                endorsed=[_risk_item(i) for i in items if i.endorsed],
                documented=[_risk_item(i) for i in items if not i.endorsed],
                assessment=document.assessment(category),
            )
        )
    # Endorsed categories first: they are what the clinician must act on.
    return sorted(groups, key=lambda g: not g.endorsed)


# --- Goal progress chart ------------------------------------------------------------------

# Ordinal levels for the chart; "not addressed" leaves a gap rather than a false zero.
PROGRESS_LEVELS = {"regressing": 0, "no_change": 1, "progressing": 2, "met": 3}
PROGRESS_LABELS = {
    "regressing": "Regressing",
    "no_change": "No change",
    "progressing": "Progressing",
    "met": "Met",
    "not_addressed": "Not addressed",
    "discussed": "Discussed (not judged)",
}
PALETTE = ("#23587a", "#b35c00", "#1f6b3a", "#7a2d8c", "#9b1c1c", "#4d5b6a")
CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 220, 96, 24, 16, 40


@dataclass
class ChartSeries:
    goal_id: str
    label: str
    color: str
    points: list[tuple[float, float]]
    cells: list[str]

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.0f},{y:.0f}" for x, y in self.points)


@dataclass
class GoalChart:
    """`judged` is False when no note has judged progress yet (only "discussed" or "not addressed")."""

    width: int
    height: int
    sessions: list[tuple[float, str]]
    levels: list[tuple[float, str]]
    series: list[ChartSeries]
    plot_left: int = PAD_L
    plot_right: int = CHART_W - PAD_R
    plot_bottom: int = CHART_H - PAD_B

    @property
    def judged(self) -> bool:
        return any(s.points for s in self.series)


def _y(level: int) -> float:
    return PAD_T + (3 - level) * (CHART_H - PAD_T - PAD_B) / 3


def goal_chart(
    *, notes: Iterable[Note], goals: Iterable[Any], cells: dict[tuple[uuid.UUID, uuid.UUID], str]
) -> GoalChart | None:
    """Progress per goal across the sessions whose notes recorded it, oldest first.

    ``cells`` maps (note id, goal id) to the status that note recorded for that goal."""
    by_cell = cells
    session_notes = sorted(notes, key=lambda n: (n.date_of_service, n.created_at))
    session_notes = [n for n in session_notes if any(k[0] == n.pk for k in by_cell)]
    goals = [g for g in goals if any(k[1] == g.pk for k in by_cell)]
    if not session_notes or not goals:
        return None
    step = (CHART_W - PAD_L - PAD_R) / max(1, len(session_notes) - 1)
    xs = [
        PAD_L + i * step if len(session_notes) > 1 else (PAD_L + CHART_W - PAD_R) / 2 for i in range(len(session_notes))
    ]
    series = []
    for number, goal in enumerate(goals):
        statuses = [by_cell.get((n.pk, goal.pk), "") for n in session_notes]
        points = [(x, _y(PROGRESS_LEVELS[s])) for x, s in zip(xs, statuses, strict=True) if s in PROGRESS_LEVELS]
        series.append(
            ChartSeries(
                goal_id=str(goal.pk),
                label=goal.description or "Goal",
                color=PALETTE[number % len(PALETTE)],
                points=points,
                cells=[PROGRESS_LABELS.get(s, "—") if s else "—" for s in statuses],
            )
        )
    sessions = list(zip(xs, _session_labels(session_notes), strict=True))
    levels = [(_y(level), PROGRESS_LABELS[key]) for key, level in PROGRESS_LEVELS.items()]
    return GoalChart(width=CHART_W, height=CHART_H, sessions=sessions, levels=levels, series=series)


def _session_labels(notes: list[Note]) -> list[str]:
    """Each session's date ("Jan 7"); two sessions on one day are told apart ("Jan 7 (2)")."""
    labels = [dateformat.format(n.date_of_service, "M j") for n in notes]
    if len({n.date_of_service.year for n in notes}) > 1:
        labels = [dateformat.format(n.date_of_service, "M j, Y") for n in notes]
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if labels.count(label) == 1 else f"{label} ({seen[label]})")
    return out


@dataclass
class TranscriptLine:
    time: str
    speaker: str
    text: str


@dataclass
class TranscriptView:
    """One recording's transcript on the transcript page; ``absent`` says why there are no lines."""

    transcription: Transcription
    lines: list[TranscriptLine]
    speakers: list[tuple[str, str]]  # (label, the name the clinician gave it)
    absent: str


def transcript_views(*, practice: Practice, note: Note) -> list[TranscriptView]:
    views = []
    for transcription in request_transcriptions(practice=practice, request=note.request) if note.request else []:
        lines = [
            TranscriptLine(time=mmss(s.start), speaker=s.speaker, text=s.text)
            for s in transcription_segments(practice=practice, transcription=transcription)
        ]
        labels = transcription_speakers(practice=practice, transcription=transcription)
        speakers = [(label, transcription.speaker_name(label)) for label in labels]
        views.append(TranscriptView(transcription, lines, speakers, "" if lines else _absent(transcription)))
    return views


def _absent(transcription: Transcription) -> str:
    if transcription.status == TranscriptionStatus.NO_SPEECH:
        return "No speech was found in this recording."
    if transcription.status == TranscriptionStatus.DONE:
        return "This transcript has been deleted under the practice's transcript retention policy."
    return "This recording has no transcript."
