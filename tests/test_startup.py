"""Entry points: commands on a fresh database, and the run command stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg
import pytest

from intellisession import devservices
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def database_url(name: str) -> str:
    """The test server's URL for another database on it."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty database (no tables) on the test server; its URL."""
    name = f"fresh_{uuid.uuid4().hex[:12]}"
    admin = database_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args: str, database: str, debug: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_NAME"}
    env.update(DATABASE_URL=database, DEBUG=debug, LOG_LEVEL="WARNING")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def test_seed_demo_on_a_fresh_database_migrates_first_in_development(fresh_database: str) -> None:
    result = manage("seed_demo", "--json", database=fresh_database, debug="true")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "migrations first (development)" in result.stderr
    assert json.loads(result.stdout)["practice"] == "demo"
    again = manage("seed_demo", "--json", database=fresh_database, debug="true")
    assert again.returncode == 0 and "migrations first" not in again.stderr  # migrated once, not every time


@pytest.mark.parametrize(
    "command",
    [
        ["seed_demo"],
        ["import_notes", "--practice", "demo", "--client", "1", "note.txt"],
        ["generate_note", "--practice", "demo", "--client", "1", "--style", "soap", "--text", "hello"],
    ],
)
def test_commands_on_a_fresh_production_database_say_to_migrate(fresh_database: str, command: list[str]) -> None:
    result = manage(*command, database=fresh_database, debug="false")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == "The database schema is not up to date: run `python manage.py migrate` first."
    with psycopg.connect(fresh_database) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,), "production must not migrate on its own"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunCommand:
    """`scripts/run.py` in a data folder of its own, its output collected line by line."""

    def __init__(self, data_dir: Path, port: int) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "TEST_DATABASE_NAME",
                            "DEBUG", "DJANGO_SETTINGS_MODULE")}  # fmt: skip
        env.update(DATA_DIR=str(data_dir), PORT=str(port), WORKER_CONCURRENCY="1", WEB_WORKERS="1")
        self.proc = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, "run.py exited:\n" + "".join(self.output[-40:])
                continue
            self.output.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed within {timeout:.0f} s:\n" + "".join(self.output[-40:]))

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def embedded_pids(data_dir: Path) -> list[int]:
    postmaster = (data_dir / "postgres" / "postmaster.pid").read_text().split()[0]
    redis = (data_dir / "redis" / "redis.pid").read_text().strip()
    return [int(postmaster), int(redis)]


def processes_of(data_dir: Path, pids: list[int]) -> list[str]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["status"] != psutil.STATUS_ZOMBIE and (process.pid in pids or str(data_dir) in cmdline):
            found.append(f"{process.pid} {cmdline}")
    return found


@pytest.fixture
def run_data_dir() -> Iterator[Path]:
    # Beside the test data folder: the embedded server runs as its own user and must enter it.
    parent = Path(os.environ["DATA_DIR"]) / "run-command"
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="r", dir=parent))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        devservices.redis_stop(folder)
        devservices.postgres_stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def test_run_command_prints_the_url_last_and_stops_everything_on_sigterm(run_data_dir: Path) -> None:
    run = RunCommand(run_data_dir, _free_port())
    try:
        line = run.wait_for("IntelliSession is running at", timeout=600)
        url = line.split(" at ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:")  # loopback unless HOST says otherwise
        clinician = run.wait_for("Demo clinician:", timeout=5)
        assert "@" in clinician
        with urllib.request.urlopen(url, timeout=10) as response:  # the sign-in page, after a redirect
            assert response.status == 200
        assert any(" ready." in line for line in run.output), "the URL was printed before the worker was ready"
        pids = embedded_pids(run_data_dir)
        assert len(processes_of(run_data_dir, pids)) >= 2
        os.kill(run.proc.pid, signal.SIGTERM)
        assert run.proc.wait(timeout=120) == 0
        assert processes_of(run_data_dir, pids) == []
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(url, timeout=5)
    finally:
        run.kill()
