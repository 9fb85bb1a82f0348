"""Live transcription of a browser recording while it is being recorded: a real MediaRecorder
recording (tests/fixtures/recorder) fed part by part, the real Whisper model, real PostgreSQL."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import override_settings

from intellisession.models import AuditEvent
from tests.conftest import World
from tests.fixtures.recorder import PARTS, recording
from transcription.models import (
    AudioUpload,
    ChunkStatus,
    LiveWindow,
    Transcription,
    TranscriptionChunk,
    TranscriptionStatus,
    private_storage,
)
from transcription.services import intake, live, pipeline, sweeper, uploads

pytestmark = pytest.mark.django_db


def open_upload(world: World) -> AudioUpload:
    return uploads.upload_start(client=world.a.client, actor=world.a.clinician)


def feed(upload: AudioUpload, seqs: range, *, run: bool = True) -> None:
    for seq in seqs:
        uploads.upload_append(upload, seq, PARTS[seq].read_bytes())
        if run:
            live.live_run(upload_id=str(upload.pk))


def transcribe_path(world: World, path: Path) -> Transcription:
    """Intake and the pipeline's own steps, in this process: plan, every chunk, finish."""
    with transaction.atomic(), intake.transcriptions_stored(practice=world.a.practice, uploads=[path]) as stored:
        transcription = stored[0]
    for chunk_id in pipeline.transcription_plan(transcription_id=str(transcription.pk)):
        pipeline.chunk_run(chunk_id=chunk_id)
    transcription.refresh_from_db()
    assert transcription.status == TranscriptionStatus.DONE, transcription.error
    return transcription


def words(transcription: Transcription) -> list[str]:
    text = " ".join(s.text for s in transcription.segments.order_by("start"))
    return re.findall(r"[a-z']+", text.lower())


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1] / max(1, len(reference))


def held_parts(upload: AudioUpload) -> list[int]:
    storage = private_storage()
    return [seq for seq in range(len(PARTS) + 1) if storage.exists(upload.part_name(seq))]


def test_parts_are_transcribed_while_recording_and_stop_transcribes_only_the_rest(consented: World) -> None:
    upload = open_upload(consented)
    feed(upload, range(10))  # 30 s: not a whole window with its search area yet
    assert not LiveWindow.objects.filter(upload=upload).exists()
    feed(upload, range(10, 14))  # 42 s
    first = LiveWindow.objects.get(upload=upload)
    assert first.start == 0.0 and 22.0 <= first.end <= 38.0 and first.segments  # text before Stop
    word = max(re.findall(r"[a-z]+", " ".join(text for _, _, text in first.segments).lower()), key=len)
    with connection.cursor() as cursor:  # kept encrypted, like TranscriptSegment.text
        cursor.execute(
            "SELECT segments::text, voice_prints::text FROM transcription_livewindow WHERE id = %s", [first.pk]
        )
        stored = " ".join(cursor.fetchone()).lower()
    assert len(word) > 4 and word not in stored
    feed(upload, range(14, len(PARTS)))
    upload.refresh_from_db()
    windows = list(LiveWindow.objects.filter(upload=upload))
    assert len(windows) == 2 and windows[1].start == windows[0].end == first.end
    assert upload.live_from == windows[-1].end and upload.live_recorded > 74
    # The parts whose audio is all transcribed are gone, with receipts; the rest is under a window and a half.
    held = held_parts(upload)
    assert held and held[0] == upload.live_seq > 0 and held == list(range(held[0], len(PARTS)))
    # (the held audio begins at the Cluster the cut is in, and in the part that Cluster begins in)
    assert (len(PARTS) - held[0]) * 3 <= upload.live_recorded - upload.live_from + 6
    receipts = AuditEvent.objects.filter(action="audio.delete", object_id=str(upload.pk))
    assert sum(e.detail["parts"] for e in receipts) == held[0]
    assert {e.detail["reason"] for e in receipts} == {"transcribed_live"}
    # A part resent after a lost answer changes nothing.
    uploads.upload_append(upload, 3, PARTS[3].read_bytes())
    live.live_run(upload_id=str(upload.pk))
    assert LiveWindow.objects.filter(upload=upload).count() == 2 and held_parts(upload) == held

    path = uploads.upload_finish(upload)
    try:
        assert isinstance(path, live.RecordingPath) and path.live_until == upload.live_from
        assert path.stat().st_size < len(recording()) / 2
        began = time.monotonic()
        combined = transcribe_path(consented, path)
        tail_seconds = time.monotonic() - began
    finally:
        path.unlink()
    chunks = list(TranscriptionChunk.objects.filter(transcription=combined))
    assert [c.start for c in chunks] == [0.0, windows[0].end, windows[1].end]
    assert all(c.status == ChunkStatus.DONE for c in chunks) and combined.duration > 74
    uploads.upload_release(upload, reason="intake")
    assert not held_parts(upload) and not LiveWindow.objects.filter(upload=upload).exists()

    # The same recording finished the way it always was: one file, transcribed whole.
    plain_upload = open_upload(consented)
    feed(plain_upload, range(len(PARTS)), run=False)
    plain_upload.refresh_from_db()
    assert live.live_progress(plain_upload)["catching_up"] is True  # no worker reached it: a window and more behind
    plain_path = uploads.upload_finish(plain_upload)
    try:
        assert plain_path.read_bytes() == recording()
        assert isinstance(plain_path, live.RecordingPath) and plain_path.live_until == 0
        plain = transcribe_path(consented, plain_path)
    finally:
        plain_path.unlink()
    reference, hypothesis = words(plain), words(combined)
    assert len(reference) > 150
    assert word_error_rate(reference, hypothesis) < 0.12, (" ".join(reference), " ".join(hypothesis))
    print(f"tail transcribed in {tail_seconds:.1f} s, WER {word_error_rate(reference, hypothesis):.3f}")


def age(upload: AudioUpload, seqs: list[int], seconds: float) -> None:
    """As if these parts had arrived ``seconds`` ago."""
    when = time.time() - seconds
    for seq in seqs:
        os.utime(private_storage().path(upload.part_name(seq)), (when, when))


def test_the_sweeper_keeps_audio_held_while_recording_to_the_live_bound(consented: World) -> None:
    upload = open_upload(consented)
    feed(upload, range(14))
    feed(upload, range(14, 20), run=False)  # the site is busy: live transcription falls behind
    upload.refresh_from_db()
    assert upload.live_windows == 1
    held = held_parts(upload)
    age(upload, held, 200)  # all arrived more than the bound ago
    # A recording live transcription never reached keeps all its audio for Stop (AUDIO_MAX_AGE applies).
    untouched = open_upload(consented)
    feed(untouched, range(6), run=False)
    age(untouched, list(range(6)), 200)
    with override_settings(LIVE_AUDIO_MAX_AGE=30):
        # Less than the bound of the recording after any held part (as when paused, or the connection
        # dropped: no new audio comes), so nothing is overdue, however long ago it arrived.
        assert live.sweep_live_audio() == 0
        feed(upload, range(20, 24), run=False)  # recording goes on, still no worker free
        upload.refresh_from_db()
        deleted = sweeper.sweep()["live_parts_deleted"]
        assert deleted > 0 and live.sweep_live_audio() == 0
    kept = held_parts(upload)
    assert kept == list(range(held[0] + deleted, 24)) and held_parts(untouched) == list(range(6))
    # Every deleted part had more than the bound of the recording after it; the first kept one not.
    assert (kept[0] - 1) * 3 + 3 <= upload.live_recorded - 30 + 3.5
    assert kept[0] * 3 + 3 > upload.live_recorded - 30 - 3.5
    receipt = AuditEvent.objects.get(action="audio.delete", object_id=str(upload.pk), detail__reason="live_age_bound")
    assert receipt.detail["parts"] == deleted
    # Live transcription carries on from the next whole Cluster; what was deleted is counted as lost.
    feed(upload, range(24, len(PARTS)))
    upload.refresh_from_db()
    assert not upload.live_resync and upload.live_lost > 0 and upload.live_from >= (kept[0] - 1) * 3
    path = uploads.upload_finish(upload)
    try:
        assert isinstance(path, live.RecordingPath) and path.live_until == upload.live_from
        transcription = transcribe_path(consented, path)
    finally:
        path.unlink()
    assert transcription.segments.filter(start__gte=upload.live_from - 1).exists()


def test_a_second_recording_in_the_same_upload_loses_nothing(consented: World) -> None:
    upload = open_upload(consented)
    for seq in range(2 * len(PARTS)):
        uploads.upload_append(upload, seq, PARTS[seq % len(PARTS)].read_bytes())
        live.live_run(upload_id=str(upload.pk))
    upload.refresh_from_db()
    assert upload.live_windows == 2 and upload.live_stopped  # the second stream is left for Stop
    path = uploads.upload_finish(upload)
    try:
        transcription = transcribe_path(consented, path)
    finally:
        path.unlink()
    assert 149 < transcription.duration < 151
    once = words_between(transcription, 0, 75)
    twice = words_between(transcription, 75, 151)
    assert len(once) > 150 and word_error_rate(once, twice) < 0.15, (once, twice)


def words_between(transcription: Transcription, start: float, end: float) -> list[str]:
    text = " ".join(s.text for s in transcription.segments.filter(start__gte=start, start__lt=end).order_by("start"))
    return re.findall(r"[a-z']+", text.lower())


def test_a_recording_that_fell_behind_catches_up_a_few_minutes_per_pass(
    consented: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "DECODE_MAX_SECONDS", 45.0)  # the fixture is 75 s: two passes
    upload = open_upload(consented)
    feed(upload, range(len(PARTS)), run=False)  # no worker free while it was recorded
    upload.refresh_from_db()
    assert live.live_progress(upload)["catching_up"] is True
    assert live.live_run(upload_id=str(upload.pk)) == 2
    upload.refresh_from_db()
    assert upload.live_windows == 2 and live.live_progress(upload)["catching_up"] is False
    assert upload.live_recorded > 74 and upload.live_claimed_by == ""
