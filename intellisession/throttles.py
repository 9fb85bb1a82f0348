"""Rate limits on the API, API sign-in and note creation, counted in the shared Redis cache.

Rates live in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` under each class's scope
and are read on every request, so a changed setting applies without a restart of
the class (and tests can override them).

Note creation is counted where notes are written, in the note services
(``intellisession.limits.note_creation_count``), so the web form, Regenerate, Retry and the
API share one limit per user; reading a handwritten page (seconds of OCR) likewise
(``page_read_count``).
"""

from __future__ import annotations

from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class _LiveRate:
    scope: str | None

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return str(rate) if rate else None


class ApiUserThrottle(_LiveRate, UserRateThrottle):
    scope = "user"


class ApiAnonThrottle(_LiveRate, AnonRateThrottle):
    scope = "anon"


class SignInThrottle(_LiveRate, SimpleRateThrottle):
    """Token sign-in attempts per client address (lockout per account is django-axes' job)."""

    scope = "sign_in"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class MemberThrottle(_LiveRate, SimpleRateThrottle):
    """What one user may do per period under ``scope`` (``note_create``, ``page_read``),
    counted by the service that does it."""

    def __init__(self, scope: str, user_id: object) -> None:
        self.scope = scope  # read by SimpleRateThrottle.__init__
        super().__init__()
        self.user_id = user_id

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.user_id}
