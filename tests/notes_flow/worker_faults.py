"""A bug in the note engine, for a test worker started with
``celery worker --include tests.notes_flow.worker_faults``.

A request whose text contains BUG_MARKER makes the engine raise; its message quotes the
session, as a real exception's text may, so the test can check that the logs do not. Any
other request is written as usual (through the LLM endpoint the worker is given).
"""

from __future__ import annotations

from notes.context import NoteContext
from notes.document import NoteDraft
from notes.services import requests

BUG_MARKER = "ENGINE-BUG"
_write_draft = requests.write_draft


def _engine_with_a_bug(ctx: NoteContext) -> NoteDraft:
    if any(BUG_MARKER in item.text for item in ctx.inputs):
        raise KeyError(f"no section for {ctx.inputs[0].text!r}")
    return _write_draft(ctx)


requests.write_draft = _engine_with_a_bug
