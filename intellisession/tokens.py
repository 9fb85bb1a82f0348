"""API tokens: one new token per request to the token endpoint, stored only as a hash.

A token ends when it expires (``API_TOKEN_TTL``), when its owner or a practice admin
revokes it, when its user's password changes, when the user is deactivated, and when
one of the user's memberships ends. On every request it must also satisfy the
account's two-factor rule: a token of a user whose practice requires two-factor, or
who has an authenticator, works only if it was issued with an authenticator code.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from intellisession.audit import audit_record
from intellisession.models import ApiToken, Membership, Practice, User
from intellisession.security import mfa_required_for, user_has_authenticator

# Asking again makes a new token; past this many live ones the oldest is revoked.
MAX_ACTIVE_PER_USER = 10
# last_used_at is written at most this often, so every request does not write the row.
LAST_USED_RESOLUTION = timedelta(seconds=60)
PREFIX_CHARS = 8

MFA_SETUP_MESSAGE = (
    "Your practice requires two-factor authentication. Set up an authenticator app in the browser, "
    "then request a new token with its code."
)
NO_CODE_MESSAGE = "This token was issued without an authenticator code; request a new one with the code."


def token_hash(key: str) -> str:
    # The key is 256 random bits, so a fast hash is enough: there is nothing to guess.
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """The token row and the one copy of its key, shown to the caller once."""

    token: ApiToken
    key: str


def live_tokens(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at=None, expires_at__gt=timezone.now())


def api_token_issue(*, user: User, second_factor: bool, request: HttpRequest | None = None) -> IssuedToken:
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        prefix=key[:PREFIX_CHARS],
        key_hash=token_hash(key),
        auth_hash=user.get_session_auth_hash(),
        second_factor=second_factor,
        expires_at=timezone.now() + timedelta(seconds=settings.API_TOKEN_TTL),
    )
    surplus = list(live_tokens(user).order_by("-created_at").values_list("pk", flat=True)[MAX_ACTIVE_PER_USER:])
    if surplus:
        ApiToken.objects.filter(pk__in=surplus).update(revoked_at=timezone.now(), revoke_reason="replaced")
    _audit(
        "auth.api_token",
        user=user,
        actor=user,
        request=request,
        detail={"token_id": str(token.pk), "second_factor": second_factor},
    )
    return IssuedToken(token=token, key=key)


def api_token_revoke(
    *, token: ApiToken, actor: User | None, reason: str = "revoked", request: HttpRequest | None = None
) -> bool:
    """End one token. False when it had already been revoked."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_by=actor, revoke_reason=reason
    )
    token.refresh_from_db()
    if revoked:
        _audit(
            "auth.api_token_revoke",
            user=token.user,
            actor=actor,
            request=request,
            detail={"token_id": str(token.pk), "user_id": str(token.user_id), "reason": reason},
        )
    return bool(revoked)


def api_tokens_revoke_all(
    *,
    user: User,
    reason: str,
    actor: User | None = None,
    practice: Practice | None = None,
    request: HttpRequest | None = None,
) -> int:
    """End every live token of a user; ``practice`` also gets the audit event (a membership that just ended)."""
    count = ApiToken.objects.filter(user=user, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_by=actor, revoke_reason=reason
    )
    if count:
        _audit(
            "auth.api_token_revoke",
            user=user,
            actor=actor,
            request=request,
            also=practice,
            detail={"user_id": str(user.pk), "reason": reason, "count": count},
        )
    return count


def _audit(
    action: str,
    *,
    user: User,
    actor: User | None,
    request: HttpRequest | None,
    detail: dict[str, Any],
    also: Practice | None = None,
) -> None:
    """One event per practice the token's user belongs to, so each practice's admins see it."""
    memberships = Membership.objects.select_related("practice").filter(user=user, is_active=True)
    practices: dict[Any, Practice | None] = {m.practice_id: m.practice for m in memberships}
    if also is not None:
        practices.setdefault(also.pk, also)
    for practice in list(practices.values()) or [None]:
        audit_record(
            action=action,
            practice=practice,
            actor=actor,
            object_type="apitoken",
            object_id=detail.get("token_id", ""),
            request=request,
            detail=detail,
        )


def second_factor_needed(user: User) -> bool:
    return user_has_authenticator(user) or mfa_required_for(user)


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` against the hashed tokens, with the account's two-factor rule."""

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()
        if token is None or not token.is_active or not token.user.is_active:
            raise AuthenticationFailed(
                "This token is invalid, expired or revoked; request a new one.", code="token_invalid"
            )
        if not token.second_factor and second_factor_needed(token.user):
            message = NO_CODE_MESSAGE if user_has_authenticator(token.user) else MFA_SETUP_MESSAGE
            raise PermissionDenied(message, code="mfa_required")
        _touch(token)
        return token.user, token


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


# --- Ending tokens when access ends, whichever path changed it (practice admin, Django admin, shell).


def _saving(instance: Any, update_fields: Any, field: str) -> bool:
    return not instance._state.adding and (update_fields is None or field in update_fields)


@receiver(pre_save, sender=Membership, dispatch_uid="api-tokens-membership-ended")
def _membership_deactivated(sender: Any, instance: Membership, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.is_active or not _saving(instance, update_fields, "is_active"):
        return
    if Membership.objects.filter(pk=instance.pk, is_active=True).exists():
        api_tokens_revoke_all(user=instance.user, reason="membership_ended", practice=instance.practice)


@receiver(post_delete, sender=Membership, dispatch_uid="api-tokens-membership-removed")
def _membership_removed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    if User.objects.filter(pk=instance.user_id).exists():  # not a user being deleted with their tokens
        api_tokens_revoke_all(user=instance.user, reason="membership_ended")


@receiver(pre_save, sender=User, dispatch_uid="api-tokens-user-deactivated")
def _user_deactivated(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.is_active or not _saving(instance, update_fields, "is_active"):
        return
    if User.objects.filter(pk=instance.pk, is_active=True).exists():
        api_tokens_revoke_all(user=instance, reason="user_deactivated")
