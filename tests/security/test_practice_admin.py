"""Practice administration: members, roles, invitations, settings, audit log review."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client as BrowserClient
from django.test import TestCase
from django.utils import timezone

from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import AuditEvent, Invitation, Membership, Role, TranscriptRetention, User
from intellisession.services import (
    invitation_accept,
    invitation_create,
    invitation_token_hash,
    membership_change_role,
    membership_deactivate,
)
from tests.conftest import World
from tests.security.conftest import browser
from tests.test_isolation import _fill, _request, practice_routes

pytestmark = pytest.mark.django_db
STRONG = "a long enough passphrase 42"


def admin_browser(world: World) -> BrowserClient:
    client = browser()
    client.force_login(world.a.admin)
    return client


def members_url(world: World) -> str:
    return f"/p/{world.a.practice.slug}/admin/members/"


def membership(world: World, user: User) -> Membership:
    return Membership.objects.get(practice=world.a.practice, user=user)


# --- who may open the admin pages


def admin_routes() -> list:  # type: ignore[type-arg]
    return [r for r in practice_routes() if getattr(r.callback, "admin_only", False)]


def test_every_admin_page_is_marked_admin_only() -> None:
    names = {r.name for r in admin_routes()}
    assert {
        "practice-admin-members",
        "practice-admin-settings",
        "practice-admin-audit",
        "practice-admin-audit-export",
        "practice-admin-member-role",
    } <= names


def test_non_admin_members_get_403_on_every_admin_url(world: World) -> None:
    failures = []
    for route in admin_routes():
        path = _fill(route, world.a, world.a.practice.slug)
        for user in (world.a.clinician, world.a.reader):
            for method in route.methods():
                status = _request(route, user, method, path)
                if status != 403:
                    failures.append(f"{user.email} {method.upper()} {path} -> {status}")
    assert not failures, "\n".join(failures)


def test_admin_can_open_every_admin_page(world: World) -> None:
    for route in admin_routes():
        path = _fill(route, world.a, world.a.practice.slug)
        expected = 405 if route.name.endswith(("-role", "-deactivate", "-reactivate", "-unlock", "-revoke")) else 200
        assert _request(route, world.a.admin, "get", path) == expected, path


# --- members and roles


def test_members_page_lists_members_and_mfa_state(world: World) -> None:
    page = admin_browser(world).get(members_url(world)).content.decode()
    for user in (world.a.admin, world.a.clinician, world.a.reader):
        assert user.email in page
    assert world.b.clinician.email not in page


def test_admin_changes_a_role_and_it_is_audited(world: World) -> None:
    target = membership(world, world.a.reader)
    response = admin_browser(world).post(f"{members_url(world)}{target.pk}/role/", {"role": Role.CLINICIAN})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.CLINICIAN
    event = AuditEvent.objects.get(action="membership.role_change", object_id=str(target.pk))
    assert event.actor_id == world.a.admin.pk and event.practice_id == world.a.practice.pk
    assert event.detail == {"user_id": str(world.a.reader.pk), "from": Role.READ_ONLY, "to": Role.CLINICIAN}


def test_the_last_admin_cannot_be_demoted_or_deactivated(world: World) -> None:
    only_admin = membership(world, world.a.admin)
    with pytest.raises(DomainError, match="at least one active admin"):
        membership_change_role(membership=only_admin, role=Role.CLINICIAN, actor=world.a.admin)
    with pytest.raises(DomainError, match="at least one active admin"):
        membership_deactivate(membership=only_admin, actor=world.a.admin)
    response = admin_browser(world).post(f"{members_url(world)}{only_admin.pk}/deactivate/", follow=True)
    assert "at least one active admin" in response.content.decode()
    only_admin.refresh_from_db()
    assert only_admin.is_active and only_admin.role == Role.ADMIN


def test_an_admin_can_step_down_once_there_is_another(world: World) -> None:
    membership_change_role(membership=membership(world, world.a.clinician), role=Role.ADMIN, actor=world.a.admin)
    membership_change_role(membership=membership(world, world.a.admin), role=Role.CLINICIAN, actor=world.a.admin)
    assert membership(world, world.a.admin).role == Role.CLINICIAN


def test_deactivated_member_loses_access_but_their_clients_stay(world: World) -> None:
    clinician = browser()
    clinician.force_login(world.a.clinician)
    client_url = f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/"
    assert clinician.get(client_url).status_code == 200
    target = membership(world, world.a.clinician)
    assert admin_browser(world).post(f"{members_url(world)}{target.pk}/deactivate/").status_code == 302
    assert clinician.get(client_url).status_code == 404
    assert clinician.get(f"/api/v1/practices/{world.a.practice.slug}/clients/").status_code in (401, 403, 404)
    world.a.client.refresh_from_db()
    assert world.a.clinician in world.a.client.assigned_clinicians.all()
    assert AuditEvent.objects.filter(action="membership.deactivate", object_id=str(target.pk)).exists()
    admin_browser(world).post(f"{members_url(world)}{target.pk}/reactivate/")
    assert clinician.get(client_url).status_code == 200


# --- invitations


def invite(world: World, email: str = "new.clinician@example.test", role: str = Role.CLINICIAN) -> str:
    """Invite through the page and return the accept path from the e-mail sent."""
    # Invitations are e-mailed after commit; run that callback inside the test transaction.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin_browser(world).post(members_url(world), {"email": email, "role": role})
    assert response.status_code == 302, response.content.decode()[:500]
    message = mail.outbox[-1]
    assert message.to == [email]
    match = re.search(r"https?://[^/\s]+(/invite/[^/\s]+/)", str(message.body))
    assert match, message.body
    return match.group(1)


def test_invitation_email_link_creates_account_and_membership(world: World) -> None:
    path = invite(world)
    token = path.split("/")[2]
    invitation = Invitation.objects.get(email="new.clinician@example.test")
    assert invitation.token_hash == invitation_token_hash(token) and token not in invitation.token_hash
    assert AuditEvent.objects.filter(action="invitation.create", object_id=str(invitation.pk)).exists()

    guest = browser()
    assert "Join Practice ALPHA" in guest.get(path).content.decode()
    response = guest.post(path, {"full_name": "New Clinician", "password1": STRONG, "password2": STRONG})
    assert response.status_code == 302 and response["Location"] == f"/p/{world.a.practice.slug}/"
    user = User.objects.get(email="new.clinician@example.test")
    assert user.check_password(STRONG) and user.password.startswith("argon2")
    assert Membership.objects.get(user=user, practice=world.a.practice).role == Role.CLINICIAN
    assert guest.get(f"/p/{world.a.practice.slug}/").status_code == 200
    assert AuditEvent.objects.filter(action="invitation.accept", actor=user).exists()


def test_invitation_link_works_once(world: World) -> None:
    path = invite(world)
    browser().post(path, {"full_name": "A", "password1": STRONG, "password2": STRONG})
    again = browser().post(path, {"full_name": "B", "password1": STRONG, "password2": STRONG})
    assert again.status_code == 404
    assert User.objects.filter(email="new.clinician@example.test").count() == 1


def test_expired_or_revoked_invitation_is_refused(world: World) -> None:
    path = invite(world)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert browser().get(path).status_code == 404
    path = invite(world, email="second@example.test")
    invitation = Invitation.objects.get(email="second@example.test")
    admin_browser(world).post(f"/p/{world.a.practice.slug}/admin/invitations/{invitation.pk}/revoke/")
    assert browser().post(path, {"full_name": "X", "password1": STRONG, "password2": STRONG}).status_code == 404
    assert not User.objects.filter(email="second@example.test").exists()


def test_a_new_invitation_replaces_the_pending_one(world: World) -> None:
    first = invite(world)
    second = invite(world)
    assert browser().get(first).status_code == 404
    assert browser().get(second).status_code == 200


def test_invitation_enforces_password_validators(world: World) -> None:
    path = invite(world)
    response = browser().post(path, {"full_name": "New", "password1": "short", "password2": "short"})
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert not User.objects.filter(email="new.clinician@example.test").exists()
    assert browser().get(path).status_code == 200  # the failed attempt did not use up the link


def test_existing_account_accepts_after_signing_in(world: World) -> None:
    path = invite(world, email=world.b.clinician.email, role=Role.READ_ONLY)
    assert "Sign in" in browser().get(path).content.decode()
    wrong = browser()
    wrong.force_login(world.b.admin)
    wrong.post(path)
    assert not Membership.objects.filter(user=world.b.admin, practice=world.a.practice).exists()
    right = browser()
    right.force_login(world.b.clinician)
    assert right.post(path).status_code == 302
    assert Membership.objects.get(user=world.b.clinician, practice=world.a.practice).role == Role.READ_ONLY


def test_inviting_an_active_member_is_refused(world: World) -> None:
    response = admin_browser(world).post(members_url(world), {"email": world.a.clinician.email, "role": "clinician"})
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


def test_service_refuses_an_unknown_token() -> None:
    with pytest.raises(DomainError):
        invitation_accept(token="not-a-token", password=STRONG)


def test_invitation_of_practice_b_cannot_be_revoked_from_practice_a(world: World) -> None:
    issued = invitation_create(practice=world.b.practice, email="x@example.test", role="clinician", actor=world.b.admin)
    response = admin_browser(world).post(f"/p/{world.a.practice.slug}/admin/invitations/{issued.invitation.pk}/revoke/")
    assert response.status_code == 404
    issued.invitation.refresh_from_db()
    assert issued.invitation.revoked_at is None


# --- practice settings


def test_admin_saves_practice_settings_and_it_is_audited(world: World) -> None:
    url = f"/p/{world.a.practice.slug}/admin/settings/"
    form = {
        "require_mfa": "on",
        "transcript_retention": TranscriptRetention.AFTER_DAYS,
        "transcript_retention_days": "14",
    }
    assert admin_browser(world).post(url, form).status_code == 302
    practice = world.a.practice
    practice.refresh_from_db()
    assert (practice.require_mfa, practice.transcript_retention, practice.transcript_retention_days) == (
        True,
        "after_days",
        14,
    )
    event = AuditEvent.objects.get(action="practice.settings_change", practice=practice)
    assert event.detail == {"require_mfa": True, "transcript_retention": "after_days", "transcript_retention_days": 14}


def test_settings_refuse_zero_days(world: World) -> None:
    url = f"/p/{world.a.practice.slug}/admin/settings/"
    form = {"transcript_retention": "after_days", "transcript_retention_days": "0"}
    response = admin_browser(world).post(url, form)
    assert response.status_code == 400
    world.a.practice.refresh_from_db()
    assert world.a.practice.transcript_retention == "keep"


# --- audit log review


def test_audit_log_shows_only_this_practice_and_filters(world: World) -> None:
    audit_record(
        action="note.view", practice=world.a.practice, actor=world.a.clinician, object_type="note", object_id="n-1"
    )
    audit_record(
        action="note.sign", practice=world.a.practice, actor=world.a.admin, object_type="note", object_id="n-2"
    )
    audit_record(
        action="note.view", practice=world.b.practice, actor=world.b.clinician, object_type="note", object_id="n-other"
    )
    url = f"/p/{world.a.practice.slug}/admin/audit/"
    page = admin_browser(world).get(url).content.decode()
    assert "n-2" in page and "n-1" not in page and "n-other" not in page  # views hidden unless asked
    with_views = admin_browser(world).get(url, {"include_views": "on"}).content.decode()
    assert "n-1" in with_views and "n-2" in with_views and "n-other" not in with_views
    filtered = admin_browser(world).get(url, {"action": "note.view"}).content.decode()
    assert "n-1" in filtered and "n-2" not in filtered
    by_actor = admin_browser(world).get(url, {"actor": str(world.a.admin.pk)}).content.decode()
    assert "n-2" in by_actor and "n-1" not in by_actor
    assert "n-1" not in admin_browser(world).get(url, {"until": "2000-01-01"}).content.decode()


def test_audit_csv_export_has_this_practices_events_and_is_itself_audited(world: World) -> None:
    audit_record(
        action="note.export",
        practice=world.a.practice,
        actor=world.a.clinician,
        object_type="note",
        object_id="=HYPERLINK(1)",
    )
    audit_record(
        action="note.export", practice=world.b.practice, actor=world.b.clinician, object_type="note", object_id="b-only"
    )
    response = admin_browser(world).get(f"/p/{world.a.practice.slug}/admin/audit/export.csv", {"action": "note.export"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined,arg-type]
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["time", "action", "actor_id"]
    assert [r[5] for r in rows[1:]] == ["'=HYPERLINK(1)"]  # formula neutralised; practice B absent
    assert rows[1][3] == world.a.clinician.email
    assert AuditEvent.objects.filter(action="audit.export", practice=world.a.practice, actor=world.a.admin).exists()


def test_audit_log_reads_in_words_names_and_links_records_and_keeps_the_address_of_changes(world: World) -> None:
    from clients.services import client_create

    browser = admin_browser(world)
    # A change made through a page: the service records the event without seeing the request.
    new = f"/p/{world.a.practice.slug}/clients/new/"
    response = browser.post(new, {"name": "Robin Example"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    created = AuditEvent.objects.filter(action="client.create", practice=world.a.practice).latest("created_at")
    assert created.ip_address == "203.0.113.9"
    client = client_create(practice=world.a.practice, actor=world.a.admin, name="Sam Other")
    assert AuditEvent.objects.filter(action="client.create", object_id=str(client.pk)).get().ip_address is None
    page = browser.get(f"/p/{world.a.practice.slug}/admin/audit/").content.decode()
    assert "<td>Client added</td>" in page and "<td>client.create</td>" not in page
    assert f'href="/p/{world.a.practice.slug}/clients/{client.pk}/">Sam Other</a>' in page
    assert 'class="table-scroll"' in page and " UTC</td>" in page
