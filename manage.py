#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

In development (DEBUG=true or no DATABASE_URL) it first starts or reuses the embedded
PostgreSQL and Redis and the development secrets, and a command that needs the
schema migrates a new database first; see intellisession/startup.py.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intellisession.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from intellisession import startup

    try:
        development = startup.prepare_if_development()
        django.setup()  # reads the settings here, so a missing production setting is reported as one line
        startup.ensure_migrated(sys.argv, development=development)
    except ImproperlyConfigured as exc:  # a missing production setting: one line, not a traceback
        sys.exit(f"Configuration error: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
