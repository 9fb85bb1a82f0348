"""Limits that services apply themselves, whatever path (page or API) reached them.

Kept apart from ``throttles`` because DRF imports that module while loading its settings,
before ``errors`` can be imported.
"""

from __future__ import annotations

from intellisession.errors import DomainError
from intellisession.throttles import MemberThrottle


class RateLimited(DomainError):
    def __init__(self, what: str, wait: int) -> None:
        super().__init__(f"Too many {what}; try again in {wait} seconds.", code="rate_limited", status_code=429)
        self.headers = {"Retry-After": str(wait)}


def _count(scope: str, what: str, user_id: object) -> None:
    throttle = MemberThrottle(scope, user_id)
    if not throttle.allow_request(None, None):  # type: ignore[arg-type]  # the key needs no request
        raise RateLimited(what, max(1, int(throttle.wait() or 60)))


def note_creation_count(*, user_id: object) -> None:
    """Count one note written for ``user_id`` (started, regenerated or retried), or refuse it with a 429."""
    _count("note_create", "notes started", user_id)


def page_read_count(*, user_id: object) -> None:
    """Count one handwritten page read for ``user_id`` (seconds of a worker's CPU), or refuse it with a 429."""
    _count("page_read", "pages read", user_id)
