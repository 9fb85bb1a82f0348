"""One domain error type, mapped to JSON by one API handler."""

from __future__ import annotations

from typing import Any

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
        if status_code is not None:
            self.status_code = status_code


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error has one shape: {"error": {"code", "message", "fields"?}}."""
    if isinstance(exc, DomainError):
        return Response({"error": {"code": exc.code, "message": exc.message}}, status=exc.status_code)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = {"error": {"code": "invalid", "message": _first_message(response.data),
                                   "fields": response.data}}
    elif isinstance(exc, APIException):
        response.data = {"error": {"code": exc.get_codes() if isinstance(exc.get_codes(), str) else "error",
                                   "message": str(exc.detail)}}
    return response


def _first_message(detail: Any) -> str:
    """The first human-readable message in DRF's nested error structure, with its field named."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)
