"""Per-request access to a practice and the member's role.

Views call one helper on their first line; a practice the user does not belong
to is a 404 (its existence is not revealed) and a write by a read-only member
is a 403.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest

from intellisession.models import Invitation, Membership, Practice, Role, User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PracticeRequest(HttpRequest):
    """An HttpRequest after ``attach_practice``: typed for the views that use it."""

    user: User
    practice: Practice
    membership: Membership


def parse_id(value: uuid.UUID | str) -> uuid.UUID:
    """An object id for a lookup. URL ids are UUIDs already; a malformed one can only come from a form
    or query field, so it is a 400 (an id that is well formed but not the member's stays a 404)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadRequest("Malformed id.") from None


def membership_for(user: User, practice_slug: str) -> Membership:
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("practice")
        .filter(user=user, practice__slug=practice_slug, is_active=True)
        .first()
    )
    if membership is None:
        raise Http404("No such practice.")
    return membership


def attach_practice(request: HttpRequest, practice_slug: str) -> PracticeRequest:
    """Resolve the practice from the URL, check membership and attach both to the request."""
    membership = membership_for(request.user, practice_slug)  # type: ignore[arg-type]
    request.practice = membership.practice  # type: ignore[attr-defined]
    request.membership = membership  # type: ignore[attr-defined]
    if request.method not in SAFE_METHODS and not membership.can_write:
        raise PermissionDenied("Read-only members cannot change anything.")
    return request  # type: ignore[return-value]


def require_admin(request: PracticeRequest) -> None:
    if request.membership.role != Role.ADMIN:
        raise PermissionDenied("Only a practice admin can do this.")


def practices_for(user: User) -> list[Practice]:
    return [m.practice for m in Membership.objects.select_related("practice").filter(user=user, is_active=True)]


def get_membership_for_admin(request: PracticeRequest, membership_id: uuid.UUID | str) -> Membership:
    """A membership of the request's practice, for its admin; any other is a 404."""
    require_admin(request)
    try:
        return Membership.objects.select_related("user", "practice").get(
            pk=parse_id(membership_id), practice=request.practice
        )
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None


def get_invitation_for_admin(request: PracticeRequest, invitation_id: uuid.UUID | str) -> Invitation:
    require_admin(request)
    try:
        return Invitation.objects.select_related("practice").get(pk=parse_id(invitation_id), practice=request.practice)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation.") from None
