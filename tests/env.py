"""Loaded first by pytest (see pyproject addopts), before Django reads the settings.

Tests keep their own data folder, so a fault test restarting PostgreSQL never touches a
running development server. A test run is development whatever DEBUG says: this starts
(or reuses) the embedded servers for whichever of DATABASE_URL / REDIS_URL is unset and
creates the development secrets, all exported to the worker processes the tests start.
"""

import os
from pathlib import Path

from intellisession.startup import prepare_development

os.environ.setdefault("DATA_DIR", str(Path(__file__).resolve().parent.parent / ".data" / "test"))
prepare_development()
