"""Audit events for sign-in, sign-out, failed sign-in, lockout and MFA changes.

Account events are recorded once per practice the user is an active member of,
so each practice's admins see them in their own audit log. The login text a
person typed is never stored: a failed sign-in names a user only by id.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account import signals as account_signals
from allauth.account.models import EmailAddress
from allauth.mfa import signals as mfa_signals
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from intellisession.audit import audit_record
from intellisession.models import Membership, Practice, User
from intellisession.security import session_mark_signed_in

logger = logging.getLogger(__name__)


def _practices_of(user: User | None) -> list[Practice | None]:
    if user is None:
        return [None]
    practices: list[Practice | None] = [
        m.practice for m in Membership.objects.select_related("practice").filter(user=user, is_active=True)
    ]
    return practices or [None]


def record_account_event(
    action: str, *, user: User | None, request: HttpRequest | None, detail: dict[str, Any] | None = None
) -> None:
    for practice in _practices_of(user):
        audit_record(action=action, practice=practice, actor=user, obj=user, request=request, detail=detail)
    logger.info("%s user=%s", action, user.pk if user else "-")


def _user_named_in(credentials: dict[str, Any]) -> User | None:
    for key in ("email", "login", "username"):
        value = credentials.get(key)
        if isinstance(value, str) and value:
            return User.objects.filter(email__iexact=value.strip()).first()
    return None


@receiver(user_logged_in)
def on_signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_mark_signed_in(request)
    record_account_event("auth.sign_in", user=user, request=request)


@receiver(user_logged_out)
def on_signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, "signout_reason", "user")
    record_account_event("auth.sign_out", user=user, request=request, detail={"reason": reason})


@receiver(user_login_failed)
def on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    user = _user_named_in(credentials)
    detail: dict[str, Any] = {"known_user": user is not None}
    if credentials.get("reason"):  # a wrong authenticator code after the right password
        detail["reason"] = credentials["reason"]
    record_account_event("auth.sign_in_failed", user=user, request=request, detail=detail)


@receiver(post_save, sender=User, dispatch_uid="intellisession-sign-in-address")
def on_user_saved(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    """An account's address as created (invitation, operator) is its verified primary sign-in address.

    Changing it through the site needs a confirmed new address, and allauth's change flow
    assumes the current one is verified. An address allauth already knows is left as it is,
    so an unconfirmed one never becomes verified here."""
    if not instance.email or (update_fields is not None and "email" not in update_fields):
        return
    if EmailAddress.objects.filter(user=instance, email__iexact=instance.email).exists():
        return
    EmailAddress.objects.filter(user=instance, primary=True).update(primary=False)
    EmailAddress.objects.create(user=instance, email=instance.email.lower(), verified=True, primary=True)


def on_locked_out(sender: Any, request: HttpRequest | None, username: str | None = None, **kwargs: Any) -> None:
    user = User.objects.filter(email__iexact=username).first() if username else None
    record_account_event("auth.lockout", user=user, request=request, detail={"known_user": user is not None})


def on_authenticator_change(action: str) -> Any:
    def handler(sender: Any, request: HttpRequest | None, user: User, authenticator: Any, **kwargs: Any) -> None:
        record_account_event(action, user=user, request=request, detail={"type": str(authenticator.type)})

    return handler


def on_email_change(action: str) -> Any:
    """E-mail address events, by address id: the address itself is not written to the audit log."""

    def handler(sender: Any, request: HttpRequest | None, user: User | None = None, **kwargs: Any) -> None:
        address = kwargs.get("email_address") or kwargs.get("to_email_address")
        user = user or getattr(address, "user", None)
        detail = {"email_address_id": address.pk if address is not None else None}
        if kwargs.get("from_email_address") is not None:
            detail["from_email_address_id"] = kwargs["from_email_address"].pk
        record_account_event(action, user=user, request=request, detail=detail)

    return handler


def connect_third_party_signals() -> None:
    """Connected from AppConfig.ready (this module is imported there, once every app is loaded)."""
    user_locked_out.connect(on_locked_out, dispatch_uid="intellisession-audit-lockout")
    for signal, action in (
        (account_signals.email_added, "account.email_added"),
        (account_signals.email_confirmed, "account.email_confirmed"),
        (account_signals.email_changed, "account.email_changed"),
        (account_signals.email_removed, "account.email_removed"),
    ):
        signal.connect(on_email_change(action), dispatch_uid=f"intellisession-audit-{action}", weak=False)
    for signal, action in (
        (mfa_signals.authenticator_added, "mfa.authenticator_added"),
        (mfa_signals.authenticator_removed, "mfa.authenticator_removed"),
        (mfa_signals.authenticator_reset, "mfa.recovery_codes_regenerated"),
    ):
        signal.connect(on_authenticator_change(action), dispatch_uid=f"intellisession-audit-{action}", weak=False)
