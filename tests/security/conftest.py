"""Helpers for the security tests: fresh members and real sign-ins from distinct addresses.

Sign-in rate limits and lockouts are counted per address and account in Redis,
which outlives a test's database; every test signs in as a new account from a
new address so no test sees another's counters.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client as BrowserClient

from intellisession.models import Membership, Practice, Role, User
from tests.conftest import PASSWORD

_addresses = itertools.count(1)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # an authenticator app's secret for test accounts
TOTP_PERIOD = 30
CODE_MARGIN_S = 5  # seconds a code must have left: the server may check it a moment later, under load


def current_code(secret: str = SECRET) -> str:
    """The authenticator code of this moment, taken where it is still good for a few seconds
    (the server allows no drift, and a code checked just after its period ends fails)."""
    left = TOTP_PERIOD - time.time() % TOTP_PERIOD
    if left < CODE_MARGIN_S:
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // TOTP_PERIOD))


def fresh_ip() -> str:
    n = next(_addresses) + (uuid.uuid4().int % 50000)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255 or 1}"


def browser(ip: str | None = None) -> BrowserClient:
    return BrowserClient(REMOTE_ADDR=ip or fresh_ip())


def new_member(practice: Practice, role: str = Role.CLINICIAN, *, password: str = PASSWORD) -> User:
    user = User.objects.create_user(email=f"{uuid.uuid4().hex[:12]}@members.test", password=password)
    Membership.objects.create(user=user, practice=practice, role=role)
    return user


def sign_in(client: BrowserClient, user: User, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": user.email, "password": password})
