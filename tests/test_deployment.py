"""The production-shaped stack: every queue the code publishes to has a worker, and the periodic
housekeeping never waits behind transcription."""

from __future__ import annotations

import fnmatch
import shlex

import yaml
from django.conf import settings

from tests.conftest import REPO


def worker_queues() -> dict[str, set[str]]:
    """Each Celery worker service of docker-compose.yml with the queues it consumes."""
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    workers: dict[str, set[str]] = {}
    for name, service in services.items():
        command = service.get("command") or []
        args = command if isinstance(command, list) else shlex.split(command)
        if "worker" in args and "celery" in args[0]:
            workers[name] = set(args[args.index("-Q") + 1].split(","))
    return workers


def queue_of(task: str, options: dict[str, str]) -> str:
    """The queue a task is published to: the call's own, else its route, else the default."""
    routes = (r["queue"] for pattern, r in settings.CELERY_TASK_ROUTES.items() if fnmatch.fnmatch(task, pattern))
    return options.get("queue") or next(routes, settings.CELERY_TASK_DEFAULT_QUEUE)


def test_every_queue_has_a_worker_and_housekeeping_has_its_own() -> None:
    workers = worker_queues()
    consumed = set().union(*workers.values())
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    periodic = {queue_of(e["task"], e.get("options", {})) for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert routed | periodic | {settings.CELERY_TASK_DEFAULT_QUEUE} <= consumed
    for queue in periodic:  # the sweeper enforces the audio age bound: no transcription backlog before it
        assert all("transcription" not in queues for queues in workers.values() if queue in queues), queue
