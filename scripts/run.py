"""Start IntelliSession: embedded PostgreSQL and Redis, migrations, demo data,
web server, Celery worker and beat. Ctrl-C stops everything.

    python3 scripts/run.py            (PORT=8000 by default)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bootstrap import REPO, ensure_venv


def main() -> int:
    ensure_venv()
    os.chdir(REPO)
    port = os.environ.get("PORT", "8000")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SITE_URL", f"http://localhost:{port}")
    env = _service_env()
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True, env=env)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], check=True, env=env)
    demo = json.loads(subprocess.run([*manage, "seed_demo", "--json"], check=True, env=env,
                                     capture_output=True, text=True).stdout)
    processes = _start(env, port)
    _announce(port, demo)
    return _wait(processes)


def _service_env() -> dict[str, str]:
    """Start (or reuse) the embedded servers once, then pass their URLs to every process."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intellisession.settings")
    import django
    from django.conf import settings

    django.setup()
    env = dict(os.environ)
    env["DATABASE_URL"] = settings.DATABASE_URL
    env["REDIS_URL"] = settings.REDIS_URL
    return env


def _start(env: dict[str, str], port: str) -> list[subprocess.Popen[bytes]]:
    celery = [sys.executable, "-m", "celery", "-A", "intellisession"]
    concurrency = os.environ.get("WORKER_CONCURRENCY", "2")
    commands = [
        [sys.executable, "-m", "gunicorn", "intellisession.wsgi", "--bind", f"0.0.0.0:{port}",
         "--workers", os.environ.get("WEB_WORKERS", "2"), "--threads", "4", "--timeout", "120",
         "--access-logfile", "-", "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(M)sms'],
        [*celery, "worker", "-Q", "transcription,llm,default", "-c", concurrency, "-l", "INFO"],
        [*celery, "beat", "-l", "INFO"],
    ]
    return [subprocess.Popen(cmd, env=env, start_new_session=True) for cmd in commands]


def _announce(port: str, demo: dict[str, dict[str, str]]) -> None:
    time.sleep(2)
    clinician, admin = demo["clinician"], demo["admin"]
    print(
        "\n  IntelliSession is running at http://localhost:{port}/\n"
        "  Demo clinician: {ce} / {cp}\n"
        "  Demo admin:     {ae} / {ap}\n"
        "  Press Ctrl-C to stop.\n".format(
            port=port, ce=clinician["email"], cp=clinician["password"], ae=admin["email"], ap=admin["password"]
        ),
        flush=True,
    )


def _wait(processes: list[subprocess.Popen[bytes]]) -> int:
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(p.poll() is None for p in processes):
        time.sleep(0.5)
    print("\nStopping ...", flush=True)
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    _stop_embedded()
    return 0 if stopping else 1


def _stop_embedded() -> None:
    from django.conf import settings

    from intellisession import devservices

    if os.environ.get("KEEP_SERVICES"):
        return
    if not os.environ.get("REDIS_URL"):
        devservices.redis_stop(settings.DATA_DIR)
    if not os.environ.get("DATABASE_URL"):
        devservices.postgres_stop(settings.DATA_DIR)


if __name__ == "__main__":
    sys.exit(main())
