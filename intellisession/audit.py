"""Writing audit events, and reading them as people. Callers pass ids and codes; never names,
notes or transcripts.

The address of a change is the address of the request that made it, even when the service that
records the event never sees the request: `RequestAddressMiddleware` keeps it for the request's
duration. Work done by workers (no request) has no address.

Each app registers how its objects read in the log (`register_object_links`): a label and a
link, looked up in bulk for a page of events, so the log names "Note of Sam Rivera, Jan 7,
2026" to the admin who may see it, while the events themselves keep ids only.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest

from intellisession.models import AuditEvent, Practice, User
from intellisession.security import client_ip

_request_address: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_request_address", default=None)


class RequestAddressMiddleware:
    """Keeps the request's client address for the audit events recorded while it is handled."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        token = _request_address.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _request_address.reset(token)


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return _request_address.get()
    # The same address the lockout uses: behind the TLS proxy, the client's, not the proxy's.
    return client_ip(request)


def audit_record(
    *,
    action: str,
    practice: Practice | None = None,
    actor: User | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | uuid.UUID | int = "",
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_id = object_id or obj.pk
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        action=action,
        practice=practice,
        actor=actor,
        object_type=object_type,
        object_id=str(object_id),
        ip_address=_client_ip(request),
        detail=detail or {},
    )


# --- reading the log ---------------------------------------------------------------------------

ACTION_LABELS = {
    "audio.delete": "Recording deleted",
    "audio.dictation_start": "Dictation recording started (own voice only, as the clinician confirmed)",
    "audit.export": "Audit log exported",
    "auth.sign_in": "Signed in",
    "auth.sign_out": "Signed out",
    "auth.unlock": "Sign-in lockout cleared",
    "client.create": "Client added",
    "client.update": "Client edited",
    "consent.form_view": "Signed consent form viewed",
    "consent.record": "Recording consent recorded",
    "consent.revoke": "Recording consent revoked",
    "goal.create": "Treatment goal added",
    "goal.update": "Treatment goal edited",
    "instruction.set": "Note instruction set",
    "invitation.accept": "Invitation accepted",
    "invitation.create": "Member invited",
    "invitation.revoke": "Invitation revoked",
    "membership.deactivate": "Member deactivated",
    "membership.reactivate": "Member reactivated",
    "membership.role_change": "Member's role changed",
    "note.addendum": "Addendum added",
    "note.edit": "Note section edited",
    "note.export": "Note exported",
    "note.import": "Note imported",
    "note.regenerate": "Note regenerated",
    "note.risk_assess": "Risk assessment completed",
    "note.sentence_accept": "Unsupported sentence accepted",
    "note.sentence_remove": "Unsupported sentence removed",
    "note.sign": "Note signed",
    "note.version_restore": "Earlier note version restored",
    "note.view": "Note viewed",
    "note_request.create": "Note requested",
    "note_request.dictation": "Dictation attached (own voice only, as the clinician confirmed)",
    "note_request.retry": "Note request retried",
    "practice.settings_change": "Practice settings changed",
    "template.archive": "Template removed",
    "template.create": "Template created",
    "template.update": "Template edited",
    "transcript.delete": "Transcript deleted",
    "transcript.edit": "Speaker names edited",
    "transcript.view": "Transcript viewed",
}
# Reads of a record; the log hides them unless asked, so changes are not lost among them.
VIEW_ACTIONS = frozenset({"note.view", "transcript.view", "consent.form_view"})


def action_label(code: str) -> str:
    """The event in words; a code this table lacks reads as itself, made readable."""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    return code.replace("_", " ").replace(".", ": ").capitalize()


ObjectLinks = Callable[[Practice, list[str]], dict[str, tuple[str, str]]]
_object_links: dict[str, ObjectLinks] = {}
_OBJECT_KINDS: dict[str, str] = {}


def register_object_links(object_type: str, kind: str, links: ObjectLinks) -> None:
    """How objects of one type read in the log: `links(practice, ids)` gives id -> (label, url)
    for those the practice has (ids are UUID strings); `kind` names the type ("Note")."""
    _object_links[object_type] = links
    _OBJECT_KINDS[object_type] = kind


def object_kind(object_type: str) -> str:
    return _OBJECT_KINDS.get(object_type, object_type.replace("_", " ").capitalize())


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def object_links(practice: Practice, events: Iterable[AuditEvent]) -> dict[tuple[str, str], tuple[str, str]]:
    """(object type, id) -> (label, url) for a page of events, one query per object type."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.object_type in _object_links and _is_uuid(event.object_id):
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for object_type, ids in wanted.items():
        for object_id, link in _object_links[object_type](practice, sorted(ids)).items():
            found[(object_type, object_id)] = link
    return found
