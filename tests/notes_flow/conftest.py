"""Note writing through the real services: the real model on real audio, tasks run in-process
(Celery's eager mode runs the very same tasks), LLM protocol cases against a fake HTTP endpoint."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clients.models import RecordingConsent, TreatmentGoal
from intellisession.models import Membership
from notes.models import Note, NoteRequest
from notes.services.requests import note_request_create
from notes.services.review import note_import
from tests.conftest import World

PRIOR_NOTE = (
    "Subjective: Sam described low mood before the anniversary of his father's death. "
    "Plan: continue weekly sessions and plan a phased return to work."
)


@pytest.fixture
def eager() -> Iterator[None]:
    from intellisession.celery import app

    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


@pytest.fixture
def chart(transactional_db: None, world: World) -> World:
    """Client A with consent, a treatment goal and an imported prior note."""
    side = world.a
    RecordingConsent.objects.create(
        practice=side.practice, client=side.client, given_on=datetime.date(2026, 1, 5), recorded_by=side.clinician
    )
    TreatmentGoal.objects.create(
        practice=side.practice,
        client=side.client,
        description="Return to work part time",
        target="Three mornings a week",
    )
    note_import(
        practice=side.practice,
        client=side.client,
        author=side.clinician,
        text=PRIOR_NOTE,
        date_of_service=datetime.date(2026, 1, 12),
    )
    return world


def membership(world: World) -> Membership:
    return Membership.objects.select_related("practice", "user").get(user=world.a.clinician, practice=world.a.practice)


def generate(world: World, audio: Path | None = None, **kwargs: Any) -> tuple[NoteRequest, Note | None]:
    request = note_request_create(
        membership=membership(world), client_id=world.a.client.pk, audio=[audio] if audio else [], **kwargs
    )
    request.refresh_from_db()
    return request, Note.objects.filter(request=request).first()
