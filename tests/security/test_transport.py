"""Headers, cookies, upload caps, rate limits, and `check --deploy` with production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from tests.conftest import REPO, World, with_rate, worker_database_url
from tests.security.conftest import browser, fresh_ip, new_member

pytestmark = pytest.mark.django_db


def production_env() -> dict[str, str]:
    """The variables README's production section says to set."""
    # Only what a production host would have: the browser tests' async escape hatch is not.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="notes.example.org",
        CSRF_TRUSTED_ORIGINS="https://notes.example.org",
        SECURE_SSL_REDIRECT="true",
        BEHIND_TLS_PROXY="true",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=worker_database_url(),
        REDIS_URL=settings.REDIS_URL,
    )
    return env


def run_deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings() -> None:
    result = run_deploy_check(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.slow
def test_check_deploy_warns_without_environment_keys() -> None:
    env = production_env()
    del env["FIELD_ENCRYPTION_KEYS"]
    env["DEBUG"] = "true"
    result = run_deploy_check(env)
    assert result.returncode != 0
    assert "intellisession.W001" in result.stderr and "security.W018" in result.stderr


def test_pages_carry_security_headers(world: World) -> None:
    client = browser()
    client.force_login(world.a.clinician)
    response = client.get(f"/p/{world.a.practice.slug}/", secure=True)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_session_and_csrf_cookies_are_secure_and_http_only(world: World) -> None:
    user = new_member(world.a.practice)
    client = browser()
    response = client.post("/accounts/login/", {"login": user.email, "password": "correct horse battery staple 9"})
    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["secure"] and session_cookie["httponly"] and session_cookie["samesite"] == "Lax"
    assert not session_cookie["max-age"]  # ends with the browser; the server bounds the lifetime
    assert settings.CSRF_COOKIE_SECURE and settings.CSRF_COOKIE_HTTPONLY


@override_settings(MAX_REQUEST_BYTES=1000)
def test_oversized_request_is_refused_before_reading(world: World) -> None:
    client = browser()
    client.force_login(world.a.clinician)
    response = client.post(f"/p/{world.a.practice.slug}/clients/new/", {"name": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_api_is_throttled_per_user(world: World) -> None:
    user = new_member(world.a.practice)
    api = APIClient(REMOTE_ADDR=fresh_ip())
    api.force_authenticate(user)
    limited = with_rate("user", "3/minute")
    with limited:
        codes = [api.get(f"/api/v1/practices/{world.a.practice.slug}/clients/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_token_sign_in_is_throttled_per_address(world: World) -> None:
    api = APIClient(REMOTE_ADDR=fresh_ip())
    limited = with_rate("sign_in", "2/minute")
    with limited:
        codes = [
            api.post("/api/v1/auth/token/", {"username": f"u{i}@x.test", "password": "p"}).status_code for i in range(3)
        ]
    assert codes == [400, 400, 429]
