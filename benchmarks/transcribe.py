"""Transcription: the pipeline against bare faster-whisper on the same file, in one run.

    .venv/bin/python benchmarks/transcribe.py AUDIO [--workers 1,2] [--threads 1] [--primed] [--plain]
        [--plain-threads 1,2] [--skip-bare] [--json]

Pipeline: the recording is checked and stored by ``transcription.services.intake`` and queued
(``--primed``: with the chart terms of ``benchmarks/recall.py`` as priming terms, as every real
recording has its client's);
N real ``celery worker`` processes (``-c 1``, ``WHISPER_CPU_THREADS=T``) on the real broker
plan its chunks and transcribe them. The time runs from the upload call to the
Transcription row being DONE; workers are warmed up first (model loaded), as a running
service's are. Their peak RSS is sampled with psutil (each process and its children).

Bare: a subprocess decodes the whole file with the same decoder and runs the same
``engine.transcribe`` call (same model, int8, VAD, beam, threads, word timestamps) after
loading the model, unprimed; its RSS is its own. ``--plain`` adds plain faster-whisper runs
(``WhisperModel.transcribe`` with beam 1 and its VAD, no word timestamps, no priming: the
yardstick of a "plain faster-whisper run"), one for each of ``--plain-threads``.

Besides wall time, each run reports its CPU seconds (user + system, of the worker processes or of
the bare child) over the same stretch: on a machine shared with other work the wall time of two
runs a minute apart can differ by 2x, their CPU time much less. The pipeline's time by stage comes
from its workers' log lines (see ``PipelineRun.stages``).

Data lives under ``DATA_DIR`` (default ``.data/bench``): its own PostgreSQL, Redis and files.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import (  # noqa: E402
    SAMPLE_MP3,
    RssSampler,
    Worker,
    bench_practice,
    child_env,
    loadavg,
    print_table,
    purge_queues,
    setup_django,
)
from benchmarks.recall import CHART  # noqa: E402
from tests.processes import poll  # noqa: E402


@dataclass
class PipelineRun:
    workers: int
    threads: int
    primed: bool
    duration_s: float
    wall_s: float  # upload call to DONE observed
    claim_to_done_s: float  # the row's own timing, from the first claim
    rtf: float
    chunks: int
    segments: int
    peak_rss_mib: float  # largest single worker process
    peak_rss_total_mib: float  # all worker processes together
    load_before: float
    load_after: float
    whisper_s: float  # summed over chunks, from the workers' logs: inside engine.transcribe
    cpu_s: float  # CPU seconds (user + system) of the worker processes from upload to finish
    chunk_tasks_s: float  # summed over chunks: whole chunk tasks (decode, whisper, voice prints, save)
    # Seconds by stage, from the workers' logs (summed over chunks): plan (chunk boundaries), decode
    # (audio), vad, batched (first batched round), extra (later rounds), redecode (suspect windows
    # alone), transcribe (all of engine.transcribe), prints (voice embeddings), save, label (speakers).
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class BareRun:
    word_timestamps: bool
    threads: int
    kind: str  # "engine": engine.transcribe unprimed; "plain": faster-whisper beam 1, VAD
    duration_s: float
    wall_s: float  # decode + transcribe, model already loaded
    decode_s: float
    cpu_s: float  # CPU seconds (user + system) of the same stretch
    rtf: float
    segments: int
    peak_rss_mib: float
    load_before: float
    load_after: float


# --- Bare faster-whisper (child process, no Django) ---------------------------------------------


def _plain_segments(pcm: Any, threads: int) -> int:
    from transcription import engine

    model = engine.get_model(None, cpu_threads=threads)
    pieces, _ = model.transcribe(pcm, language="en", beam_size=1, vad_filter=True)
    return sum(1 for _ in pieces)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds so far of these processes and all their children (a prefork pool child lives on)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in (root, *root.children(recursive=True)):
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def bare_child(audio: Path, threads: int, word_timestamps: bool, kind: str) -> dict[str, Any]:
    from transcription import audio as audio_lib
    from transcription import engine

    engine.get_model(None, cpu_threads=threads)
    cpu_before = _own_cpu()
    began = time.monotonic()
    pcm = audio_lib.decode(audio)
    decoded = time.monotonic()
    if kind == "plain":
        segments = _plain_segments(pcm, threads)
    else:
        segments = len(engine.transcribe(pcm, word_timestamps=word_timestamps, cpu_threads=threads).segments)
    ended = time.monotonic()
    return {
        "duration_s": len(pcm) / audio_lib.SAMPLE_RATE,
        "wall_s": ended - began,
        "decode_s": decoded - began,
        "cpu_s": _own_cpu() - cpu_before,
        "segments": segments,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_bare(audio: Path, threads: int, word_timestamps: bool, kind: str = "engine") -> BareRun:
    before = loadavg()
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            str(audio),
            "--bare-child",
            "--threads",
            str(threads),
            "--word-timestamps",
            "1" if word_timestamps else "0",
            "--bare-kind",
            kind,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    return BareRun(
        word_timestamps=word_timestamps,
        threads=threads,
        kind=kind,
        duration_s=round(found["duration_s"], 1),
        wall_s=round(found["wall_s"], 2),
        decode_s=round(found["decode_s"], 2),
        cpu_s=round(found["cpu_s"], 2),
        rtf=round(found["wall_s"] / found["duration_s"], 4),
        segments=found["segments"],
        peak_rss_mib=round(found["peak_rss_mib"], 1),
        load_before=before,
        load_after=loadavg(),
    )


# --- The pipeline ---------------------------------------------------------------------------------


def upload(path: Path, practice: Any, terms: list[str] | None = None) -> Any:
    """What intake does for a checked recording: store it privately, create the row, queue the job."""
    from django.db import transaction

    from transcription.services import intake

    info = intake.audio_check(path)
    with transaction.atomic():
        transcription = intake.transcription_create(practice=practice, path=path, info=info, priming_terms=terms or [])
        intake.transcription_enqueue(transcription)
    return transcription


def wait_finished(transcription_id: Any, timeout: float) -> Any:
    from transcription.models import Transcription

    def finished() -> Any:
        row = Transcription.objects.get(pk=transcription_id)
        return row if row.is_finished else None

    row = poll(finished, timeout=timeout, every=0.1)
    if row is None:
        raise TimeoutError(f"transcription {transcription_id} not finished within {timeout:.0f} s")
    return row


FINISHED = "finished: label="


def warm_up(workers: list[Worker], practice: Any) -> None:
    """Every worker loads its model before the measured run, as in a running service. Returns once
    the warm-up jobs' last log lines are written (a job is DONE just before), so that none of
    them is counted in the measured run's stages."""
    done = 0

    def logged(jobs: int) -> bool:
        return sum(w.log_count(FINISHED) for w in workers) >= jobs

    for _ in range(6):
        if all(w.log_count("whisper model loaded") for w in workers):
            poll(partial(logged, done), timeout=30)
            return
        jobs = [upload(SAMPLE_MP3, practice, CHART) for _ in workers]
        for job in jobs:
            wait_finished(job.pk, timeout=300)
        done += len(jobs)
    raise RuntimeError("workers did not load the model during warm-up")


WHISPER_LINE = re.compile(r"transcribed: audio=[0-9.]+s windows=\d+ segments=\d+ in ([0-9.]+)s")
CHUNK_LINE = re.compile(r"chunk \d+ of transcription \S+ done in ([0-9.]+) s")


def _summed(pattern: re.Pattern[str], text: str) -> float:
    return round(sum(float(found) for found in pattern.findall(text)), 2)


STAGE_LINES = (
    re.compile(r"transcribed: audio=.*"),
    re.compile(r"chunk \d+ of transcription \S+ done in .*"),
    re.compile(r"transcription \S+ finished: .*"),
)
STAGE = re.compile(r"\b([a-z]+)=([0-9.]+)s\b")
PLAN_LINE = re.compile(r"transcription \S+ planned: .* in ([0-9.]+) s")


def _stages(text: str) -> dict[str, float]:
    """Seconds by stage, summed over the stage lines the workers logged."""
    stages: dict[str, float] = {"plan": _summed(PLAN_LINE, text)}
    for pattern in STAGE_LINES:
        for line in pattern.findall(text):
            for name, seconds in STAGE.findall(line):
                stages[name] = round(stages.get(name, 0.0) + float(seconds), 2)
    stages.pop("audio", None)
    stages.pop("total", None)
    return stages


def _logged_chunks(pool: list[Worker], marks: list[int], chunks: int) -> str:
    """The workers' log since `marks`, once every chunk's "done" line is in (it follows the chunk's commit)."""

    def logged() -> str:
        return "".join(
            w.log_path.read_bytes()[mark:].decode(errors="replace") for w, mark in zip(pool, marks, strict=True)
        )

    def complete() -> str:
        text = logged()
        return text if len(CHUNK_LINE.findall(text)) >= chunks and FINISHED in text else ""

    return poll(complete, timeout=30) or logged()


def run_pipeline(
    audio: Path,
    practice: Any,
    *,
    workers: int,
    threads: int,
    chunk_seconds: int | None,
    log_dir: Path,
    timeout: float,
    primed: bool,
) -> PipelineRun:
    from transcription.models import TranscriptSegment

    purge_queues()
    extra = {"WHISPER_CPU_THREADS": str(threads)}
    if chunk_seconds:
        extra["TRANSCRIPTION_CHUNK_SECONDS"] = str(chunk_seconds)
    pool = [Worker(f"bench-w{i}", log_dir, env=child_env(**extra)).start() for i in range(workers)]
    try:
        for worker in pool:
            worker.wait_ready()
        warm_up(pool, practice)
        before = loadavg()
        log_marks = [w.log_path.stat().st_size for w in pool]
        pids = [w.proc.pid for w in pool if w.proc]
        cpu_before = _cpu_of(pids)
        with RssSampler(pids) as sampler:
            began = time.monotonic()
            job = upload(audio, practice, CHART if primed else None)
            row = wait_finished(job.pk, timeout)
            wall = time.monotonic() - began
        if row.status != "done":
            raise RuntimeError(f"transcription ended {row.status}: {row.error_code}")
        logged = _logged_chunks(pool, log_marks, row.chunks_total)
        cpu = _cpu_of(pids) - cpu_before
        return PipelineRun(
            workers=workers,
            threads=threads,
            primed=primed,
            duration_s=round(row.duration, 1),
            wall_s=round(wall, 2),
            claim_to_done_s=round(row.transcription_seconds or 0.0, 2),
            rtf=round(wall / row.duration, 4),
            chunks=row.chunks_total,
            segments=TranscriptSegment.objects.filter(transcription=row).count(),
            peak_rss_mib=round(sampler.peaks.per_process_mib, 1),
            peak_rss_total_mib=round(sampler.peaks.total_mib, 1),
            load_before=before,
            load_after=loadavg(),
            whisper_s=_summed(WHISPER_LINE, logged),
            cpu_s=round(cpu, 2),
            chunk_tasks_s=_summed(CHUNK_LINE, logged),
            stages=_stages(logged),
        )
    finally:
        for worker in pool:
            worker.stop()


# --- Report -----------------------------------------------------------------------------------------


def report(pipeline: list[PipelineRun], bare: list[BareRun]) -> dict[str, Any]:
    figures: dict[str, Any] = {"pipeline": [asdict(p) for p in pipeline], "bare": [asdict(b) for b in bare]}
    one = next((p for p in pipeline if p.workers == 1), None)
    same = next((b for b in bare if b.kind == "engine" and b.word_timestamps), None)
    if one and same:
        figures["pipeline_over_bare"] = round(one.wall_s / same.wall_s, 3)
    for plain in (b for b in bare if b.kind == "plain"):
        for run in pipeline:
            key = f"pipeline_{run.workers}w_over_plain_{plain.threads}t"
            figures[key] = round(run.wall_s / plain.wall_s, 3)
            figures[f"{key}_cpu"] = round(run.cpu_s / plain.cpu_s, 3)
    for run in pipeline:
        if one and run.workers > 1:
            figures[f"speedup_{run.workers}_over_1"] = round(one.wall_s / run.wall_s, 3)
    return figures


def print_report(figures: dict[str, Any]) -> None:
    rows = [
        ("run", "audio s", "wall s", "CPU s", "RTF", "chunks", "segments", "peak RSS MiB (max proc / total)", "load")
    ]
    for p in figures["pipeline"]:
        primed = "primed " if p["primed"] else ""
        rows.append(
            (
                f"pipeline {primed}{p['workers']} worker(s) x {p['threads']} thread(s)",
                f"{p['duration_s']:.0f}",
                f"{p['wall_s']:.1f}",
                f"{p['cpu_s']:.1f}",
                f"{p['rtf']:.4f}",
                str(p["chunks"]),
                str(p["segments"]),
                f"{p['peak_rss_mib']:.0f} / {p['peak_rss_total_mib']:.0f}",
                f"{p['load_before']:.1f}->{p['load_after']:.1f}",
            )
        )
    for b in figures["bare"]:
        label = (
            "plain faster-whisper (beam 1, VAD)"
            if b["kind"] == "plain"
            else "bare engine" + ("" if b["word_timestamps"] else " (no word timestamps)")
        )
        rows.append(
            (
                f"{label} x {b['threads']} thread(s)",
                f"{b['duration_s']:.0f}",
                f"{b['wall_s']:.1f}",
                f"{b['cpu_s']:.1f}",
                f"{b['rtf']:.4f}",
                "-",
                str(b["segments"]),
                f"{b['peak_rss_mib']:.0f}",
                f"{b['load_before']:.1f}->{b['load_after']:.1f}",
            )
        )
    print_table(rows)
    for p in figures["pipeline"]:
        stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in p["stages"].items())
        print(f"stages (s), pipeline {p['workers']} worker(s): whisper {p['whisper_s']:.1f}, {stages}")
    for key, value in figures.items():
        if key not in ("pipeline", "bare"):
            print(f"{key}: {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("audio", type=Path)
    parser.add_argument("--workers", default="1", help="worker processes, or a list such as 1,2 (one run each)")
    parser.add_argument("--threads", type=int, default=1, help="WHISPER_CPU_THREADS per worker and for bare")
    parser.add_argument("--skip-bare", action="store_true", help="no bare engine run (plain runs still happen)")
    parser.add_argument("--primed", action="store_true", help="prime the pipeline with chart terms")
    parser.add_argument("--plain", action="store_true", help="also run plain faster-whisper (beam 1, VAD)")
    parser.add_argument("--plain-threads", default=None, help="threads of each plain run (default: --threads)")
    parser.add_argument("--chunk-seconds", type=int, default=None, help="TRANSCRIPTION_CHUNK_SECONDS for workers")
    parser.add_argument("--timeout", type=float, default=4 * 3600)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--bare-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--word-timestamps", default="1", help=argparse.SUPPRESS)
    parser.add_argument("--bare-kind", default="engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    audio = args.audio.resolve()
    if args.bare_child:
        print(json.dumps(bare_child(audio, args.threads, args.word_timestamps == "1", args.bare_kind)))
        return 0
    setup_django()
    side = bench_practice()
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as logs:
        pipeline = [
            run_pipeline(
                audio,
                side.practice,
                workers=int(n),
                threads=args.threads,
                chunk_seconds=args.chunk_seconds,
                log_dir=Path(logs),
                timeout=args.timeout,
                primed=args.primed,
            )
            for n in args.workers.split(",")
        ]
    bare: list[BareRun] = []
    if not args.skip_bare:
        bare.append(run_bare(audio, args.threads, word_timestamps=True))
    if args.plain:
        for threads in (args.plain_threads or str(args.threads)).split(","):
            bare.append(run_bare(audio, int(threads), word_timestamps=False, kind="plain"))
    figures = report(pipeline, bare)
    print(json.dumps(figures, indent=2) if args.json else "", end="\n" if args.json else "")
    if not args.json:
        print_report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
