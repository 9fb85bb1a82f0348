"""Loaded into a test worker with ``--include``: records every task message it publishes.

The file named by CANARY_PROBE_FILE gets one JSON line per message (headers and
body as sent), so a test can search what went through the broker.
"""

from __future__ import annotations

import json
import os
from typing import Any

from celery.signals import before_task_publish


@before_task_publish.connect(weak=False)
def _record(sender: str | None = None, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
    path = os.environ.get("CANARY_PROBE_FILE")
    if path:
        with open(path, "a") as handle:
            handle.write(json.dumps({"task": sender, "headers": headers, "body": body}, default=repr) + "\n")
