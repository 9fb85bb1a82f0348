"""Finishing a transcription: the chunk that completes a recording is committed, and its row lock
released, before the job is finished (speakers labelled, the notes app told, audio deleted); a job
whose worker died in between is finished by the sweeper."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.conftest import World
from transcription.models import ChunkStatus, Transcription, TranscriptionChunk, TranscriptionStatus
from transcription.services import pipeline, sweeper
from transcription.signals import transcription_finished
from transcription.types import Segment

pytestmark = pytest.mark.django_db(transaction=True)


def running_job(world: World, *, claimed_by: str, heartbeat_ago: float = 0.0) -> TranscriptionChunk:
    """A recording of one chunk, held by `claimed_by`, transcribed and about to be saved."""
    practice = world.a.practice
    transcription = Transcription.objects.create(
        practice=practice, status=TranscriptionStatus.RUNNING, started_at=timezone.now(), duration=10.0, chunks_total=1
    )
    beat = timezone.now() - timedelta(seconds=heartbeat_ago)
    return TranscriptionChunk.objects.create(
        practice=practice,
        transcription=transcription,
        index=0,
        start=0.0,
        end=10.0,
        status=ChunkStatus.RUNNING,
        claimed_by=claimed_by,
        heartbeat_at=beat,
    )


def chunk_lock_is_free(chunk_id: int) -> bool:
    """Try the chunk's row lock from another connection, without waiting."""
    free: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic():
                TranscriptionChunk.objects.select_for_update(nowait=True).get(pk=chunk_id)
            free.append(True)
        except DatabaseError:
            free.append(False)
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return free == [True]


def test_the_owner_is_told_after_the_last_chunk_is_committed(world: World) -> None:
    chunk = running_job(world, claimed_by=pipeline._worker_id())
    seen: list[bool] = []

    def receiver(sender: Any, transcription: Transcription, **kwargs: Any) -> None:
        seen.append(chunk_lock_is_free(chunk.pk))

    transcription_finished.connect(receiver, weak=False, dispatch_uid="test-finish-lock")
    try:
        pipeline._chunk_save(
            chunk, [Segment(0.0, 4.0, "We talked about sleep.")], speech_found=True, language="en", prints=[]
        )
    finally:
        transcription_finished.disconnect(dispatch_uid="test-finish-lock")
    assert seen == [True]
    job = Transcription.objects.get(pk=chunk.transcription_id)
    assert (job.status, job.progress, job.chunks_done) == (TranscriptionStatus.DONE, 100, 1)


def test_a_job_whose_worker_died_after_its_last_chunk_is_finished_by_the_sweeper(world: World) -> None:
    chunk = running_job(world, claimed_by="gone-host:1", heartbeat_ago=600)
    TranscriptionChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.DONE, speech_found=False)
    Transcription.objects.filter(pk=chunk.transcription_id).update(chunks_done=1)
    recent = running_job(world, claimed_by="busy-host:1")  # its worker is still finishing it
    TranscriptionChunk.objects.filter(pk=recent.pk).update(status=ChunkStatus.DONE)
    Transcription.objects.filter(pk=recent.transcription_id).update(chunks_done=1)
    assert sweeper.finish_stranded() == 1
    assert Transcription.objects.get(pk=chunk.transcription_id).status == TranscriptionStatus.NO_SPEECH
    assert Transcription.objects.get(pk=recent.transcription_id).status == TranscriptionStatus.RUNNING
    assert sweeper.finish_stranded() == 0  # finishing twice is harmless
