"""Choosing the note writer: an OpenAI-compatible endpoint when configured, else the offline drafter."""

from __future__ import annotations

from django.conf import settings

from notes.context import NoteContext
from notes.document import NoteDraft
from notes.llm import LLMEngine
from notes.offline import offline_draft
from notes.prompt import build_messages, material


def llm_configured() -> bool:
    return bool(settings.LLM_BASE_URL)


def llm_engine() -> LLMEngine | None:
    """The configured model's engine, with the prompt budget from NOTE_CONTEXT_TOKENS; None offline."""
    if not llm_configured():
        return None
    return LLMEngine(
        settings.LLM_BASE_URL,
        settings.LLM_API_KEY or "not-needed",
        settings.LLM_MODEL,
        timeout=settings.LLM_TIMEOUT,
        max_retries=settings.LLM_MAX_RETRIES,
        response_format="json_object" if settings.LLM_RESPONSE_FORMAT == "json_object" else "json_schema",
        budget_tokens=settings.NOTE_CONTEXT_TOKENS,
        max_section_chars=settings.LLM_SENTENCE_CHARS or None,
        max_items=settings.LLM_SECTION_SENTENCES,
    )


def write_draft(ctx: NoteContext) -> NoteDraft:
    """The whole draft in this process (the tasks split a long session's stages across workers)."""
    engine = llm_engine()
    if engine is not None:
        return engine.generate(ctx)
    draft = offline_draft(ctx)
    if draft.context is None:
        _, draft.context = build_messages(ctx, material(ctx), budget_tokens=settings.NOTE_CONTEXT_TOKENS, schema={})
        draft.context.calls = 0
    return draft
