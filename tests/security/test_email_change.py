"""Finding 5: a signed-in session switched the account to an unverified address without the password.

The attacker holds a signed-in browser (an unlocked workstation); they do not know the password.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client as BrowserClient
from django.test import TestCase

from intellisession.models import AuditEvent, User
from tests.conftest import PASSWORD, World
from tests.security.conftest import browser, new_member, sign_in

pytestmark = pytest.mark.django_db
ATTACKER = "attacker-inbox@evil.test"


def add_address(client: BrowserClient, email: str) -> Any:
    return client.post("/accounts/email/", {"email": email, "action_add": ""})


def reauthenticate(client: BrowserClient, password: str = PASSWORD) -> Any:
    return client.post("/accounts/reauthenticate/", {"password": password})


def confirmation_path(message: mail.EmailMessage) -> str:
    found = re.search(r"/accounts/confirm-email/[-:\w]+/", str(message.body))
    assert found, "no confirmation link in the mail"
    return found.group(0)


def test_adding_an_address_asks_for_the_password_first(world: World) -> None:
    user = new_member(world.a.practice)
    client = browser()
    sign_in(client, user)
    response = add_address(client, ATTACKER)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(user=user, email=ATTACKER).exists()
    reauthenticate(client, "not the password at all")
    assert not EmailAddress.objects.filter(user=user, email=ATTACKER).exists()


def test_an_unverified_address_cannot_be_made_primary(world: World) -> None:
    user = new_member(world.a.practice)
    old_email = user.email
    client = browser()
    sign_in(client, user)
    add_address(client, ATTACKER)
    reauthenticate(client)
    add_address(client, ATTACKER)
    assert EmailAddress.objects.filter(user=user, email=ATTACKER, verified=False).exists()
    client.post("/accounts/email/", {"email": ATTACKER, "action_primary": ""})
    user.refresh_from_db()
    assert user.email == old_email


def test_new_address_takes_over_only_once_confirmed_and_the_old_one_is_told(world: World) -> None:
    user = new_member(world.a.practice)
    old_email = user.email
    client = browser()
    sign_in(client, user)
    add_address(client, "new-address@members.test")
    reauthenticate(client)
    with TestCase.captureOnCommitCallbacks(execute=True):
        add_address(client, "new-address@members.test")
    verification = next(m for m in mail.outbox if m.to == ["new-address@members.test"])
    user.refresh_from_db()
    assert user.email == old_email
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post(confirmation_path(verification)).status_code == 302
    user.refresh_from_db()
    assert user.email == "new-address@members.test"
    assert any(m.to == [old_email] and "new-address@members.test" in m.body for m in mail.outbox)
    changed = AuditEvent.objects.get(action="account.email_changed", actor=user, practice=world.a.practice)
    assert set(changed.detail) == {"email_address_id", "from_email_address_id"}
    dumped = str(list(AuditEvent.objects.filter(actor=user).values()))
    assert old_email not in dumped and "new-address@members.test" not in dumped
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)
