"""Fault-test fixtures: a private stack whose servers a test may stop and restart.

Restarting the shared test PostgreSQL or Redis would break every other test run on the
machine, so tests that restart a server get their own pair under a temporary data
folder: the worker and the driver (``tests.faults.driver``) run against it, and the
test reads job state from it with plain SQL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from intellisession import devservices
from tests.audio_tools import concat, load, silence, write
from tests.conftest import REPO, WorkerProcess
from tests.samples import SAMPLES

FINISHED = ("ready", "failed", "no_speech")
CHUNK_SECONDS = 35


@dataclass
class PrivateStack:
    data_dir: Path
    database_url: str
    redis_url: str

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("TEST_DATABASE_NAME", "LLM_BASE_URL"):
            env.pop(name, None)
        env.update(
            DATA_DIR=str(self.data_dir),
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            TRANSCRIPTION_CHUNK_SECONDS=str(CHUNK_SECONDS),
            **extra,
        )
        return env

    def drive(self, *args: str, **extra_env: str) -> Any:
        """Run one driver command in the stack and return its JSON answer."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.driver", *args],
            cwd=REPO,
            env=self.env(LOG_LEVEL="WARNING", **extra_env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def upload(self, world: dict[str, str], audio: Path | None, *flags: str) -> dict[str, Any]:
        """A note request through the REST API (summary-only without audio); the HTTP status and body."""
        args = ["upload", "--slug", world["slug"], "--token", world["token"], "--client", world["client_id"]]
        return dict(self.drive(*args, *(["--audio", str(audio)] if audio else []), *flags))

    def accepted(self, world: dict[str, str], audio: Path | None) -> str:
        answer = self.upload(world, audio)
        assert answer["status_code"] == 202, answer
        return str(answer["body"]["id"])

    def sweep(self, stale_seconds: int) -> dict[str, int]:
        return dict(self.drive("sweep", TRANSCRIPTION_STALE_SECONDS=str(stale_seconds)))

    def worker(self, log_path: Path, **extra_env: str) -> WorkerProcess:
        return WorkerProcess(log_path, extra_env=self.env(**extra_env))

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def job(self, request_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT status, error, error_code FROM notes_noterequest WHERE id = %s", request_id)
        return {"status": rows[0][0], "error": rows[0][1], "code": rows[0][2]} if rows else None

    def finished(self, request_id: str) -> dict[str, Any] | None:
        try:
            job = self.job(request_id)
        except psycopg.OperationalError:
            return None  # the server is restarting
        return job if job and job["status"] in FINISHED else None

    def transcription(self, request_id: str) -> dict[str, Any]:
        rows = self.query(
            "SELECT t.status, t.audio, t.audio_deleted_at, t.attempts FROM transcription_transcription t "
            "JOIN notes_noteinput i ON i.transcription_id = t.id WHERE i.request_id = %s",
            request_id,
        )
        status, audio, deleted_at, attempts = rows[0]
        return {"status": status, "audio": audio, "audio_deleted_at": deleted_at, "attempts": attempts}

    def chunks(self, request_id: str) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT c.id, c.status, c.attempts, c.claimed_by FROM transcription_transcriptionchunk c "
            "JOIN notes_noteinput i ON i.transcription_id = c.transcription_id WHERE i.request_id = %s "
            "ORDER BY c.index",
            request_id,
        )
        return [{"id": r[0], "status": r[1], "attempts": r[2], "claimed_by": r[3]} for r in rows]

    def heartbeat_older_than(self, chunk_id: int, seconds: float) -> bool:
        """True once the chunk's last heartbeat is more than `seconds` old by the database's clock."""
        rows = self.query(
            "SELECT heartbeat_at < now() - make_interval(secs => %s) "
            "FROM transcription_transcriptionchunk WHERE id = %s",
            seconds,
            chunk_id,
        )
        return bool(rows and rows[0][0])

    def running_chunk(self, request_id: str) -> dict[str, Any] | None:
        return next((c for c in self.chunks(request_id) if c["status"] == "running"), None)

    def audio_receipts(self, request_id: str) -> int:
        rows = self.query(
            "SELECT count(*) FROM intellisession_auditevent e JOIN notes_noteinput i "
            "ON e.object_id = i.transcription_id::text WHERE i.request_id = %s AND e.action = 'audio.delete'",
            request_id,
        )
        return int(rows[0][0])

    def stored_audio(self) -> list[Path]:
        root = self.data_dir / "private" / "audio"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(scope="session")
def private_stack() -> Iterator[PrivateStack]:
    """Embedded PostgreSQL and Redis of the fault tests' own, migrated once per run.

    They live beside the test data folder (the server runs as its own user, which can't
    enter pytest's private temporary folders) and are removed afterwards."""
    from django.conf import settings

    parent = Path(settings.DATA_DIR) / "fault-stacks"
    parent.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="s", dir=parent))
    data_dir.chmod(0o755)
    database_url = devservices.postgres_url(data_dir)
    redis_url = devservices.redis_url(data_dir)
    stack = PrivateStack(data_dir, database_url, redis_url)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=stack.env(), check=True, timeout=300
        )
        yield stack
    finally:
        devservices.redis_stop(data_dir)
        devservices.postgres_stop(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def stack_world(private_stack: PrivateStack) -> dict[str, str]:
    """A practice, a clinician with an API token and a consented client, in the private stack."""
    return dict(private_stack.drive("seed"))


@pytest.fixture(scope="session")
def chunked_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 100 s of speech: three chunks at the stack's CHUNK_SECONDS, so there is work before and after a fault."""
    sample = load(SAMPLES / "sample_session.wav")
    return write(tmp_path_factory.mktemp("fault-audio") / "session.wav", concat(sample, silence(2), sample))
