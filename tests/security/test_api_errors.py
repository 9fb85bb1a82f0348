"""Findings 7 and 8: malformed ids and parameters were 500s with the debug page, and most API
errors came in DRF's `{"detail": ...}` instead of the documented `{"error": {"code", "message"}}`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client as BrowserClient

from tests.conftest import World, api_client_for

pytestmark = pytest.mark.django_db


def api(user: Any) -> Any:
    client = api_client_for(user)
    client.raise_request_exception = False  # what an HTTP client would see, 500s included
    return client


def page(user: Any) -> BrowserClient:
    client = BrowserClient(raise_request_exception=False)
    client.force_login(user)
    return client


def assert_error_shape(response: Any, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]


# The eight routes the probe answered with a 500 for a non-UUID id.
MALFORMED_ID_ROUTES = [
    ("get", "clients/x/"),
    ("get", "goals/x/"),
    ("get", "notes/x/"),
    ("get", "note-requests/x/"),
    ("get", "notes/x/export/"),
    ("post", "notes/x/sign/"),
    ("post", "note-requests/x/retry/"),
    ("post", "consents/x/revoke/"),
]


@pytest.mark.parametrize(("method", "path"), MALFORMED_ID_ROUTES)
def test_non_uuid_id_in_the_path_is_a_404_in_the_error_shape(world: World, method: str, path: str) -> None:
    response = getattr(api(world.a.clinician), method)(f"/api/v1/practices/{world.a.practice.slug}/{path}")
    assert_error_shape(response, 404)


@pytest.mark.parametrize("path", ["clients", "goals", "notes", "note-requests", "consents"])
def test_unknown_uuid_is_a_404_in_the_error_shape(world: World, path: str) -> None:
    response = api(world.a.clinician).get(f"/api/v1/practices/{world.a.practice.slug}/{path}/{uuid.uuid4()}/")
    assert_error_shape(response, 404)
    assert response.json()["error"]["code"] == "not_found"


def test_other_practice_and_unknown_urls_are_404s_in_the_error_shape(world: World) -> None:
    client = api(world.a.clinician)
    assert_error_shape(client.get(f"/api/v1/practices/{world.b.practice.slug}/clients/"), 404)
    assert_error_shape(client.get(f"/api/v1/practices/{world.a.practice.slug}/no-such-thing/"), 404)
    assert_error_shape(client.get("/api/v1/nothing-here/"), 404)


@pytest.mark.parametrize("path", ["notes", "goals", "consents"])
def test_malformed_client_filter_is_a_400(world: World, path: str) -> None:
    response = api(world.a.clinician).get(f"/api/v1/practices/{world.a.practice.slug}/{path}/?client=x")
    assert_error_shape(response, 400)
    assert "client" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", ["clients", "notes", "api-tokens"])
def test_huge_limit_is_capped_not_a_500(world: World, path: str) -> None:
    response = api(world.a.admin).get(
        f"/api/v1/practices/{world.a.practice.slug}/{path}/?limit=999999999999999999999&offset=999999999999999999999"
    )
    assert response.status_code == 200, response.content[:300]
    response = api(world.a.admin).get(f"/api/v1/practices/{world.a.practice.slug}/{path}/?limit=999999999999999999999")
    assert response.status_code == 200 and len(response.json()["results"]) <= 500


def test_options_with_a_token_answers(world: World) -> None:
    client = api(world.a.clinician)
    for path in ("clients/", f"clients/{world.a.client.pk}/", "note-requests/", "notes/"):
        response = client.options(f"/api/v1/practices/{world.a.practice.slug}/{path}")
        assert response.status_code == 200, (path, response.content[:300])
    assert_error_shape(client.options(f"/api/v1/practices/{world.b.practice.slug}/clients/"), 404)


def test_read_only_write_and_bad_body_use_the_error_shape(world: World) -> None:
    base = f"/api/v1/practices/{world.a.practice.slug}"
    assert_error_shape(api(world.a.reader).post(f"{base}/clients/", {"name": "X"}, format="json"), 403)
    assert_error_shape(api(world.a.clinician).post(f"{base}/goals/", {"client_id": "x"}, format="json"), 400)
    assert_error_shape(api(world.a.clinician).post(f"{base}/note-requests/", {"client_id": "x"}), 400)


def test_recording_start_with_a_malformed_client_id_is_a_400(world: World) -> None:
    response = page(world.a.clinician).post(f"/p/{world.a.practice.slug}/uploads/", {"client_id": "x"})
    assert response.status_code == 400


def test_template_edit_with_a_non_numeric_section_count_is_a_400(world: World) -> None:
    from notes.models import NoteTemplate

    template = NoteTemplate.objects.create(
        practice=world.a.practice,
        name="Short",
        created_by=world.a.admin,
        based_on="soap",
        sections=[{"key": "plan", "title": "Plan", "instructions": "", "role": "plan"}],
    )
    response = page(world.a.admin).post(
        f"/p/{world.a.practice.slug}/templates/{template.pk}/", {"name": "Short", "section-count": "abc"}
    )
    assert response.status_code == 400
