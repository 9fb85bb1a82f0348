"""Sign-in: audit events, lockout, MFA (setup, enforcement, sign-in, API tokens), session timeouts."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client as BrowserClient
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from intellisession.models import AuditEvent, Practice, Role, User
from intellisession.security import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from tests.conftest import PASSWORD, World
from tests.security.conftest import SECRET, browser, current_code, fresh_ip, new_member, sign_in

pytestmark = pytest.mark.django_db


def signed_in(client: BrowserClient) -> bool:
    return "_auth_user_id" in client.session


# --- audit of sign-in events


def test_sign_in_and_sign_out_are_audited_per_practice(world: World) -> None:
    user = new_member(world.a.practice)
    client = browser()
    assert sign_in(client, user).status_code == 302 and signed_in(client)
    event = AuditEvent.objects.get(action="auth.sign_in", actor=user)
    assert event.practice_id == world.a.practice.pk and event.ip_address is not None
    client.post("/accounts/logout/")
    assert not signed_in(client)
    assert AuditEvent.objects.get(action="auth.sign_out", actor=user).detail == {"reason": "user"}


def test_failed_sign_in_is_audited_without_the_typed_text(world: World) -> None:
    user = new_member(world.a.practice)
    sign_in(browser(), user, password="wrong password typed")
    event = AuditEvent.objects.get(action="auth.sign_in_failed", actor=user)
    assert event.practice_id == world.a.practice.pk
    browser().post("/accounts/login/", {"login": "nobody-x@example.test", "password": "whatever"})
    stranger = AuditEvent.objects.get(action="auth.sign_in_failed", actor=None)
    assert stranger.detail == {"known_user": False}
    dumped = str(list(AuditEvent.objects.values()))
    assert "nobody-x@example.test" not in dumped and "wrong password typed" not in dumped


# --- lockout


def fail_times(ip: str, user: User, count: int) -> None:
    for _ in range(count):
        sign_in(browser(ip), user, password="not the password")


def test_account_is_locked_after_five_failures_from_one_address(world: World) -> None:
    user = new_member(world.a.practice)
    ip = fresh_ip()
    fail_times(ip, user, 5)
    client = browser(ip)
    response = sign_in(client, user)
    assert response.status_code == 429 and not signed_in(client)
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.lockout", actor=user, practice=world.a.practice).exists()
    # Keyed by account and address: the same account from elsewhere still signs in.
    other = browser()
    sign_in(other, user)
    assert signed_in(other)


def test_practice_admin_clears_a_lockout(world: World) -> None:
    user = new_member(world.a.practice)
    ip = fresh_ip()
    fail_times(ip, user, 5)
    admin = browser()
    admin.force_login(world.a.admin)
    member = user.memberships.get()
    assert admin.post(f"/p/{world.a.practice.slug}/admin/members/{member.pk}/unlock/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.unlock", object_id=str(member.pk)).exists()
    client = browser(ip)
    sign_in(client, user)
    assert signed_in(client)


def test_members_page_offers_to_clear_a_lockout_only_for_the_member_locked_out(world: World) -> None:
    locked, unlucky, roaming = (new_member(world.a.practice) for _ in range(3))
    fail_times(fresh_ip(), locked, 5)
    fail_times(fresh_ip(), unlucky, 3)  # under the limit: nothing to clear
    for ip in (fresh_ip(), fresh_ip()):  # 4 from each of two addresses: neither address is locked
        fail_times(ip, roaming, 4)
    admin = browser()
    admin.force_login(world.a.admin)
    members = f"/p/{world.a.practice.slug}/admin/members/"
    page = admin.get(members).content.decode()
    unlock = re.findall(r'action="/p/[^/]+/admin/members/([0-9a-f-]+)/unlock/"', page)
    assert unlock == [str(locked.memberships.get().pk)]
    assert page.count("data-locked-out") == 1 and "Clear sign-in lockout" in page
    admin.post(f"{members}{unlock[0]}/unlock/")
    page = admin.get(members).content.decode()
    assert "/unlock/" not in page and "Clear sign-in lockout" not in page and "data-locked-out" not in page


def test_api_token_sign_in_is_locked_too(world: World) -> None:
    user = new_member(world.a.practice)
    api = APIClient(REMOTE_ADDR=fresh_ip())
    for _ in range(5):
        assert api.post("/api/v1/auth/token/", {"username": user.email, "password": "nope"}).status_code == 400
    response = api.post("/api/v1/auth/token/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 400 and "token" not in response.json()


# --- MFA


@pytest.fixture
def mfa_practice(world: World) -> Practice:
    world.a.practice.require_mfa = True
    world.a.practice.save()
    return world.a.practice


def test_member_of_mfa_practice_is_sent_to_setup_until_they_have_an_authenticator(mfa_practice: Practice) -> None:
    user = new_member(mfa_practice)
    client = browser()
    sign_in(client, user)
    response = client.get(f"/p/{mfa_practice.slug}/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"
    api = client.get(f"/api/v1/practices/{mfa_practice.slug}/clients/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "mfa_required"
    # Set it up through allauth's own page, with the secret it generated for this session.
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session["mfa.totp.secret"]
    with TestCase.captureOnCommitCallbacks(execute=True):  # allauth signals the change after commit
        assert client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)}).status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    assert Authenticator.objects.filter(user=user, type="recovery_codes").exists()
    assert AuditEvent.objects.filter(action="mfa.authenticator_added", actor=user, practice=mfa_practice).exists()
    assert client.get(f"/p/{mfa_practice.slug}/").status_code == 200


def test_member_of_practice_without_mfa_policy_is_not_redirected(world: World) -> None:
    client = browser()
    sign_in(client, new_member(world.a.practice))
    assert client.get(f"/p/{world.a.practice.slug}/").status_code == 200


def test_sign_in_asks_for_the_authenticator_code(mfa_practice: Practice) -> None:
    user = new_member(mfa_practice)
    TOTP.activate(user, SECRET)
    client = browser()
    response = sign_in(client, user)
    assert response["Location"] == "/accounts/2fa/authenticate/" and not signed_in(client)
    client.post("/accounts/2fa/authenticate/", {"code": "000000" if current_code() != "000000" else "111111"})
    assert not signed_in(client)
    client.post("/accounts/2fa/authenticate/", {"code": current_code()})
    assert signed_in(client)
    assert client.get(f"/p/{mfa_practice.slug}/").status_code == 200


def test_totp_secret_is_stored_encrypted(world: World) -> None:
    user = new_member(world.a.practice)
    authenticator = TOTP.activate(user, SECRET).instance
    stored = Authenticator.objects.get(pk=authenticator.pk).data["secret"]
    assert stored.startswith("fernet:") and SECRET not in stored


def test_required_mfa_cannot_be_switched_off(mfa_practice: Practice) -> None:
    from allauth.mfa.adapter import get_adapter

    user = new_member(mfa_practice)
    authenticator = TOTP.activate(user, SECRET).instance
    assert get_adapter().can_delete_authenticator(authenticator) is False
    mfa_practice.require_mfa = False
    mfa_practice.save()
    assert get_adapter().can_delete_authenticator(authenticator) is True


@override_settings(STAFF_REQUIRE_MFA=True)
def test_operator_needs_mfa_for_django_admin(world: World) -> None:
    operator = User.objects.create_superuser(email="ops@example.test", password=PASSWORD)
    client = browser()
    sign_in(client, operator)
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"
    anonymous = browser().get("/admin/login/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_api_token_needs_the_code_when_mfa_is_on(world: World) -> None:
    user = new_member(world.a.practice)
    TOTP.activate(user, SECRET)
    api = APIClient(REMOTE_ADDR=fresh_ip())
    refused = api.post("/api/v1/auth/token/", {"username": user.email, "password": PASSWORD})
    assert refused.status_code == 400 and "token" not in refused.json()
    granted = api.post("/api/v1/auth/token/", {"username": user.email, "password": PASSWORD, "code": current_code()})
    assert granted.status_code == 200 and granted.json()["token"]


def test_api_token_refused_while_required_mfa_is_not_set_up(mfa_practice: Practice) -> None:
    user = new_member(mfa_practice, Role.ADMIN)
    response = APIClient(REMOTE_ADDR=fresh_ip()).post(
        "/api/v1/auth/token/", {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 400 and "two-factor" in str(response.json())


# --- session timeouts


def age_session(client: BrowserClient, *, seen_ago: int, started_ago: int) -> None:
    session = client.session
    now = int(time.time())
    session[SESSION_SEEN_KEY] = now - seen_ago
    session[SESSION_STARTED_KEY] = now - started_ago
    session.save()


def test_idle_session_is_signed_out_after_the_timeout(world: World) -> None:
    user = new_member(world.a.practice)
    client = browser()
    sign_in(client, user)
    url = f"/p/{world.a.practice.slug}/"
    age_session(client, seen_ago=14 * 60, started_ago=20 * 60)
    assert client.get(url).status_code == 200
    age_session(client, seen_ago=15 * 60 + 5, started_ago=20 * 60)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert not signed_in(client)
    assert AuditEvent.objects.get(action="auth.sign_out", actor=user).detail == {"reason": "idle"}


@override_settings(SESSION_IDLE_TIMEOUT=60)
def test_idle_timeout_is_a_setting(world: World) -> None:
    client = browser()
    sign_in(client, new_member(world.a.practice))
    age_session(client, seen_ago=61, started_ago=61)
    assert client.get(f"/p/{world.a.practice.slug}/").status_code == 302


def test_active_session_still_ends_at_the_absolute_lifetime(world: World) -> None:
    from django.conf import settings

    client = browser()
    user = new_member(world.a.practice)
    sign_in(client, user)
    age_session(client, seen_ago=10, started_ago=settings.SESSION_COOKIE_AGE + 1)
    assert client.get(f"/p/{world.a.practice.slug}/").status_code == 302
    assert AuditEvent.objects.get(action="auth.sign_out", actor=user).detail == {"reason": "lifetime"}


def test_background_polling_does_not_keep_a_session_alive(world: World) -> None:
    client = browser()
    sign_in(client, new_member(world.a.practice))
    age_session(client, seen_ago=10 * 60, started_ago=10 * 60)
    url = f"/p/{world.a.practice.slug}/"
    assert client.get(url, HTTP_X_BACKGROUND_POLL="1").status_code == 200
    assert int(time.time()) - client.session[SESSION_SEEN_KEY] >= 10 * 60
    assert client.get(url).status_code == 200
    assert int(time.time()) - client.session[SESSION_SEEN_KEY] < 5


def test_timed_out_api_call_gets_401_json(world: World) -> None:
    client = browser()
    sign_in(client, new_member(world.a.practice))
    age_session(client, seen_ago=3600, started_ago=3600)
    response = client.get(f"/api/v1/practices/{world.a.practice.slug}/clients/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "signed_out"


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_the_audit_log_records_the_clients_address(world: World) -> None:
    user = new_member(world.a.practice)
    client = browser()
    # The proxy appends the address it saw; anything left of it came from the client and may be forged.
    client.post(
        "/accounts/login/",
        {"login": user.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.9",
    )
    assert AuditEvent.objects.get(action="auth.sign_in", actor=user).ip_address == "203.0.113.9"
