"""PostgreSQL restarted while a recording is being transcribed: tasks retry, the job ends READY."""

from __future__ import annotations

from pathlib import Path

from intellisession.devservices import postgres_restart
from tests.conftest import wait_for
from tests.faults.conftest import PrivateStack


def test_postgres_restart_mid_transcription_job_still_ends_ready(
    private_stack: PrivateStack, stack_world: dict[str, str], chunked_audio: Path, tmp_path: Path
) -> None:
    worker = private_stack.worker(tmp_path / "worker.log").start()
    try:
        request_id = private_stack.accepted(stack_world, chunked_audio)
        wait_for(lambda: private_stack.running_chunk(request_id), timeout=90, every=0.1)
        # Into the chunk, with Whisper at work: its heartbeat and its save need the database.
        wait_for(lambda: "whisper model loaded" in worker.log_text(), timeout=60, every=0.1)
        postgres_restart(private_stack.data_dir)
        job = wait_for(lambda: private_stack.finished(request_id), timeout=180)
        log = (tmp_path / "worker.log").read_text(errors="replace")
    finally:
        worker.stop()
    assert job["status"] == "ready", job
    assert "Retry in" in log or "retry" in log.lower(), "the restart should have cost at least one retried task"
    transcription = private_stack.transcription(request_id)
    assert transcription["status"] == "done" and not transcription["audio"] and transcription["audio_deleted_at"]
    assert max(c["attempts"] for c in private_stack.chunks(request_id)) <= 3
    assert private_stack.stored_audio() == []
