"""Notes after they are written: the clinician's edits, review of unsupported sentences and risk
items, signing, addenda, historical notes imported from another system, and the audit of
transcripts shown."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clients.models import Client
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import Practice, User
from intellisession.validators import SECTION_TEXT_MAX
from notes.models import Addendum, Note, NoteStatus
from transcription.models import Transcription


def require_draft(note: Note) -> None:
    if note.is_signed:
        raise DomainError("A signed note cannot be changed; add an addendum instead.", code="signed", status_code=409)


def note_update_section(*, note: Note, actor: User, section_key: str, text: str) -> Note:
    """The clinician's own wording replaces a section; it needs no evidence, they vouch for it."""
    require_draft(note)
    section = _section(note, section_key)
    if len(text) > SECTION_TEXT_MAX:
        raise DomainError(f"A section can be at most {SECTION_TEXT_MAX:,} characters.", code="section_too_long")
    if section["text"] == text:
        return note
    section["text"] = text.strip()
    section["sentences"] = (
        [
            {
                "text": text.strip(),
                "supported": True,
                "evidence": [],
                "placeholder": False,
                "issue": "",
                "resolution": "edited",
            }
        ]
        if text.strip()
        else []
    )
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
    require_draft(note)
    if action not in ("accept", "remove"):
        raise DomainError("Choose accept or remove.", code="resolution")
    section = _section(note, section_key)
    if not 0 <= index < len(section["sentences"]):
        raise DomainError("This section has no such sentence.", code="sentence")
    sentence = section["sentences"][index]
    sentence["resolution"] = "accepted" if action == "accept" else "removed"
    section["text"] = " ".join(
        s["text"] for s in section["sentences"] if s.get("resolution") != "removed" and not s.get("placeholder")
    )
    note.save(update_fields=["sections", "updated_at"])
    audit_record(
        action=f"note.sentence_{action}",
        practice=note.practice,
        actor=actor,
        obj=note,
        detail={"section": section_key, "index": index},
    )
    return note


def note_risk_acknowledge(*, note: Note, actor: User, index: int) -> Note:
    require_draft(note)
    if not 0 <= index < len(note.risk_flags):
        raise DomainError("This note has no such risk item.", code="risk")
    note.risk_flags[index]["acknowledged"] = True
    note.risk_flags[index]["acknowledged_by"] = str(actor.pk)
    note.save(update_fields=["risk_flags", "updated_at"])
    audit_record(
        action="note.risk_acknowledge",
        practice=note.practice,
        actor=actor,
        obj=note,
        detail={"index": index, "category": note.risk_flags[index]["category"]},
    )
    return note


def note_blockers(note: Note) -> list[str]:
    """Why a draft cannot be signed yet, in words for the clinician."""
    blockers = []
    unresolved = sum(
        1
        for s in note.sections
        for sentence in s["sentences"]
        if not sentence.get("supported") and not sentence.get("placeholder") and not sentence.get("resolution")
    )
    if unresolved:
        blockers.append(f"{unresolved} sentence(s) have no support in the session; accept or remove each.")
    pending = sum(1 for flag in note.risk_flags if not flag.get("acknowledged"))
    if pending:
        blockers.append(f"{pending} risk item(s) need your acknowledgement.")
    return blockers


def content_hash(note: Note) -> str:
    payload = {
        "note": str(note.pk),
        "client": str(note.client_id),
        "date": note.date_of_service.isoformat(),
        "sections": note.plain_sections(),
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
        sections=[
            {
                "key": "note",
                "title": "Imported note",
                "text": text.strip(),
                "sentences": [{"text": text.strip(), "supported": True, "evidence": [], "resolution": ""}],
            }
        ],
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
