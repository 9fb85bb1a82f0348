"""Finding 6: the web Generate Note form and Regenerate were not rate-limited, while the API answered 429.

One limit per member (scope ``note_create``) is counted where notes are written, so an attacker
cannot get round the API's 429 by posting the web form, by regenerating a draft again and again,
or by switching between the two."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as BrowserClient

from intellisession.models import User
from notes.models import NoteRequest
from tests.conftest import World, api_client_for, with_rate
from tests.security.conftest import new_member
from tests.test_isolation import _note

pytestmark = pytest.mark.django_db


def clinician_of(world: World) -> tuple[User, BrowserClient]:
    """A new clinician (so no other test's counter is theirs) with the practice's client on their caseload."""
    user = new_member(world.a.practice)
    world.a.client.assigned_clinicians.add(user)
    page = BrowserClient()
    page.force_login(user)
    return user, page


def generate_form(page: BrowserClient, world: World) -> Any:
    return page.post(
        f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/notes/new/",
        {
            "style": "soap",
            "date_of_service": "2026-01-05",
            "summary_only": "on",
            "text_kind": "session_summary",
            "text_body": "Talked about sleep.",
        },
    )


def api_create(user: User, world: World) -> Any:
    return api_client_for(user).post(
        f"/api/v1/practices/{world.a.practice.slug}/note-requests/",
        {"client_id": str(world.a.client.pk), "summary_only": True, "session_summary": "Talked about sleep."},
    )


def started_by(user: User) -> int:
    return NoteRequest.objects.filter(created_by=user).count()


def test_the_web_generate_form_answers_429_beyond_the_rate_and_starts_nothing(world: World) -> None:
    user, page = clinician_of(world)
    with with_rate("note_create", "2/hour"):
        statuses = [generate_form(page, world).status_code for _ in range(3)]
        refused = generate_form(page, world)
    assert statuses == [302, 302, 429]
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many notes started" in refused.content.decode()
    assert started_by(user) == 2


def test_regenerate_counts_towards_the_same_limit(world: World) -> None:
    user, page = clinician_of(world)
    note_id = _note(world.a)
    regenerate = f"/p/{world.a.practice.slug}/notes/{note_id}/regenerate/"
    with with_rate("note_create", "2/hour"):
        assert page.post(regenerate, {"style": "soap"}).status_code == 302
        assert page.post(regenerate, {"style": "dap"}).status_code == 302
        assert started_by(user) == 2
        refused = page.post(regenerate, {"style": "birp"}, follow=True)
    assert started_by(user) == 2
    assert "Too many notes started" in refused.content.decode()


def test_the_web_form_and_the_api_share_one_budget(world: World) -> None:
    user, page = clinician_of(world)
    with with_rate("note_create", "2/hour"):
        assert generate_form(page, world).status_code == 302
        assert api_create(user, world).status_code == 202
        api_refused = api_create(user, world)
        web_refused = generate_form(page, world)
    assert api_refused.status_code == 429 and int(api_refused["Retry-After"]) > 0
    assert api_refused.json()["error"]["code"] == "rate_limited"
    assert web_refused.status_code == 429
    assert started_by(user) == 2


def test_another_member_keeps_their_own_budget_and_refused_input_costs_nothing(world: World) -> None:
    first, first_page = clinician_of(world)
    second, second_page = clinician_of(world)
    with with_rate("note_create", "1/hour"):
        bad = api_client_for(first).post(
            f"/api/v1/practices/{world.a.practice.slug}/note-requests/",
            {"client_id": str(world.a.client.pk), "summary_only": True},  # no text: refused before counting
        )
        assert bad.status_code == 400
        assert generate_form(first_page, world).status_code == 302
        assert generate_form(first_page, world).status_code == 429
        assert generate_form(second_page, world).status_code == 302
    assert started_by(first) == 1 and started_by(second) == 1
