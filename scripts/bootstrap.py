"""Create `.venv` and install the project into it, then re-run the caller inside it.

Used by scripts/run.py and scripts/test.py so that a fresh machine with only
Python 3.11+ needs nothing else. Re-installs only when pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
PYTHON = VENV / "bin" / "python"


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _stamp(extras: str) -> str:
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    return digest[:16]


def ensure_venv(extras: str = "") -> None:
    """Re-exec the current script inside .venv with the project (and extras) installed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs under whatever python3 the user has
        sys.exit("IntelliSession needs Python 3.11 or newer.")
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp_file = VENV / f".installed{('-' + extras) if extras else ''}"
    target = f".[{extras}]" if extras else "."
    if not stamp_file.exists() or stamp_file.read_text() != _stamp(extras):
        print(f"Installing {target} into .venv (first run takes a few minutes) ...", flush=True)
        pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=REPO)
        subprocess.run([*pip, "-e", target], check=True, cwd=REPO)
        stamp_file.write_text(_stamp(extras))
    if not _in_venv():
        script = os.path.abspath(sys.argv[0])
        os.execv(str(PYTHON), [str(PYTHON), script, *sys.argv[1:]])  # noqa: S606
