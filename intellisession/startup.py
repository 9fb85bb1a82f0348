"""What an entry point does before Django reads the settings, and right after.

Settings only read the environment. In development the entry points (manage.py,
scripts/run.py, the tests, the benchmarks) call ``prepare_development`` first: it
starts or reuses the embedded PostgreSQL and Redis and the development secrets, and
puts their URLs and values in the environment, which every process they start
inherits. Nothing here runs on import.

Development means ``DEBUG=true`` or no ``DATABASE_URL``; everything else is production,
where a missing secret stops start-up (see settings) and nothing is ever generated.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from intellisession import devservices

BASE_DIR = Path(__file__).resolve().parent.parent
_TRUE = {"1", "true", "yes", "on"}
# Commands that work without the schema, or manage it themselves.
SCHEMA_FREE_COMMANDS = frozenset(
    [
        *("check", "collectstatic", "compilemessages", "createcachetable", "dbshell", "diffsettings", "findstatic"),
        *("help", "makemessages", "makemigrations", "migrate", "optimizemigration", "sendtestemail"),
        *("showmigrations", "sqlflush", "sqlmigrate", "sqlsequencereset", "squashmigrations", "startapp"),
        *("startproject", "test", "version"),
    ]
)


def is_development(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("DEBUG", "").strip().lower() in _TRUE or not env.get("DATABASE_URL")


def data_dir() -> Path:
    return Path(os.environ.get("DATA_DIR") or BASE_DIR / ".data").resolve()


def prepare_development() -> Path:
    """Start or reuse the embedded servers for the URLs not set, create the development secrets
    not set, and export all of them, so this process and its children share one configuration."""
    folder = data_dir()
    os.environ["DATA_DIR"] = str(folder)
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = devservices.postgres_url(folder)
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = devservices.redis_url(folder)
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = devservices.development_secret_key(folder)
    if not os.environ.get("FIELD_ENCRYPTION_KEYS", "").replace(",", "").strip():
        os.environ["FIELD_ENCRYPTION_KEYS"] = devservices.development_field_key(folder)
    return folder


def prepare_if_development() -> bool:
    """Prepare when this is development; whether it was (after it, DATABASE_URL is always set)."""
    if not is_development():
        return False
    prepare_development()
    return True


def ensure_migrated(argv: Sequence[str], *, development: bool) -> None:
    """Before a command that needs the schema: migrate in development, else say in one line what to run."""
    command = argv[1] if len(argv) > 1 else ""
    if not command or command.startswith("-") or command in SCHEMA_FREE_COMMANDS:
        return
    import django
    from django.core.management import call_command
    from django.db import OperationalError

    django.setup()
    try:
        pending = _pending_migrations()
    except OperationalError as exc:
        sys.exit(f"The database is not reachable ({type(exc).__name__}); check DATABASE_URL.")
    if not pending:
        return
    if not development:
        sys.exit("The database schema is not up to date: run `python manage.py migrate` first.")
    print(f"Applying {len(pending)} database migrations first (development) ...", file=sys.stderr, flush=True)
    call_command("migrate", interactive=False, verbosity=0)


def _pending_migrations() -> list[object]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return list(executor.migration_plan(executor.loader.graph.leaf_nodes()))
