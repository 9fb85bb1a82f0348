"""The LLM path through the services, against a fake OpenAI-compatible HTTP endpoint."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator

import pytest
from django.test import override_settings
from django.utils import timezone

from intellisession.errors import DomainError
from notes import tasks
from notes.models import InputKind, InstructionLevel, Note, NoteInput, NoteRequest, NoteStretch
from notes.output import note_json
from notes.services.review import note_sentence_resolve, note_sign
from notes.services.templates import instruction_set
from tests.conftest import World
from tests.fake_llm import FakeLLMServer
from tests.notes.conftest import fifty_minutes
from tests.notes_flow.conftest import PRIOR_NOTE, generate, membership
from tests.ui.conftest import signed_in
from transcription.models import Transcription, TranscriptionStatus, TranscriptSegment

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


def long_session(world: World, *, status: str = "generating") -> NoteRequest:
    """A fifty-minute transcribed session waiting for its note (made here, no audio needed)."""
    side = world.a
    transcription = Transcription.objects.create(
        practice=side.practice, status=TranscriptionStatus.DONE, duration=3000.0, priming_terms=""
    )
    TranscriptSegment.objects.bulk_create(
        TranscriptSegment(practice=side.practice, transcription=transcription, start=s.start, end=s.end,
                          speaker=s.speaker, text=s.text)
        for s in fifty_minutes()
    )  # fmt: skip
    request = NoteRequest.objects.create(
        practice=side.practice, client=side.client, created_by=side.clinician, style_key="soap",
        date_of_service=datetime.date(2026, 1, 19), status=status,
    )  # fmt: skip
    request.inputs.create(practice=side.practice, kind=InputKind.AUDIO, transcription=transcription)
    return request


@pytest.fixture
def small_budget_llm() -> Iterator[FakeLLMServer]:
    with (
        FakeLLMServer("ok", facts_section="subjective") as server,
        override_settings(LLM_BASE_URL=server.base_url, LLM_TIMEOUT=5, NOTE_CONTEXT_TOKENS=8000),
    ):
        yield server


@pytest.mark.usefixtures("eager")
def test_a_long_session_is_written_in_two_stages_through_the_chord(
    chart: World, small_budget_llm: FakeLLMServer
) -> None:
    request = long_session(chart)
    tasks.generate(str(request.pk))
    request.refresh_from_db()
    note = Note.objects.get(request=request)
    report = note.document.context
    assert request.status == "ready" and report is not None and report.stages == 2
    assert len(small_budget_llm.requests) == report.calls == len(report.stretches) + 1
    assert report.segments_sent == report.segments_total == 700
    assert all(part.facts and part.seconds is not None for part in report.stretches)
    assert not NoteStretch.objects.filter(request=request).exists()  # the facts are not kept past the note
    page = signed_in(chart.a.clinician).get(f"/p/{chart.a.practice.slug}/notes/{note.pk}/").content.decode()
    assert "What this note was written from" in page and f"read in {len(report.stretches)} parts" in page
    out = note_json(request, note)
    assert out["context"]["report"]["stages"] == 2 and out["context"]["report"]["stretches"]


@pytest.mark.usefixtures("eager")
def test_a_failing_stretch_fails_the_request_with_its_reason(chart: World) -> None:
    with (
        FakeLLMServer(script=["ok", "400"]) as server,
        override_settings(LLM_BASE_URL=server.base_url, LLM_TIMEOUT=5, NOTE_CONTEXT_TOKENS=8000),
    ):
        request = long_session(chart)
        tasks.generate(str(request.pk))
    request.refresh_from_db()
    assert request.status == "failed" and request.error_code == "bad_request"
    assert not Note.objects.filter(request=request).exists()
    assert not NoteStretch.objects.filter(request=request).exists()  # the facts read so far go with the failure


@pytest.mark.usefixtures("eager")
def test_stretches_lost_with_their_worker_are_read_again_by_the_sweepers_next_attempt(
    chart: World, small_budget_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notes.services import requests as request_services

    def only_the_first(member: str, args: list[tuple[str, int]], callback: str, *callback_args: str) -> bool:
        tasks.generate_stretch(*args[0])  # the rest, and the callback, died with their worker
        return True

    monkeypatch.setattr(request_services, "send_chord", only_the_first)
    request = long_session(chart)
    tasks.generate(str(request.pk))
    assert NoteStretch.objects.filter(request=request, done=True).count() == 1
    monkeypatch.undo()
    NoteRequest.objects.filter(pk=request.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    assert tasks.requeue_stuck() == 1
    request.refresh_from_db()
    report = Note.objects.get(request=request).document.context
    assert request.status == "ready" and request.attempts == 2 and report is not None
    assert len(small_budget_llm.requests) == len(report.stretches) + 1  # the first stretch was not read twice


@pytest.mark.usefixtures("eager")
def test_a_request_whose_stretches_keep_being_lost_ends_failed(
    chart: World, small_budget_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notes.services import requests as request_services

    monkeypatch.setattr(request_services, "send_chord", lambda *args: True)  # published, then lost every time
    request = long_session(chart)
    for _ in range(4):
        NoteRequest.objects.filter(pk=request.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
        tasks.requeue_stuck()
    request.refresh_from_db()
    assert request.status == "failed" and request.error_code == "crashed"


def test_generate_note_json_keeps_every_field_of_the_model_path(chart: World, llm: FakeLLMServer) -> None:
    import io

    from django.core.management import call_command

    from intellisession.celery import app

    assert not app.conf.task_always_eager
    out = io.StringIO()
    call_command(
        "generate_note", "--practice", chart.a.practice.slug, "--client", str(chart.a.client.pk), "--style", "soap",
        "--summary-only", "--text", f"session_summary:{SUMMARY}", "--as", chart.a.clinician.email, "--json",
        stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["status"] == "ready" and data["engine"] == "llm" and "plan_review" in data
    report = data["context"]["report"]
    for key in ("stages", "calls", "budget_tokens", "segments_total", "segments_sent", "stretches", "reasons",
                "style_example_ids", "compose_seconds"):  # fmt: skip
        assert key in report, key
    assert report["stages"] == 1 and report["calls"] == 1
    assert not app.conf.task_always_eager  # the command ran its tasks inline and put the setting back
    summary = NoteInput.objects.get(request__note__pk=data["note_id"])
    evidence = [e for s in data["sections"][0]["sentences"] for e in s["evidence"]]
    assert evidence and {(e["source"], e["ref"]) for e in evidence} == {("input", str(summary.pk))}  # the summary
