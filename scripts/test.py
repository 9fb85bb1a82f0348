"""Install what the tests need and run every check: ruff (lint and format), mypy, import-linter, pytest.

    python3 scripts/test.py [pytest arguments]

Real PostgreSQL and Redis (embedded under .data/test unless DATABASE_URL and
REDIS_URL are set, started here and stopped at the end), a real Celery worker, the real Whisper model, and Chromium
for the browser tests (installed with apt-get when missing and running as root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bootstrap import REPO, ensure_venv

CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> None:
    """Browser tests use Debian's Chromium; install it where we may, else they skip with a reason."""
    if os.environ.get("CHROMIUM_PATH") or Path(CHROMIUM).exists() or shutil.which("chromium"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("Chromium not found and not root: browser tests will be skipped.", flush=True)
        return
    print("Installing Chromium for the browser tests (apt-get) ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"stdout": subprocess.DEVNULL, "env": env}
    subprocess.run(["apt-get", "update", "-q"], check=False, **quiet)  # type: ignore[call-overload]
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False, **quiet)  # type: ignore[call-overload]


def start_test_services() -> list[str]:
    """Embedded servers (under .data/test) for the URLs not configured, and development secrets,
    exported to every step (mypy imports the settings too); returns the servers to stop afterwards."""
    os.environ.setdefault("DATA_DIR", str(REPO / ".data" / "test"))
    embedded = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    sys.path.insert(0, str(REPO))
    from intellisession.startup import prepare_development

    prepare_development()
    return embedded


def stop_test_services(embedded: list[str]) -> None:
    from intellisession import devservices

    data_dir = Path(os.environ["DATA_DIR"])
    if "REDIS_URL" in embedded:
        devservices.redis_stop(data_dir)
    if "DATABASE_URL" in embedded:
        devservices.postgres_stop(data_dir)


def run(step: str, command: list[str]) -> bool:
    shown = command[2:] if command[1:2] == ["-m"] else [Path(command[0]).name, *command[1:]]
    print(f"\n== {step}: {' '.join(shown)}", flush=True)
    return subprocess.run(command, cwd=REPO).returncode == 0


def steps(pytest_args: list[str]) -> list[tuple[str, list[str]]]:
    python = sys.executable
    lint_imports = str(Path(python).with_name("lint-imports"))
    return [
        ("ruff check", [python, "-m", "ruff", "check", "."]),
        ("ruff format", [python, "-m", "ruff", "format", "--check", "."]),
        ("mypy", [python, "-m", "mypy", "."]),
        ("import-linter", [lint_imports]),
        ("pytest", [python, "-m", "pytest", *pytest_args]),
    ]


def main() -> int:
    ensure_venv("test")
    ensure_chromium()
    failed: list[str] = []
    embedded = start_test_services()
    try:
        # Every step runs even when an earlier one fails, so one run reports them all.
        failed = [name for name, command in steps(sys.argv[1:]) if not run(name, command)]
    finally:
        stop_test_services(embedded)
    print("\nAll checks passed." if not failed else f"\nFailed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
