"""Account rules: no open sign-up (members join by invitation); MFA secrets encrypted; lockout keys."""

from __future__ import annotations

import logging
import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from intellisession.fields import fernet
from intellisession.security import mfa_required_for

logger = logging.getLogger(__name__)

# Marks a value encrypted with FIELD_ENCRYPTION_KEYS, so values stored before encryption still read.
FERNET_PREFIX = "fernet:"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_notification_mail(
        self, template_prefix: str, user: Any, context: dict[str, Any] | None = None, email: str | None = None
    ) -> None:
        # allauth sends some notices from on_commit callbacks; one that runs after its request
        # has ended (a test's deferred callbacks) has no site to name. The change itself stands.
        if allauth_context.request is None:
            logger.warning("account notice %s not sent: no request (user=%s)", template_prefix, user.pk)
            return
        super().send_notification_mail(template_prefix, user, context, email)

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        # Someone sent to set up MFA right after signing in has just typed their password;
        # asking for it again would only teach people to type it whenever asked. Account
        # changes (the e-mail address a password reset goes to) always ask again.
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        return app != "allauth.mfa" or not _password_entered_recently(allauth_context.request)


def _password_entered_recently(request: HttpRequest | None) -> bool:
    if request is None or not request.user.is_authenticated:
        return False
    records = get_authentication_records(request, request.user)
    at = max((r["at"] for r in records if r.get("method") == "password"), default=0.0)
    return time.time() - at < account_settings.REAUTHENTICATION_TIMEOUT


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return FERNET_PREFIX + fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(FERNET_PREFIX):
            return encrypted_text
        return fernet().decrypt(encrypted_text[len(FERNET_PREFIX) :].encode()).decode()

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Someone whose practice (or staff role) requires MFA may not switch it off.
        return not (authenticator.type == Authenticator.Type.TOTP and mfa_required_for(authenticator.user))


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a sign-in attempt names, whichever form sent it (allauth, admin, API token)."""
    sources: list[Any] = [credentials or {}, getattr(request, "POST", {}) or {}, getattr(request, "data", {}) or {}]
    for source in sources:
        for key in ("email", "login", "username"):
            value = source.get(key) if hasattr(source, "get") else None
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    return ""
