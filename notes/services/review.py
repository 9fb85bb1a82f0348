"""Notes after they are written: the clinician's edits, review of unsupported sentences and risk
items, signing, addenda, historical notes imported from another system, and the audit of
transcripts shown."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from clients.models import Client
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import Practice, User
from intellisession.validators import SECTION_TEXT_MAX
from notes.document import RISK_LABELS, NoteDocument, NoteSection, RiskAssessment, Sentence
from notes.models import Addendum, Note, NoteStatus, NoteVersion, VersionReason
from transcription.models import Transcription


def require_draft(note: Note) -> None:
    if note.is_signed:
        raise DomainError("A signed note cannot be changed; add an addendum instead.", code="signed", status_code=409)


def note_update_section(*, note: Note, actor: User, section_key: str, text: str) -> Note:
    """The clinician's own wording replaces a section; it needs no evidence, they vouch for it."""
    require_draft(note)
    if len(text) > SECTION_TEXT_MAX:
        raise DomainError(f"A section can be at most {SECTION_TEXT_MAX:,} characters.", code="section_too_long")
    document = note.document
    section = _section(document, section_key)
    text = text.strip()
    if section.text == text:
        return note
    section.sentences = [Sentence(text=text, supported=True, resolution="edited")] if text else []
    _save_document(note, document)
    audit_record(action="note.edit", practice=note.practice, actor=actor, obj=note, detail={"section": section_key})
    return note


def _section(document: NoteDocument, section_key: str) -> NoteSection:
    section = document.section(section_key)
    if section is None:
        raise DomainError("This note has no such section.", code="section")
    return section


def _save_document(note: Note, document: NoteDocument) -> None:
    note.set_document(document)
    note.save(update_fields=["body", "updated_at"])


def note_sentence_resolve(*, note: Note, actor: User, section_key: str, index: int, action: str) -> Note:
    """Accept an unsupported sentence as written, or remove it."""
    require_draft(note)
    if action not in ("accept", "remove"):
        raise DomainError("Choose accept or remove.", code="resolution")
    document = note.document
    section = _section(document, section_key)
    if not 0 <= index < len(section.sentences):
        raise DomainError("This section has no such sentence.", code="sentence")
    section.sentences[index].resolution = "accepted" if action == "accept" else "removed"
    _save_document(note, document)
    audit_record(
        action=f"note.sentence_{action}",
        practice=note.practice,
        actor=actor,
        obj=note,
        detail={"section": section_key, "index": index},
    )
    return note


def note_risk_assess(*, note: Note, actor: User, assessment: RiskAssessment) -> Note:
    """The clinician's risk assessment for a category the client endorsed; completing it again replaces it."""
    require_draft(note)
    document = note.document
    if assessment.category not in document.endorsed_categories():
        raise DomainError("The client did not endorse risk of this kind in this session.", code="risk")
    completed = assessment.model_copy(update={"completed_by": str(actor.pk), "completed_at": timezone.now()})
    document.risk_assessments = [a for a in document.risk_assessments if a.category != assessment.category]
    document.risk_assessments.append(completed)
    _save_document(note, document)
    audit_record(
        action="note.risk_assess",
        practice=note.practice,
        actor=actor,
        obj=note,
        detail={"category": assessment.category},
    )
    return note


def note_blockers(note: Note) -> list[str]:
    """Why a draft cannot be signed yet, in words for the clinician."""
    document = note.document
    blockers = []
    if unresolved := document.unresolved_sentences():
        blockers.append(
            "1 sentence has no support in the session; accept or remove it."
            if unresolved == 1
            else f"{unresolved} sentences have no support in the session; accept or remove each."
        )
    if pending := document.pending_assessments():
        labels = " and ".join(RISK_LABELS[c].lower() for c in pending)
        blockers.append(f"The client reported {labels} in this session: complete the risk assessment below.")
    return blockers


def note_version_keep(note: Note, *, reason: str, actor: User) -> NoteVersion:
    """Keep the draft's current text as a numbered version before it is replaced."""
    last = note.versions.aggregate(n=Max("number"))["n"] or 0
    return NoteVersion.objects.create(
        practice=note.practice,
        note=note,
        number=last + 1,
        reason=reason,
        body=note.document.dump(),
        style_key=note.style_key,
        style_name=note.style_name,
        engine=note.engine,
        notice=note.notice,
        created_by=actor,
    )


@transaction.atomic
def note_version_restore(*, note: Note, version: NoteVersion, actor: User) -> Note:
    """Bring back an earlier version of a draft; the text it replaces is kept as a version too."""
    note = Note.objects.select_for_update().get(pk=note.pk)
    require_draft(note)
    if version.note_id != note.pk:
        raise DomainError("That version belongs to another note.", code="version")
    note_version_keep(note, reason=VersionReason.RESTORED, actor=actor)
    note.style_key, note.style_name = version.style_key, version.style_name
    note.engine, note.notice = version.engine, version.notice
    note.set_document(version.document)
    note.save(update_fields=["body", "style_key", "style_name", "engine", "notice", "updated_at"])
    audit_record(
        action="note.version_restore",
        practice=note.practice,
        actor=actor,
        obj=note,
        detail={"version": version.number},
    )
    return note


def content_hash(note: Note) -> str:
    payload = {
        "note": str(note.pk),
        "client": str(note.client_id),
        "date": note.date_of_service.isoformat(),
        "sections": note.plain_sections(),
        # Signed with the note: the clinician's risk assessments (absent from notes that have none).
        **(
            {"risk_assessments": [a.model_dump(mode="json") for a in note.document.risk_assessments]}
            if note.document.risk_assessments
            else {}
        ),
        "signed_by": str(note.signed_by_id),
        "signed_at": note.signed_at.isoformat() if note.signed_at else "",
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def note_sign(*, note: Note, actor: User) -> Note:
    note = Note.objects.select_for_update().get(pk=note.pk)
    require_draft(note)
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
    audit_record(
        action="note.addendum", practice=note.practice, actor=actor, obj=note, detail={"addendum": str(addendum.pk)}
    )
    return addendum


@transaction.atomic
def note_import(*, practice: Practice, client: Client, author: User, text: str, date_of_service: datetime.date) -> Note:
    """A note from another system, kept as a signed historical note."""
    if client.practice_id != practice.pk:
        raise DomainError("That client is not one of this practice's clients.", code="wrong_client")
    if not text.strip():
        raise DomainError("The note file is empty.", code="empty_note")
    note = Note.objects.create(
        practice=practice,
        client=client,
        author=author,
        style_key="imported",
        style_name="Imported note",
        date_of_service=date_of_service,
        engine="imported",
        imported=True,
        body=NoteDocument(
            sections=[
                NoteSection(key="note", title="Imported note", sentences=[Sentence(text=text.strip(), supported=True)])
            ]
        ).dump(),
        status=NoteStatus.SIGNED,
        signed_by=author,
        signed_at=timezone.now(),
    )
    note.content_hash = content_hash(note)
    note.save(update_fields=["content_hash"])
    audit_record(action="note.import", practice=practice, actor=author, obj=note)
    return note


def transcripts_viewed(
    transcriptions: Iterable[Transcription], *, practice: Practice, actor: User, request: HttpRequest | None = None
) -> None:
    """Each transcript shown to someone is an audit event."""
    for transcription in transcriptions:
        audit_record(action="transcript.view", practice=practice, actor=actor, obj=transcription, request=request)
