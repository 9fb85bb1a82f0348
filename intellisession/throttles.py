"""Rate limits on the API, API sign-in and note creation, counted in the shared Redis cache.

Rates live in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` under each class's scope
and are read on every request, so a changed setting applies without a restart of
the class (and tests can override them).

Note creation: add ``NoteCreateThrottle`` to ``throttle_classes`` of an API view
that creates note requests (it only counts POSTs), or wrap a plain Django view
with ``limit_note_creation``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

View = TypeVar("View", bound=Callable[..., HttpResponse])


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


class NoteCreateThrottle(_LiveRate, SimpleRateThrottle):
    """Notes a member may start per period (scope ``note_create``); reads are not counted."""

    scope = "note_create"

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request: Any, view: Any) -> str:
        user = getattr(request, "user", None)
        ident = user.pk if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def note_creation_refused(request: HttpRequest) -> HttpResponse | None:
    """A 429 response when the member has started too many notes lately, else None (and the note is counted)."""
    throttle = NoteCreateThrottle()
    if throttle.allow_request(request, None):
        return None
    wait = int(throttle.wait() or 60)
    response = JsonResponse(
        {"error": {"code": "rate_limited", "message": f"Too many notes started; try again in {wait} seconds."}},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def limit_note_creation(view: View) -> View:
    """Decorator for a Django view that starts a note: POSTs beyond the ``note_create`` rate get a 429."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return note_creation_refused(request) or view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
