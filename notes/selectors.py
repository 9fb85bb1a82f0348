"""Reads for notes: styles a practice can use, a note's context, job status. The practice
is always a required keyword."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from clients.models import Client, GoalStatus, TreatmentGoal
from clients.selectors import client_visible_to
from intellisession.errors import DomainError
from intellisession.models import Membership, Practice, TranscriptRetention, User
from notes.context import Goal, Instruction, NoteContext, PriorNote, TextInput
from notes.models import (
    REQUEST_FINISHED,
    Addendum,
    CustomInstruction,
    GoalProgressEntry,
    InputKind,
    InstructionLevel,
    Note,
    NoteInput,
    NotePreference,
    NoteRequest,
    NoteStatus,
    NoteTemplate,
    NoteVersion,
    RequestStatus,
)
from notes.styles import BUILTIN_STYLES, Section, Style
from transcription.models import Transcription, TranscriptionStatus, TranscriptSegment
from transcription.selectors import transcription_segments
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


def instructions_for(
    *, practice: Practice, author: User, client: Client, style_key: str, note_instruction: str = ""
) -> list[Instruction]:
    """Custom instructions in the order they combine: general, template, client, then this note's."""
    rows = CustomInstruction.objects.filter(practice=practice, owner=author)
    general = [Instruction("general", r.text) for r in rows.filter(level=InstructionLevel.GENERAL)]
    template = [
        Instruction("template", r.text) for r in rows.filter(level=InstructionLevel.TEMPLATE, style_key=style_key)
    ]
    for_client = [
        Instruction("client", r.text) for r in client_instructions(practice=practice, client=client, author=author)
    ]
    note = [Instruction("note", note_instruction)] if note_instruction.strip() else []
    return [i for i in general + template + for_client + note if i.text and i.text.strip()]


def request_transcriptions(*, practice: Practice, request: NoteRequest) -> list[Transcription]:
    """The transcriptions of a request's audio inputs, in input order."""
    inputs = NoteInput.objects.filter(practice=practice, request=request).exclude(transcription=None)
    return [i.transcription for i in inputs.select_related("transcription") if i.transcription is not None]


def transcribed_input_kinds(*, practice: Practice, request: NoteRequest) -> set[str]:
    """The kinds of a request's inputs that have a transcript (a session recording, a dictation)."""
    inputs = NoteInput.objects.filter(practice=practice, request=request).exclude(transcription=None)
    return set(inputs.values_list("kind", flat=True))


def input_labels(*, practice: Practice, request: NoteRequest) -> dict[str, str]:
    """What each of a request's inputs is ("Session summary", "Dictation transcript"), by the ref
    its evidence carries."""
    inputs = NoteInput.objects.filter(practice=practice, request=request)
    return {str(pk): str(InputKind(kind).label) for pk, kind in inputs.values_list("pk", "kind")}


def request_segments(*, practice: Practice, request: NoteRequest) -> list[Segment]:
    """Transcript segments of every session recording, in input order, with their own times
    (a dictation is the clinician's summary, read as a typed input: see ``note_context``)."""
    inputs = NoteInput.objects.filter(practice=practice, request=request, kind=InputKind.AUDIO)
    return [
        s
        for i in inputs.exclude(transcription=None).select_related("transcription")
        if i.transcription is not None
        for s in transcription_segments(practice=practice, transcription=i.transcription)
    ]


def _input_text(practice: Practice, note_input: NoteInput) -> str:
    """A typed input's text; a dictation's is its transcript, as one text in the clinician's words."""
    if note_input.kind == InputKind.DICTATION and note_input.transcription is not None:
        segments = transcription_segments(practice=practice, transcription=note_input.transcription)
        return " ".join(s.text.strip() for s in segments if s.text.strip())
    return note_input.text or ""


def transcriptions_with_text(*, practice: Practice, request: NoteRequest) -> list[Transcription]:
    """The request's transcripts that still have their text (retention may have deleted it)."""
    return [
        t
        for t in request_transcriptions(practice=practice, request=request)
        if TranscriptSegment.objects.filter(practice=practice, transcription=t).exists()
    ]


def note_transcription(*, practice: Practice, note: Note, transcription_id: str) -> Transcription | None:
    """One of the recordings behind a note, by id; None for any other."""
    if note.request is None:
        return None
    return next(
        (t for t in request_transcriptions(practice=practice, request=note.request) if str(t.pk) == transcription_id),
        None,
    )


def recurring_themes(*, practice: Practice, client: Client, limit: int = 8) -> list[tuple[str, int]]:
    """Themes named in the client's notes, most frequent first, with how many notes named them."""
    counts: dict[str, int] = {}
    display: dict[str, str] = {}
    for note in Note.objects.filter(practice=practice, client=client).only("body"):
        for theme in {t.strip() for t in note.document.themes if t.strip()}:
            key = theme.lower()
            counts[key] = counts.get(key, 0) + 1
            display.setdefault(key, theme)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(display[key], count) for key, count in ranked[:limit]]


def note_context(request: NoteRequest, *, style: Style) -> NoteContext:
    practice, client = request.practice, request.client
    typed = [(i, _input_text(practice, i)) for i in request.inputs.exclude(kind=InputKind.AUDIO)]
    inputs = [
        TextInput(kind=i.kind, text=text, ref=str(i.pk))  # type: ignore[arg-type]
        for i, text in typed
        if text.strip()
    ]
    prior = [_prior_note(n) for n in signed_prior_notes(practice=practice, client=client, before=request.regenerates)]
    goals = [
        Goal(ref=str(g.pk), description=g.description or "", target=g.target or "")
        for g in TreatmentGoal.objects.filter(practice=practice, client=client, status=GoalStatus.ACTIVE)
    ]
    return NoteContext(
        style=style,
        segments=request_segments(practice=practice, request=request),
        inputs=inputs,
        prior_notes=prior,
        goals=goals,
        themes=[theme for theme, _ in recurring_themes(practice=practice, client=client)],
        instructions=instructions_for(
            practice=practice,
            author=request.created_by,
            client=client,
            style_key=request.style_key,
            note_instruction=request.instruction or "",
        ),
        speaker_roles=None,
        medications=[line.strip() for line in (client.medications or "").splitlines() if line.strip()],
        style_examples=[_prior_note(n) for n in style_examples(request)],
    )


def other_client_names(*, practice: Practice, request: NoteRequest) -> list[str]:
    """Names of the practice's other clients that the request's author may see, for the check that
    the recording is of the right client (never another practice's clients)."""
    membership = Membership.objects.filter(practice=practice, user_id=request.created_by_id, is_active=True).first()
    if membership is None:
        return []
    clients = client_visible_to(Client.objects.filter(practice=practice), membership=membership)
    return [str(name) for name in clients.exclude(pk=request.client_id).values_list("name", flat=True)]


def _prior_note(note: Note) -> PriorNote:
    return PriorNote(
        ref=str(note.pk), date=note.date_of_service.isoformat(), text=note_plain_text(note), plan=note_plan_text(note)
    )


def style_examples(request: NoteRequest, *, limit: int = 2) -> QuerySet[Note]:
    """The author's own latest signed notes in this style about other clients: how they write."""
    notes = Note.objects.filter(
        practice=request.practice, author=request.created_by, status=NoteStatus.SIGNED, style_key=request.style_key
    )
    return notes.exclude(client=request.client).order_by("-date_of_service", "-created_at")[:limit]


def note_plan_text(note: Note) -> str:
    """The note's plan section (its plan and homework), found by the section's role in the style."""
    style = BUILTIN_STYLES.get(note.style_key)
    keys = {s.key for s in style.sections if s.role == "plan"} if style else set()
    plan = [s.text for s in note.document.sections if s.key in keys or "plan" in s.key.lower()]
    return " ".join(plan)


def note_plain_text(note: Note) -> str:
    return "\n".join(f"{s.title}: {s.text}" for s in note.document.sections)


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
    """What the clinician sees of a note request. ``audio_failed``: a recording itself failed, so
    retrying cannot help (it was deleted for privacy)."""

    status: str
    label: str
    progress: int | None
    error: str
    note_id: str | None
    can_retry: bool
    has_audio: bool
    audio_failed: bool


def request_job_view(*, practice: Practice, request: NoteRequest) -> JobView:
    transcriptions = request_transcriptions(practice=practice, request=request)
    progress = None
    if request.status == RequestStatus.TRANSCRIBING:
        total = sum(t.duration for t in transcriptions) or 1.0
        progress = int(
            sum(t.duration * (100 if t.status == TranscriptionStatus.DONE else t.progress) for t in transcriptions)
            / total
        )
    note = Note.objects.filter(practice=practice, request=request).only("id").first()
    return JobView(
        status=request.status,
        label=RequestStatus(request.status).label,
        progress=progress,
        error=request.error,
        note_id=str(note.pk) if note else None,
        can_retry=request.status == RequestStatus.FAILED,
        has_audio=bool(transcriptions),  # a session recording or a dictation, transcribed first
        audio_failed=request.status == RequestStatus.FAILED
        and any(t.status == TranscriptionStatus.FAILED for t in transcriptions),
    )


# --- What the clinician's pages list ------------------------------------------------------


def notes_visible_to(*, practice: Practice, membership: Membership) -> QuerySet[Note]:
    """The practice's notes of clients on the member's caseload; read-only members see signed notes only."""
    visible = client_visible_to(Client.objects.filter(practice=practice), membership=membership)
    notes = Note.objects.filter(practice=practice, client__in=visible)
    if not membership.can_write:
        notes = notes.filter(status=NoteStatus.SIGNED)
    return notes


def client_notes(*, practice: Practice, membership: Membership, client: Client) -> QuerySet[Note]:
    """A client's notes the member may see, newest session first."""
    notes = notes_visible_to(practice=practice, membership=membership).filter(client=client)
    return notes.order_by("-date_of_service", "-created_at")


def requests_in_progress(*, practice: Practice, client: Client) -> QuerySet[NoteRequest]:
    """A client's note requests still running (rewrites of a draft show on the draft instead)."""
    running = NoteRequest.objects.filter(practice=practice, client=client, regenerates=None)
    return running.exclude(status__in=REQUEST_FINISHED).order_by("-created_at")


def requests_ended_without_note(*, practice: Practice, client: Client, limit: int = 5) -> list[NoteRequest]:
    ended = NoteRequest.objects.filter(
        practice=practice, client=client, status__in=[RequestStatus.FAILED, RequestStatus.NO_SPEECH]
    )
    return list(ended.order_by("-created_at")[:limit])


def addendum_list(*, practice: Practice, note: Note) -> QuerySet[Addendum]:
    return Addendum.objects.filter(practice=practice, note=note)


def note_versions(*, practice: Practice, note: Note) -> QuerySet[NoteVersion]:
    """A draft's earlier versions, newest first."""
    return NoteVersion.objects.filter(practice=practice, note=note).select_related("created_by")


def note_version(*, practice: Practice, note: Note, number: int) -> NoteVersion | None:
    return note_versions(practice=practice, note=note).filter(number=number).first()


def note_template_list(*, practice: Practice) -> QuerySet[NoteTemplate]:
    return NoteTemplate.objects.filter(practice=practice, is_archived=False)


def instruction_of(
    *, practice: Practice, level: str, owner: User | None = None, client: Client | None = None
) -> CustomInstruction | None:
    """The standing instruction at one level: a member's general one, or a client's."""
    rows = CustomInstruction.objects.filter(practice=practice, level=level)
    rows = rows.filter(client=client) if level == InstructionLevel.CLIENT else rows.filter(owner=owner)
    return rows.first()


def template_instruction_list(*, practice: Practice, owner: User) -> list[tuple[str, str]]:
    """A member's per-template instructions as (style name, text)."""
    names = dict(style_choices(practice=practice))
    rows = CustomInstruction.objects.filter(practice=practice, owner=owner, level=InstructionLevel.TEMPLATE)
    return [(names.get(row.style_key, row.style_key), row.text or "") for row in rows]


def goal_progress_cells(*, practice: Practice, notes: list[Note]) -> dict[tuple[uuid.UUID, uuid.UUID], str]:
    """(note id, goal id) -> the progress status that note recorded for that goal."""
    entries = GoalProgressEntry.objects.filter(practice=practice, note__in=[n.pk for n in notes])
    return {(e.note_id, e.goal_id): e.status for e in entries}


# --- Transcript retention -----------------------------------------------------------------


def transcriptions_due_for_deletion(*, practice: Practice) -> QuerySet[Transcription]:
    """Finished transcripts the practice's retention policy says to delete now.

    A transcript a draft note or an unfinished request still reads is kept until that is
    settled: regenerating a draft, or finishing the request, needs it."""
    has_segments = Exists(TranscriptSegment.objects.filter(transcription=OuterRef("pk")))
    candidates = Transcription.objects.filter(practice=practice, finished_at__isnull=False).filter(has_segments)
    if practice.transcript_retention == TranscriptRetention.ON_SIGN:
        signed = _uses().filter(request__note__status=NoteStatus.SIGNED)
        return _not_in_use(candidates.filter(Exists(signed)))
    if practice.transcript_retention == TranscriptRetention.AFTER_DAYS:
        cutoff = timezone.now() - timedelta(days=practice.transcript_retention_days)
        return _not_in_use(candidates.filter(finished_at__lt=cutoff))
    return candidates.none()


def _uses() -> QuerySet[NoteInput]:
    return NoteInput.objects.filter(transcription=OuterRef("pk"))


def _not_in_use(transcriptions: QuerySet[Transcription]) -> QuerySet[Transcription]:
    draft = _uses().exclude(request__note__isnull=True).exclude(request__note__status=NoteStatus.SIGNED)
    unfinished = _uses().exclude(request__status__in=REQUEST_FINISHED)
    return transcriptions.exclude(Exists(draft)).exclude(Exists(unfinished))
