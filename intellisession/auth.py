"""Account rules: no open sign-up (members join by invitation); MFA secrets encrypted; lockout keys."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from intellisession.fields import fernet

# Marks a value encrypted with FIELD_ENCRYPTION_KEYS, so values stored before encryption still read.
FERNET_PREFIX = "fernet:"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return FERNET_PREFIX + fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(FERNET_PREFIX):
            return encrypted_text
        return fernet().decrypt(encrypted_text[len(FERNET_PREFIX):].encode()).decode()

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Someone whose practice (or staff role) requires MFA may not switch it off.
        from intellisession.security import mfa_required_for

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
