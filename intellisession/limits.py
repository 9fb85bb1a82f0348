"""Limits that services apply themselves, whatever path (page or API) reached them.

Kept apart from ``throttles`` because DRF imports that module while loading its settings,
before ``errors`` can be imported.
"""

from __future__ import annotations

from intellisession.errors import DomainError
from intellisession.throttles import NoteCreationThrottle


class NoteCreationLimited(DomainError):
    def __init__(self, wait: int) -> None:
        super().__init__(f"Too many notes started; try again in {wait} seconds.", code="rate_limited", status_code=429)
        self.headers = {"Retry-After": str(wait)}


def note_creation_count(*, user_id: object) -> None:
    """Count one note written for ``user_id`` (started, regenerated or retried), or refuse it with a 429."""
    throttle = NoteCreationThrottle(user_id)
    if not throttle.allow_request(None, None):  # type: ignore[arg-type]  # the key needs no request
        raise NoteCreationLimited(max(1, int(throttle.wait() or 60)))
