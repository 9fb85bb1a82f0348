"""Redis not answering: API calls and pages say so with a 503 the user can act on, not a server error."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.test import Client as BrowserClient
from django.test import override_settings

from tests.conftest import PASSWORD, World, api_client_for


@pytest.fixture
def redis_down() -> Iterator[None]:
    """The cache (rate limits) points at a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    with override_settings(CACHES={"default": cache}):
        yield


def test_api_answers_503_in_the_error_shape(world: World, redis_down: None) -> None:
    api = api_client_for(world.a.clinician)
    response = api.get(f"/api/v1/practices/{world.a.practice.slug}/clients/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert "try again" in response.json()["error"]["message"]
    assert response["Retry-After"] == "60"


def test_sign_in_page_answers_503_with_a_plain_page(world: World, redis_down: None) -> None:
    browser = BrowserClient(raise_request_exception=False)
    response = browser.post("/accounts/login/", {"login": world.a.clinician.email, "password": PASSWORD})
    assert response.status_code == 503
    assert b"Briefly unavailable" in response.content and b"try again in a minute" in response.content
    assert world.a.clinician.email.encode() not in response.content
