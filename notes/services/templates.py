"""Templates, standing instructions, a clinician's preferred style and the practice's default."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from clients.models import Client
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import Membership, Practice, User
from intellisession.services import practice_settings_update
from notes.models import CustomInstruction, InstructionLevel, NotePreference, NoteTemplate
from notes.selectors import style_resolve


def template_create(
    *, practice: Practice, actor: User, name: str, based_on: str, sections: list[dict[str, str]] | None = None
) -> NoteTemplate:
    base = style_resolve(practice=practice, style_key=based_on)
    if not name.strip():
        raise DomainError("Name the template.", code="template_name")
    rows = (
        sections
        if sections is not None
        else [{"key": s.key, "title": s.title, "instructions": s.instructions, "role": s.role} for s in base.sections]
    )
    template = NoteTemplate.objects.create(
        practice=practice, name=name.strip(), based_on=base.key, sections=_clean_sections(rows), created_by=actor
    )
    audit_record(action="template.create", practice=practice, actor=actor, obj=template)
    return template


def template_update(
    *, template: NoteTemplate, actor: User, name: str | None = None, sections: list[dict[str, str]] | None = None
) -> NoteTemplate:
    if name is not None:
        if not name.strip():
            raise DomainError("Name the template.", code="template_name")
        template.name = name.strip()
    if sections is not None:
        template.sections = _clean_sections(sections)
    template.save()
    audit_record(action="template.update", practice=template.practice, actor=actor, obj=template)
    return template


def template_archive(*, template: NoteTemplate, actor: User) -> NoteTemplate:
    """Remove a template from the pickers; notes written with it keep their own copy of its sections."""
    template.is_archived = True
    template.save(update_fields=["is_archived", "updated_at"])
    audit_record(action="template.archive", practice=template.practice, actor=actor, obj=template)
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
        cleaned.append(
            {
                "key": key,
                "title": title,
                "instructions": (row.get("instructions") or "").strip(),
                "role": row.get("role") or "summary",
            }
        )
    if not cleaned:
        raise DomainError("A template needs at least one section.", code="no_sections")
    return cleaned


def instruction_set(
    *, membership: Membership, level: str, text: str, style_key: str = "", client: Client | None = None
) -> CustomInstruction | None:
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
    existing.owner = owner  # a client's instruction is the last setter's: it shapes their notes, and names them
    existing.text = text.strip()
    existing.save()
    audit_record(action="instruction.set", practice=practice, actor=owner, obj=existing, detail={"level": level})
    return existing


def practice_default_style_set(
    *, practice: Practice, actor: User, style_key: str, request: HttpRequest | None = None
) -> Practice:
    """The style preselected for members without a preference of their own; admins only (the view checks)."""
    style_resolve(practice=practice, style_key=style_key)
    return practice_settings_update(practice=practice, actor=actor, request=request, default_style=style_key)


def preference_set(*, membership: Membership, preferred_style: str) -> NotePreference:
    style_resolve(practice=membership.practice, style_key=preferred_style)
    preference, _ = NotePreference.objects.update_or_create(
        practice=membership.practice, user=membership.user, defaults={"preferred_style": preferred_style}
    )
    return preference
