"""Writes for notes: note requests (intake and the pipeline's state), notes, signing, addenda,
templates and instructions.

A request moves QUEUED -> TRANSCRIBING -> GENERATING -> READY, or ends NO_SPEECH or
FAILED with a plain-language reason. Transcription reports back through the
signals in ``transcription.signals`` (see ``notes.receivers``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clients.models import Client, TreatmentGoal
from clients.selectors import consent_active
from clients.services import client_for_input
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import Membership, Practice, User
from intellisession.queueing import send_on_commit
from notes.drafting import NoteDraft
from notes.models import (
    Addendum,
    CustomInstruction,
    GoalProgressEntry,
    InputKind,
    InstructionLevel,
    Note,
    NotePreference,
    NoteRequest,
    NoteStatus,
    NoteTemplate,
    RequestStatus,
)
from notes.risk import find_risks, merge_risks
from notes.selectors import chart_terms, note_context, request_transcriptions, style_resolve
from transcription import services as transcription_services
from transcription.models import Transcription, TranscriptionStatus

logger = logging.getLogger(__name__)

TEXT_KINDS = {InputKind.SESSION_SUMMARY, InputKind.PRE_SESSION, InputKind.POST_SESSION, InputKind.DICTATION}
MAX_TEXT_CHARS = 100_000


# --- Note requests ------------------------------------------------------------------------


def _check_texts(texts: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    cleaned = []
    for kind, text in texts:
        if kind not in TEXT_KINDS:
            raise DomainError(f"Unknown kind of text input: {kind}.", code="input_kind")
        if len(text) > MAX_TEXT_CHARS:
            raise DomainError("A text input is too long (over 100,000 characters).", code="input_too_long")
        if text.strip():
            cleaned.append((kind, text.strip()))
    return cleaned


def note_request_create(
    *,
    membership: Membership,
    client_id: uuid.UUID | str,
    style_key: str,
    audio: Sequence[UploadedFile | Path] = (),
    texts: Sequence[tuple[str, str]] = (),
    summary_only: bool = False,
    date_of_service: datetime.date | None = None,
    instruction: str = "",
) -> NoteRequest:
    """Validate everything, store the audio privately, create the rows and queue the job.

    Every refusal happens before anything is stored or queued."""
    if not membership.can_write:
        raise DomainError("Read-only members cannot create notes.", code="read_only", status_code=403)
    practice, actor = membership.practice, membership.user
    client = client_for_input(membership=membership, client_id=client_id)
    style_resolve(practice=practice, style_key=style_key)
    texts = _check_texts(texts)
    if summary_only and audio:
        raise DomainError("A summary-only note takes text inputs only; remove the audio or turn off Summary Only.",
                          code="summary_only_audio")
    if summary_only and not texts:
        raise DomainError("A summary-only note needs at least one text input.", code="no_inputs")
    if not summary_only and not audio:
        raise DomainError("Record or attach the session audio, or turn on Summary Only to write from text alone.",
                          code="audio_required")
    if audio and consent_active(practice=practice, client=client) is None:
        raise DomainError("This client has no recording consent on file. Record their consent before using audio.",
                          code="no_consent")
    return _store_request(practice=practice, actor=actor, client=client, style_key=style_key, audio=audio,
                          texts=texts, summary_only=summary_only, instruction=instruction,
                          date_of_service=date_of_service or timezone.localdate())


def _store_request(*, practice: Practice, actor: User, client: Client, style_key: str,
                   audio: Sequence[UploadedFile | Path], texts: list[tuple[str, str]], summary_only: bool,
                   instruction: str, date_of_service: datetime.date) -> NoteRequest:
    terms = chart_terms(practice=practice, client=client) if audio else []
    with transaction.atomic():
        request = NoteRequest.objects.create(
            practice=practice, client=client, created_by=actor, style_key=style_key, summary_only=summary_only,
            instruction=instruction.strip(), date_of_service=date_of_service,
        )
        position = 0
        transcriptions = []
        for upload in audio:
            with transcription_services.local_upload_path(upload) as path:
                info = transcription_services.audio_check(path)
                transcription = transcription_services.transcription_create(
                    practice=practice, path=path, info=info, priming_terms=terms)
            request.inputs.create(practice=practice, kind=InputKind.AUDIO, transcription=transcription,
                                  position=position)
            transcriptions.append(transcription)
            position += 1
        for kind, text in texts:
            request.inputs.create(practice=practice, kind=kind, text=text, position=position)
            position += 1
        audit_record(action="note_request.create", practice=practice, actor=actor, obj=request,
                     detail={"audio_inputs": len(transcriptions), "text_inputs": len(texts)})
        if transcriptions:
            for transcription in transcriptions:
                transcription_services.transcription_enqueue(transcription)
        else:
            _start_generating(request)
    logger.info("note request %s created (%d audio, %d text)", request.pk, len(transcriptions), len(texts))
    return request


def _start_generating(request: NoteRequest) -> None:
    from notes.tasks import generate

    NoteRequest.objects.filter(pk=request.pk).update(status=RequestStatus.GENERATING, updated_at=timezone.now())
    request.status = RequestStatus.GENERATING
    send_on_commit(generate, str(request.pk))


def note_requests_stuck() -> list[str]:
    """Requests in GENERATING untouched for longer than a note-writing task may run (its hard time limit):
    their message was lost, or their worker died without the broker redelivering yet."""
    from notes.tasks import GENERATE_TIME_LIMIT

    cutoff = timezone.now() - datetime.timedelta(seconds=GENERATE_TIME_LIMIT + 60)
    stuck = NoteRequest.objects.filter(status=RequestStatus.GENERATING, updated_at__lt=cutoff)
    return [str(pk) for pk in stuck.values_list("pk", flat=True)]


def note_request_fail(request: NoteRequest, *, code: str, message: str) -> None:
    updated = NoteRequest.objects.filter(pk=request.pk).exclude(
        status__in=[RequestStatus.READY, RequestStatus.NO_SPEECH, RequestStatus.FAILED]
    ).update(status=RequestStatus.FAILED, error=message[:300], error_code=code, finished_at=timezone.now(),
             updated_at=timezone.now())
    if updated:
        logger.warning("note request %s failed: %s", request.pk, code)
        request.refresh_from_db()


def note_request_transcription_started(transcription: Transcription) -> None:
    for request in _requests_of(transcription):
        NoteRequest.objects.filter(pk=request.pk, status=RequestStatus.QUEUED).update(
            status=RequestStatus.TRANSCRIBING, updated_at=timezone.now())


def note_request_transcription_finished(transcription: Transcription) -> None:
    """Move each request using this recording on once all its recordings are finished."""
    for request in _requests_of(transcription):
        _advance_after_transcription(request)


def _requests_of(transcription: Transcription) -> list[NoteRequest]:
    ids = NoteRequest.objects.filter(inputs__transcription=transcription).values("pk")
    return list(NoteRequest.objects.select_for_update().filter(pk__in=ids).exclude(
        status__in=[RequestStatus.READY, RequestStatus.FAILED, RequestStatus.NO_SPEECH]))


def _advance_after_transcription(request: NoteRequest) -> None:
    transcriptions = request_transcriptions(request)
    failed = next((t for t in transcriptions if t.status == TranscriptionStatus.FAILED), None)
    if failed is not None:
        note_request_fail(request, code=failed.error_code or "transcription_failed",
                          message=failed.error or "The recording could not be transcribed.")
        return
    if not all(t.is_finished for t in transcriptions):
        return
    _record_timing(request, "transcription_s", max((t.transcription_seconds or 0.0) for t in transcriptions))
    speech = any(t.status == TranscriptionStatus.DONE for t in transcriptions)
    has_text = request.inputs.exclude(kind=InputKind.AUDIO).exists()
    if not speech and not has_text:
        NoteRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.NO_SPEECH, finished_at=timezone.now(), updated_at=timezone.now(),
            error="No speech was found in the recording, so no note was written.", error_code="no_speech")
        return
    _start_generating(request)


def _record_timing(request: NoteRequest, key: str, seconds: float) -> None:
    request.refresh_from_db(fields=["timings"])
    request.timings = {**request.timings, key: round(seconds, 3)}
    NoteRequest.objects.filter(pk=request.pk).update(timings=request.timings)


def note_request_generate(*, request_id: str) -> Note | None:
    """Write the note for a request in GENERATING; claims by counting the attempt."""
    from django.conf import settings

    claimed = NoteRequest.objects.filter(pk=request_id, status=RequestStatus.GENERATING).update(
        attempts=F("attempts") + 1, updated_at=timezone.now())
    if not claimed:
        return None
    request = NoteRequest.objects.select_related("practice", "client", "created_by").get(pk=request_id)
    if request.attempts > settings.NOTE_MAX_ATTEMPTS:
        note_request_fail(request, code="crashed", message=(
            "The note could not be written: processing stopped unexpectedly several times. Please retry."))
        return None
    from notes.engines import write_draft

    style = style_resolve(practice=request.practice, style_key=request.style_key)
    ctx = note_context(request, style=style)
    began = time.monotonic()
    draft = write_draft(ctx)
    draft.risk_flags = merge_risks(find_risks(ctx.segments, ctx.inputs), draft.risk_flags)
    with transaction.atomic():
        note = _save_note(request, draft, style_name=style.name)
        _record_timing(request, "generation_s", time.monotonic() - began)
        total = (timezone.now() - request.created_at).total_seconds()
        _record_timing(request, "total_s", total)
        NoteRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.READY, finished_at=timezone.now(), updated_at=timezone.now(), error="",
            error_code="")
    logger.info("note %s written for request %s by %s in %.1f s", note.pk, request.pk, draft.engine,
                time.monotonic() - began)
    return note


def _draft_sections(draft: NoteDraft) -> list[dict[str, Any]]:
    sections = []
    for section in draft.sections:
        sentences = [asdict(s) for s in section.sentences]
        for sentence in sentences:
            sentence["resolution"] = ""
        text = " ".join(s["text"] for s in sentences if not s.get("placeholder"))
        sections.append({"key": section.key, "title": section.title, "text": text, "sentences": sentences})
    return sections


def _save_note(request: NoteRequest, draft: NoteDraft, *, style_name: str) -> Note:
    context = asdict(draft.context) if draft.context else {}
    fields = {
        "sections": _draft_sections(draft),
        "themes": draft.themes,
        "risk_flags": [{**f.model_dump(mode="json"), "negated": f.negated, "acknowledged": False}
                       for f in draft.risk_flags],
        "context": context,
        "engine": draft.engine,
        "notice": draft.offline_notice or "",
        "style_key": request.style_key,
        "style_name": style_name,
    }
    note = request.regenerates if request.regenerates and not request.regenerates.is_signed else None
    if note is None:
        note = Note.objects.create(practice=request.practice, client=request.client, request=request,
                                   author=request.created_by, date_of_service=request.date_of_service, **fields)
    else:
        for name, value in fields.items():
            setattr(note, name, value)
        note.request = request
        note.save()
    _save_goal_progress(note, draft)
    return note


def _save_goal_progress(note: Note, draft: NoteDraft) -> None:
    goals = {str(g.pk): g for g in TreatmentGoal.objects.filter(practice=note.practice, client=note.client)}
    GoalProgressEntry.objects.filter(note=note).delete()
    GoalProgressEntry.objects.bulk_create([
        GoalProgressEntry(practice=note.practice, note=note, goal=goals[p.goal_id], status=p.status,
                          evidence=p.evidence_quote)
        for p in draft.goal_progress if p.goal_id in goals
    ])


def note_request_retry(*, request: NoteRequest, actor: User) -> NoteRequest:
    """Run a failed request again: note writing again, or transcription while the audio exists."""
    if request.status != RequestStatus.FAILED:
        raise DomainError("Only a failed request can be retried.", code="not_failed")
    transcriptions = request_transcriptions(request)
    if any(t.status == TranscriptionStatus.FAILED for t in transcriptions):
        raise DomainError("The recording was deleted after it failed, for privacy. Please upload it again.",
                          code="audio_gone")
    with transaction.atomic():
        NoteRequest.objects.filter(pk=request.pk).update(status=RequestStatus.QUEUED, error="", error_code="",
                                                         attempts=0, finished_at=None)
        request.refresh_from_db()
        audit_record(action="note_request.retry", practice=request.practice, actor=actor, obj=request)
        _start_generating(request)
    return request


# --- Notes: editing, review, signing ------------------------------------------------------


def _draft_only(note: Note) -> None:
    if note.is_signed:
        raise DomainError("A signed note cannot be changed; add an addendum instead.", code="signed", status_code=409)


def note_update_section(*, note: Note, actor: User, section_key: str, text: str) -> Note:
    """The clinician's own wording replaces a section; it needs no evidence, they vouch for it."""
    _draft_only(note)
    section = _section(note, section_key)
    if section["text"] == text:
        return note
    section["text"] = text.strip()
    section["sentences"] = [{"text": text.strip(), "supported": True, "evidence": [], "placeholder": False,
                             "issue": "", "resolution": "edited"}] if text.strip() else []
    note.save(update_fields=["sections", "updated_at"])
    audit_record(action="note.edit", practice=note.practice, actor=actor, obj=note, detail={"section": section_key})
    return note


def _section(note: Note, section_key: str) -> dict[str, Any]:
    for section in note.sections:
        if section["key"] == section_key:
            return section  # type: ignore[no-any-return]
    raise DomainError("This note has no such section.", code="section")


def note_sentence_resolve(*, note: Note, actor: User, section_key: str, index: int, action: str) -> Note:
    """Accept an unsupported sentence as written, or remove it."""
    _draft_only(note)
    if action not in ("accept", "remove"):
        raise DomainError("Choose accept or remove.", code="resolution")
    section = _section(note, section_key)
    if not 0 <= index < len(section["sentences"]):
        raise DomainError("This section has no such sentence.", code="sentence")
    sentence = section["sentences"][index]
    sentence["resolution"] = "accepted" if action == "accept" else "removed"
    section["text"] = " ".join(s["text"] for s in section["sentences"]
                               if s.get("resolution") != "removed" and not s.get("placeholder"))
    note.save(update_fields=["sections", "updated_at"])
    audit_record(action=f"note.sentence_{action}", practice=note.practice, actor=actor, obj=note,
                 detail={"section": section_key, "index": index})
    return note


def note_risk_acknowledge(*, note: Note, actor: User, index: int) -> Note:
    _draft_only(note)
    if not 0 <= index < len(note.risk_flags):
        raise DomainError("This note has no such risk item.", code="risk")
    note.risk_flags[index]["acknowledged"] = True
    note.risk_flags[index]["acknowledged_by"] = str(actor.pk)
    note.save(update_fields=["risk_flags", "updated_at"])
    audit_record(action="note.risk_acknowledge", practice=note.practice, actor=actor, obj=note,
                 detail={"index": index, "category": note.risk_flags[index]["category"]})
    return note


def note_blockers(note: Note) -> list[str]:
    """Why a draft cannot be signed yet, in words for the clinician."""
    blockers = []
    unresolved = sum(1 for s in note.sections for sentence in s["sentences"]
                     if not sentence.get("supported") and not sentence.get("placeholder")
                     and not sentence.get("resolution"))
    if unresolved:
        blockers.append(f"{unresolved} sentence(s) have no support in the session; accept or remove each.")
    pending = sum(1 for flag in note.risk_flags if not flag.get("acknowledged"))
    if pending:
        blockers.append(f"{pending} risk item(s) need your acknowledgement.")
    return blockers


def content_hash(note: Note) -> str:
    payload = {"note": str(note.pk), "client": str(note.client_id), "date": note.date_of_service.isoformat(),
               "sections": note.plain_sections(), "signed_by": str(note.signed_by_id),
               "signed_at": note.signed_at.isoformat() if note.signed_at else ""}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def note_sign(*, note: Note, actor: User) -> Note:
    note = Note.objects.select_for_update().get(pk=note.pk)
    _draft_only(note)
    blockers = note_blockers(note)
    if blockers:
        raise DomainError(" ".join(blockers), code="not_ready_to_sign")
    note.status = NoteStatus.SIGNED
    note.signed_by = actor
    note.signed_at = timezone.now()
    note.content_hash = content_hash(note)
    note.save(update_fields=["status", "signed_by", "signed_at", "content_hash", "updated_at"])
    audit_record(action="note.sign", practice=note.practice, actor=actor, obj=note)
    return note


def note_addendum_create(*, note: Note, actor: User, text: str) -> Addendum:
    if not note.is_signed:
        raise DomainError("Edit the draft directly; addenda are for signed notes.", code="not_signed")
    if not text.strip():
        raise DomainError("Write the addendum text.", code="addendum_empty")
    addendum = Addendum.objects.create(practice=note.practice, note=note, author=actor, text=text.strip())
    audit_record(action="note.addendum", practice=note.practice, actor=actor, obj=note,
                 detail={"addendum": str(addendum.pk)})
    return addendum


def note_regenerate(*, note: Note, membership: Membership, style_key: str, instruction: str = "") -> NoteRequest:
    """Rewrite a draft with another style or instruction, from the same inputs and transcript."""
    _draft_only(note)
    style_resolve(practice=note.practice, style_key=style_key)
    source = note.request
    if source is None:
        raise DomainError("This note has no inputs to regenerate from.", code="no_inputs")
    with transaction.atomic():
        request = NoteRequest.objects.create(
            practice=note.practice, client=note.client, created_by=membership.user, style_key=style_key,
            summary_only=source.summary_only, instruction=instruction.strip(),
            date_of_service=note.date_of_service, regenerates=note)
        for note_input in source.inputs.all():
            request.inputs.create(practice=note.practice, kind=note_input.kind, text=note_input.text,
                                  transcription=note_input.transcription, position=note_input.position)
        audit_record(action="note.regenerate", practice=note.practice, actor=membership.user, obj=note,
                     detail={"request": str(request.pk), "style": style_key})
        _start_generating(request)
    return request


@transaction.atomic
def note_import(*, practice: Practice, client: Client, author: User, text: str,
                date_of_service: datetime.date) -> Note:
    """A note from another system, kept as a signed historical note."""
    if client.practice_id != practice.pk:
        raise DomainError("That client is not one of this practice's clients.", code="wrong_client")
    if not text.strip():
        raise DomainError("The note file is empty.", code="empty_note")
    note = Note.objects.create(
        practice=practice, client=client, author=author, style_key="imported", style_name="Imported note",
        date_of_service=date_of_service, engine="imported", imported=True,
        sections=[{"key": "note", "title": "Imported note", "text": text.strip(),
                   "sentences": [{"text": text.strip(), "supported": True, "evidence": [], "resolution": ""}]}],
        status=NoteStatus.SIGNED, signed_by=author, signed_at=timezone.now(),
    )
    note.content_hash = content_hash(note)
    note.save(update_fields=["content_hash"])
    audit_record(action="note.import", practice=practice, actor=author, obj=note)
    return note


# --- Templates, instructions, preferences -------------------------------------------------


def template_create(*, practice: Practice, actor: User, name: str, based_on: str,
                    sections: list[dict[str, str]] | None = None) -> NoteTemplate:
    base = style_resolve(practice=practice, style_key=based_on)
    if not name.strip():
        raise DomainError("Name the template.", code="template_name")
    rows = sections if sections is not None else [
        {"key": s.key, "title": s.title, "instructions": s.instructions, "role": s.role} for s in base.sections]
    template = NoteTemplate.objects.create(practice=practice, name=name.strip(), based_on=base.key,
                                           sections=_clean_sections(rows), created_by=actor)
    audit_record(action="template.create", practice=practice, actor=actor, obj=template)
    return template


def template_update(*, template: NoteTemplate, actor: User, name: str | None = None,
                    sections: list[dict[str, str]] | None = None) -> NoteTemplate:
    if name is not None:
        if not name.strip():
            raise DomainError("Name the template.", code="template_name")
        template.name = name.strip()
    if sections is not None:
        template.sections = _clean_sections(sections)
    template.save()
    audit_record(action="template.update", practice=template.practice, actor=actor, obj=template)
    return template


def _clean_sections(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    cleaned: list[dict[str, str]] = []
    keys: set[str] = set()
    for row in rows:
        title = (row.get("title") or "").strip()
        if not title:
            raise DomainError("Every section needs a title.", code="section_title")
        key = (row.get("key") or "").strip() or "_".join(title.lower().split())[:40]
        if key in keys:
            raise DomainError(f"Two sections share the key '{key}'.", code="section_key")
        keys.add(key)
        cleaned.append({"key": key, "title": title, "instructions": (row.get("instructions") or "").strip(),
                        "role": row.get("role") or "summary"})
    if not cleaned:
        raise DomainError("A template needs at least one section.", code="no_sections")
    return cleaned


def instruction_set(*, membership: Membership, level: str, text: str, style_key: str = "",
                    client: Client | None = None) -> CustomInstruction | None:
    """Create, replace or (with empty text) clear the standing instruction at one level."""
    practice, owner = membership.practice, membership.user
    if level not in InstructionLevel.values:
        raise DomainError("Instruction level must be general, template or client.", code="instruction_level")
    if level == InstructionLevel.TEMPLATE:
        style_resolve(practice=practice, style_key=style_key)
    if level == InstructionLevel.CLIENT and (client is None or client.practice_id != practice.pk):
        raise DomainError("That client is not one of this practice's clients.", code="wrong_client")
    scope: dict[str, Any] = {"practice": practice, "level": level}
    if level == InstructionLevel.CLIENT:
        scope["client"] = client
    else:
        scope["owner"] = owner
        scope["style_key"] = style_key if level == InstructionLevel.TEMPLATE else ""
    existing = CustomInstruction.objects.filter(**scope).first()
    if not text.strip():
        if existing:
            existing.delete()
        return None
    if existing is None:
        existing = CustomInstruction(**{"owner": owner, **scope})
    existing.text = text.strip()
    existing.save()
    audit_record(action="instruction.set", practice=practice, actor=owner, obj=existing, detail={"level": level})
    return existing


def preference_set(*, membership: Membership, preferred_style: str) -> NotePreference:
    style_resolve(practice=membership.practice, style_key=preferred_style)
    preference, _ = NotePreference.objects.update_or_create(
        practice=membership.practice, user=membership.user, defaults={"preferred_style": preferred_style})
    return preference
