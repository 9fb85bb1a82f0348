"""Practice administration pages: members, invitations, settings, audit log.

Every view loads the practice with ``attach_practice`` and then calls
``require_admin``: a non-member gets a 404, a member who is not an admin a 403.
Views marked ``@admin_only`` are known to the URL-walking isolation tests.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone

from intellisession import selectors, services
from intellisession.access import (
    PracticeRequest,
    attach_practice,
    get_invitation_for_admin,
    get_membership_for_admin,
    require_admin,
)
from intellisession.audit import action_label, audit_record, object_kind, object_links
from intellisession.errors import DomainError
from intellisession.forms import AuditFilterForm, InviteForm, PracticeSettingsForm, RoleForm
from intellisession.models import AuditEvent
from intellisession.tokens import api_tokens_revoke_all

View = TypeVar("View", bound=Callable[..., HttpResponseBase])
AUDIT_PAGE_SIZE = 50


def admin_only(view: View) -> View:
    view.admin_only = True  # type: ignore[attr-defined]
    return login_required(view)  # type: ignore[return-value]


def _admin_request(request: HttpRequest, practice_slug: str) -> PracticeRequest:
    practice_request = attach_practice(request, practice_slug)
    require_admin(practice_request)
    return practice_request


def _post_only(request: HttpRequest) -> HttpResponse | None:
    # Checked after access, so a stranger gets a 404 and a non-admin a 403 whatever the method.
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _back_to_members(request: PracticeRequest) -> HttpResponse:
    return redirect("practice-admin-members", practice_slug=request.practice.slug)


@admin_only
def members(request: HttpRequest, practice_slug: str) -> HttpResponse:
    request = _admin_request(request, practice_slug)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                practice=request.practice,
                actor=request.user,
                request=request,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except DomainError as error:
            form.add_error("email", error.message)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return _back_to_members(request)
    context = {
        "members": selectors.member_list(practice=request.practice),
        "mfa_user_ids": selectors.users_with_mfa(practice=request.practice),
        "locked_user_ids": selectors.locked_out_user_ids(practice=request.practice),
        "token_counts": selectors.live_token_counts(practice=request.practice),
        "invitations": selectors.pending_invitation_list(practice=request.practice),
        "invite_form": form,
        "role_form": RoleForm(),
    }
    return render(request, "practice_admin/members.html", context, status=400 if form.errors else 200)


def _member_action(
    request: HttpRequest, practice_slug: str, membership_id: uuid.UUID, action: Callable[[PracticeRequest, Any], str]
) -> HttpResponse:
    request = _admin_request(request, practice_slug)
    membership = get_membership_for_admin(request, membership_id)
    refused = _post_only(request)
    if refused:
        return refused
    try:
        messages.success(request, action(request, membership))
    except DomainError as error:
        messages.error(request, error.message)
    return _back_to_members(request)


@admin_only
def member_role(request: HttpRequest, practice_slug: str, membership_id: uuid.UUID) -> HttpResponse:
    def change(req: PracticeRequest, membership: Any) -> str:
        form = RoleForm(req.POST)
        if not form.is_valid():
            raise DomainError("Choose one of the listed roles.")
        services.membership_change_role(
            membership=membership, role=form.cleaned_data["role"], actor=req.user, request=req
        )
        return f"{membership.user.email} is now {membership.get_role_display()}."

    return _member_action(request, practice_slug, membership_id, change)


@admin_only
def member_deactivate(request: HttpRequest, practice_slug: str, membership_id: uuid.UUID) -> HttpResponse:
    def deactivate(req: PracticeRequest, membership: Any) -> str:
        services.membership_deactivate(membership=membership, actor=req.user, request=req)
        return f"{membership.user.email} no longer has access. Their notes stay with the practice."

    return _member_action(request, practice_slug, membership_id, deactivate)


@admin_only
def member_reactivate(request: HttpRequest, practice_slug: str, membership_id: uuid.UUID) -> HttpResponse:
    def reactivate(req: PracticeRequest, membership: Any) -> str:
        services.membership_reactivate(membership=membership, actor=req.user, request=req)
        return f"{membership.user.email} has access again."

    return _member_action(request, practice_slug, membership_id, reactivate)


@admin_only
def member_unlock(request: HttpRequest, practice_slug: str, membership_id: uuid.UUID) -> HttpResponse:
    def unlock(req: PracticeRequest, membership: Any) -> str:
        services.member_unlock(membership=membership, actor=req.user, request=req)
        return f"Sign-in lockouts for {membership.user.email} are cleared."

    return _member_action(request, practice_slug, membership_id, unlock)


@admin_only
def member_revoke_tokens(request: HttpRequest, practice_slug: str, membership_id: uuid.UUID) -> HttpResponse:
    def revoke(req: PracticeRequest, membership: Any) -> str:
        count = api_tokens_revoke_all(
            user=membership.user, reason="revoked_by_admin", actor=req.user, practice=req.practice, request=req
        )
        tokens = f"{count} API token{pluralize(count)}"
        return f"{tokens} of {membership.user.email} no longer {pluralize(count, 'works,work')}."

    return _member_action(request, practice_slug, membership_id, revoke)


@admin_only
def invitation_revoke(request: HttpRequest, practice_slug: str, invitation_id: uuid.UUID) -> HttpResponse:
    request = _admin_request(request, practice_slug)
    invitation = get_invitation_for_admin(request, invitation_id)
    refused = _post_only(request)
    if refused:
        return refused
    services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
    messages.success(request, f"The invitation to {invitation.email} no longer works.")
    return _back_to_members(request)


@admin_only
def practice_settings(request: HttpRequest, practice_slug: str) -> HttpResponse:
    request = _admin_request(request, practice_slug)
    form = PracticeSettingsForm(request.POST or None, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        services.practice_settings_update(
            practice=request.practice, actor=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, "Practice settings saved.")
        return redirect("practice-admin-settings", practice_slug=practice_slug)
    return render(request, "practice_admin/settings.html", {"form": form}, status=400 if form.errors else 200)


def _audit_filter_form(request: PracticeRequest) -> AuditFilterForm:
    practice = request.practice
    return AuditFilterForm(
        request.GET or None,
        practice=practice,
        actions=selectors.audit_action_choices(practice=practice),
        object_types=selectors.audit_object_type_choices(practice=practice),
    )


@admin_only
def audit_log(request: HttpRequest, practice_slug: str) -> HttpResponse:
    request = _admin_request(request, practice_slug)
    form = _audit_filter_form(request)
    events = selectors.audit_event_list(practice=request.practice, filters=form.filters())
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    links = object_links(request.practice, page.object_list)
    rows = [
        AuditRow(
            event=event,
            action=action_label(event.action),
            kind=object_kind(event.object_type) if event.object_type else "",
            link=links.get((event.object_type, event.object_id)),
        )
        for event in page.object_list
    ]
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    return render(request, "practice_admin/audit.html", context)


@dataclass
class AuditRow:
    """One event as the log page shows it: in words, with its object named and linked where the
    practice still has it."""

    event: AuditEvent
    action: str
    kind: str
    link: tuple[str, str] | None


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    # A leading formula character would run as a formula when the file is opened in a spreadsheet.
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


def _audit_rows(events: Iterable[AuditEvent]) -> Iterable[list[str]]:
    yield ["time", "action", "actor_id", "actor_email", "object_type", "object_id", "ip_address", "detail"]
    for event in events:
        actor_email = event.actor.email if event.actor_id and event.actor else ""
        yield [
            _cell(v)
            for v in (
                event.created_at.isoformat(),
                event.action,
                event.actor_id or "",
                actor_email,
                event.object_type,
                event.object_id,
                event.ip_address or "",
                json.dumps(event.detail, sort_keys=True),
            )
        ]


@admin_only
def audit_export(request: HttpRequest, practice_slug: str) -> StreamingHttpResponse:
    request = _admin_request(request, practice_slug)
    form = _audit_filter_form(request)
    filters = form.filters()
    events = selectors.audit_event_list(practice=request.practice, filters=filters)
    audit_record(
        action="audit.export",
        practice=request.practice,
        actor=request.user,
        request=request,
        detail={key: str(value) for key, value in vars(filters).items() if value},
    )
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in _audit_rows(events.iterator(chunk_size=500)))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{request.practice.slug}-{stamp}.csv"'
    return response
