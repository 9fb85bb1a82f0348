"""Reads of clients; the practice is always a required keyword."""

from __future__ import annotations

from django.db.models import QuerySet

from clients.models import Client
from intellisession.models import Membership, Practice, Role


def client_visible_to(queryset: QuerySet[Client], *, membership: Membership) -> QuerySet[Client]:
    """Clinicians see their own caseload unless the practice shares it."""
    if membership.role == Role.CLINICIAN and not membership.practice.share_caseload:
        return queryset.filter(assigned_clinicians=membership.user_id)
    return queryset


def client_list(*, practice: Practice, membership: Membership) -> QuerySet[Client]:
    queryset = Client.objects.filter(practice=practice, is_active=True).prefetch_related("assigned_clinicians")
    return client_visible_to(queryset, membership=membership)
