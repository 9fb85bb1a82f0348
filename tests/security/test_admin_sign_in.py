"""Finding 1: the Django admin's own login form signed operators in with a password alone."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.test import override_settings

from intellisession.models import User
from tests.conftest import PASSWORD, World
from tests.security.conftest import SECRET, browser, current_code, sign_in

pytestmark = pytest.mark.django_db


def operator_with_authenticator() -> User:
    operator = User.objects.create_superuser(email="ops-login@example.test", password=PASSWORD)
    TOTP.activate(operator, SECRET)
    return operator


def session_user_id(client: object) -> str | None:
    return client.session.get("_auth_user_id")  # type: ignore[attr-defined,no-any-return]


@override_settings(STAFF_REQUIRE_MFA=True)
def test_signed_in_member_cannot_sign_in_as_an_operator_through_the_admin_form(world: World) -> None:
    operator = operator_with_authenticator()
    client = browser()
    client.force_login(world.a.clinician)
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 403 and b'type="password"' not in page.content
    client.post("/admin/login/?next=/admin/", {"username": operator.email, "password": PASSWORD, "next": "/admin/"})
    assert session_user_id(client) == str(world.a.clinician.pk)
    assert client.get("/admin/").status_code != 200


@override_settings(STAFF_REQUIRE_MFA=True)
def test_anonymous_admin_login_goes_to_the_site_sign_in_and_takes_no_password(world: World) -> None:
    operator = operator_with_authenticator()
    client = browser()
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 302 and page["Location"] == "/accounts/login/?next=/admin/"
    client.post("/admin/login/", {"username": operator.email, "password": PASSWORD, "next": "/admin/"})
    assert session_user_id(client) is None


@override_settings(STAFF_REQUIRE_MFA=True)
def test_operator_reaches_the_admin_after_password_and_code(world: World) -> None:
    operator = operator_with_authenticator()
    client = browser()
    assert sign_in(client, operator)["Location"] == "/accounts/2fa/authenticate/"
    assert session_user_id(client) is None
    client.post("/accounts/2fa/authenticate/", {"code": current_code()})
    assert session_user_id(client) == str(operator.pk)
    assert client.get("/admin/login/?next=https://evil.example/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
