"""Reads of clients; the practice is always a required keyword."""

from __future__ import annotations

from django.db.models import QuerySet

from clients.models import Client, GoalStatus, RecordingConsent, TreatmentGoal
from intellisession.models import Membership, Practice, Role


def client_visible_to(queryset: QuerySet[Client], *, membership: Membership) -> QuerySet[Client]:
    """Clinicians see their own caseload unless the practice shares it."""
    if membership.role == Role.CLINICIAN and not membership.practice.share_caseload:
        return queryset.filter(assigned_clinicians=membership.user_id)
    return queryset


def client_list(*, practice: Practice, membership: Membership) -> QuerySet[Client]:
    queryset = Client.objects.filter(practice=practice, is_active=True).prefetch_related("assigned_clinicians")
    return client_visible_to(queryset, membership=membership)


def consent_active(*, practice: Practice, client: Client) -> RecordingConsent | None:
    return RecordingConsent.objects.filter(practice=practice, client=client, revoked_at__isnull=True).first()


def goal_list(*, practice: Practice, client: Client, active_only: bool = False) -> QuerySet[TreatmentGoal]:
    goals = TreatmentGoal.objects.filter(practice=practice, client=client)
    return goals.filter(status=GoalStatus.ACTIVE) if active_only else goals


def consent_list(*, practice: Practice, client: Client) -> QuerySet[RecordingConsent]:
    """Every consent on file for the client, revoked ones included, newest first."""
    return RecordingConsent.objects.filter(practice=practice, client=client)


def assigned_clinician_ids(*, practice: Practice, client: Client) -> list[str]:
    if client.practice_id != practice.pk:
        return []
    return [str(pk) for pk in client.assigned_clinicians.values_list("pk", flat=True)]
