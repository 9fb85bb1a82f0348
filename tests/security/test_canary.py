"""No PHI in logs, task messages or error pages.

A canary string goes into a client's name and EHR id, a text input and the note
(through the language model's reply and through an edit); a word the client says
in the recording stands for the transcript. The whole pipeline then runs on a
real worker logging at DEBUG, and the canary must appear in no log line of the
web or worker process, no task message either of them published, nothing left in
Redis, and no error page.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import redis
from celery.signals import before_task_publish
from django.conf import settings
from django.test import Client as BrowserClient

from clients.models import Client, RecordingConsent
from notes.models import Note, NoteRequest
from tests.conftest import WorkerProcess, World, api_client_for, wait_for
from tests.fake_llm import FakeLLMServer
from tests.samples import SAMPLES
from transcription.models import TranscriptSegment

CANARY = f"Quillworth{uuid.uuid4().hex[:8]}"
SPOKEN = "fishing"  # the client says "his terrible fishing stories" in the sample recording


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Task messages this (web) process publishes."""
    seen: list[dict[str, Any]] = []

    def record(sender: str | None = None, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        seen.append({"task": sender, "headers": headers, "body": body})

    before_task_publish.connect(record, weak=False)
    try:
        yield seen
    finally:
        before_task_publish.disconnect(record)


def start_worker(tmp_path: Path, llm: FakeLLMServer) -> WorkerProcess:
    from intellisession.celery import app

    app.control.purge()
    worker = WorkerProcess(
        tmp_path / "worker.log",
        extra_env={
            "LOG_LEVEL": "DEBUG",
            "CANARY_PROBE_FILE": str(tmp_path / "messages.jsonl"),
            "LLM_BASE_URL": llm.base_url,
            "LLM_API_KEY": "test-key",
            "LLM_MODEL": "fake-model",
        },
    )
    worker.args[worker.args.index("INFO")] = "DEBUG"
    worker.args += ["--include", "tests.security.message_probe"]
    return worker.start()


def canary_client(world: World) -> Client:
    client = Client.objects.create(practice=world.a.practice, name=f"{CANARY} Person", external_id=f"{CANARY}-77")
    client.assigned_clinicians.add(world.a.clinician)
    RecordingConsent.objects.create(
        practice=world.a.practice, client=client, given_on=datetime.date(2026, 1, 5), recorded_by=world.a.clinician
    )
    return client


def run_pipeline(world: World, client: Client) -> Note:
    api = api_client_for(world.a.clinician)
    base = f"/api/v1/practices/{world.a.practice.slug}"
    with open(SAMPLES / "sample_session.wav", "rb") as audio:
        response = api.post(
            f"{base}/note-requests/",
            {
                "client_id": str(client.pk),
                "style_key": "soap",
                "audio": [audio],
                "session_summary": f"{CANARY} said the week was hard.",
            },
            format="multipart",
        )
    assert response.status_code == 202, response.content
    request_id = response.json()["id"]
    request = wait_for(
        lambda: NoteRequest.objects.filter(pk=request_id, status__in=["ready", "failed"]).first(), timeout=180
    )
    assert request.status == "ready", (request.status, request.error_code)
    note = Note.objects.get(request_id=request_id)
    edit = api.patch(
        f"{base}/notes/{note.pk}/", {"sections": [{"key": "assessment", "text": f"{CANARY} edit."}]}, format="json"
    )
    assert edit.status_code == 200, edit.content
    assert api.get(f"{base}/notes/{note.pk}/export/", {"as": "text"}).status_code == 200
    return note


def error_pages(world: World, client: Client) -> list[str]:
    """Refusals and failures that carry the canary in their input."""
    api = api_client_for(world.a.clinician)
    base = f"/api/v1/practices/{world.a.practice.slug}"
    pages = []
    summary = {"client_id": str(client.pk), "summary_only": True, "session_summary": f"{CANARY} again."}
    for body in ({**summary, "style_key": "no-such-style"}, {**summary, "client_id": str(world.b.client.pk)}):
        response = api.post(f"{base}/note-requests/", body, format="json")
        assert response.status_code == 400, response.content
        pages.append(response.content.decode())
    with open(SAMPLES / "not_audio.mp3", "rb") as fake:
        response = api.post(
            f"{base}/note-requests/", {**summary, "summary_only": False, "audio": [fake]}, format="multipart"
        )
    assert response.status_code == 400
    pages.append(response.content.decode())
    browser = BrowserClient(raise_request_exception=False)
    browser.force_login(world.a.clinician)
    with mock.patch("notes.api.note_update_section", side_effect=RuntimeError("unexpected")):
        crashed = browser.patch(
            f"{base}/notes/{Note.objects.filter(client=client).first().pk}/",  # type: ignore[union-attr]
            json.dumps({"sections": [{"key": "plan", "text": f"{CANARY} crash"}]}),
            content_type="application/json",
        )
    assert crashed.status_code == 500
    pages.append(crashed.content.decode())
    return pages


def redis_contents() -> bytes:
    connection: Any = redis.Redis.from_url(settings.REDIS_URL)  # the sync client; its stubs also allow async
    readers = {
        b"string": lambda k: [connection.get(k) or b""],
        b"list": lambda k: connection.lrange(k, 0, -1),
        b"hash": lambda k: list(connection.hgetall(k).values()),
        b"set": connection.smembers,
        b"zset": lambda k: connection.zrange(k, 0, -1),
    }
    chunks: list[bytes] = []
    for key in connection.scan_iter(count=1000):
        reader = readers.get(connection.type(key))
        if reader is not None:
            chunks.extend(reader(key))
    return b"\n".join(chunks)


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [word for word in (CANARY.lower(), SPOKEN) if word in lowered]


@pytest.mark.slow
def test_canary_appears_in_no_log_message_or_error_page(
    transactional_db: None,
    world: World,
    tmp_path: Path,
    published: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    client = canary_client(world)
    with FakeLLMServer(
        "ok", sections={"plan": f"Review the {CANARY} journal next week."}, themes=[f"{CANARY} grief"]
    ) as llm:
        worker = start_worker(tmp_path, llm)
        try:
            note = run_pipeline(world, client)
            pages = error_pages(world, client)
        finally:
            worker.stop()

    # The canary really went through: it is in the stored note, the transcript and the prompt.
    note.refresh_from_db()
    assert CANARY in json.dumps(note.body["sections"]) and CANARY in json.dumps(note.body["themes"])
    segments = TranscriptSegment.objects.filter(transcription__note_inputs__request=note.request)
    transcript = " ".join(s.text for s in segments)
    assert SPOKEN in transcript.lower()
    assert CANARY in json.dumps(llm.requests)

    worker_log = (tmp_path / "worker.log").read_text(errors="replace")
    worker_messages = (tmp_path / "messages.jsonl").read_text()
    assert "notes.tasks.generate" in worker_log and "transcription.tasks" in worker_messages  # they captured work
    assert published, "the web process published no task"
    web_log = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    captured = capfd.readouterr()
    sources = {
        "web process log": web_log,
        "web process output": captured.out + captured.err,
        "worker log": worker_log,
        "task messages (web)": json.dumps(published, default=repr),
        "task messages (worker)": worker_messages,
        "redis": redis_contents().decode(errors="replace"),
    }
    sources.update({f"error page {i}": page for i, page in enumerate(pages)})
    found = {name: leaks(text) for name, text in sources.items() if leaks(text)}
    assert not found, f"PHI canary found in: {found}"
