"""A whole worker (main process and pool) killed with SIGKILL mid-transcription.

Nothing acknowledges or returns its message (the broker would redeliver it only after
the visibility timeout, hours later), so the sweeper must see the chunk's heartbeat go
stale and queue it again for another worker.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import wait_for
from tests.faults.conftest import PrivateStack

STALE_SECONDS = 2


def test_killed_worker_chunk_is_requeued_by_the_sweeper_and_the_job_finishes(
    private_stack: PrivateStack, stack_world: dict[str, str], chunked_audio: Path, tmp_path: Path
) -> None:
    first = private_stack.worker(tmp_path / "first.log").start()
    try:
        request_id = private_stack.accepted(stack_world, chunked_audio)
        chunk = wait_for(lambda: private_stack.running_chunk(request_id), timeout=90, every=0.1)
        first.kill()  # the main process and its pool, with no goodbye
    finally:
        first.stop()
    # Nobody beats for the dead worker: its claim goes stale once its last heartbeat is old enough.
    wait_for(lambda: private_stack.heartbeat_older_than(chunk["id"], STALE_SECONDS), timeout=30, every=0.2)
    held = next(c for c in private_stack.chunks(request_id) if c["id"] == chunk["id"])
    assert held["status"] == "running", "the dead worker's claim stays until the sweeper acts"
    assert private_stack.sweep(STALE_SECONDS)["requeued"] >= 1
    second = private_stack.worker(tmp_path / "second.log").start()
    try:
        job = wait_for(lambda: private_stack.finished(request_id), timeout=180)
    finally:
        second.stop()
    assert job["status"] == "ready", job
    retried = next(c for c in private_stack.chunks(request_id) if c["id"] == chunk["id"])
    assert retried["status"] == "done" and retried["attempts"] == 2 and retried["claimed_by"] != chunk["claimed_by"]
    transcription = private_stack.transcription(request_id)
    assert transcription["status"] == "done" and not transcription["audio"] and transcription["audio_deleted_at"]
    assert private_stack.stored_audio() == []
    assert private_stack.audio_receipts(request_id) == 1
