"""Note writing that goes wrong in ways nobody planned for, on a real worker: a bug in the engine
and the task's soft time limit each end the request FAILED with a plain reason within seconds,
instead of leaving it "writing" until the stuck-job sweeper gives up on it."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from intellisession.models import Membership
from notes.models import REQUEST_FINISHED, NoteRequest, RequestStatus
from notes.services.requests import note_request_create
from notes.tasks import TOO_SLOW, UNEXPECTED, generate
from tests.conftest import WorkerProcess, World, purge_queues, wait_for
from tests.fake_llm import FakeLLMServer
from tests.notes_flow.worker_faults import BUG_MARKER

SESSION = "Client described the trip to Jupiter with her sister."


@pytest.fixture(scope="module")
def hanging_llm() -> Iterator[FakeLLMServer]:
    """An endpoint that takes two minutes to answer: only the time limit ends a call to it."""
    with FakeLLMServer("timeout", delay=120) as server:
        yield server


@pytest.fixture(scope="module")
def faulty_worker(
    django_db_setup: None, hanging_llm: FakeLLMServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    purge_queues()
    worker = WorkerProcess(
        tmp_path_factory.mktemp("faulty-worker") / "worker.log",
        queues="llm,default",
        extra_env={
            "LLM_BASE_URL": hanging_llm.base_url,
            "LLM_API_KEY": "test",
            "LLM_TIMEOUT": "100",
            "LLM_MAX_RETRIES": "2",
        },
    )
    worker.args += ["--include", "tests.notes_flow.worker_faults"]
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def ended(request_id: uuid.UUID) -> NoteRequest | None:
    return NoteRequest.objects.filter(pk=request_id, status__in=REQUEST_FINISHED).first()


def test_a_bug_in_the_engine_fails_the_request_at_once_with_a_plain_reason(
    transactional_db: None, world: World, faulty_worker: WorkerProcess
) -> None:
    membership = Membership.objects.select_related("practice", "user").get(
        user=world.a.clinician, practice=world.a.practice
    )
    request = note_request_create(
        membership=membership,
        client_id=world.a.client.pk,
        style_key="soap",
        summary_only=True,
        texts=[("session_summary", f"{BUG_MARKER} {SESSION}")],
    )
    job = wait_for(lambda: ended(request.pk), timeout=30)
    assert (job.status, job.error_code, job.error) == (RequestStatus.FAILED, "error", UNEXPECTED)
    log = Path(faulty_worker.log_path).read_text(errors="replace")
    assert f"note request {request.pk} failed: KeyError at " in log
    assert "Jupiter" not in log  # the exception's text quoted the session; the log names its type only


def test_the_soft_time_limit_fails_the_request_with_a_plain_reason(
    transactional_db: None, world: World, faulty_worker: WorkerProcess, hanging_llm: FakeLLMServer
) -> None:
    hanging_llm.requests.clear()
    request = NoteRequest.objects.create(
        practice=world.a.practice,
        client=world.a.client,
        created_by=world.a.clinician,
        style_key="soap",
        summary_only=True,
        date_of_service=datetime.date(2026, 1, 5),
        status=RequestStatus.GENERATING,
    )
    request.inputs.create(practice=world.a.practice, kind="session_summary", text=SESSION)
    # The same task with a 3-second soft limit instead of its own 15 minutes.
    generate.apply_async((str(request.pk),), soft_time_limit=3, time_limit=60)
    job = wait_for(lambda: ended(request.pk), timeout=45)
    assert (job.status, job.error_code, job.error) == (RequestStatus.FAILED, "too_slow", TOO_SLOW)
    assert len(hanging_llm.requests) == 1  # the limit stopped the call; it was not retried as a lost connection
