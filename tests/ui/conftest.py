"""Rows the page tests share: a draft note with evidence, an unsupported sentence and a risk item."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client as BrowserClient

from clients.models import RecordingConsent
from notes.models import Note, NoteRequest, RequestStatus
from tests.conftest import Side, World


def signed_in(user: Any) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    return browser


def give_consent(side: Side) -> RecordingConsent:
    return RecordingConsent.objects.create(
        practice=side.practice, client=side.client, given_on=datetime.date(2026, 1, 5), recorded_by=side.clinician
    )


def make_draft(side: Side, **fields: Any) -> Note:
    day = fields.pop("date_of_service", datetime.date(2026, 1, 7))
    request = NoteRequest.objects.create(
        practice=side.practice,
        client=side.client,
        created_by=side.clinician,
        style_key="soap",
        date_of_service=day,
        summary_only=True,
        status=RequestStatus.READY,
    )
    request.inputs.create(practice=side.practice, kind="session_summary", text="We talked about sleep.")
    defaults: dict[str, Any] = {
        "sections": [
            {
                "key": "subjective",
                "title": "Subjective",
                "text": "Client slept badly. Client loves jazz.",
                "sentences": [
                    {
                        "text": "Client slept badly.",
                        "supported": True,
                        "resolution": "",
                        "evidence": [{"source": "transcript", "start": 75.2, "end": 79.0, "quote": "I slept badly"}],
                    },
                    {"text": "Client loves jazz.", "supported": False, "resolution": "", "evidence": []},
                ],
            },
            {
                "key": "plan",
                "title": "Plan",
                "text": "Journal nightly.",
                "sentences": [
                    {
                        "text": "Journal nightly.",
                        "supported": True,
                        "resolution": "",
                        "evidence": [{"source": "input", "quote": "journal nightly"}],
                    }
                ],
            },
        ],
        "risk_flags": [{"category": "suicide", "quote": "I can't go on", "start": 12.0, "acknowledged": False}],
        "themes": ["sleep", "grief"],
    }
    defaults.update(fields)
    return Note.objects.create(
        practice=side.practice,
        client=side.client,
        request=request,
        author=side.clinician,
        style_key="soap",
        style_name="SOAP",
        date_of_service=request.date_of_service,
        **defaults,
    )


@pytest.fixture
def draft(world: World) -> Note:
    return make_draft(world.a)
