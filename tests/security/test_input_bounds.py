"""Finding 10: the API took a 5 MB note section (its PDF then took 46 s) while the web form capped
the same edit at 100,000 characters. One bound now holds for both, and for the service under them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as BrowserClient

from intellisession.errors import DomainError
from intellisession.validators import SECTION_TEXT_MAX
from notes.models import Note
from notes.services.review import note_update_section
from tests.conftest import World, api_client_for
from tests.test_isolation import _note

pytestmark = pytest.mark.django_db


def plan_text(note_id: Any) -> str:
    note = Note.objects.get(pk=note_id)
    plan = note.document.section("plan")
    assert plan is not None
    return plan.text


def test_api_refuses_a_five_megabyte_section_and_keeps_the_note(world: World) -> None:
    note_id = _note(world.a)
    response = api_client_for(world.a.clinician).patch(
        f"/api/v1/practices/{world.a.practice.slug}/notes/{note_id}/",
        {"sections": [{"key": "plan", "text": "x" * 5_000_000}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "sections" in response.json()["error"]["fields"]
    assert plan_text(note_id) == "Continue."


def test_api_and_web_form_draw_the_line_at_the_same_length(world: World) -> None:
    note_id = _note(world.a)
    api = api_client_for(world.a.clinician)
    url = f"/api/v1/practices/{world.a.practice.slug}/notes/{note_id}/"
    longest, too_long = "a" * SECTION_TEXT_MAX, "b" * (SECTION_TEXT_MAX + 1)
    assert api.patch(url, {"sections": [{"key": "plan", "text": longest}]}, format="json").status_code == 200
    assert api.patch(url, {"sections": [{"key": "plan", "text": too_long}]}, format="json").status_code == 400
    assert plan_text(note_id) == longest

    page = BrowserClient()
    page.force_login(world.a.clinician)
    page.post(f"/p/{world.a.practice.slug}/notes/{note_id}/section/", {"section": "plan", "text": too_long})
    assert plan_text(note_id) == longest
    page.post(f"/p/{world.a.practice.slug}/notes/{note_id}/section/", {"section": "plan", "text": "Short."})
    assert plan_text(note_id) == "Short."


def test_the_service_itself_refuses_an_over_long_section(world: World) -> None:
    note = Note.objects.get(pk=_note(world.a))
    with pytest.raises(DomainError) as refused:
        note_update_section(note=note, actor=world.a.clinician, section_key="plan", text="c" * (SECTION_TEXT_MAX + 1))
    assert refused.value.code == "section_too_long"
