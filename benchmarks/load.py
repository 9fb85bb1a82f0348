"""Load: N clinicians upload M-minute recordings through the REST API; then the note page under load.

    .venv/bin/python benchmarks/load.py [--clinicians 20] [--minutes 30] [--workers 2] [--json]

The script starts the real stack itself: gunicorn (web), K Celery worker processes (each
``-c 1``), Celery beat (the sweeper), and embedded PostgreSQL and Redis under
``DATA_DIR`` (default ``.data/bench``), or the servers named by DATABASE_URL / REDIS_URL.

Uploads: each clinician, in its own thread, POSTs its recording (multipart, token
auth) to ``/api/v1/practices/<slug>/note-requests/`` and polls the job every
``--poll`` seconds until it ends. Reported: errors (no 202), lost jobs (accepted but
never ended, or no row), outcomes, p50/p95 upload-to-note time, throughput and the
workers' peak RSS.

Note page: ``--page-users`` users sign in through the sign-in form (session cookie) and
each opens a note page ``/p/<slug>/notes/<id>/`` in a loop for ``--page-seconds``,
pausing ``--think`` seconds (uniformly 0.5x to 1.5x) between loads; ``--think 0`` is a
closed loop (saturation). Reported: p50/p95/p99 latency and errors.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx2 as httpx  # noqa: E402  (the HTTP client the openai package installs)

from benchmarks.common import (  # noqa: E402
    BENCH_PASSWORD,
    RssSampler,
    Worker,
    bench_practice,
    child_env,
    loadavg,
    percentile,
    print_table,
    purge_queues,
    setup_django,
)
from benchmarks.make_audio import make  # noqa: E402
from tests.processes import Process, free_port, http_ok  # noqa: E402

FINISHED = {"ready", "failed", "no_speech"}


@dataclass
class Upload:
    clinician: int
    status_code: int = 0
    error: str = ""
    request_id: str = ""
    outcome: str = ""  # ready | failed | no_speech | "" (never ended: lost)
    failure: str = ""
    note_id: str = ""
    upload_s: float = 0.0  # the POST itself
    to_note_s: float = 0.0  # POST start to the poll that saw the job end
    started: float = 0.0
    ended: float = 0.0


@dataclass
class Stack:
    base_url: str
    web: Process
    workers: list[Worker]
    beat: Process
    log_dir: Path

    def stop(self) -> None:
        for process in (*self.workers, self.web, self.beat):
            process.stop()


def start_stack(args: argparse.Namespace, log_dir: Path) -> Stack:
    env = child_env(
        SECURE_COOKIES="false",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TRUSTED_PROXY_COUNT="1",
        WHISPER_CPU_THREADS=str(args.threads),
        **({"AUDIO_MAX_AGE": str(args.audio_max_age)} if args.audio_max_age else {}),
    )
    port = free_port()
    web = Process(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "intellisession.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.web_workers),
            "--threads",
            str(args.web_threads),
            "--timeout",
            "300",
        ],
        log_path=log_dir / "web.log",
        env=env,
        stop_timeout=30,
    )
    beat = Process(
        "celery beat",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "intellisession",
            "beat",
            "-l",
            "INFO",
            "-s",
            str(log_dir / "beat-schedule"),
        ],
        log_path=log_dir / "beat.log",
        env=env,
        stop_timeout=30,
    )
    workers = [Worker(f"load-w{i}", log_dir, concurrency=args.worker_concurrency, env=env) for i in range(args.workers)]
    stack = Stack(f"http://127.0.0.1:{port}", web, workers, beat, log_dir)
    try:
        for process in (web, beat, *workers):
            process.start()
        for worker in workers:
            worker.wait_ready()
        web.wait_ready(http_ok(f"{stack.base_url}/healthz"), timeout=60)
    except BaseException:
        stack.stop()
        raise
    return stack


# --- Uploads ----------------------------------------------------------------------------------------


def upload_and_wait(
    base: str, slug: str, token: str, client_id: str, audio: Path, record: Upload, poll: float, timeout: float
) -> None:
    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=600) as http:
        record.started = time.monotonic()
        try:
            with open(audio, "rb") as handle:
                response = http.post(
                    f"/api/v1/practices/{slug}/note-requests/",
                    data={"client_id": client_id, "style": "soap"},
                    files={"audio": (audio.name, handle, "audio/mpeg")},
                )
        except httpx.HTTPError as error:
            record.error = type(error).__name__
            return
        record.upload_s = time.monotonic() - record.started
        record.status_code = response.status_code
        if response.status_code != 202:
            record.error = response.text[:200]
            return
        record.request_id = response.json()["id"]
        _poll(http, f"/api/v1/practices/{slug}/note-requests/{record.request_id}/", record, poll, timeout)


def _poll(http: httpx.Client, url: str, record: Upload, poll: float, timeout: float) -> None:
    deadline = record.started + timeout
    while time.monotonic() < deadline:
        time.sleep(poll)
        try:
            response = http.get(url, headers={"X-Background-Poll": "1"})
        except httpx.HTTPError:
            continue  # a slow answer under load is not a lost job; ask again
        if response.status_code != 200:
            continue
        job = response.json()
        if job["status"] in FINISHED:
            record.ended = time.monotonic()
            record.to_note_s = record.ended - record.started
            record.outcome = job["status"]
            record.failure = job.get("error") or ""
            record.note_id = str(job.get("note_id") or "")
            return


def run_uploads(stack: Stack, side: Any, tokens: list[str], audio: Path, args: argparse.Namespace) -> dict[str, Any]:
    records = [Upload(clinician=i) for i in range(args.clinicians)]
    threads = [
        threading.Thread(
            target=upload_and_wait,
            args=(
                stack.base_url,
                side.practice.slug,
                tokens[i],
                str(side.clients[i].pk),
                audio,
                records[i],
                args.poll,
                args.timeout,
            ),
            daemon=True,
        )
        for i in range(args.clinicians)
    ]
    before = loadavg()
    with RssSampler([w.proc.pid for w in stack.workers if w.proc], every=0.5) as sampler:
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
    figures = summarise_uploads(records, wall, sampler, audio_minutes=args.minutes_actual, load=(before, loadavg()))
    figures["audio_lifetime_max_s"] = _audio_lifetime_max([r.request_id for r in records if r.request_id])
    figures["duplicate_chunk_messages"] = sum(
        w.log_count("not claimed (taken, finished or gone)") for w in stack.workers
    )
    return figures


def _audio_lifetime_max(request_ids: list[str]) -> float:
    """Longest time any of the run's recordings stayed stored (upload to deletion): the retention bound in practice."""
    from django.db.models import DurationField, ExpressionWrapper, F, Max

    from transcription.models import Transcription

    lifetime = ExpressionWrapper(F("audio_deleted_at") - F("created_at"), output_field=DurationField())
    ids = [uuid.UUID(i) for i in request_ids]
    found = Transcription.objects.filter(note_inputs__request_id__in=ids).aggregate(m=Max(lifetime))["m"]
    return round(found.total_seconds(), 1) if found else 0.0


def _lost_rows(records: list[Upload]) -> int:
    """Accepted jobs the database does not know, or that never ended."""
    from notes.models import NoteRequest

    accepted = [r.request_id for r in records if r.request_id]
    known = set(map(str, NoteRequest.objects.filter(pk__in=accepted).values_list("pk", flat=True)))
    return sum(1 for r in records if r.request_id and (r.request_id not in known or not r.outcome))


def summarise_uploads(
    records: list[Upload], wall: float, sampler: RssSampler, *, audio_minutes: float, load: tuple[float, float]
) -> dict[str, Any]:
    ready = [r for r in records if r.outcome == "ready"]
    times = [r.to_note_s for r in ready]
    last = max((r.ended for r in records if r.ended), default=0.0)
    first = min((r.started for r in records), default=0.0)
    span = (last - first) if last else wall
    failures: dict[str, int] = {}
    for r in records:
        if r.outcome in ("failed", "no_speech"):
            failures[r.failure[:80] or r.outcome] = failures.get(r.failure[:80] or r.outcome, 0) + 1
    return {
        "uploads": len(records),
        "accepted": sum(1 for r in records if r.status_code == 202),
        "errors": sum(1 for r in records if r.status_code != 202),
        "lost": _lost_rows(records),
        "ready": len(ready),
        "failed": sum(1 for r in records if r.outcome == "failed"),
        "no_speech": sum(1 for r in records if r.outcome == "no_speech"),
        "failure_reasons": failures,
        "upload_p50_s": round(percentile([r.upload_s for r in records if r.status_code], 50), 2),
        "upload_p95_s": round(percentile([r.upload_s for r in records if r.status_code], 95), 2),
        "to_note_p50_s": round(percentile(times, 50), 1),
        "to_note_p95_s": round(percentile(times, 95), 1),
        "to_note_max_s": round(max(times, default=0.0), 1),
        "wall_s": round(wall, 1),
        "notes_per_hour": round(len(ready) / span * 3600, 1) if span else 0.0,
        "audio_minutes_per_minute": round(len(ready) * audio_minutes / (span / 60), 2) if span else 0.0,
        "worker_peak_rss_mib": round(sampler.peaks.per_process_mib, 1),
        "workers_peak_rss_total_mib": round(sampler.peaks.total_mib, 1),
        "server_timings": _server_timings([r.request_id for r in ready]),
        "load_before": load[0],
        "load_after": load[1],
        "errors_sample": sorted({r.error for r in records if r.error})[:3],
        "note_ids": [r.note_id for r in ready if r.note_id],
    }


def _server_timings(request_ids: list[str]) -> dict[str, float]:
    """The requests' own timings (created -> ready, transcription, generation), percentiles."""
    from notes.models import NoteRequest

    rows = list(NoteRequest.objects.filter(pk__in=request_ids).values_list("timings", flat=True))
    found: dict[str, float] = {}
    for key in ("total_s", "transcription_s", "generation_s"):
        values = [float(t[key]) for t in rows if t and key in t]
        found[f"{key}_p50"] = round(percentile(values, 50), 1)
        found[f"{key}_p95"] = round(percentile(values, 95), 1)
    return found


# --- Note page ---------------------------------------------------------------------------------------


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(base: str, email: str, address: str) -> httpx.Client:
    """A session signed in through the sign-in form. Each user comes from its own address (the
    stack trusts one proxy), as clinicians do: one address would hit the per-address sign-in limit."""
    http = httpx.Client(base_url=base, timeout=60, follow_redirects=False, headers={"X-Forwarded-For": address})
    page = http.get("/accounts/login/")
    token = _CSRF.search(page.text)
    if token is None:
        raise RuntimeError(f"no sign-in form (status {page.status_code})")
    response = http.post(
        "/accounts/login/",
        data={"login": email, "password": BENCH_PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"sign-in refused for a benchmark user (status {response.status_code})")
    return http


def page_user(
    http: httpx.Client, url: str, until: float, think: float, latencies: list[float], errors: list[str]
) -> None:
    while time.monotonic() < until:
        began = time.monotonic()
        try:
            response = http.get(url)
            elapsed = time.monotonic() - began
            if response.status_code == 200:
                latencies.append(elapsed)
            else:
                errors.append(str(response.status_code))
        except httpx.HTTPError as error:
            errors.append(type(error).__name__)
        if think:
            time.sleep(random.uniform(0.5 * think, 1.5 * think))


def run_page(stack: Stack, side: Any, note_ids: list[str], args: argparse.Namespace) -> dict[str, Any]:
    users = side.clinicians[: args.page_users]
    sessions = [sign_in(stack.base_url, u.email, f"10.20.{i // 250}.{i % 250 + 1}") for i, u in enumerate(users)]
    slug = side.practice.slug
    urls = [f"/p/{slug}/notes/{note_ids[i % len(note_ids)]}/" for i in range(len(users))]
    first = sessions[0].get(urls[0])
    if first.status_code != 200:
        raise RuntimeError(f"note page answered {first.status_code}")
    results: dict[str, Any] = {
        "url_pattern": "/p/<slug>/notes/<note_id>/",
        "users": len(users),
        "page_bytes": len(first.content),
    }
    for think in dict.fromkeys([args.think, 0.0]):
        latencies: list[float] = []
        errors: list[str] = []
        before = loadavg()
        until = time.monotonic() + args.page_seconds
        threads = [
            threading.Thread(target=page_user, args=(s, u, until, think, latencies, errors), daemon=True)
            for s, u in zip(sessions, urls, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ms = [1000 * x for x in latencies]
        results[f"think_{think:g}s"] = {
            "requests": len(ms),
            "errors": len(errors),
            "error_kinds": dict(collections.Counter(errors)),
            "per_second": round(len(ms) / args.page_seconds, 1),
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(max(ms, default=0.0), 1),
            "load_before": before,
            "load_after": loadavg(),
        }
    for session in sessions:
        session.close()
    return results


def ensure_notes(stack: Stack, side: Any, tokens: list[str], have: list[str]) -> list[str]:
    """Notes to open on the page test: the upload run's, else notes an earlier run left in this
    data folder, else summary-only ones made now."""
    from notes.models import Note

    if have:
        return have
    earlier = [
        str(pk)
        for pk in Note.objects.filter(practice=side.practice).order_by("-created_at").values_list("pk", flat=True)[:20]
    ]
    if earlier:
        return earlier
    records = []
    for i in range(min(3, len(side.clients))):
        with httpx.Client(base_url=stack.base_url, headers={"Authorization": f"Token {tokens[i]}"}, timeout=60) as h:
            response = h.post(
                f"/api/v1/practices/{side.practice.slug}/note-requests/",
                data={
                    "client_id": str(side.clients[i].pk),
                    "style": "soap",
                    "summary_only": "true",
                    "session_summary": "Benchmark session summary. Discussed sleep and the weekly plan.",
                },
            )
            record = Upload(clinician=i, request_id=response.json()["id"], started=time.monotonic())
            _poll(h, f"/api/v1/practices/{side.practice.slug}/note-requests/{record.request_id}/", record, 0.5, 300)
            records.append(record)
    return [r.note_id for r in records if r.note_id]


# --- Main ---------------------------------------------------------------------------------------------


def print_report(figures: dict[str, Any]) -> None:
    up = figures.get("uploads")
    if up:
        print(f"\nUploads: {up['uploads']} x {figures['minutes']:.1f} min, {figures['workers']} worker process(es)")
        print_table(
            [
                (
                    "accepted",
                    "errors",
                    "lost",
                    "ready",
                    "failed",
                    "p50 to note s",
                    "p95 to note s",
                    "notes/h",
                    "audio min/min",
                    "worker peak RSS MiB",
                    "load",
                ),
                (
                    str(up["accepted"]),
                    str(up["errors"]),
                    str(up["lost"]),
                    str(up["ready"]),
                    str(up["failed"]),
                    f"{up['to_note_p50_s']:.1f}",
                    f"{up['to_note_p95_s']:.1f}",
                    f"{up['notes_per_hour']:.1f}",
                    f"{up['audio_minutes_per_minute']:.2f}",
                    f"{up['worker_peak_rss_mib']:.0f}",
                    f"{up['load_before']:.1f}->{up['load_after']:.1f}",
                ),
            ]
        )
        if up["failure_reasons"]:
            print(f"failure reasons: {up['failure_reasons']}")
        print(
            f"longest audio lifetime: {up['audio_lifetime_max_s']:.0f} s; "
            f"duplicate chunk messages skipped: {up['duplicate_chunk_messages']}"
        )
    page = figures.get("page")
    if page:
        print(f"\nNote page {page['url_pattern']}, {page['users']} signed-in users")
        rows = [("think time", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "load")]
        for key, r in page.items():
            if key.startswith("think_"):
                errors = f"{r['errors']} {r['error_kinds']}" if r["errors"] else "0"
                rows.append(
                    (
                        key[6:],
                        str(r["requests"]),
                        errors,
                        f"{r['per_second']:.1f}",
                        f"{r['p50_ms']:.0f}",
                        f"{r['p95_ms']:.0f}",
                        f"{r['p99_ms']:.0f}",
                        f"{r['load_before']:.1f}->{r['load_after']:.1f}",
                    )
                )
        print_table(rows)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clinicians", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=30.0, help="length of each recording")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="WHISPER_CPU_THREADS per worker")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between job status polls")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="per upload, to the end of its job")
    parser.add_argument("--audio-max-age", type=int, default=0, help="AUDIO_MAX_AGE for the stack (0: default)")
    parser.add_argument("--page-users", type=int, default=50)
    parser.add_argument("--page-seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between a user's page loads")
    parser.add_argument("--skip-uploads", action="store_true")
    parser.add_argument("--skip-page", action="store_true")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def main() -> int:
    args = parse()
    setup_django()
    from intellisession.models import Practice
    from intellisession.tokens import api_token_issue

    side = bench_practice("load", clinicians=max(args.clinicians, args.page_users))
    Practice.objects.filter(pk=side.practice.pk).update(share_caseload=True)  # every user may open every note
    tokens = [api_token_issue(user=u, second_factor=True).key for u in side.clinicians]
    audio = make(args.minutes, REPO / ".data" / "bench-audio" / f"{args.minutes:g}min.mp3")
    from transcription.audio import probe

    args.minutes_actual = probe(audio, max_duration=10**6, max_bytes=10**12).duration / 60
    purge_queues()
    figures: dict[str, Any] = {
        "clinicians": args.clinicians,
        "minutes": round(args.minutes_actual, 2),
        "workers": args.workers,
        "threads": args.threads,
    }
    with tempfile.TemporaryDirectory(prefix="bench-load-") as logs:
        stack = start_stack(args, Path(logs))
        try:
            note_ids: list[str] = []
            if not args.skip_uploads:
                figures["uploads"] = run_uploads(stack, side, tokens, audio, args)
                note_ids = figures["uploads"].pop("note_ids", [])
            if not args.skip_page:
                figures["page"] = run_page(stack, side, ensure_notes(stack, side, tokens, note_ids), args)
        finally:
            stack.stop()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
