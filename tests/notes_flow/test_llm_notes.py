"""The LLM path through the services, against a fake OpenAI-compatible HTTP endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.test import override_settings

from intellisession.errors import DomainError
from notes.models import InstructionLevel
from notes.services.review import note_sentence_resolve, note_sign
from notes.services.templates import instruction_set
from tests.conftest import World
from tests.fake_llm import FakeLLMServer
from tests.notes_flow.conftest import PRIOR_NOTE, generate, membership

SUMMARY = "Sam said he emailed his manager on Wednesday and will start three mornings a week."
INVENTED = "Sam reported that he started running marathons."


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    with (
        FakeLLMServer(
            "ok",
            sections={
                "subjective": f"{SUMMARY.removeprefix('Sam said he ')} {INVENTED}",
                "plan": "Sam will start three mornings a week.",
            },
            themes=["return to work"],
        ) as server,
        override_settings(LLM_BASE_URL=server.base_url, LLM_API_KEY="test", LLM_MODEL="fake", LLM_TIMEOUT=5),
    ):
        yield server


def instructions(world: World) -> None:
    member = membership(world)
    instruction_set(membership=member, level=InstructionLevel.GENERAL, text="GENERAL-RULE write in third person")
    instruction_set(
        membership=member, level=InstructionLevel.TEMPLATE, style_key="soap", text="TEMPLATE-RULE keep the plan short"
    )
    instruction_set(
        membership=member, level=InstructionLevel.CLIENT, client=world.a.client, text="CLIENT-RULE use the name Sam"
    )


@pytest.mark.usefixtures("eager")
def test_llm_request_carries_prior_note_goals_and_every_instruction_level(chart: World, llm: FakeLLMServer) -> None:
    instructions(chart)
    request, note = generate(
        chart,
        summary_only=True,
        style_key="soap",
        texts=[("session_summary", SUMMARY)],
        instruction="NOTE-RULE mention the journal",
    )
    assert request.status == "ready" and note is not None and note.engine == "llm"
    body = json.dumps(llm.requests[0])
    for expected in (
        PRIOR_NOTE[:60],
        "Return to work part time",
        "Three mornings a week",
        "GENERAL-RULE",
        "TEMPLATE-RULE",
        "CLIENT-RULE",
        "NOTE-RULE",
        SUMMARY[:40],
    ):
        assert expected in body, expected
    assert (
        body.index("GENERAL-RULE") < body.index("TEMPLATE-RULE") < body.index("CLIENT-RULE") < body.index("NOTE-RULE")
    )
    assert "tools" not in llm.requests[0]
    assert note.document.context and note.document.context.instructions
    assert note.document.themes == ["return to work"]


@pytest.mark.usefixtures("eager")
def test_unsupported_llm_sentence_is_flagged_and_must_be_resolved(chart: World, llm: FakeLLMServer) -> None:
    _request, note = generate(chart, summary_only=True, style_key="soap", texts=[("session_summary", SUMMARY)])
    assert note is not None
    subjective = note.document.section("subjective")
    assert subjective is not None
    flagged = [i for i, s in enumerate(subjective.sentences) if not s.supported]
    assert [subjective.sentences[i].text for i in flagged] == [INVENTED]
    with pytest.raises(DomainError, match="no support"):
        note_sign(note=note, actor=chart.a.clinician)
    note = note_sentence_resolve(
        note=note, actor=chart.a.clinician, section_key="subjective", index=flagged[0], action="remove"
    )
    assert INVENTED not in note.document.sections[0].text
    assert note_sign(note=note, actor=chart.a.clinician).status == "signed"


@pytest.mark.usefixtures("eager")
@pytest.mark.parametrize(
    ("behaviour", "code"),
    [("400", "bad_request"), ("refusal", "refusal"), ("schema_violation", "schema"), ("malformed", "malformed")],
)
def test_permanent_llm_errors_fail_at_once_with_a_reason(chart: World, behaviour: str, code: str) -> None:
    with FakeLLMServer(behaviour) as server, override_settings(LLM_BASE_URL=server.base_url, LLM_TIMEOUT=5):
        request, note = generate(chart, summary_only=True, style_key="soap", texts=[("session_summary", SUMMARY)])
        assert request.status == "failed" and note is None and request.error_code == code
        assert request.error.startswith("The note-writing service") and SUMMARY not in request.error
        assert len(server.requests) <= 2  # one try, plus one re-ask for an unreadable reply


@pytest.mark.usefixtures("eager")
def test_server_errors_are_retried_then_fail_with_a_reason(chart: World) -> None:
    with (
        FakeLLMServer("500") as server,
        override_settings(LLM_BASE_URL=server.base_url, LLM_TIMEOUT=5, LLM_MAX_RETRIES=1),
    ):
        request, _note = generate(chart, summary_only=True, style_key="soap", texts=[("session_summary", SUMMARY)])
    assert request.status == "failed" and request.error_code == "server_error"
    assert request.error == "The note-writing service had an internal error."
    assert len(server.requests) == 2  # 1 + LLM_MAX_RETRIES: the task does not retry again


@pytest.mark.usefixtures("eager")
def test_a_transient_error_then_success_ends_ready(chart: World) -> None:
    with FakeLLMServer(script=["500", "ok"]) as server, override_settings(LLM_BASE_URL=server.base_url, LLM_TIMEOUT=5):
        request, note = generate(chart, summary_only=True, style_key="soap", texts=[("session_summary", SUMMARY)])
    assert request.status == "ready" and note is not None and len(server.requests) == 2


@pytest.mark.usefixtures("eager")
def test_note_writing_whose_message_was_lost_is_requeued(chart: World) -> None:
    import datetime

    from django.utils import timezone

    from notes.models import NoteRequest
    from notes.services.requests import GENERATE_TIME_LIMIT
    from notes.tasks import requeue_stuck

    request = NoteRequest.objects.create(
        practice=chart.a.practice,
        client=chart.a.client,
        created_by=chart.a.clinician,
        style_key="soap",
        date_of_service=datetime.date(2026, 1, 5),
        summary_only=True,
        status="generating",
    )
    request.inputs.create(practice=chart.a.practice, kind="session_summary", text=SUMMARY)
    assert requeue_stuck() == 0  # fresh: its task may still be on its way
    old = timezone.now() - datetime.timedelta(seconds=GENERATE_TIME_LIMIT + 120)
    NoteRequest.objects.filter(pk=request.pk).update(updated_at=old)
    assert requeue_stuck() == 1
    request.refresh_from_db()
    assert request.status == "ready" and request.attempts == 1
