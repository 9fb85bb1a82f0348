"""Loaded first by pytest (see pyproject addopts): tests keep their own data folder,
so a fault test restarting PostgreSQL never touches a running development server."""

import os
from pathlib import Path

os.environ.setdefault("DATA_DIR", str(Path(__file__).resolve().parent.parent / ".data" / "test"))
