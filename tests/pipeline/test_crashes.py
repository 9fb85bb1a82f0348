"""A worker killed mid-transcription never leaves a job stuck, and the audio never outlives it."""

from __future__ import annotations

import functools
import os
import signal
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from intellisession.models import AuditEvent
from intellisession.queueing import waiting_messages
from notes.models import NoteRequest
from tests.audio_tools import concat, load, silence, write
from tests.conftest import WorkerProcess, World, purge_queues, wait_for
from tests.pipeline.conftest import stored_audio
from tests.pipeline.test_worker import create, finished
from tests.samples import SAMPLES
from transcription.models import Transcription, TranscriptionChunk
from transcription.services import sweeper


@pytest.fixture
def two_minute_audio(tmp_path: Path) -> Path:
    sample = load(SAMPLES / "sample_session.wav")
    return write(tmp_path / "two-minutes.wav", concat(sample, silence(2), sample, silence(2), sample))


def running_chunk(request_id: uuid.UUID) -> TranscriptionChunk | None:
    return TranscriptionChunk.objects.filter(
        transcription__note_inputs__request_id=request_id, status="running"
    ).first()


def reclaimed_or_finished(chunk: TranscriptionChunk, request_id: uuid.UUID) -> bool:
    taken_over = TranscriptionChunk.objects.get(pk=chunk.pk).claimed_by != chunk.claimed_by
    return taken_over or finished(request_id) is not None


def kill_holder(worker: WorkerProcess, chunk: TranscriptionChunk) -> int:
    """SIGKILL the pool process that holds the chunk (the pid in its claim)."""
    pid = int(chunk.claimed_by.rsplit(":", 1)[1])
    assert pid in worker.child_pids()
    os.kill(pid, signal.SIGKILL)
    return pid


def test_killed_worker_process_job_finishes_and_audio_is_deleted(
    celery_worker: WorkerProcess, consented: World, two_minute_audio: Path
) -> None:
    request_id = create(consented, two_minute_audio)
    chunk = wait_for(lambda: running_chunk(request_id), timeout=60, every=0.1)
    killed = kill_holder(celery_worker, chunk)
    request = wait_for(lambda: finished(request_id), timeout=180)
    assert request.status == "ready", request.error
    chunk.refresh_from_db()
    assert chunk.attempts == 2 and chunk.status == "done" and str(killed) not in chunk.claimed_by
    assert stored_audio() == []
    transcription = Transcription.objects.get(note_inputs__request_id=request_id)
    assert AuditEvent.objects.filter(action="audio.delete", object_id=str(transcription.pk)).exists()


def test_job_that_keeps_killing_its_worker_fails_with_a_reason(
    celery_worker: WorkerProcess, consented: World, two_minute_audio: Path
) -> None:
    request_id = create(consented, two_minute_audio)
    kills = 0
    while not finished(request_id):
        chunk = wait_for(lambda: running_chunk(request_id) or finished(request_id), timeout=90, every=0.1)
        if isinstance(chunk, TranscriptionChunk):
            kill_holder(celery_worker, chunk)
            kills += 1
            wait_for(functools.partial(reclaimed_or_finished, chunk, request_id), timeout=60, every=0.1)
    request = NoteRequest.objects.get(pk=request_id)
    assert request.status == "failed" and kills == 3
    assert "stopped unexpectedly 3 times" in request.error
    assert stored_audio() == []


def test_sweeper_deletes_old_audio_whatever_the_state(
    idle_broker: None, consented: World, two_minute_audio: Path
) -> None:
    request_id = create(consented, two_minute_audio)  # no worker: it stays queued
    transcription = Transcription.objects.get(note_inputs__request_id=request_id)
    assert stored_audio()
    with override_settings(AUDIO_MAX_AGE=0):
        counts = sweeper.sweep()
    assert counts["audio_deleted"] == 1 and stored_audio() == []
    receipt = AuditEvent.objects.get(action="audio.delete", object_id=str(transcription.pk))
    assert receipt.detail["reason"] == "age_bound"
    request = NoteRequest.objects.get(pk=request_id)
    assert request.status == "failed" and "deleted for privacy" in request.error


@pytest.mark.django_db(transaction=True)
def test_sweeper_deletes_orphan_audio_files(tmp_path: Path) -> None:
    from transcription.models import private_storage

    storage = private_storage()
    name = storage.save("audio/some-practice/orphan", open(SAMPLES / "sample_session.mp3", "rb"))  # noqa: SIM115
    with override_settings(AUDIO_MAX_AGE=0):
        assert sweeper.sweep_orphan_files() == 1
    assert not storage.exists(name)
    assert AuditEvent.objects.filter(action="audio.delete", detail__reason="orphan").exists()


def test_sweeper_sends_waiting_work_again_only_when_its_message_is_gone(
    idle_broker: None, consented: World, two_minute_audio: Path
) -> None:
    queue = "transcription"
    request_id = create(consented, two_minute_audio)  # no worker: its message waits
    transcription = Transcription.objects.get(note_inputs__request_id=request_id)
    long_ago = timezone.now() - timedelta(seconds=settings.TRANSCRIPTION_STALE_SECONDS + 60)
    Transcription.objects.filter(pk=transcription.pk).update(created_at=long_ago)
    assert waiting_messages(queue) == 1
    assert sweeper.requeue_stuck() == 0  # still in line: no copy
    purge_queues()  # the message is lost (a broker that lost its data, say)
    assert sweeper.requeue_stuck() == 1 and waiting_messages(queue) == 1

    # Planned, two chunks waiting: again one message each, and none while they are in line.
    Transcription.objects.filter(pk=transcription.pk).update(status="running", started_at=long_ago, chunks_total=2)
    TranscriptionChunk.objects.bulk_create(
        [
            TranscriptionChunk(
                practice_id=transcription.practice_id,
                transcription=transcription,
                index=i,
                start=60.0 * i,
                end=60.0 * (i + 1),
            )
            for i in range(2)
        ]
    )
    purge_queues()
    assert sweeper.requeue_stuck() == 2 and waiting_messages(queue) == 2
    assert sweeper.requeue_stuck() == 0 and waiting_messages(queue) == 2
