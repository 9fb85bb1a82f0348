"""Security middleware: request size cap, session timeouts, MFA enforcement.

Order in MIDDLEWARE matters: the size cap runs first (before any body is read);
the timeout and MFA checks run after authentication and messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from allauth.core.internal.httpkit import get_client_ip
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from intellisession.models import Membership, User

GetResponse = Callable[[HttpRequest], HttpResponse]

SESSION_STARTED_KEY = "_is_auth_started"
SESSION_SEEN_KEY = "_is_last_seen"
# Activity is written to the session at most this often, so every request does not write it.
SEEN_RESOLUTION_SECONDS = 30
# Requests the browser makes on its own (status polling) carry this header and do not count as activity.
BACKGROUND_HEADER = "HTTP_X_BACKGROUND_POLL"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting TRUSTED_PROXY_COUNT proxies' X-Forwarded-For entries."""
    try:
        return get_client_ip(request)
    except ImproperlyConfigured:  # fewer forwarded entries than proxies: not through our proxy
        return request.META.get("REMOTE_ADDR") or None


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def _sign_in_redirect(request: HttpRequest) -> HttpResponse:
    url = reverse(settings.LOGIN_URL) + "?" + urlencode({"next": request.get_full_path()})
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=401)
        response["HX-Redirect"] = url
        return response
    if _wants_json(request):
        return JsonResponse(
            {"error": {"code": "signed_out", "message": "Your session ended; sign in again."}}, status=401
        )
    return HttpResponseRedirect(url)


class RequestSizeLimitMiddleware:
    """Refuse a request body above MAX_REQUEST_BYTES before anything reads it."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            return JsonResponse(
                {"error": {"code": "too_large", "message": "The upload is larger than this server accepts."}},
                status=413,
            )
        return self.get_response(request)


class NoStoreMiddleware:
    """No cache (browser, proxy) keeps what a signed-in user was shown, nor any API answer.

    One rule instead of a list of pages with client data: every response to a signed-in
    user (pages, exports, htmx parts) and every API response. An API token's user is
    known here too, since DRF sets the Django request's user when it authenticates."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/") or request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


class PageMethodMiddleware:
    """Pages answer GET, HEAD and POST only; PUT, DELETE, TRACE and the like are a 405 (the API has its own)."""

    PAGE_METHODS = ("GET", "HEAD", "POST")

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in self.PAGE_METHODS and not request.path.startswith("/api/"):
            return HttpResponseNotAllowed(self.PAGE_METHODS)
        return self.get_response(request)


def session_mark_signed_in(request: HttpRequest) -> None:
    now = int(time.time())
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_SEEN_KEY] = now


def _session_end_reason(request: HttpRequest, now: int) -> str | None:
    started = request.session.get(SESSION_STARTED_KEY)
    seen = request.session.get(SESSION_SEEN_KEY)
    if started is None or seen is None:
        return None
    if now - seen > settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    if now - started > settings.SESSION_COOKIE_AGE:
        return "lifetime"
    return None


class SessionTimeoutMiddleware:
    """Sign out after SESSION_IDLE_TIMEOUT without activity, and SESSION_COOKIE_AGE after sign-in whatever happens."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        if request.session.get(SESSION_STARTED_KEY) is None:
            session_mark_signed_in(request)  # a session from before this middleware: start its clocks now
        reason = _session_end_reason(request, now)
        if reason is not None:
            request.signout_reason = reason  # type: ignore[attr-defined]
            logout(request)
            messages.info(request, "You were signed out to protect client information. Sign in again to continue.")
            return _sign_in_redirect(request)
        background = bool(request.META.get(BACKGROUND_HEADER))
        if not background and now - request.session[SESSION_SEEN_KEY] >= SEEN_RESOLUTION_SECONDS:
            request.session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


def user_has_authenticator(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def mfa_required_for(user: User) -> bool:
    """Whether policy requires this user to have an authenticator: staff, or a member of a practice that asks."""
    if user.is_staff and settings.STAFF_REQUIRE_MFA:
        return True
    return Membership.objects.filter(user=user, is_active=True, practice__require_mfa=True).exists()


def mfa_setup_needed(user: User) -> bool:
    return not user_has_authenticator(user) and mfa_required_for(user)


class MfaEnforcementMiddleware:
    """Send members of an MFA-requiring practice to the authenticator setup until they have one."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not self._exempt(request.path) and mfa_setup_needed(user):  # type: ignore[arg-type]
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        return path.startswith(tuple(settings.MFA_ENFORCEMENT_EXEMPT_PREFIXES))

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        message = "Your practice requires two-factor authentication. Set up an authenticator app to continue."
        if _wants_json(request):
            return JsonResponse({"error": {"code": "mfa_required", "message": message}}, status=403)
        messages.warning(request, message)
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
