"""Reads for notes: styles a practice can use, a note's context, job status. The practice
is always a required keyword."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from clients.models import Client, GoalStatus, TreatmentGoal
from intellisession.errors import DomainError
from intellisession.models import Practice, User
from notes.drafting import Goal, Instruction, NoteContext, PriorNote, TextInput
from notes.models import (
    CustomInstruction,
    InputKind,
    InstructionLevel,
    Note,
    NotePreference,
    NoteRequest,
    NoteStatus,
    NoteTemplate,
    RequestStatus,
)
from notes.styles import BUILTIN_STYLES, Section, Style
from transcription.models import Transcription, TranscriptionStatus, TranscriptSegment
from transcription.types import Segment

TEMPLATE_PREFIX = "template:"


def style_resolve(*, practice: Practice, style_key: str) -> Style:
    """A built-in style by key, or one of this practice's templates as ``template:<id>``."""
    if style_key in BUILTIN_STYLES:
        return BUILTIN_STYLES[style_key]
    if style_key.startswith(TEMPLATE_PREFIX):
        template = _template(practice=practice, template_id=style_key.removeprefix(TEMPLATE_PREFIX))
        if template is not None:
            return template_style(template)
    raise DomainError("Choose one of this practice's note styles or templates.", code="unknown_style")


def _template(*, practice: Practice, template_id: str) -> NoteTemplate | None:
    try:
        return NoteTemplate.objects.filter(practice=practice, pk=uuid.UUID(template_id)).first()
    except ValueError:
        return None


def template_style(template: NoteTemplate) -> Style:
    sections = tuple(
        Section(key=s["key"], title=s["title"], instructions=s.get("instructions", ""), role=s.get("role", "summary"))
        for s in template.sections
    )
    return Style(key=f"{TEMPLATE_PREFIX}{template.pk}", name=template.name, sections=sections)


def style_choices(*, practice: Practice) -> list[tuple[str, str]]:
    builtin = [(key, style.name) for key, style in BUILTIN_STYLES.items()]
    templates = NoteTemplate.objects.filter(practice=practice, is_archived=False)
    return builtin + [(f"{TEMPLATE_PREFIX}{t.pk}", t.name) for t in templates]


def preferred_style(*, practice: Practice, user: User) -> str:
    preference = NotePreference.objects.filter(practice=practice, user=user).first()
    if preference and preference.preferred_style:
        return preference.preferred_style
    return getattr(practice, "default_style", "") or "soap"


def signed_prior_notes(*, practice: Practice, client: Client, before: Note | None = None) -> QuerySet[Note]:
    notes = Note.objects.filter(practice=practice, client=client, status=NoteStatus.SIGNED)
    if before is not None:
        notes = notes.exclude(pk=before.pk)
    return notes.order_by("-date_of_service", "-created_at")


def client_instructions(*, practice: Practice, client: Client, author: User) -> QuerySet[CustomInstruction]:
    """A client's standing instructions that apply to ``author``'s notes: the ones they set, or every one
    when the practice shares client instructions between clinicians."""
    rows = CustomInstruction.objects.filter(practice=practice, level=InstructionLevel.CLIENT, client=client)
    return rows if practice.share_client_instructions else rows.filter(owner=author)


def instructions_for(*, practice: Practice, author: User, client: Client, style_key: str,
                     note_instruction: str = "") -> list[Instruction]:
    """Custom instructions in the order they combine: general, template, client, then this note's."""
    rows = CustomInstruction.objects.filter(practice=practice, owner=author)
    general = [Instruction("general", r.text) for r in rows.filter(level=InstructionLevel.GENERAL)]
    template = [Instruction("template", r.text) for r in rows.filter(level=InstructionLevel.TEMPLATE,
                                                                        style_key=style_key)]
    for_client = [Instruction("client", r.text) for r in client_instructions(practice=practice, client=client,
                                                                             author=author)]
    note = [Instruction("note", note_instruction)] if note_instruction.strip() else []
    return [i for i in general + template + for_client + note if i.text and i.text.strip()]


def request_transcriptions(request: NoteRequest) -> list[Transcription]:
    """The transcriptions of a request's audio inputs, in input order."""
    inputs = request.inputs.exclude(transcription=None).select_related("transcription")
    return [i.transcription for i in inputs if i.transcription is not None]


def transcription_segments(transcription: Transcription) -> list[Segment]:
    """A transcript's segments, each speaker shown by the name the clinician gave it."""
    rows = TranscriptSegment.objects.filter(transcription=transcription, practice_id=transcription.practice_id)
    return [Segment(start=r.start, end=r.end, text=r.text or "",
                    speaker=transcription.speaker_name(r.speaker) if r.speaker else "") for r in rows]


def request_segments(request: NoteRequest) -> list[Segment]:
    """Transcript segments of every audio input, in input order, with their own times."""
    return [s for t in request_transcriptions(request) for s in transcription_segments(t)]


def recurring_themes(*, practice: Practice, client: Client, limit: int = 8) -> list[tuple[str, int]]:
    """Themes named in the client's notes, most frequent first, with how many notes named them."""
    counts: dict[str, int] = {}
    display: dict[str, str] = {}
    for themes in Note.objects.filter(practice=practice, client=client).values_list("themes", flat=True):
        for theme in {t.strip() for t in (themes or []) if t and t.strip()}:
            key = theme.lower()
            counts[key] = counts.get(key, 0) + 1
            display.setdefault(key, theme)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(display[key], count) for key, count in ranked[:limit]]


def note_context(request: NoteRequest, *, style: Style) -> NoteContext:
    practice, client = request.practice, request.client
    inputs = [TextInput(kind=i.kind, text=i.text or "", ref=str(i.pk))  # type: ignore[arg-type]
              for i in request.inputs.exclude(kind=InputKind.AUDIO) if i.text and i.text.strip()]
    prior = [PriorNote(ref=str(n.pk), date=n.date_of_service.isoformat(), text=note_plain_text(n))
             for n in signed_prior_notes(practice=practice, client=client, before=request.regenerates)]
    goals = [Goal(ref=str(g.pk), description=g.description or "", target=g.target or "")
             for g in TreatmentGoal.objects.filter(practice=practice, client=client, status=GoalStatus.ACTIVE)]
    return NoteContext(
        style=style,
        segments=request_segments(request),
        inputs=inputs,
        prior_notes=prior,
        goals=goals,
        themes=[theme for theme, _ in recurring_themes(practice=practice, client=client)],
        instructions=instructions_for(practice=practice, author=request.created_by, client=client,
                                      style_key=request.style_key, note_instruction=request.instruction or ""),
        speaker_roles=None,
    )


def note_plain_text(note: Note) -> str:
    return "\n".join(f"{s['title']}: {s.get('text', '')}" for s in note.sections)


# Generic drug names mostly end in one of these; enough to pick them out of a prior note.
_DRUG_SUFFIX = re.compile(r"\b[a-z]{3,}(?:ine|pam|lam|done|zole|pram|azine|pine|olol|pril|sartan|statin|ium)\b")
_PROPER_NOUN = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}\b")


def chart_terms(*, practice: Practice, client: Client, limit: int = 40) -> list[str]:
    """Names, medications and key terms from the client's chart, to prime transcription."""
    terms: list[str] = []
    terms += (client.name or "").split()
    terms += [m.strip() for m in (client.medications or "").splitlines() if m.strip()]
    for note in signed_prior_notes(practice=practice, client=client)[:5]:
        text = note_plain_text(note)
        terms += _PROPER_NOUN.findall(text) + _DRUG_SUFFIX.findall(text.lower())
    return list(dict.fromkeys(t for t in terms if len(t) > 2))[:limit]


@dataclass(frozen=True)
class JobView:
    """What the clinician sees of a note request."""

    status: str
    label: str
    progress: int | None
    error: str
    note_id: str | None
    can_retry: bool


def request_job_view(request: NoteRequest) -> JobView:
    progress = None
    if request.status == RequestStatus.TRANSCRIBING:
        transcriptions = request_transcriptions(request)
        total = sum(t.duration for t in transcriptions) or 1.0
        progress = int(sum(t.duration * (100 if t.status == TranscriptionStatus.DONE else t.progress)
                           for t in transcriptions) / total)
    note = Note.objects.filter(request=request).only("id").first()
    return JobView(
        status=request.status,
        label=RequestStatus(request.status).label,
        progress=progress,
        error=request.error,
        note_id=str(note.pk) if note else None,
        can_retry=request.status == RequestStatus.FAILED,
    )


def note_list(*, practice: Practice, client: Client) -> QuerySet[Note]:
    return Note.objects.filter(practice=practice, client=client)
