"""A worker killed mid-transcription never leaves a job stuck, and the audio never outlives it."""

from __future__ import annotations

import functools
import os
import signal
import uuid
from pathlib import Path

import pytest
from django.test import override_settings

from intellisession.models import AuditEvent
from notes.models import NoteRequest
from tests.audio_tools import concat, load, silence, write
from tests.conftest import SAMPLES, WorkerProcess, World, wait_for
from tests.pipeline.conftest import stored_audio
from tests.pipeline.test_worker import create, finished
from transcription import services
from transcription.models import Transcription, TranscriptionChunk


@pytest.fixture
def two_minute_audio(tmp_path: Path) -> Path:
    sample = load(SAMPLES / "sample_session.wav")
    return write(tmp_path / "two-minutes.wav", concat(sample, silence(2), sample, silence(2), sample))


def running_chunk(request_id: uuid.UUID) -> TranscriptionChunk | None:
    return TranscriptionChunk.objects.filter(transcription__note_inputs__request_id=request_id,
                                             status="running").first()


def reclaimed_or_finished(chunk: TranscriptionChunk, request_id: uuid.UUID) -> bool:
    taken_over = TranscriptionChunk.objects.get(pk=chunk.pk).claimed_by != chunk.claimed_by
    return taken_over or finished(request_id) is not None


def kill_holder(worker: WorkerProcess, chunk: TranscriptionChunk) -> int:
    """SIGKILL the pool process that holds the chunk (the pid in its claim)."""
    pid = int(chunk.claimed_by.rsplit(":", 1)[1])
    assert pid in worker.child_pids()
    os.kill(pid, signal.SIGKILL)
    return pid


def test_killed_worker_process_job_finishes_and_audio_is_deleted(celery_worker: WorkerProcess, consented: World,
                                                                  two_minute_audio: Path) -> None:
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


def test_job_that_keeps_killing_its_worker_fails_with_a_reason(celery_worker: WorkerProcess, consented: World,
                                                                two_minute_audio: Path) -> None:
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


@pytest.mark.django_db(transaction=True)
def test_sweeper_deletes_old_audio_whatever_the_state(consented: World, two_minute_audio: Path) -> None:
    from intellisession.celery import app

    app.conf.task_always_eager = False
    request_id = create(consented, two_minute_audio)  # no worker: it stays queued
    transcription = Transcription.objects.get(note_inputs__request_id=request_id)
    assert stored_audio()
    with override_settings(AUDIO_MAX_AGE=0):
        counts = services.sweep()
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
        assert services.sweep_orphan_files() == 1
    assert not storage.exists(name)
    assert AuditEvent.objects.filter(action="audio.delete", detail__reason="orphan").exists()
