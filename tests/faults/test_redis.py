"""Redis (broker, cache) stopped around an upload and restarted: no upload is lost or left stuck.

Each upload either gets a job that ends READY once Redis is back, or the user gets an
error and nothing is kept.
"""

from __future__ import annotations

from pathlib import Path

from intellisession.devservices import redis_stop, redis_url
from tests.conftest import wait_for
from tests.faults.conftest import PrivateStack
from tests.samples import SAMPLES

SAMPLE = SAMPLES / "sample_session.mp3"
STALE_SECONDS = 2  # for the sweeper: queued work older than this goes back on the queue


def test_upload_while_redis_is_down_is_refused_and_keeps_nothing(
    private_stack: PrivateStack, stack_world: dict[str, str]
) -> None:
    before = private_stack.query("SELECT count(*) FROM notes_noterequest")[0][0]
    url = redis_url(private_stack.data_dir)
    redis_stop(private_stack.data_dir)
    try:
        answer = private_stack.upload(stack_world, SAMPLE)
    finally:
        assert redis_url(private_stack.data_dir) == url  # back where running workers look for it
    assert answer["status_code"] == 503, answer
    assert answer["body"]["error"]["code"] == "unavailable"
    assert private_stack.query("SELECT count(*) FROM notes_noterequest")[0][0] == before
    assert private_stack.stored_audio() == []


def test_redis_lost_after_the_upload_is_stored_the_sweeper_queues_the_job_when_it_is_back(
    private_stack: PrivateStack, stack_world: dict[str, str], tmp_path: Path
) -> None:
    worker = private_stack.worker(tmp_path / "worker.log").start()
    try:
        answer = private_stack.upload(stack_world, SAMPLE, "--stop-redis-after-store")
        assert answer["status_code"] == 202, answer  # the job exists: the user is told it was accepted
        request_id = str(answer["body"]["id"])
        assert private_stack.job(request_id) == {"status": "queued", "error": "", "code": ""}
        assert redis_url(private_stack.data_dir) == private_stack.redis_url  # back where the worker looks
        wait_for(lambda: private_stack.sweep(STALE_SECONDS)["requeued"], timeout=30, every=1)
        job = wait_for(lambda: private_stack.finished(request_id), timeout=120)
    finally:
        worker.stop()
    assert job["status"] == "ready", job
    transcription = private_stack.transcription(request_id)
    assert transcription["status"] == "done" and not transcription["audio"] and transcription["audio_deleted_at"]
    assert private_stack.stored_audio() == []
