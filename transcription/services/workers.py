"""Who holds a claim: ``host:pid`` of a worker process, and whether that holder is certainly gone."""

from __future__ import annotations

import os
import socket


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_gone(claimed_by: str) -> bool:
    """True when the worker named in a claim is certainly dead (same host, pid gone) or is us."""
    host, _, pid = claimed_by.rpartition(":")
    if claimed_by == worker_id():
        return True
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
