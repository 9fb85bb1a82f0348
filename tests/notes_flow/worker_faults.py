"""A bug in the note engine, for a test worker started with
``celery worker --include tests.notes_flow.worker_faults``.

A request whose text contains BUG_MARKER makes the engine raise; its message quotes the
session, as a real exception's text may, so the test can check that the logs do not. Any
other request is written as usual (through the LLM endpoint the worker is given).
"""

from __future__ import annotations

from typing import Any

from notes.context import NoteContext
from notes.document import NoteDraft
from notes.llm import LLMEngine
from notes.services import requests

BUG_MARKER = "ENGINE-BUG"
_write_draft = requests.write_draft
_one_call = LLMEngine.one_call


def _bug(ctx: NoteContext) -> None:
    if any(BUG_MARKER in item.text for item in ctx.inputs):
        raise KeyError(f"no section for {ctx.inputs[0].text!r}")


def _draft_with_a_bug(ctx: NoteContext) -> NoteDraft:
    _bug(ctx)
    return _write_draft(ctx)


def _one_call_with_a_bug(self: LLMEngine, ctx: NoteContext, plan: Any) -> NoteDraft:
    _bug(ctx)
    return _one_call(self, ctx, plan)


# The offline drafter and the model's one-call path, the two ways a note is written in one go.
requests.write_draft = _draft_with_a_bug
LLMEngine.one_call = _one_call_with_a_bug  # type: ignore[method-assign]
