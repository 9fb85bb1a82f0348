"""Reads for practice administration; ``practice`` is always a required keyword."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.db.models import QuerySet, Sum
from django.utils import timezone

from intellisession.audit import VIEW_ACTIONS
from intellisession.models import ApiToken, AuditEvent, Invitation, Membership, Practice, User


def member_list(*, practice: Practice) -> QuerySet[Membership]:
    return Membership.objects.filter(practice=practice).select_related("user").order_by("-is_active", "user__email")


def users_with_mfa(*, practice: Practice) -> set[str]:
    """Ids (as strings) of the practice's members who have an authenticator app set up."""
    rows = Authenticator.objects.filter(type=Authenticator.Type.TOTP, user__memberships__practice=practice).values_list(
        "user_id", flat=True
    )
    return {str(user_id) for user_id in rows}


def locked_out_user_ids(*, practice: Practice) -> set[str]:
    """Ids (as strings) of the practice's members that sign-in lockout holds now, from any address.

    django-axes counts failures per account and address (``AXES_LOCKOUT_PARAMETERS``) within its
    cool-off; a member is locked out where one address has reached the failure limit."""
    emails = {
        email.lower(): str(user_id)
        for email, user_id in Membership.objects.filter(practice=practice).values_list("user__email", "user_id")
    }
    attempts = AccessAttempt.objects.filter(username__in=emails)
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    locked = (
        attempts.values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=get_failure_limit(None, None))  # type: ignore[arg-type]
        .values_list("username", flat=True)
    )
    return {emails[username] for username in locked}


def live_token_counts(*, practice: Practice) -> dict[str, int]:
    """Working API tokens per member (user id as a string); a password change ends them without a write."""
    tokens = ApiToken.objects.filter(
        user__memberships__practice=practice, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("user")
    counts: dict[str, int] = {}
    for token in tokens:
        if token.is_active:
            counts[str(token.user_id)] = counts.get(str(token.user_id), 0) + 1
    return counts


def pending_invitation_list(*, practice: Practice) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        practice=practice, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("invited_by")


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor_id: str = ""
    object_type: str = ""
    object_id: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None
    include_views: bool = False


def audit_event_list(*, practice: Practice, filters: AuditFilter) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(practice=practice).select_related("actor").order_by("-created_at", "-id")
    if filters.action:
        events = events.filter(action=filters.action)
    elif not filters.include_views:
        events = events.exclude(action__in=VIEW_ACTIONS)
    if filters.actor_id:
        events = events.filter(actor__pk=filters.actor_id)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.since:
        events = events.filter(created_at__date__gte=filters.since)
    if filters.until:
        events = events.filter(created_at__date__lte=filters.until)
    return events


def audit_action_choices(*, practice: Practice) -> list[str]:
    return sorted(set(AuditEvent.objects.filter(practice=practice).values_list("action", flat=True).distinct()))


def audit_object_type_choices(*, practice: Practice) -> list[str]:
    rows = AuditEvent.objects.filter(practice=practice).exclude(object_type="").values_list("object_type", flat=True)
    return sorted(set(rows.distinct()))


def account_exists(*, email: str) -> bool:
    """Whether someone already has an account under this address (an invitee then signs in first)."""
    return User.objects.filter(email__iexact=email).exists()
