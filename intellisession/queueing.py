"""Queueing a Celery task once the rows it needs are committed, tolerating a broker outage.

A job's state lives in PostgreSQL, so a task that cannot be published is not lost: it
stays in its waiting state and the periodic sweepers queue it again. Failing the HTTP
request after the commit would tell the user an upload failed while its job exists.

Services name the task they queue ("notes.tasks.generate") instead of importing it: the
tasks module imports the services it wraps, so importing it back would be a cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import Task, chord
from django.db import transaction
from kombu.exceptions import ChannelError
from kombu.exceptions import OperationalError as BrokerUnreachable
from redis.exceptions import RedisError

from intellisession.celery import app

logger = logging.getLogger(__name__)

# A few quick tries only: the user's request waits on them, and the sweepers catch up.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


def task_named(name: str) -> Task:  # type: ignore[type-arg]
    """A registered task; each app registers its own from ``AppConfig.ready``."""
    return app.tasks[name]


def send(task_name: str, *args: str | int) -> bool:
    """Publish now; on a broker error log the ids and return False (the sweepers requeue)."""
    try:
        # Nobody reads the result: ignoring it also spares a round trip to the result backend.
        task_named(task_name).apply_async(args, retry_policy=PUBLISH_RETRY, ignore_result=True)
    except (BrokerUnreachable, RedisError, OSError) as error:
        logger.warning("%s%s not queued (%s); the sweeper will queue it", task_name, args, type(error).__name__)
        return False
    return True


def send_chord(
    member_name: str, member_args: Sequence[tuple[str | int, ...]], callback_name: str, *callback_args: str | int
) -> bool:
    """Publish a chord: the members in parallel, then the callback once every one has returned.

    The callback takes its own arguments only (members return nothing it needs: their work is in
    the database). On a broker error log the ids and return False, as `send` does."""
    members = [app.signature(member_name, args=args) for args in member_args]
    callback = app.signature(callback_name, args=callback_args, immutable=True)
    try:
        chord(members, callback).apply_async(retry_policy=PUBLISH_RETRY)
    except (BrokerUnreachable, RedisError, OSError) as error:
        logger.warning("%s%s not queued (%s); the sweeper will queue it", callback_name, callback_args,
                       type(error).__name__)  # fmt: skip
        return False
    return True


def send_on_commit(task_name: str, *args: str | int) -> None:
    transaction.on_commit(lambda: send(task_name, *args))


def waiting_messages(queue: str) -> int | None:
    """How many messages wait in a broker queue (not counting those a worker holds);
    None when the broker cannot be asked."""
    try:
        with app.connection_for_read() as connection:
            declared = connection.default_channel.queue_declare(queue=queue, passive=True)  # type: ignore[attr-defined]
            return int(declared.message_count)
    except ChannelError:  # the broker drops a queue's key once it is empty
        return 0
    except (BrokerUnreachable, RedisError, OSError):
        return None
