"""The note-writing endpoint failing: 500s, timeouts and malformed JSON.

Transient errors (5xx, timeouts) are retried by the engine LLM_MAX_RETRIES times with
backoff, and only there (the task does not retry them again), then fail the job with a
plain reason; a reply that is not JSON fails it after one re-ask. Runs in the private
stack, so no other worker takes these jobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WorkerProcess, wait_for
from tests.fake_llm import FakeLLMServer
from tests.faults.conftest import PrivateStack
from tests.samples import SAMPLES

LLM_MAX_RETRIES = 2


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer("ok", delay=4.0) as server:
        yield server


@pytest.fixture(scope="module")
def llm_worker(
    private_stack: PrivateStack, fake_llm: FakeLLMServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    worker = private_stack.worker(
        tmp_path_factory.mktemp("llm-worker") / "worker.log",
        LLM_BASE_URL=fake_llm.base_url,
        LLM_API_KEY="test",
        LLM_TIMEOUT="1",
        LLM_MAX_RETRIES=str(LLM_MAX_RETRIES),
    ).start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def llm(llm_worker: WorkerProcess, fake_llm: FakeLLMServer) -> Iterator[FakeLLMServer]:
    fake_llm.requests.clear()
    yield fake_llm
    fake_llm.behaviour, fake_llm.script = "ok", []


def note_engine(stack: PrivateStack, request_id: str) -> str | None:
    rows = stack.query("SELECT engine FROM notes_note WHERE request_id = %s", request_id)
    return str(rows[0][0]) if rows else None


def test_timeout_then_an_answer_is_retried_and_the_note_is_written(
    llm: FakeLLMServer, private_stack: PrivateStack, stack_world: dict[str, str]
) -> None:
    llm.script = ["timeout"]
    request_id = private_stack.accepted(stack_world, None)
    job = wait_for(lambda: private_stack.finished(request_id), timeout=60)
    assert job["status"] == "ready", job
    assert len(llm.requests) == 2
    assert note_engine(private_stack, request_id) == "llm"


def test_server_error_every_time_fails_after_bounded_retries_with_a_reason(
    llm: FakeLLMServer, private_stack: PrivateStack, stack_world: dict[str, str]
) -> None:
    llm.behaviour = "500"
    request_id = private_stack.accepted(stack_world, None)
    job = wait_for(lambda: private_stack.finished(request_id), timeout=60)
    assert job["status"] == "failed" and job["error"] and "Traceback" not in job["error"], job
    assert len(llm.requests) == 1 + LLM_MAX_RETRIES  # one retry policy: the engine's, not again the task's
    assert note_engine(private_stack, request_id) is None


def test_malformed_reply_fails_with_a_reason_after_one_re_ask(
    llm: FakeLLMServer, private_stack: PrivateStack, stack_world: dict[str, str]
) -> None:
    llm.behaviour = "malformed"
    request_id = private_stack.accepted(stack_world, None)
    job = wait_for(lambda: private_stack.finished(request_id), timeout=60)
    assert job["status"] == "failed" and job["error"], job
    assert len(llm.requests) == 2
    assert note_engine(private_stack, request_id) is None


def test_recording_whose_note_cannot_be_written_still_has_its_audio_deleted(
    llm: FakeLLMServer, private_stack: PrivateStack, stack_world: dict[str, str]
) -> None:
    llm.behaviour = "malformed"
    request_id = private_stack.accepted(stack_world, Path(SAMPLES / "sample_session.mp3"))
    job = wait_for(lambda: private_stack.finished(request_id), timeout=120)
    assert job["status"] == "failed" and job["error"], job
    transcription = private_stack.transcription(request_id)
    assert transcription["status"] == "done" and not transcription["audio"] and transcription["audio_deleted_at"]
    assert private_stack.stored_audio() == []
