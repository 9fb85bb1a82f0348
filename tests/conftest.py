"""Shared fixtures: two practices with every role, API clients, a real Celery worker."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from clients.models import Client
from intellisession.models import Membership, Practice, Role, User
from tests.processes import CELERY_READY, Process, celery_worker_args, poll

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple 9"


@dataclass
class Side:
    """One practice with an admin, a clinician, a read-only member and a client."""

    practice: Practice
    admin: User
    clinician: User
    reader: User
    client: Client


@dataclass
class World:
    a: Side
    b: Side


def make_user(email: str) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, full_name=email.split("@")[0].title())


def make_side(slug: str) -> Side:
    practice = Practice.objects.create(name=f"Practice {slug.upper()}", slug=slug)
    admin = make_user(f"admin@{slug}.test")
    clinician = make_user(f"clinician@{slug}.test")
    reader = make_user(f"reader@{slug}.test")
    Membership.objects.create(user=admin, practice=practice, role=Role.ADMIN)
    Membership.objects.create(user=clinician, practice=practice, role=Role.CLINICIAN)
    Membership.objects.create(user=reader, practice=practice, role=Role.READ_ONLY)
    client = Client.objects.create(practice=practice, name=f"Client of {slug}")
    client.assigned_clinicians.add(clinician)
    return Side(practice=practice, admin=admin, clinician=clinician, reader=reader, client=client)


@pytest.fixture
def world(db: None) -> World:
    return World(a=make_side("alpha"), b=make_side("beta"))


def api_client_for(user: User) -> APIClient:
    from intellisession.tokens import api_token_issue

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user, second_factor=True).key}")
    return api


@pytest.fixture
def api_for():  # type: ignore[no-untyped-def]
    return api_client_for


def worker_database_url() -> str:
    """The URL of the database the test run created, for worker processes."""
    cfg = connection.settings_dict
    host = cfg.get("HOST") or cfg.get("OPTIONS", {}).get("host") or ""
    user = cfg.get("USER") or "postgres"
    port = cfg.get("PORT") or ""
    if host.startswith("/"):
        query = f"?host={host}" + (f"&port={port}" if port else "")
        return f"postgresql://{user}@/{cfg['NAME']}{query}"
    return f"postgresql://{user}:{cfg.get('PASSWORD') or ''}@{host}:{port or 5432}/{cfg['NAME']}"


_RUNNING: set[WorkerProcess] = set()


class WorkerProcess(Process):
    """A real `celery worker` subprocess against the test database and the test Redis."""

    def __init__(
        self,
        log_path: Path,
        *,
        queues: str = "transcription,llm,default",
        concurrency: int = 1,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        env = dict(os.environ)
        env.update(DATABASE_URL=worker_database_url(), REDIS_URL=settings.REDIS_URL, DATA_DIR=str(settings.DATA_DIR))
        env.update(extra_env or {})
        node = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}@%h"
        super().__init__(
            "celery worker",
            celery_worker_args(sys.executable, node, queues=queues, concurrency=concurrency),
            log_path=log_path,
            env=env,
            ready=CELERY_READY,
            ready_timeout=60,
            stop_timeout=20,
        )

    def start(self) -> WorkerProcess:
        # One worker at a time: a second one would take the other's tasks (with other settings).
        for other in list(_RUNNING):
            if other is not self:
                other.stop()
        super().start()
        _RUNNING.add(self)
        return self

    def child_pids(self) -> list[int]:
        import psutil

        return [child.pid for child in psutil.Process(self.pid).children(recursive=True)]

    def stop(self) -> None:
        _RUNNING.discard(self)
        super().stop()


def purge_queues() -> None:
    from intellisession.celery import app

    with app.connection_for_write() as conn:
        for queue in ("transcription", "llm", "default"):
            conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def shared_worker(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    """One real worker for the whole run (the model loads once); tests use it with transactional_db."""
    purge_queues()
    # Short chunks so that a few minutes of test audio exercise the split-and-merge path.
    worker = WorkerProcess(
        tmp_path_factory.mktemp("worker") / "worker.log", extra_env={"TRANSCRIPTION_CHUNK_SECONDS": "60"}
    ).start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def pipeline(transactional_db: None, shared_worker: WorkerProcess) -> WorkerProcess:
    """The shared worker, for a test whose rows are committed (restarted if a test's own worker replaced it)."""
    if not shared_worker.running:
        purge_queues()
        shared_worker.start()
    return shared_worker


@pytest.fixture
def celery_worker(transactional_db: None, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A worker of the test's own (to kill, or with other settings); rows must be committed."""
    purge_queues()
    worker = WorkerProcess(tmp_path / "worker.log").start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def idle_broker(transactional_db: None) -> None:
    """No worker consumes and the queues start empty: what a test publishes stays in the broker."""
    from intellisession.celery import app

    for worker in list(_RUNNING):
        worker.stop()
    app.conf.task_always_eager = False
    purge_queues()


def wait_for(predicate: Callable[[], Any], *, timeout: float = 120.0, every: float = 0.3) -> Any:
    """Poll until predicate() is truthy and return its value; fail the test with a clear message at the timeout."""
    value = poll(predicate, timeout=timeout, every=every)
    if not value:
        raise AssertionError(f"condition not met within {timeout:.0f} s")
    return value


def with_rate(scope: str, rate: str) -> override_settings:
    """Settings with one throttle scope's rate replaced (``user``, ``note_create``, ``page_read``...)."""
    rates = dict(cast(dict[str, str], settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]), **{scope: rate})
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates})
