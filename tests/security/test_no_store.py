"""Finding 11: pages, exports and API answers with client data could be kept by a browser or proxy cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as BrowserClient

from tests.conftest import World, api_client_for
from tests.test_isolation import _note

pytestmark = pytest.mark.django_db


def assert_not_stored(response: Any) -> None:
    assert response.status_code == 200, response.status_code
    assert "no-store" in response.get("Cache-Control", ""), dict(response.headers)


def test_pages_and_exports_with_client_data_are_no_store(world: World) -> None:
    note_id = _note(world.a)
    browser = BrowserClient()
    browser.force_login(world.a.clinician)
    slug = world.a.practice.slug
    for path in (
        f"/p/{slug}/",
        f"/p/{slug}/clients/{world.a.client.pk}/",
        f"/p/{slug}/notes/{note_id}/",
        f"/p/{slug}/notes/{note_id}/export.pdf",
        f"/p/{slug}/notes/{note_id}/export.txt",
    ):
        assert_not_stored(browser.get(path))


def test_api_answers_and_exports_are_no_store(world: World) -> None:
    note_id = _note(world.a)
    api = api_client_for(world.a.clinician)
    base = f"/api/v1/practices/{world.a.practice.slug}"
    for path in (
        f"{base}/clients/",
        f"{base}/clients/{world.a.client.pk}/",
        f"{base}/notes/{note_id}/",
        f"{base}/notes/{note_id}/export/",
        f"{base}/notes/{note_id}/export/?as=text",
    ):
        assert_not_stored(api.get(path))
    refused = api.get(f"{base}/notes/00000000-0000-0000-0000-000000000000/")
    assert refused.status_code == 404 and "no-store" in refused["Cache-Control"]
