"""Start and stop the long-running processes that tests and benchmarks need.

Each process runs in its own session, so one signal reaches it and every child it forks
(a Celery worker's pool, gunicorn's workers); its output goes to a log file; and it counts
as started only once a readiness condition holds: a line in its log, an open port, or a
URL that answers 200. Failing to get there raises an error that names the log.

No Django here: benchmarks import this module before Django is set up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

REPO = Path(__file__).resolve().parent.parent

T = TypeVar("T")


def poll(predicate: Callable[[], T], *, timeout: float, every: float = 0.2) -> T | None:
    """The first truthy value of predicate() within `timeout` seconds, else None.

    The one place that sleeps between checks: everything else waits on a condition through here.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(every)


class ProcessError(RuntimeError):
    """A process that exited or never became ready; the message names its log."""


@dataclass(frozen=True)
class Readiness:
    """When a started process counts as up; `describe` says what was awaited, for errors."""

    check: Callable[[Process], bool]
    describe: str


def log_line(text: str) -> Readiness:
    """Ready once `text` appears in what this start of the process has written to its log."""
    return Readiness(lambda process: text in process.log_text(), f"the line {text!r} in its log")


def port_open(port: int, host: str = "127.0.0.1") -> Readiness:
    def check(_process: Process) -> bool:
        with socket.socket() as probe:
            probe.settimeout(1.0)
            return probe.connect_ex((host, port)) == 0

    return Readiness(check, f"a listener on {host}:{port}")


def http_ok(url: str) -> Readiness:
    def check(_process: Process) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    return Readiness(check, f"200 from {url}")


class Process:
    """One subprocess (and its children): `start()` waits until ready, `stop()` ends the whole group."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path = REPO,
        ready: Readiness | None = None,
        ready_timeout: float = 60.0,
        stop_timeout: float = 20.0,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.ready = ready
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._offset = 0

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise ProcessError(f"{self.name} was never started")
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> Process:
        """Start (appending to the log, so a restart keeps the earlier output) and wait until ready."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._offset = self._log.tell()
        self.proc = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.ready is not None:
            try:
                self.wait_ready(self.ready, self.ready_timeout)
            except ProcessError:
                self.stop()
                raise
        return self

    def wait_ready(self, ready: Readiness, timeout: float) -> None:
        if poll(lambda: not self.running or ready.check(self), timeout=timeout) is None:
            raise ProcessError(
                f"{self.name} was not ready within {timeout:.0f} s (waited for {ready.describe}); see {self.log_path}"
            )
        if not self.running:
            raise ProcessError(
                f"{self.name} exited with code {self.proc.returncode if self.proc else None} "
                f"before it was ready; see {self.log_path}"
            )

    def log_text(self) -> str:
        """What this start of the process has written so far."""
        with self.log_path.open("rb") as log:
            log.seek(self._offset)
            return log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole group at once, with no chance to clean up (a crash, for fault tests)."""
        self._signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=self.stop_timeout)
        self._close_log()

    def stop(self) -> None:
        """SIGTERM to the group; SIGKILL to whatever is left after `stop_timeout` seconds."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGTERM)
        if poll(self._group_gone, timeout=self.stop_timeout, every=0.1) is None:
            self._signal_group(signal.SIGKILL)
        self.proc.wait()
        self._close_log()

    def _group_gone(self) -> bool:
        assert self.proc is not None
        # Reaping the leader first: a dead leader no parent has waited for would count as a member.
        return self.proc.poll() is not None and not _group_has_live_members(self.proc.pid)

    def _signal_group(self, signum: signal.Signals) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group has already gone
            os.killpg(self.proc.pid, signum)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Process:
        return self.start() if self.proc is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _group_has_live_members(pgid: int) -> bool:
    """True while a process of the group still runs; zombies that no one reaps (their parent
    died with them) don't count."""
    import psutil

    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                return True
        except (OSError, psutil.Error):
            continue
    return False


def free_port() -> int:
    """A port nothing listens on now (the OS picks it), for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def celery_worker_args(
    python: str, node: str, *, queues: str, concurrency: int, extra: Sequence[str] = ()
) -> list[str]:
    """A prefork `celery worker` command line for this project's app, with node name `node`."""
    return [
        python,
        "-m",
        "celery",
        "-A",
        "intellisession",
        "worker",
        "-Q",
        queues,
        "-c",
        str(concurrency),
        "--pool",
        "prefork",
        "-l",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        *extra,
        "-n",
        node,
    ]


# A Celery worker prints this once its pool is up and it consumes.
CELERY_READY = log_line("ready.")
