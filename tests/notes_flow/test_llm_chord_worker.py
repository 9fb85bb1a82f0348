"""A long session's two stages on a real Celery worker: the stretches run as a chord on the `llm`
queue (two processes, so side by side), the callback composes the note, the request ends READY."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notes.models import Note, NoteRequest, NoteStretch, RequestStatus
from notes.tasks import generate
from tests.conftest import WorkerProcess, World, purge_queues, wait_for
from tests.fake_llm import FakeLLMServer
from tests.notes_flow.test_llm_notes import long_session

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer("ok", facts_section="subjective") as server:
        yield server


@pytest.fixture(scope="module")
def llm_worker(
    django_db_setup: None, fake_llm: FakeLLMServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    purge_queues()
    worker = WorkerProcess(
        tmp_path_factory.mktemp("llm-worker") / "worker.log",
        queues="llm,default",
        concurrency=2,
        extra_env={"LLM_BASE_URL": fake_llm.base_url, "LLM_API_KEY": "test", "NOTE_CONTEXT_TOKENS": "8000"},
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def test_a_long_session_is_written_by_a_chord_on_a_real_worker(
    transactional_db: None, chart: World, llm_worker: WorkerProcess, fake_llm: FakeLLMServer
) -> None:
    request = long_session(chart)
    generate.delay(str(request.pk))
    done = wait_for(
        lambda: NoteRequest.objects.filter(
            pk=request.pk, status__in=[RequestStatus.READY, RequestStatus.FAILED]
        ).first(),
        timeout=240,
    )
    assert done.status == RequestStatus.READY, done.error
    report = Note.objects.get(request=request).document.context
    assert report is not None and report.stages == 2 and len(report.stretches) >= 3
    assert len(fake_llm.requests) == len(report.stretches) + 1
    assert not NoteStretch.objects.filter(request=request).exists()
