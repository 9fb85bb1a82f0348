"""API tokens, attacked the way the outside probe did: through the token endpoint and the API.

Findings: tokens outside the practice's two-factor rule (2); tokens that never end, that the
endpoint hands out again, and that operators could read in the admin (3); authenticator codes
guessed on the token endpoint without counting towards the lockout (4).
"""

from __future__ import annotations

import datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from intellisession.models import ApiToken, AuditEvent, Practice, Role, User
from tests.conftest import PASSWORD, World
from tests.security.conftest import SECRET, browser, current_code, fresh_ip, new_member, sign_in

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def wrong_code() -> str:
    return "000000" if current_code() != "000000" else "111111"


def obtain(user: User, **extra: str) -> str:
    response = APIClient(REMOTE_ADDR=fresh_ip()).post(
        TOKEN_URL, {"username": user.email, "password": PASSWORD, **extra}
    )
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def with_token(key: str) -> APIClient:
    api = APIClient(REMOTE_ADDR=fresh_ip())
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def clients_url(practice: Practice) -> str:
    return f"/api/v1/practices/{practice.slug}/clients/"


# --- finding 2: the practice's two-factor rule applies to tokens made before it was switched on


def test_token_from_before_mfa_was_required_gets_403_mfa_required(world: World) -> None:
    user = new_member(world.a.practice)
    api = with_token(obtain(user))
    assert api.get(clients_url(world.a.practice)).status_code == 200
    world.a.practice.require_mfa = True
    world.a.practice.save()
    for response in (
        api.get(clients_url(world.a.practice)),
        api.post(clients_url(world.a.practice), {"name": "New client"}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "mfa_required"


def test_token_issued_without_a_code_stops_when_the_user_adds_an_authenticator(world: World) -> None:
    user = new_member(world.a.practice)
    api = with_token(obtain(user))
    TOTP.activate(user, SECRET)
    response = api.get(clients_url(world.a.practice))
    assert response.status_code == 403 and response.json()["error"]["code"] == "mfa_required"
    assert with_token(obtain(user, code=current_code())).get(clients_url(world.a.practice)).status_code == 200


# --- finding 3: tokens end, are new each time, and are never readable again


def test_asking_again_makes_a_new_token_and_both_work(world: World) -> None:
    user = new_member(world.a.practice)
    first, second = obtain(user), obtain(user)
    assert first != second
    assert with_token(first).get(clients_url(world.a.practice)).status_code == 200
    assert with_token(second).get(clients_url(world.a.practice)).status_code == 200


def test_password_change_ends_every_token(world: World) -> None:
    user = new_member(world.a.practice)
    api = with_token(obtain(user))
    client = browser()
    sign_in(client, user)
    new_password = "a different horse battery 42"
    response = client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302
    refused = api.get(clients_url(world.a.practice))
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_invalid"
    assert ApiToken.objects.get(user=user).status == "password_changed"


def test_an_old_token_has_expired(world: World) -> None:
    user = new_member(world.a.practice)
    key = obtain(user)
    issued_2020 = datetime.datetime(2020, 3, 1, tzinfo=datetime.UTC)
    ApiToken.objects.filter(user=user).update(
        created_at=issued_2020, expires_at=issued_2020 + datetime.timedelta(hours=12)
    )
    assert with_token(key).get(clients_url(world.a.practice)).status_code == 401


@override_settings(API_TOKEN_TTL=3600)
def test_token_lifetime_is_the_setting(world: World) -> None:
    user = new_member(world.a.practice)
    before = timezone.now()
    body = APIClient(REMOTE_ADDR=fresh_ip()).post(TOKEN_URL, {"username": user.email, "password": PASSWORD}).json()
    expires = ApiToken.objects.get(pk=body["id"]).expires_at
    assert datetime.timedelta(minutes=59) < expires - before <= datetime.timedelta(hours=1, seconds=5)


def test_only_a_hash_of_the_key_is_stored_and_the_admin_shows_a_prefix(world: World) -> None:
    user = new_member(world.a.practice)
    key = obtain(user)
    assert key not in str(list(ApiToken.objects.values()))
    operator = User.objects.create_superuser(email="ops-tokens@example.test", password=PASSWORD)
    TOTP.activate(operator, SECRET)
    admin = browser()
    admin.force_login(operator)
    page = admin.get("/admin/intellisession/apitoken/")
    assert page.status_code == 200
    text = page.content.decode()
    assert key[:8] in text and key not in text
    detail = admin.get(f"/admin/intellisession/apitoken/{ApiToken.objects.get(user=user).pk}/change/").content
    assert key not in detail.decode()
    assert admin.get("/admin/authtoken/token/").status_code == 404  # DRF's plain-text token table is gone


def test_owner_lists_their_tokens_without_keys_and_revokes_one(world: World) -> None:
    user = new_member(world.a.practice)
    keep, drop = obtain(user), obtain(user)
    api = with_token(keep)
    listed = api.get("/api/v1/auth/tokens/").json()
    assert {row["prefix"] for row in listed} == {keep[:8], drop[:8]}
    assert keep not in str(listed) and drop not in str(listed)
    target = next(row["id"] for row in listed if row["prefix"] == drop[:8])
    assert api.delete(f"/api/v1/auth/tokens/{target}/").status_code == 204
    assert with_token(drop).get(clients_url(world.a.practice)).status_code == 401
    assert api.get(clients_url(world.a.practice)).status_code == 200
    assert AuditEvent.objects.filter(action="auth.api_token_revoke", object_id=target, actor=user).exists()
    other = new_member(world.a.practice)
    assert with_token(obtain(other)).delete(f"/api/v1/auth/tokens/{target}/").status_code == 404


def test_practice_admin_lists_and_revokes_a_members_token(world: World) -> None:
    member = new_member(world.a.practice)
    member_key = obtain(member)
    admin_api = with_token(obtain(world.a.admin))
    url = f"/api/v1/practices/{world.a.practice.slug}/api-tokens/"
    rows = admin_api.get(url).json()["results"]
    row = next(r for r in rows if r["user_id"] == str(member.pk))
    assert member_key not in str(rows)
    # Another practice's admin and a clinician of the same practice cannot touch it.
    assert (
        with_token(obtain(world.b.admin))
        .delete(f"/api/v1/practices/{world.b.practice.slug}/api-tokens/{row['id']}/")
        .status_code
        == 404
    )
    assert with_token(obtain(world.a.clinician)).delete(f"{url}{row['id']}/").status_code == 403
    assert admin_api.delete(f"{url}{row['id']}/").status_code == 204
    assert with_token(member_key).get(clients_url(world.a.practice)).status_code == 401


def test_deactivating_a_membership_revokes_the_members_tokens(world: World) -> None:
    member = new_member(world.a.practice)
    key = obtain(member)
    admin = browser()
    admin.force_login(world.a.admin)
    membership = member.memberships.get()
    assert admin.post(f"/p/{world.a.practice.slug}/admin/members/{membership.pk}/deactivate/").status_code == 302
    admin.post(f"/p/{world.a.practice.slug}/admin/members/{membership.pk}/reactivate/")
    assert with_token(key).get(clients_url(world.a.practice)).status_code == 401  # reactivation revives nothing
    assert ApiToken.objects.get(user=member).revoke_reason == "membership_ended"


def test_removing_a_membership_or_deactivating_the_user_revokes_tokens(world: World) -> None:
    removed, deactivated = new_member(world.a.practice), new_member(world.a.practice)
    removed_key, deactivated_key = obtain(removed), obtain(deactivated)
    removed.memberships.get().delete()
    deactivated.is_active = False
    deactivated.save()
    assert ApiToken.objects.get(user=removed).revoke_reason == "membership_ended"
    assert ApiToken.objects.get(user=deactivated).revoke_reason == "user_deactivated"
    for key in (removed_key, deactivated_key):
        assert with_token(key).get("/api/v1/auth/tokens/").status_code == 401


# --- finding 4: authenticator codes count towards the lockout


def test_wrong_authenticator_codes_lock_the_token_endpoint(world: World) -> None:
    user = new_member(world.a.practice, Role.CLINICIAN)
    TOTP.activate(user, SECRET)
    api = APIClient(REMOTE_ADDR=fresh_ip())
    for _ in range(5):
        response = api.post(TOKEN_URL, {"username": user.email, "password": PASSWORD, "code": wrong_code()})
        assert response.status_code == 400 and "token" not in response.json()
    refused = api.post(TOKEN_URL, {"username": user.email, "password": PASSWORD, "code": current_code()})
    assert refused.status_code in (400, 429) and "token" not in refused.json()
    assert AuditEvent.objects.filter(action="auth.sign_in_failed", actor=user, detail__reason="mfa_code").count() == 5
    assert AuditEvent.objects.filter(action="auth.lockout", actor=user).exists()


def test_practice_admin_revokes_a_members_tokens_from_the_members_page(world: World) -> None:
    member = new_member(world.a.practice)
    key = obtain(member)
    admin = browser()
    admin.force_login(world.a.admin)
    membership = member.memberships.get()
    revoke_url = f"/p/{world.a.practice.slug}/admin/members/{membership.pk}/tokens/revoke/"
    assert revoke_url in admin.get(f"/p/{world.a.practice.slug}/admin/members/").content.decode()
    clinician = browser()
    clinician.force_login(world.a.clinician)
    assert clinician.post(revoke_url).status_code == 403
    assert admin.post(revoke_url).status_code == 302
    assert with_token(key).get(clients_url(world.a.practice)).status_code == 401
    assert ApiToken.objects.get(user=member).revoke_reason == "revoked_by_admin"
