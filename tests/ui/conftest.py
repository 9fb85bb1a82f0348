"""Rows the page tests share: a draft note with evidence, an unsupported sentence and a risk item."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client as BrowserClient

from clients.models import RecordingConsent
from notes.document import Evidence, NoteDocument, NoteSection, Sentence
from notes.models import Note, NoteRequest, RequestStatus
from tests.conftest import Side, World
from tests.documents import endorsed


def signed_in(user: Any) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    return browser


def give_consent(side: Side) -> RecordingConsent:
    return RecordingConsent.objects.create(
        practice=side.practice, client=side.client, given_on=datetime.date(2026, 1, 5), recorded_by=side.clinician
    )


# A completed risk assessment for the draft's endorsed suicide risk, as the note page's form posts it.
ASSESSMENT = {
    "prefix": "suicide",
    "suicide-category": "suicide",
    "suicide-ideation": "passive",
    "suicide-plan": "none",
    "suicide-intent": "none",
    "suicide-means": "no_access",
    "suicide-protective_factors": "Her daughter; her faith.",
    "suicide-safety_plan": "completed",
    "suicide-response": "Safety plan written together; crisis line given; follow-up call Friday.",
}


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
    sections = [
        NoteSection(
            key="subjective",
            title="Subjective",
            sentences=[
                Sentence(
                    text="Client slept badly.",
                    supported=True,
                    evidence=[Evidence(source="transcript", start=75.2, end=79.0, quote="I slept badly")],
                ),
                Sentence(text="Client loves jazz."),
            ],
        ),
        NoteSection(
            key="plan",
            title="Plan",
            sentences=[
                Sentence(
                    text="Journal nightly.",
                    supported=True,
                    evidence=[Evidence(source="input", quote="journal nightly")],
                )
            ],
        ),
    ]
    risks = fields.pop("risks", [endorsed()])
    defaults: dict[str, Any] = {"body": NoteDocument(sections=sections, risks=risks, themes=["sleep", "grief"]).dump()}
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
