"""Live transcription: a 10-minute browser recording's parts fed at real-time pace (or faster).

    .venv/bin/python benchmarks/live.py [--minutes 10] [--factor 4] [--json]

The recording is the committed MediaRecorder fixture (tests/fixtures/recorder, 75 s) joined with
itself to ``--minutes`` (one WebM stream, timestamps continuing) and cut into as many 3-s parts by
bytes; the parts go through ``upload_append`` one every 3/``factor`` seconds while a real Celery
worker transcribes them live. At the end the recording is stopped (``upload_finish`` and intake,
as the Generate Note form does) and the time from Stop to the finished transcript is measured,
then the same for the same recording with live transcription off (what Stop cost before).
Reported: Stop-to-transcript seconds for both, the largest age of any audio held on the server
while recording, live windows, whether it was catching up, and the worker's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import RssSampler, Worker, bench_practice, loadavg, purge_queues, setup_django  # noqa: E402

PART_SECONDS = 3.0


def make_parts(minutes: float, folder: Path) -> list[bytes]:
    from tests.fixtures.recorder import recording
    from transcription.audio import join_recordings

    one = folder / "one.webm"
    one.write_bytes(recording())
    copies = max(1, round(minutes * 60 / 75))
    joined = folder / "joined.webm"
    with open(joined, "wb") as out:
        join_recordings([one] * copies, out)
    data = joined.read_bytes()
    count = round(copies * 75 / PART_SECONDS)
    size = len(data) // count + 1
    return [data[i : i + size] for i in range(0, len(data), size)]


def held_age(upload: Any) -> float:
    """Age in seconds of the oldest part of ``upload`` still in storage."""
    from transcription.models import private_storage

    storage = private_storage()
    upload.refresh_from_db()
    for seq in range(upload.next_seq):
        name = upload.part_name(seq)
        if storage.exists(name):
            return time.time() - storage.get_modified_time(name).timestamp()
    return 0.0


def stop_and_wait(side: Any, upload: Any) -> tuple[float, Any]:
    from django.db import transaction

    from transcription.models import Transcription
    from transcription.services import intake, uploads

    began = time.monotonic()
    path = uploads.upload_finish(upload)
    try:
        with transaction.atomic(), intake.transcriptions_stored(practice=side.practice, uploads=[path]) as stored:
            transcription = stored[0]
            intake.transcription_enqueue(transcription)
    finally:
        path.unlink()
    uploads.upload_release(upload, reason="intake")
    while True:
        transcription = Transcription.objects.get(pk=transcription.pk)
        if transcription.is_finished:
            return time.monotonic() - began, transcription
        time.sleep(0.2)


def run(minutes: float, factor: float) -> dict[str, Any]:
    from transcription.models import AudioUpload
    from transcription.services import live, uploads

    side = bench_practice("live")
    client, clinician = side.clients[0], side.clinicians[0]
    purge_queues()
    worker = Worker("live-worker", REPO / ".data" / "bench" / "logs").start()
    worker.wait_ready()
    results: dict[str, Any] = {"minutes": minutes, "factor": factor, "load_before": loadavg()}
    try:
        with tempfile.TemporaryDirectory() as folder, RssSampler([worker.pid]) as rss:
            parts = make_parts(minutes, Path(folder))
            upload = uploads.upload_start(client=client, actor=clinician)
            max_age, catching_up = 0.0, False
            started = time.monotonic()
            for seq, part in enumerate(parts):
                uploads.upload_append(upload, seq, part)
                max_age = max(max_age, held_age(upload))
                catching_up |= live.live_progress(AudioUpload.objects.get(pk=upload.pk))["catching_up"]
                time.sleep(max(0.0, started + (seq + 1) * PART_SECONDS / factor - time.monotonic()))
            upload.refresh_from_db()
            results.update(
                live_windows=upload.live_windows,
                transcribed_at_stop_s=round(upload.live_from, 1),
                recorded_s=round(upload.live_recorded, 1),
                max_audio_age_s=round(max_age, 1),
                was_catching_up=catching_up,
            )
            seconds, transcription = stop_and_wait(side, upload)
            results.update(stop_to_transcript_s=round(seconds, 1), status=transcription.status)

            plain = uploads.upload_start(client=client, actor=clinician)
            AudioUpload.objects.filter(pk=plain.pk).update(live_stopped=True)  # as before: nothing live
            for seq, part in enumerate(parts):
                uploads.upload_append(plain, seq, part)
            seconds, transcription = stop_and_wait(side, plain)
            results.update(plain_stop_to_transcript_s=round(seconds, 1), plain_status=transcription.status)
        results.update(
            worker_peak_rss_mib=round(rss.peaks.per_process_mib), worker_total_rss_mib=round(rss.peaks.total_mib)
        )
    finally:
        worker.stop()
    results["load_after"] = loadavg()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--factor", type=float, default=4.0, help="feed parts this many times faster than real time")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    setup_django()
    results = run(args.minutes, args.factor)
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:34} {value}")


if __name__ == "__main__":
    main()
