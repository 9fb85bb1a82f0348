"""Shared pieces of the benchmarks: their own data folder, Celery worker processes, RSS sampling.

Benchmarks keep their embedded PostgreSQL, Redis and private files under
``.data/bench`` (override with ``DATA_DIR``), so they never touch development data.
"""

from __future__ import annotations

import datetime
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.processes import CELERY_READY, Process, Readiness, celery_worker_args  # noqa: E402
from tests.samples import SAMPLES  # noqa: E402

SAMPLE_MP3 = SAMPLES / "sample_session.mp3"
BENCH_PASSWORD = "bench horse battery staple 7"  # noqa: S105 (benchmark users in their own data folder)


def setup_django() -> None:
    """Point Django at the benchmark data folder, start its servers and migrate."""
    os.environ.setdefault("DATA_DIR", str(REPO / ".data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intellisession.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # this process's own; workers log at INFO (see child_env)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django
    from django.core.management import call_command

    from intellisession.startup import prepare_development

    prepare_development()  # the benchmark's own embedded servers and secrets, exported to its processes
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a process of the stack: the same servers, keys and data folder as this one."""
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        DATA_DIR=str(settings.DATA_DIR),
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        SECRET_KEY=settings.SECRET_KEY,
        LOG_LEVEL="INFO",
    )
    env.pop("LLM_BASE_URL", None)  # the offline drafter, unless a run asks otherwise
    env.update(extra)
    return env


def loadavg() -> float:
    """One-minute load average: other work on the machine skews every figure."""
    return round(os.getloadavg()[0], 2)


def purge_queues() -> None:
    from intellisession.celery import app

    with app.connection_for_write() as conn:
        for queue in ("transcription", "llm", "default"):
            conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]


class Worker(Process):
    """One `celery worker` process (prefork, concurrency `concurrency`) of the stack.

    `start()` returns at once, so several workers boot side by side; `wait_ready()` then waits for each.
    """

    def __init__(
        self,
        name: str,
        log_dir: Path,
        *,
        concurrency: int = 1,
        queues: str = "transcription,llm,default",
        env: dict[str, str] | None = None,
    ) -> None:
        args = celery_worker_args(
            sys.executable,
            f"{name}-{os.getpid()}@%h",
            queues=queues,
            concurrency=concurrency,
            extra=["--without-heartbeat"],
        )
        super().__init__(name, args, log_path=log_dir / f"{name}.log", env=env or child_env(), stop_timeout=30)

    def start(self) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.write_bytes(b"")
        super().start()
        return self

    def wait_ready(self, ready: Readiness = CELERY_READY, timeout: float = 90.0) -> None:
        super().wait_ready(ready, timeout)

    def log_count(self, text: str) -> int:
        return self.log_text().count(text)


@dataclass
class RssPeaks:
    per_process_mib: float = 0.0  # the largest single process (a pool child holds the model)
    total_mib: float = 0.0  # the largest sum over all sampled processes at one moment
    samples: int = 0
    by_pid: dict[int, float] = field(default_factory=dict)


class RssSampler:
    """Samples the RSS of some processes and all their children every `every` seconds."""

    def __init__(self, root_pids: list[int], every: float = 0.2) -> None:
        self.root_pids = root_pids
        self.every = every
        self.peaks = RssPeaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _processes(self) -> list[Any]:
        import psutil

        found = []
        for pid in self.root_pids:
            try:
                root = psutil.Process(pid)
                found += [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        return found

    def sample(self) -> None:
        import psutil

        total = 0.0
        for process in self._processes():
            try:
                mib = process.memory_info().rss / 2**20
            except psutil.NoSuchProcess:
                continue
            total += mib
            self.peaks.by_pid[process.pid] = max(self.peaks.by_pid.get(process.pid, 0.0), mib)
            self.peaks.per_process_mib = max(self.peaks.per_process_mib, mib)
        self.peaks.total_mib = max(self.peaks.total_mib, total)
        self.peaks.samples += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)


@dataclass
class BenchSide:
    practice: Any
    clinicians: list[Any]  # User
    clients: list[Any]  # Client, one per clinician, with recording consent


def bench_practice(slug: str = "bench", clinicians: int = 1) -> BenchSide:
    """A practice with `clinicians` clinicians, each with one consented client and no chart terms
    (no priming, so the pipeline decodes exactly as bare faster-whisper does)."""
    from clients.models import Client, RecordingConsent
    from intellisession.models import Membership, Practice, Role, User

    practice, _ = Practice.objects.get_or_create(slug=slug, defaults={"name": f"Benchmark {slug}"})
    users, clients = [], []
    # Client names are encrypted, so existing clients are found by order, not by name.
    existing = list(Client.objects.filter(practice=practice).order_by("created_at"))
    for i in range(clinicians):
        email = f"clinician{i}@{slug}.bench"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=BENCH_PASSWORD, full_name=f"Clinician {i}"
        )
        Membership.objects.get_or_create(user=user, practice=practice, defaults={"role": Role.CLINICIAN})
        client = (
            existing[i] if i < len(existing) else Client.objects.create(practice=practice, name=f"Bench client {i}")
        )
        client.assigned_clinicians.add(user)
        if not RecordingConsent.objects.filter(client=client, revoked_at__isnull=True).exists():
            RecordingConsent.objects.create(
                practice=practice, client=client, given_on=datetime.date(2026, 1, 5), recorded_by=user
            )
        users.append(user)
        clients.append(client)
    return BenchSide(practice=practice, clinicians=users, clients=clients)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
