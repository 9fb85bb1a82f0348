"""Writes to practices, memberships and invitations. Every change leaves an audit event."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.utils import reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import Invitation, Membership, Practice, Role, TranscriptRetention, User

_TEMPLATE_STYLE = re.compile(r"^template:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _other_active_admins(membership: Membership) -> bool:
    return (
        Membership.objects.filter(practice_id=membership.practice_id, role=Role.ADMIN, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )


def _refuse_losing_last_admin(membership: Membership) -> None:
    # A practice without an active admin could never invite or manage anyone again.
    if membership.role == Role.ADMIN and membership.is_active and not _other_active_admins(membership):
        raise DomainError(
            "A practice needs at least one active admin; make someone else an admin first.", code="last_admin"
        )


def _lock(membership: Membership) -> Membership:
    # Lock every admin row of the practice so two concurrent demotions cannot both pass the check.
    list(Membership.objects.select_for_update().filter(practice_id=membership.practice_id, role=Role.ADMIN))
    return Membership.objects.select_for_update().get(pk=membership.pk)


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, actor: User, request: HttpRequest | None = None
) -> Membership:
    if role not in Role.values:
        raise DomainError("Choose one of the listed roles.", code="bad_role")
    membership = _lock(membership)
    if membership.role == role:
        return membership
    if role != Role.ADMIN:
        _refuse_losing_last_admin(membership)
    old_role, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    audit_record(
        action="membership.role_change",
        practice=membership.practice,
        actor=actor,
        obj=membership,
        request=request,
        detail={"user_id": str(membership.user_id), "from": old_role, "to": role},
    )
    return membership


@transaction.atomic
def membership_deactivate(*, membership: Membership, actor: User, request: HttpRequest | None = None) -> Membership:
    """The member loses access at once; their notes and clients stay with the practice."""
    membership = _lock(membership)
    if not membership.is_active:
        return membership
    _refuse_losing_last_admin(membership)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(
        action="membership.deactivate",
        practice=membership.practice,
        actor=actor,
        obj=membership,
        request=request,
        detail={"user_id": str(membership.user_id)},
    )
    return membership


@transaction.atomic
def membership_reactivate(*, membership: Membership, actor: User, request: HttpRequest | None = None) -> Membership:
    membership = _lock(membership)
    if membership.is_active:
        return membership
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    audit_record(
        action="membership.reactivate",
        practice=membership.practice,
        actor=actor,
        obj=membership,
        request=request,
        detail={"user_id": str(membership.user_id)},
    )
    return membership


def member_unlock(*, membership: Membership, actor: User, request: HttpRequest | None = None) -> int:
    """Clear sign-in lockouts for a member (all addresses), as a practice admin would after a call."""
    cleared = int(reset(username=membership.user.email) or 0)
    audit_record(
        action="auth.unlock",
        practice=membership.practice,
        actor=actor,
        obj=membership,
        request=request,
        detail={"user_id": str(membership.user_id), "cleared": cleared},
    )
    return cleared


# --- Invitations


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    """The invitation row and the one copy of its raw token (it is only ever e-mailed)."""

    invitation: Invitation
    token: str

    @property
    def path(self) -> str:
        return reverse("invitation-accept", kwargs={"token": self.token})


@transaction.atomic
def invitation_create(
    *, practice: Practice, email: str, role: str, actor: User, request: HttpRequest | None = None
) -> IssuedInvitation:
    email = email.strip().lower()
    if role not in Role.values:
        raise DomainError("Choose one of the listed roles.", code="bad_role")
    if Membership.objects.filter(practice=practice, user__email__iexact=email, is_active=True).exists():
        raise DomainError("That person is already a member of this practice.", code="already_member")
    # A new invitation replaces any pending one, so only the latest link works.
    Invitation.objects.filter(practice=practice, email=email, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        practice=practice,
        email=email,
        role=role,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + timedelta(seconds=settings.INVITATION_TTL_SECONDS),
    )
    issued = IssuedInvitation(invitation=invitation, token=token)
    audit_record(
        action="invitation.create",
        practice=practice,
        actor=actor,
        obj=invitation,
        request=request,
        detail={"role": role},
    )
    transaction.on_commit(lambda: _send_invitation(issued))
    return issued


def _send_invitation(issued: IssuedInvitation) -> None:
    invitation = issued.invitation
    context = {
        "practice": invitation.practice,
        "url": settings.SITE_URL.rstrip("/") + issued.path,
        "expires_at": invitation.expires_at,
        "role": invitation.get_role_display(),
    }
    send_mail(
        subject=f"You are invited to {invitation.practice.name} on IntelliSession",
        message=render_to_string("practice_admin/invitation_email.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User, request: HttpRequest | None = None) -> Invitation:
    updated = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_record(
            action="invitation.revoke", practice=invitation.practice, actor=actor, obj=invitation, request=request
        )
    invitation.refresh_from_db()
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The pending invitation behind a token, or None (unknown, used, revoked and expired look the same)."""
    invitation = Invitation.objects.select_related("practice").filter(token_hash=invitation_token_hash(token)).first()
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None = None, password: str = "", full_name: str = "", request: HttpRequest | None = None
) -> Membership:
    """Join the practice: as the signed-in ``user``, or as a new account with ``password``."""
    invitation = invitation_for_token(token)
    if invitation is None:
        raise DomainError("This invitation link is invalid, expired or already used.", code="invalid_invitation")
    # Claim the row: of two simultaneous acceptances exactly one updates it.
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        accepted_at=timezone.now()
    )
    if not claimed:
        raise DomainError("This invitation link is invalid, expired or already used.", code="invalid_invitation")
    user = user if user is not None else _invited_user(invitation, password=password, full_name=full_name)
    if user.email.lower() != invitation.email:
        raise DomainError("This invitation was sent to a different e-mail address.", code="wrong_account")
    membership, _ = Membership.objects.update_or_create(
        user=user, practice=invitation.practice, defaults={"role": invitation.role, "is_active": True}
    )
    Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    audit_record(
        action="invitation.accept",
        practice=invitation.practice,
        actor=user,
        obj=invitation,
        request=request,
        detail={"membership_id": str(membership.pk), "role": invitation.role},
    )
    return membership


def _invited_user(invitation: Invitation, *, password: str, full_name: str) -> User:
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise DomainError("An account with this e-mail already exists; sign in to accept.", code="sign_in_first")
    candidate = User(email=invitation.email, full_name=full_name.strip())
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), code="weak_password") from None
    return User.objects.create_user(email=invitation.email, password=password, full_name=full_name.strip())


# --- Practice settings


def valid_style_key(value: str, builtin: set[str]) -> bool:
    return value in builtin or bool(_TEMPLATE_STYLE.match(value))


@transaction.atomic
def practice_settings_update(
    *, practice: Practice, actor: User, request: HttpRequest | None = None, **changes: Any
) -> Practice:
    allowed = {
        "require_mfa",
        "default_style",
        "transcript_retention",
        "transcript_retention_days",
        "share_caseload",
        "share_client_instructions",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError(f"Unknown settings: {', '.join(sorted(unknown))}.", code="unknown_setting")
    if changes.get("transcript_retention", practice.transcript_retention) not in TranscriptRetention.values:
        raise DomainError("Choose one of the listed retention policies.", code="bad_retention")
    changed = sorted(name for name, value in changes.items() if getattr(practice, name) != value)
    for name in changed:
        setattr(practice, name, changes[name])
    if changed:
        practice.save(update_fields=changed)
        # Settings are ids and codes, never PHI, so the new values can go into the audit detail.
        audit_record(
            action="practice.settings_change",
            practice=practice,
            actor=actor,
            obj=practice,
            request=request,
            detail={name: getattr(practice, name) for name in changed},
        )
    return practice
