"""Writing audit events. Callers pass ids and codes; never names, notes or transcripts."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.http import HttpRequest

from intellisession.models import AuditEvent, Practice, User
from intellisession.security import client_ip


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
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
