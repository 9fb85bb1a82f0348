"""What the clinician's pages show of notes: sentences with their evidence, risk items,
the goal progress chart, and template upkeep the services do not cover."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest
from django.utils import timezone

from intellisession.audit import audit_record
from intellisession.models import Practice, User
from notes.models import GoalProgressEntry, Note, NoteTemplate
from notes.selectors import request_transcriptions, transcription_segments
from transcription.models import Transcription, TranscriptionStatus
from transcription.services import transcription_speakers

SOURCE_LABELS = {"transcript": "Session recording", "input": "Typed input", "prior_note": "Earlier note"}
RISK_LABELS = {"suicide": "Suicide risk", "self_harm": "Self-harm", "harm_to_others": "Harm to others",
               "abuse": "Abuse"}


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
    supported: bool
    resolution: str
    placeholder: bool
    evidence: list[EvidenceView]

    @property
    def needs_review(self) -> bool:
        return not self.supported and not self.placeholder and not self.resolution

    @property
    def removed(self) -> bool:
        return self.resolution == "removed"


@dataclass
class SectionView:
    key: str
    title: str
    text: str
    sentences: list[SentenceView] = field(default_factory=list)


def _evidence(rows: Iterable[dict[str, Any]]) -> list[EvidenceView]:
    return [EvidenceView(source=SOURCE_LABELS.get(row.get("source", ""), "Source"), quote=row.get("quote", ""),
                         time=mmss(row.get("start")) if row.get("source") == "transcript" else "")
            for row in rows]


def section_views(note: Note) -> list[SectionView]:
    views = []
    for section in note.sections:
        sentences = [
            SentenceView(index=i, text=s.get("text", ""), supported=bool(s.get("supported")),
                         resolution=s.get("resolution", "") or "", placeholder=bool(s.get("placeholder")),
                         evidence=_evidence(s.get("evidence", [])))
            for i, s in enumerate(section.get("sentences", []))
        ]
        views.append(SectionView(key=section["key"], title=section["title"], text=section.get("text", ""),
                                 sentences=sentences))
    return views


@dataclass
class RiskView:
    index: int
    category: str
    quote: str
    time: str
    acknowledged: bool


def risk_views(note: Note) -> list[RiskView]:
    return [RiskView(index=i, category=RISK_LABELS.get(flag.get("category", ""), flag.get("category", "Risk")),
                     quote=flag.get("quote", ""), time=mmss(flag.get("start")),
                     acknowledged=bool(flag.get("acknowledged")))
            for i, flag in enumerate(note.risk_flags)]


# --- Goal progress chart ------------------------------------------------------------------

# Ordinal levels for the chart; "not addressed" leaves a gap rather than a false zero.
PROGRESS_LEVELS = {"regressing": 0, "no_change": 1, "progressing": 2, "met": 3}
PROGRESS_LABELS = {"regressing": "Regressing", "no_change": "No change", "progressing": "Progressing",
                   "met": "Met", "not_addressed": "Not addressed", "discussed": "Discussed (not judged)"}
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
    width: int
    height: int
    sessions: list[tuple[float, str]]
    levels: list[tuple[float, str]]
    series: list[ChartSeries]
    plot_left: int = PAD_L
    plot_right: int = CHART_W - PAD_R
    plot_bottom: int = CHART_H - PAD_B


def _y(level: int) -> float:
    return PAD_T + (3 - level) * (CHART_H - PAD_T - PAD_B) / 3


def goal_chart(*, notes: Iterable[Note], goals: Iterable[Any]) -> GoalChart | None:
    """Progress per goal across the sessions whose notes recorded it, oldest first."""
    session_notes = sorted(notes, key=lambda n: (n.date_of_service, n.created_at))
    entries = GoalProgressEntry.objects.filter(note__in=[n.pk for n in session_notes])
    by_cell = {(e.note_id, e.goal_id): e.status for e in entries}
    session_notes = [n for n in session_notes if any(k[0] == n.pk for k in by_cell)]
    goals = [g for g in goals if any(k[1] == g.pk for k in by_cell)]
    if not session_notes or not goals:
        return None
    step = (CHART_W - PAD_L - PAD_R) / max(1, len(session_notes) - 1)
    xs = [PAD_L + i * step if len(session_notes) > 1 else (PAD_L + CHART_W - PAD_R) / 2
          for i in range(len(session_notes))]
    series = []
    for number, goal in enumerate(goals):
        statuses = [by_cell.get((n.pk, goal.pk), "") for n in session_notes]
        points = [(x, _y(PROGRESS_LEVELS[s])) for x, s in zip(xs, statuses, strict=True) if s in PROGRESS_LEVELS]
        series.append(ChartSeries(goal_id=str(goal.pk), label=goal.description or "Goal",
                                  color=PALETTE[number % len(PALETTE)], points=points,
                                  cells=[PROGRESS_LABELS.get(s, "—") if s else "—" for s in statuses]))
    sessions = [(x, n.date_of_service.strftime("%b %-d")) for x, n in zip(xs, session_notes, strict=True)]
    levels = [(_y(level), PROGRESS_LABELS[key]) for key, level in PROGRESS_LEVELS.items()]
    return GoalChart(width=CHART_W, height=CHART_H, sessions=sessions, levels=levels, series=series)


# --- Templates ----------------------------------------------------------------------------


def template_archive(*, template: NoteTemplate, actor: User) -> NoteTemplate:
    """Remove a template from the pickers; notes written with it keep their own copy of its sections."""
    template.is_archived = True
    template.save(update_fields=["is_archived", "updated_at"])
    audit_record(action="template.archive", practice=template.practice, actor=actor, obj=template)
    return template


def sections_from_post(data: Any) -> list[dict[str, str]]:
    """Rows ``section-<n>-{key,title,instructions,role,order,remove}`` in the order the clinician chose.

    A row with no title and no instructions is the blank row for adding; it is skipped."""
    rows = []
    try:
        count = int(data.get("section-count") or 0)
    except ValueError:
        raise BadRequest("section-count must be a whole number.") from None
    for n in range(min(count, 60)):
        prefix = f"section-{n}-"
        title = (data.get(prefix + "title") or "").strip()
        instructions = (data.get(prefix + "instructions") or "").strip()
        if data.get(prefix + "remove") or (not title and not instructions and not data.get(prefix + "key")):
            continue
        try:
            order = float(data.get(prefix + "order") or n + 1)
        except ValueError:
            order = n + 1
        rows.append((order, n, {"key": data.get(prefix + "key") or "", "title": title,
                                "instructions": instructions, "role": data.get(prefix + "role") or "summary"}))
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def today_iso() -> str:
    return timezone.localdate().isoformat()


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


def transcript_views(note: Note) -> list[TranscriptView]:
    views = []
    for transcription in request_transcriptions(note.request) if note.request else []:
        lines = [TranscriptLine(time=mmss(s.start), speaker=s.speaker, text=s.text)
                 for s in transcription_segments(transcription)]
        speakers = [(label, transcription.speaker_name(label)) for label in transcription_speakers(transcription)]
        views.append(TranscriptView(transcription, lines, speakers, "" if lines else _absent(transcription)))
    return views


def _absent(transcription: Transcription) -> str:
    if transcription.status == TranscriptionStatus.NO_SPEECH:
        return "No speech was found in this recording."
    if transcription.status == TranscriptionStatus.DONE:
        return "This transcript has been deleted under the practice's transcript retention policy."
    return "This recording has no transcript."


def transcripts_viewed(transcriptions: Iterable[Transcription], *, practice: Practice, actor: User,
                       request: HttpRequest | None = None) -> None:
    """Each transcript shown to someone is an audit event."""
    for transcription in transcriptions:
        audit_record(action="transcript.view", practice=practice, actor=actor, obj=transcription, request=request)
