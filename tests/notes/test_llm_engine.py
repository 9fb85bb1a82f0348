from __future__ import annotations

import json
import logging
import socket
from typing import Any

import pytest
from django.test import override_settings
from pydantic import ValidationError

from notes.context import PriorNote
from notes.document import NO_CONTENT
from notes.engines import llm_engine
from notes.llm import LLMEngine, LLMPermanentError, LLMTransientError
from notes.reply import facts_reply_model, json_schema, longest_reply, note_reply_model
from notes.styles import BUILTIN_STYLES
from tests.fake_llm import FakeLLMServer
from tests.notes.conftest import JOURNAL, fifty_minutes, full_ctx
from transcription.types import Segment

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
    assert (
        subjective.sentences[0].evidence[0].start is not None and subjective.sentences[0].evidence[0].ref == "segment:1"
    )
    assert objective.sentences[0].placeholder
    assert not assessment.sentences[0].supported and assessment.sentences[0].issue  # the invented sentence
    assert plan.sentences[0].supported and JOURNAL in plan.sentences[0].evidence[0].quote  # the cited segment
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
    assert response_format["json_schema"]["schema"] == json_schema(
        note_reply_model(BUILTIN_STYLES["soap"], ["G1", "G2"])
    )
    system, user = body["messages"]
    assert '[general] "Write in the third person."' in system["content"]
    assert "[template]" in system["content"] and "[client]" in system["content"] and "[note]" in system["content"]
    assert "Client anticipates the anniversary" in user["content"]  # prior note
    assert "Return to work part time" in user["content"]  # goal


def test_json_object_mode_sends_the_schema_inline() -> None:
    with FakeLLMServer("ok", sections=SOAP_TEXT) as server:
        draft = _engine(server, response_format="json_object").generate(full_ctx())
    response_format = server.requests[0]["response_format"]
    schema = json_schema(note_reply_model(BUILTIN_STYLES["soap"], ["G1", "G2"]))
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


def test_a_reply_cut_off_at_the_token_limit_is_not_asked_again() -> None:
    # At temperature 0 the same request is cut off the same way: a second call only adds minutes.
    with FakeLLMServer("length") as server, pytest.raises(LLMPermanentError) as caught:
        _engine(server).generate(full_ctx())
    assert len(server.requests) == 1 and caught.value.code == "truncated"


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
    goals = [{"goal_id": "G1", "status": "progressing", "cites": ["S6"]}]
    with FakeLLMServer("ok", risk_statements=risks, goal_progress=goals) as server:
        draft = _engine(server).generate(ctx)
    assert [(f.category, f.source, f.start is not None) for f in draft.risks] == [
        ("suicide", "transcript", True),
        ("abuse", "llm", False),
    ]
    assert [(g.goal_id, g.status) for g in draft.goal_progress] == [("goal-1", "progressing")]
    progress = draft.goal_progress[0]
    assert progress.evidence[0].ref == "segment:5" and "Wednesday" in progress.evidence_quote


def test_the_reply_model_validates_shape_enums_and_bounds() -> None:
    model = note_reply_model(BUILTIN_STYLES["dap"], ["G1"])
    good: dict[str, Any] = {
        "sections": {"data": [{"text": "a", "cites": ["S1"]}], "assessment": [], "plan": []},
        "themes": [],
        "goal_progress": [{"goal_id": "G1", "status": "met", "cites": []}],
        "plan_review": [],
        "risk_statements": [],
    }
    model.model_validate(json.loads(json.dumps(good)))
    for bad in (
        good | {"extra": 1},
        good | {"themes": [True]},
        good | {"goal_progress": [{"goal_id": "G1", "status": "great", "cites": []}]},
        good | {"goal_progress": [{"goal_id": "G7", "status": "met", "cites": []}]},
        {"sections": good["sections"]},
    ):
        with pytest.raises(ValidationError):
            model.model_validate(bad)
    bounded = note_reply_model(BUILTIN_STYLES["dap"], ["G1"], max_chars=50, max_items=2)
    schema = json_schema(bounded)
    assert schema["properties"]["themes"]["maxItems"] == 2 and "$defs" not in json.dumps(schema)
    with pytest.raises(ValidationError):
        bounded.model_validate(good | {"sections": good["sections"] | {"plan": [{"text": "x" * 60, "cites": []}]}})


def test_schema_bounds_are_sent_in_json_object_mode() -> None:
    with FakeLLMServer("ok", sections=SOAP_TEXT) as server:
        draft = _engine(server, response_format="json_object", max_section_chars=200).generate(full_ctx())
    schema = server.requests[0]["response_format"]["schema"]
    assert schema["properties"]["themes"]["maxItems"] == 10
    # The token limit is the longest reply the bounded schema allows, so a grammar never cuts one off.
    assert server.requests[0]["max_tokens"] == longest_reply(schema)
    assert draft.engine == "llm"


def test_a_local_server_gets_the_bounds_its_settings_give() -> None:
    with FakeLLMServer("ok", sections=SOAP_TEXT) as server:
        local = {"LLM_RESPONSE_FORMAT": "json_object", "LLM_SENTENCE_CHARS": 200, "LLM_SECTION_SENTENCES": 3}
        with override_settings(LLM_BASE_URL=server.base_url, **local):
            engine = llm_engine()
            assert engine is not None
            engine.generate(full_ctx())
    schema = server.requests[0]["response_format"]["schema"]
    sentences = schema["properties"]["sections"]["properties"]["plan"]
    assert sentences["maxItems"] == 3 and sentences["items"]["properties"]["text"]["maxLength"] == 200
    assert server.requests[0]["max_tokens"] == longest_reply(schema)


def test_without_bounds_no_token_limit_is_sent() -> None:
    with FakeLLMServer("ok", sections=SOAP_TEXT) as server:
        _engine(server).generate(full_ctx())
    assert "max_tokens" not in server.requests[0]
    assert longest_reply(server.requests[0]["response_format"]["json_schema"]["schema"]) is None


def _fullest(schema: dict[str, Any]) -> Any:
    """The largest value a schema allows: every string and list at its limit, the longest choice."""
    if "enum" in schema:
        return max(schema["enum"], key=lambda value: len(json.dumps(value)))
    if schema["type"] == "string":
        return "x" * schema["maxLength"]
    if schema["type"] == "array":
        return [_fullest(schema["items"]) for _ in range(schema["maxItems"])]
    return {name: _fullest(sub) for name, sub in schema["properties"].items()}


@pytest.mark.parametrize("style", ["soap", "dap", "birp"])
@pytest.mark.parametrize("goals", [0, 3])
def test_the_longest_reply_bounds_the_fullest_reply_the_schema_allows(style: str, goals: int) -> None:
    for model in (
        note_reply_model(BUILTIN_STYLES[style], [f"G{n}" for n in range(1, goals + 1)], max_chars=200, max_items=3),
        facts_reply_model(max_chars=200, max_items=9),
    ):
        schema = json_schema(model)
        fullest = _fullest(schema)
        model.model_validate(fullest)  # the fullest value is a valid reply
        written = len(json.dumps(fullest, separators=(", ", ": ")))
        bound = longest_reply(schema)
        assert bound is not None and written <= bound <= written * 1.25


def _texts(body: dict[str, Any]) -> str:
    return " ".join(m["content"] for m in body["messages"])


def test_a_fifty_minute_session_on_a_small_budget_reaches_the_model_in_two_stages() -> None:
    ctx = full_ctx()
    ctx.segments = fifty_minutes()
    with FakeLLMServer("ok", facts_section="subjective") as server:
        draft = _engine(server, budget_tokens=8000).generate(ctx)
    report = draft.context
    assert report is not None and report.stages == 2 and len(report.stretches) >= 3
    assert len(server.requests) == report.calls == len(report.stretches) + 1
    sent = [FakeLLMServer.data(body) for body in server.requests[:-1]]
    ids = [entry["id"] for data in sent for entry in data["transcript"]]
    assert ids == [f"S{i}" for i in range(1, 701)]  # every segment once, in order, in some stage-one call
    for segment in ctx.segments:
        assert any(segment.text in _texts(body) for body in server.requests[:-1])
    assert all(len(_texts(body)) // 4 <= 8000 for body in server.requests)
    assert report.segments_total == report.segments_sent == 700 and report.reasons
    compose = FakeLLMServer.data(server.requests[-1])
    assert "transcript" not in compose and compose["transcript_facts"]
    cited = {
        int(e.ref.removeprefix("segment:")) + 1 for s in draft.sections[0].sentences if s.supported for e in s.evidence
    }
    assert min(cited) <= 233 and any(233 < i <= 466 for i in cited) and max(cited) > 466  # every third of the session
    assert all(s.supported for s in draft.sections[0].sentences)


def test_a_fifty_minute_session_on_a_large_budget_is_one_call() -> None:
    ctx = full_ctx()
    ctx.segments = fifty_minutes()
    with FakeLLMServer("ok", facts_section="subjective") as server:
        draft = _engine(server, budget_tokens=100_000).generate(ctx)
    assert draft.context is not None and draft.context.stages == 1 and len(server.requests) == 1
    text = _texts(server.requests[0])
    assert all(segment.text in text for segment in ctx.segments)


def test_a_wrong_or_missing_citation_is_flagged() -> None:
    wednesday = "She emailed her manager on Wednesday."
    sections = {
        "subjective": [
            {"text": wednesday, "cites": ["S6"]},  # right
            {"text": wednesday, "cites": ["S3"]},  # another passage
            {"text": wednesday, "cites": ["S99"]},  # no such segment
            {"text": wednesday, "cites": []},
            {"text": "She emailed her manager on Thursday.", "cites": ["S6"]},  # the detail differs
        ]
    }
    ctx = full_ctx()
    with FakeLLMServer("ok", sections=sections) as server:
        draft = _engine(server).generate(ctx)
    right, other, unknown, missing, detail = draft.sections[0].sentences
    assert right.supported and right.evidence[0].ref == "segment:5" and right.evidence[0].start is not None
    at = int(ctx.segments[2].start)  # the issue says where the cited passage is, not the model's id for it
    assert not other.supported and f"The cited passage ({at // 60}:{at % 60:02d}) does not say this" in other.issue
    assert not unknown.supported and "S99" in unknown.issue
    assert not missing.supported and "No citation" in missing.issue
    assert not detail.supported and "thursday" in detail.issue


def test_a_client_report_resting_on_the_clinicians_question_is_flagged() -> None:
    ctx = full_ctx()
    ctx.segments = [
        Segment(0.0, 4.0, "Have you been sleeping badly since the funeral?", "Speaker 1"),
        Segment(4.0, 8.0, "Yes, I have been sleeping badly since the funeral.", "Speaker 2"),
    ]
    claim = "The client reported sleeping badly since the funeral."
    sections = {"subjective": [{"text": claim, "cites": ["S1"]}, {"text": claim, "cites": ["S2"]}]}
    with FakeLLMServer("ok", sections=sections) as server:
        draft = _engine(server).generate(ctx)
    on_question, on_answer = draft.sections[0].sentences
    assert not on_question.supported and "clinician's words" in on_question.issue
    assert on_answer.supported


def test_a_denial_of_an_endorsed_risk_is_contradicted_and_an_omission_is_flagged() -> None:
    ctx = full_ctx()
    ctx.segments.append(Segment(60.0, 64.0, "Some nights I want to end my life.", "Speaker 2"))
    denial = {"subjective": [{"text": "The client denies suicidal ideation.", "cites": ["S9"]}]}
    with FakeLLMServer("ok", sections=denial) as server:
        draft = _engine(server).generate(ctx)
    body = FakeLLMServer.data(server.requests[0])
    assert [(r["category"], r["status"], r["cites"]) for r in body["risk_items"]] == [("suicide", "endorsed", ["S9"])]
    sentence = draft.sections[0].sentences[0]
    assert not sentence.supported and sentence.issue.startswith("Contradicted")
    with FakeLLMServer("ok", sections={"plan": "Client will write in her journal."}) as server:
        draft = _engine(server).generate(ctx)
    assessment = draft.section("assessment")
    assert assessment is not None
    assert [s.issue.startswith("Contradicted by omission") for s in assessment.sentences] == [True]
    assert draft.unresolved_sentences() >= 1


def test_goals_last_plan_and_style_examples_go_to_the_model_with_labels() -> None:
    ctx = full_ctx()
    ctx.prior_notes[0] = PriorNote("note-2", "2024-05-07", "Plan: Walk daily.", plan="Walk every day after lunch.")
    ctx.style_examples = [PriorNote("ex-1", "2024-01-01", "S: Client X reported good sleep. P: Continue.")]
    review = [{"item": "Walk every day after lunch.", "status": "not_discussed", "cites": ["L1"]}]
    with FakeLLMServer("ok", plan_review=review) as server:
        draft = _engine(server).generate(ctx)
    data = FakeLLMServer.data(server.requests[0])
    assert data["treatment_goals"][0] == {
        "goal_id": "G1",
        "description": "Return to work part time",
        "target": "by June",
    }
    assert data["last_plan"]["items"] == [{"id": "L1", "text": "Walk every day after lunch."}]
    assert data["style_examples"] == [{"example_only_not_about_this_client": ctx.style_examples[0].text}]
    assert "Never take any fact from them" in server.requests[0]["messages"][0]["content"]
    assert [(r.status, r.evidence[0].ref) for r in draft.plan_review] == [("not_discussed", "note-2")]
    assert draft.context is not None and draft.context.style_example_ids == ["ex-1"]


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
