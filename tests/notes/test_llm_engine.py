from __future__ import annotations

import json
import logging
import socket
from typing import Any

import pytest

from notes.document import NO_CONTENT
from notes.llm import LLMEngine, LLMPermanentError, LLMTransientError, schema_errors
from notes.prompt import note_schema
from notes.styles import BUILTIN_STYLES
from tests.fake_llm import FakeLLMServer
from tests.notes.conftest import JOURNAL, full_ctx

SOAP_TEXT = {
    "subjective": "The client spent most of Saturday in bed. She emailed her manager on Wednesday.",
    "objective": NO_CONTENT,
    "assessment": "The client went skydiving with her brother on Sunday.",  # not in the session
    "plan": "Client will write in her journal for ten minutes each evening.",
}


def _engine(server: FakeLLMServer, sleeps: list[float] | None = None, **options: Any) -> LLMEngine:
    options = {"timeout": 5.0, "max_retries": 2, "backoff_s": 0.25} | options
    record = sleeps.append if sleeps is not None else (lambda _seconds: None)
    return LLMEngine(server.base_url, "test-key", "fake-model", sleep=record, **options)


def test_a_valid_reply_becomes_a_grounded_draft() -> None:
    with FakeLLMServer("ok", sections=SOAP_TEXT, themes=["grief", "Grief", "return to work"]) as server:
        draft = _engine(server).generate(full_ctx())
    assert draft.engine == "llm" and draft.offline_notice is None and draft.model == "fake-model"
    assert [s.key for s in draft.sections] == ["subjective", "objective", "assessment", "plan"]
    subjective, objective, assessment, plan = draft.sections
    assert [s.supported for s in subjective.sentences] == [True, True]
    assert subjective.sentences[0].evidence[0].start is not None
    assert objective.sentences[0].placeholder
    assert not assessment.sentences[0].supported and assessment.sentences[0].issue  # the invented sentence
    assert plan.sentences[0].supported and plan.sentences[0].evidence[0].quote == JOURNAL
    assert draft.themes == ["grief", "return to work"]
    assert draft.context is not None and draft.context.prior_note_ids_used == ["note-2", "note-1"]


def test_the_request_is_a_strict_json_schema_call_with_all_context() -> None:
    with FakeLLMServer("ok") as server:
        _engine(server).generate(full_ctx())
    (body,) = server.requests
    assert body["temperature"] == 0 and body["model"] == "fake-model"
    assert "tools" not in body and "tool_choice" not in body
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema" and response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"] == note_schema(BUILTIN_STYLES["soap"], ["goal-1", "goal-2"])
    system, user = body["messages"]
    assert '[general] "Write in the third person."' in system["content"]
    assert "[template]" in system["content"] and "[client]" in system["content"] and "[note]" in system["content"]
    assert "Client anticipates the anniversary" in user["content"]  # prior note
    assert "Return to work part time" in user["content"]  # goal


def test_json_object_mode_sends_the_schema_inline() -> None:
    with FakeLLMServer("ok", sections=SOAP_TEXT) as server:
        draft = _engine(server, response_format="json_object").generate(full_ctx())
    response_format = server.requests[0]["response_format"]
    schema = note_schema(BUILTIN_STYLES["soap"], ["goal-1", "goal-2"])
    assert response_format == {"type": "json_object", "schema": schema}
    assert draft.sections[0].sentences[0].supported


def test_server_errors_are_retried_with_backoff_then_transient() -> None:
    sleeps: list[float] = []
    with FakeLLMServer("500") as server, pytest.raises(LLMTransientError) as caught:
        _engine(server, sleeps, max_retries=2).generate(full_ctx())
    assert len(server.requests) == 3 and sleeps == [0.25, 0.5]
    assert caught.value.code == "server_error" and caught.value.status == 500 and caught.value.attempts == 3
    assert caught.value.message == "The note-writing service had an internal error."


def test_a_transient_failure_then_success_returns_the_draft() -> None:
    with FakeLLMServer(script=["500", "429", "ok"], sections=SOAP_TEXT) as server:
        draft = _engine(server).generate(full_ctx())
    assert len(server.requests) == 3 and draft.sections[0].sentences[0].supported


def test_a_slow_server_times_out_as_transient() -> None:
    with FakeLLMServer("timeout", delay=3.0) as server, pytest.raises(LLMTransientError) as caught:
        _engine(server, timeout=0.5, max_retries=1).generate(full_ctx())
    assert caught.value.code == "timeout" and len(server.requests) == 2
    assert caught.value.message == "The note-writing service did not answer in time."


def test_an_unreachable_server_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = LLMEngine(f"http://127.0.0.1:{port}/v1", "k", "m", timeout=2.0, max_retries=0)
    with pytest.raises(LLMTransientError) as caught:
        engine.generate(full_ctx())
    assert caught.value.code == "unreachable"


@pytest.mark.parametrize(("behaviour", "code"), [("malformed", "malformed"), ("schema_violation", "schema")])
def test_an_unreadable_reply_is_retried_once_then_permanent(behaviour: str, code: str) -> None:
    with FakeLLMServer(behaviour) as server, pytest.raises(LLMPermanentError) as caught:
        _engine(server).generate(full_ctx())
    assert len(server.requests) == 2 and caught.value.code == code


def test_an_unreadable_reply_followed_by_a_good_one_succeeds() -> None:
    with FakeLLMServer(script=["malformed"], sections=SOAP_TEXT) as server:
        draft = _engine(server).generate(full_ctx())
    assert len(server.requests) == 2 and draft.engine == "llm"


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        ("refusal", "refusal"),
        ("content_filter", "refusal"),
        ("400", "bad_request"),
        ("401", "auth"),
        ("404", "not_found"),
    ],
)
def test_refusals_and_client_errors_fail_at_once(behaviour: str, code: str) -> None:
    with FakeLLMServer(behaviour) as server, pytest.raises(LLMPermanentError) as caught:
        _engine(server).generate(full_ctx())
    assert len(server.requests) == 1 and caught.value.code == code


def test_errors_and_logs_carry_no_session_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for behaviour in ("400", "schema_violation", "500"):
        with FakeLLMServer(behaviour) as server, pytest.raises((LLMPermanentError, LLMTransientError)) as caught:
            _engine(server, max_retries=0).generate(full_ctx())
        assert "Saturday" not in str(caught.value) and caught.value.__cause__ is None
    for record in caplog.records:
        message = record.getMessage()
        assert "Saturday" not in message and "journal" not in message and "anniversary" not in message


def test_risk_statements_merge_with_risks_found_in_the_transcript() -> None:
    ctx = full_ctx()
    ctx.segments.append(type(ctx.segments[0])(60.0, 64.0, "Some nights I want to end my life.", "Speaker 2"))
    risks = [
        {"category": "suicide", "quote": "I want to end my life"},
        {"category": "abuse", "quote": "Her brother shoved her."},
    ]
    goals = [{"goal_id": "goal-1", "status": "progressing", "evidence_quote": "I emailed my manager on Wednesday."}]
    with FakeLLMServer("ok", risk_statements=risks, goal_progress=goals) as server:
        draft = _engine(server).generate(ctx)
    assert [(f.category, f.source, f.start is not None) for f in draft.risks] == [
        ("suicide", "transcript", True),
        ("abuse", "llm", False),
    ]
    assert [(g.goal_id, g.status) for g in draft.goal_progress] == [("goal-1", "progressing")]


def test_schema_validator() -> None:
    schema = note_schema(BUILTIN_STYLES["dap"])
    good: dict[str, Any] = {
        "sections": {"data": "a", "assessment": "b", "plan": "c"},
        "themes": [],
        "goal_progress": [{"goal_id": "g", "status": "met", "evidence_quote": ""}],
        "risk_statements": [],
    }
    assert schema_errors(json.loads(json.dumps(good)), schema) == []
    bad = good | {"extra": 1, "themes": [True]}
    bad["goal_progress"] = [{"goal_id": "g", "status": "great", "evidence_quote": ""}]
    assert set(schema_errors(bad, schema)) == {
        "$: unexpected property",
        "$.goal_progress[0].status: value not allowed",
        "$.themes[0]: expected string",
    }
    assert schema_errors({"sections": {}}, schema)[0] == "$: missing 'themes'"


def test_schema_bounds_are_sent_and_enforced() -> None:
    schema = note_schema(BUILTIN_STYLES["soap"], ["goal-1"], max_section_chars=50, max_items=2)
    assert schema["properties"]["sections"]["properties"]["plan"] == {"type": "string", "maxLength": 50}
    assert schema["properties"]["goal_progress"]["maxItems"] == 1
    long_plan = {"plan": "x" * 60, "subjective": "", "objective": "", "assessment": ""}
    reply = {"sections": long_plan, "themes": ["a", "b", "c"], "goal_progress": [], "risk_statements": []}
    assert set(schema_errors(reply, schema)) == {"$.sections.plan: too long", "$.themes: too long"}
    with FakeLLMServer("ok", sections=SOAP_TEXT) as server:
        draft = _engine(server, response_format="json_object", max_section_chars=200).generate(full_ctx())
    assert server.requests[0]["response_format"]["schema"]["properties"]["themes"]["maxItems"] == 10
    assert draft.engine == "llm"


def test_the_soft_time_limit_inside_a_call_is_raised_not_retried() -> None:
    """The openai client reports anything raised mid-request as a connection error; the task's soft
    time limit must still reach the task instead of being retried as one."""
    import signal

    from celery.exceptions import SoftTimeLimitExceeded

    def time_is_up(signum: int, frame: object) -> None:
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, time_is_up)
    try:
        with FakeLLMServer("timeout", delay=10) as server:
            signal.setitimer(signal.ITIMER_REAL, 0.5)
            with pytest.raises(SoftTimeLimitExceeded):
                _engine(server, timeout=5.0, max_retries=2).generate(full_ctx())
            assert len(server.requests) == 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_backoff_doubles_up_to_its_cap() -> None:
    sleeps: list[float] = []
    with FakeLLMServer("429") as server, pytest.raises(LLMTransientError):
        _engine(server, sleeps, max_retries=4, backoff_s=10.0).generate(full_ctx())
    assert sleeps == [10.0, 20.0, 30.0, 30.0] and len(server.requests) == 5
