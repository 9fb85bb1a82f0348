"""Start IntelliSession: embedded PostgreSQL and Redis, migrations, demo data,
web server, Celery worker and beat. Ctrl-C or SIGTERM stops everything.

    python3 scripts/run.py            (HOST=127.0.0.1 and PORT=8000 by default)

The URL and the demo logins are printed last, once the web server answers
/healthz and the worker and beat have started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO, NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bootstrap import REPO, ensure_venv

STARTUP_TIMEOUT_S = 180.0
# What each process prints once it is up.
READY_MARKS = {"worker": b" ready.", "beat": b"beat: Starting"}


class Service:
    """One process of the stack, its output passed through with a name in front."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.ready = threading.Event()
        # Own session: Ctrl-C reaches us only, and we stop each group in order.
        self.proc = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        threading.Thread(target=self._relay, args=(self.proc.stdout,), daemon=True).start()

    def _relay(self, stream: IO[bytes] | None) -> None:
        assert stream is not None
        mark = READY_MARKS.get(self.name)
        for line in iter(stream.readline, b""):
            sys.stdout.buffer.write(f"{self.name:>6} | ".encode() + line)
            sys.stdout.flush()
            if mark and mark in line:
                self.ready.set()

    def terminate(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)

    def wait(self) -> None:
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def main() -> int:
    ensure_venv()
    os.chdir(REPO)
    sys.path.insert(0, str(REPO))
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM takes the same way out as Ctrl-C
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    url = f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}/"  # noqa: S104
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SITE_URL", url.rstrip("/"))
    embedded = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    services: list[Service] = []
    try:
        demo = _prepare()
        services = _start(host, port)
        _wait_until_up(services, url)
        _announce(url, demo)
        return _watch(services)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop(services, embedded)


def _interrupt(*_: object) -> NoReturn:
    raise KeyboardInterrupt


def _prepare() -> dict[str, dict[str, str]]:
    """Embedded servers and secrets into the environment, then the schema, static files and demo data."""
    from intellisession.startup import prepare_development

    prepare_development()
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], check=True)
    seeded = subprocess.run([*manage, "seed_demo", "--json"], check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(seeded.stdout))


def _start(host: str, port: str) -> list[Service]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # banners and logs in the order they happen
    celery = [sys.executable, "-m", "celery", "-A", "intellisession"]
    concurrency = os.environ.get("WORKER_CONCURRENCY", "2")
    web = [sys.executable, "-m", "gunicorn", "intellisession.wsgi", "--bind", f"{host}:{port}",
           "--workers", os.environ.get("WEB_WORKERS", "2"), "--threads", "4", "--timeout", "120",
           "--access-logfile", "-", "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(M)sms']  # fmt: skip
    return [
        Service("web", web, env),
        Service("worker", [*celery, "worker", "-Q", "transcription,llm,default", "-c", concurrency, "-l", "INFO"], env),
        Service("beat", [*celery, "beat", "-l", "INFO"], env),
    ]


def _wait_until_up(services: list[Service], url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    web_up = False
    while not (web_up and all(s.ready.is_set() for s in services if s.name in READY_MARKS)):
        for service in services:
            if service.proc.poll() is not None:
                raise SystemExit(f"{service.name} exited during start-up (code {service.proc.returncode}).")
        if time.monotonic() > deadline:
            raise SystemExit(f"IntelliSession did not start within {STARTUP_TIMEOUT_S:.0f} s.")
        web_up = web_up or _answers(url + "healthz")
        time.sleep(0.5)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
            return bool(response.status == 200)
    except OSError:
        return False


def _announce(url: str, demo: dict[str, dict[str, str]]) -> None:
    clinician, admin = demo["clinician"], demo["admin"]
    rule = "=" * 64
    print(
        f"\n{rule}\n  IntelliSession is running at {url}\n"
        f"  Demo clinician: {clinician['email']} / {clinician['password']}\n"
        f"  Demo admin:     {admin['email']} / {admin['password']}\n"
        f"  Ctrl-C stops everything, embedded PostgreSQL and Redis included.\n{rule}\n",
        flush=True,
    )


def _watch(services: list[Service]) -> int:
    """Until Ctrl-C or SIGTERM (KeyboardInterrupt); a process that dies on its own stops the rest."""
    while True:
        for service in services:
            if service.proc.poll() is not None:
                print(f"\n{service.name} exited (code {service.proc.returncode}); stopping.", flush=True)
                return 1
        time.sleep(0.5)


def _stop(services: list[Service], embedded: list[str]) -> None:
    print("\nStopping ...", flush=True)
    for service in services:
        service.terminate()
    for service in services:
        service.wait()
    if os.environ.get("KEEP_SERVICES"):
        return
    from intellisession import devservices
    from intellisession.startup import data_dir

    # Only the servers this command started; configured ones are someone else's.
    if "REDIS_URL" in embedded:
        devservices.redis_stop(data_dir())
    if "DATABASE_URL" in embedded:
        devservices.postgres_stop(data_dir())
    print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
