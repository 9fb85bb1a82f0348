"""One domain error type, mapped to JSON by one API handler; a backing service outage is a 503."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, get_resolver
from kombu.exceptions import OperationalError as BrokerUnreachable
from redis.exceptions import ConnectionError as RedisUnreachable
from redis.exceptions import TimeoutError as RedisTimeout
from rest_framework import exceptions
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A refusal the user can act on. ``message`` is shown to them as written."""

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid", status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.headers: dict[str, str] = {}  # sent with the answer (a rate limit's Retry-After)
        if status_code is not None:
            self.status_code = status_code


logger = logging.getLogger(__name__)

OUTAGE_MESSAGE = "IntelliSession is briefly unavailable. Please try again in a minute."
OUTAGE_RETRY_AFTER = "60"


def is_outage(exc: Exception) -> bool:
    """Redis (rate limits, cache, queue) not answering: the request cannot go on, the user may retry."""
    return isinstance(exc, RedisUnreachable | RedisTimeout | BrokerUnreachable)


def _log_outage(exc: Exception) -> None:
    logger.error("service unavailable: %s", type(exc).__name__)  # the error text may carry addresses only


def _as_api_exception(exc: Exception) -> Exception:
    """Django's own refusals as DRF's, so that they get the one shape too."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):  # a value the database refused to compare (a malformed id)
        return ValidationError(exc.messages)
    if isinstance(exc, BadRequest):
        return exceptions.ParseError(str(exc) or None)
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error has one shape: {"error": {"code", "message", "fields"?}}."""
    if isinstance(exc, DomainError):
        return Response(
            {"error": {"code": exc.code, "message": exc.message}}, status=exc.status_code, headers=exc.headers
        )
    if is_outage(exc):
        _log_outage(exc)
        return Response(
            {"error": {"code": "unavailable", "message": OUTAGE_MESSAGE}},
            status=503,
            headers={"Retry-After": OUTAGE_RETRY_AFTER},
        )
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = {
            "error": {"code": "invalid", "message": _first_message(response.data), "fields": response.data}
        }
    elif isinstance(exc, APIException):
        codes = exc.get_codes()
        response.data = {"error": {"code": codes if isinstance(codes, str) else "error", "message": str(exc.detail)}}
    return response


_PAGES = {
    400: ("Something in that request was not right", "The page could not use what was sent. Go back and try again."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    500: ("Something went wrong", "It has been logged. Anything you already saved is kept."),
}
_API = {
    400: ("bad_request", "The request was malformed."),
    404: ("not_found", "Not found."),
    500: ("server_error", "Something went wrong on our side; it has been logged."),
}


def _error_response(request: HttpRequest, status: int) -> HttpResponse:
    """The API's error shape under /api/, a plain page elsewhere (no request context: it may be what failed)."""
    if request.path.startswith("/api/"):
        code, message = _API[status]
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    title, message = _PAGES[status]
    return HttpResponse(loader.render_to_string("error.html", {"title": title, "message": message}), status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404, 400 and 500 handlers (URLs no view matched, malformed input, server errors)."""
    return _error_response(request, 404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_response(request, 400)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_response(request, 500)


def _first_message(detail: Any) -> str:
    """The first human-readable message in DRF's nested error structure, with its field named."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


class OutageMiddleware:
    """A page whose view met a Redis outage answers 503 with a plain page instead of a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        _log_outage(exception)
        response = render(request, "503.html", {"message": OUTAGE_MESSAGE}, status=503)
        response["Retry-After"] = OUTAGE_RETRY_AFTER
        return response


class NotFoundPageMiddleware:
    """With DEBUG on, a 404 is the project's own page too, not Django's technical one.

    Django answers an ``Http404`` with ``handler404`` only when DEBUG is off; with it on,
    ``response_for_exception`` renders the technical 404, which lists every URL pattern of the
    project. A URL that matches nothing fails in URL resolution, before any view middleware, so
    this resolves it first; a view's own ``Http404`` comes through ``process_exception``. It sits
    after CommonMiddleware, which still turns a 404 into the redirect to the URL with its slash.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG:
            try:
                get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
            except Resolver404 as exc:
                return not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return not_found(request, exception)
        return None
