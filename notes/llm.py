"""Note writing through any OpenAI-compatible chat completions endpoint.

One code path for OpenAI, Azure OpenAI, vLLM, Ollama and llama.cpp servers. The
reply is forced into a JSON schema (`json_schema` mode, or llama-cpp-python's
`json_object` + `schema` mode) and validated here either way, because not every
server enforces the schema it was given.

Errors and retries (the one retry policy for note writing; the task does not retry these):
- LLMTransientError: timeout, connection failure, 408/409/429 and 5xx. Retried here
  (the openai client's own retries are off) up to `max_retries` (LLM_MAX_RETRIES) more
  times with exponential backoff (1 s, 2 s, 4 s..., at most MAX_BACKOFF_S), then raised;
  the task fails the request with the error's plain message.
- LLMPermanentError: other 4xx (400, 401, 403, 404, 422...), a refusal or content
  filter, and a reply that is not JSON or does not match the schema. An unreadable
  reply is retried exactly once: servers without enforced grammars produce one
  now and then, while a second failure at temperature 0 means the model or the
  server setting is wrong and more attempts would only add cost and delay.
Error messages are plain language for the clinician and never contain session
text; logs carry the model name, attempt numbers, status codes and timings only.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, Literal

import openai
from celery.exceptions import SoftTimeLimitExceeded

from notes.context import NoteContext
from notes.document import NO_CONTENT, GoalProgress, NoteDraft, NoteSection, RiskItem, Sentence
from notes.grounding import ground
from notes.prompt import build_messages, note_schema
from notes.risk import find_risks, merge_risks
from notes.sources import input_units, transcript_units
from notes.text import normalize_text, split_sentences

logger = logging.getLogger(__name__)

ResponseFormat = Literal["json_schema", "json_object"]
SCHEMA_NAME = "clinical_note"
MAX_BACKOFF_S = 30.0
MAX_THEMES = 10

_MESSAGES = {
    "timeout": "The note-writing service did not answer in time.",
    "unreachable": "The note-writing service could not be reached.",
    "rate_limited": "The note-writing service is busy right now (too many requests).",
    "server_error": "The note-writing service had an internal error.",
    "auth": "The note-writing service did not accept the configured credentials. An administrator needs to check "
    "the API key.",
    "not_found": "The note-writing service does not know the configured model or address. An administrator needs "
    "to check the settings.",
    "bad_request": "The note-writing service rejected the request. An administrator may need to check the model "
    "and structured-output settings for this server.",
    "rejected": "The note-writing service refused the request.",
    "refusal": "The note-writing service declined to write this note.",
    "malformed": "The note-writing service returned a reply that could not be read.",
    "truncated": "The note-writing service's reply was cut off before it was complete.",
    "schema": "The note-writing service returned a reply without the expected structure.",
}


class LLMError(Exception):
    """Base error. `message` is safe to show a clinician; `code` is a stable short name."""

    def __init__(self, code: str, *, status: int | None = None, attempts: int = 1) -> None:
        self.code = code
        self.status = status
        self.attempts = attempts
        self.message = _MESSAGES[code]
        super().__init__(self.message)


class LLMTransientError(LLMError):
    """Worth retrying later: the service was slow, busy, down or unreachable."""


class LLMPermanentError(LLMError):
    """Retrying the same request will not help: a configuration problem or an unusable reply."""


class _InvalidReply(Exception):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


class LLMEngine:
    """Writes a NoteDraft from a NoteContext with a chat completion; see the module docstring for errors."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        timeout: float = 120.0,
        max_retries: int = 2,
        response_format: ResponseFormat = "json_schema",
        budget_tokens: int = 6000,
        max_tokens: int | None = None,
        max_section_chars: int | None = None,
        max_items: int = 10,
        backoff_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if response_format not in ("json_schema", "json_object"):
            raise ValueError(f"response_format must be 'json_schema' or 'json_object', not {response_format!r}")
        self.model = model
        self.max_retries = max_retries
        self.response_format: ResponseFormat = response_format
        self.budget_tokens = budget_tokens
        self.max_tokens = max_tokens
        self.max_section_chars = max_section_chars  # see note_schema: for grammar-based local servers
        self.max_items = max_items
        self.backoff_s = backoff_s
        self._sleep = sleep
        # Retries are ours (bounded, only for transient errors); the client must not add its own.
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=0)

    def generate(self, ctx: NoteContext) -> NoteDraft:
        goal_ids = [g.ref for g in ctx.goals]
        schema = note_schema(ctx.style, goal_ids, max_section_chars=self.max_section_chars, max_items=self.max_items)
        messages, report = build_messages(ctx, budget_tokens=self.budget_tokens, schema=schema)
        reply = self._reply(messages, schema)
        sections = [
            NoteSection(key=s.key, title=s.title, sentences=section_sentences(reply["sections"][s.key]))
            for s in ctx.style.sections
        ]
        return NoteDraft(
            sections=ground(sections, ctx),
            themes=_themes(reply["themes"]),
            goal_progress=_goal_progress(reply["goal_progress"], ctx),
            risks=merge_risks(find_risks(ctx.segments, ctx.inputs), _llm_risks(reply["risk_statements"], ctx)),
            engine="llm",
            offline_notice=None,
            context=report,
            model=self.model,
        )

    def _reply(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
        transient_failures = 0
        invalid_replies = 0
        while True:
            attempt = transient_failures + invalid_replies + 1
            try:
                return parse_reply(self._complete(messages, schema, attempt), schema)
            except LLMTransientError as exc:
                transient_failures += 1
                if transient_failures > self.max_retries:
                    exc.attempts = attempt
                    raise
                self._sleep(min(self.backoff_s * 2 ** (transient_failures - 1), MAX_BACKOFF_S))
            except _InvalidReply as exc:
                invalid_replies += 1
                logger.warning("llm reply unusable model=%s attempt=%d code=%s", self.model, attempt, exc.code)
                if invalid_replies > 1:
                    raise LLMPermanentError(exc.code, attempts=attempt) from None

    def _complete(self, messages: list[dict[str, str]], schema: dict[str, Any], attempt: int) -> str:
        """One request; returns the reply text or raises a classified error."""
        began = time.monotonic()
        try:
            # Plain dicts are what the server receives; the client's TypedDicts add nothing at runtime.
            completion = self._client.chat.completions.create(  # type: ignore[call-overload]
                model=self.model,
                messages=messages,
                temperature=0,
                response_format=self._response_format(schema),
                max_tokens=self.max_tokens if self.max_tokens else openai.omit,
            )
        except openai.APIError as exc:
            cause = exc.__cause__
            if isinstance(cause, SoftTimeLimitExceeded):
                # The client reports anything raised mid-request as a connection error; the task's
                # time limit is not one, and retrying would run past it.
                raise cause from None
            error = classify(exc)
            logger.warning(
                "llm call failed model=%s attempt=%d code=%s status=%s elapsed=%.2fs",
                self.model, attempt, error.code, error.status, time.monotonic() - began,
            )  # fmt: skip
            raise error from None  # the cause may quote the request body; keep it out of tracebacks
        logger.info("llm call done model=%s attempt=%d elapsed=%.2fs", self.model, attempt, time.monotonic() - began)
        return _content(completion)

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.response_format == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": True}}


def classify(exc: openai.APIError) -> LLMError:
    """Map an openai client exception to a transient or permanent error."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMTransientError("timeout")
    if isinstance(exc, openai.APIConnectionError):
        return LLMTransientError("unreachable")
    status = getattr(exc, "status_code", None)
    if status == 429:
        return LLMTransientError("rate_limited", status=status)
    if status in (408, 409) or (status is not None and status >= 500):
        return LLMTransientError("server_error", status=status)
    code = {401: "auth", 403: "auth", 404: "not_found", 400: "bad_request", 422: "bad_request"}.get(status or 0)
    return LLMPermanentError(code or "rejected", status=status)


def _content(completion: Any) -> str:
    if not getattr(completion, "choices", None):
        raise _InvalidReply("malformed")
    choice = completion.choices[0]
    message = choice.message
    if choice.finish_reason == "content_filter" or getattr(message, "refusal", None):
        raise LLMPermanentError("refusal")
    if choice.finish_reason == "length":
        raise _InvalidReply("truncated")
    if not message.content:
        raise _InvalidReply("malformed")
    return str(message.content)


def parse_reply(content: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Decode and validate a reply; raises _InvalidReply("malformed" | "schema")."""
    try:
        value = json.loads(_strip_fence(content))
    except ValueError:
        raise _InvalidReply("malformed") from None
    errors = schema_errors(value, schema)
    if errors:
        logger.warning("llm reply failed schema checks: %s", "; ".join(errors[:5]))  # paths only, no values
        raise _InvalidReply("schema")
    return value  # type: ignore[no-any-return]


def _strip_fence(content: str) -> str:
    """Some servers wrap JSON in a Markdown code fence even in JSON mode."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[-1].rsplit("```", 1)[0]
    return text


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Validate against the subset of JSON schema note_schema uses. Messages name paths, never values."""
    expected = schema.get("type")
    if expected and not _is_type(value, expected):
        return [f"{path}: expected {expected}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: value not allowed"]
    if _too_long(value, schema):
        return [f"{path}: too long"]
    if isinstance(value, dict):
        return _object_errors(value, schema, path)
    if isinstance(value, list) and "items" in schema:
        return [e for i, item in enumerate(value) for e in schema_errors(item, schema["items"], f"{path}[{i}]")]
    return []


def _too_long(value: Any, schema: dict[str, Any]) -> bool:
    if isinstance(value, str):
        return len(value) > schema.get("maxLength", len(value))
    if isinstance(value, list):
        return len(value) > schema.get("maxItems", len(value))
    return False


def _is_type(value: Any, expected: str) -> bool:
    if isinstance(value, bool) and expected in ("integer", "number"):
        return False  # JSON true is not a number, though Python's bool is an int
    return isinstance(value, _JSON_TYPES.get(expected, (object,)))


def _object_errors(value: dict[str, Any], schema: dict[str, Any], path: str) -> list[str]:
    properties: dict[str, Any] = schema.get("properties", {})
    errors = [f"{path}: missing {key!r}" for key in schema.get("required", []) if key not in value]
    if schema.get("additionalProperties") is False:
        errors += [f"{path}: unexpected property" for key in value if key not in properties]
    for key, sub in properties.items():
        if key in value:
            errors += schema_errors(value[key], sub, f"{path}.{key}")
    return errors


def section_sentences(text: str) -> list[Sentence]:
    """Split a section's text into sentences; the "no content" marker becomes a flagged placeholder."""
    marker = normalize_text(NO_CONTENT)
    sentences = [
        Sentence(text=NO_CONTENT, placeholder=True) if normalize_text(part) == marker else Sentence(text=part)
        for part in split_sentences(text)
    ]
    return sentences or [Sentence(text=NO_CONTENT, placeholder=True)]


def _themes(themes: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for theme in themes:
        label = " ".join(theme.split())
        if label and label.lower() not in seen:
            seen[label.lower()] = label
    return list(seen.values())[:MAX_THEMES]


def _goal_progress(items: list[dict[str, str]], ctx: NoteContext) -> list[GoalProgress]:
    """One entry per known goal; ids the context does not have are dropped (the model cannot add goals)."""
    known = {g.ref for g in ctx.goals}
    progress: dict[str, GoalProgress] = {}
    for item in items:
        goal_id = item["goal_id"]
        if goal_id in known and goal_id not in progress:
            progress[goal_id] = GoalProgress.model_validate(
                {"goal_id": goal_id, "status": item["status"], "evidence_quote": item["evidence_quote"]}
            )
    return list(progress.values())


def _llm_risks(items: list[dict[str, str]], ctx: NoteContext) -> list[RiskItem]:
    """Model-reported risk statements, placed in the transcript or inputs when the quote is found there."""
    units = transcript_units(ctx.segments, ctx.speaker_roles) + input_units(ctx.inputs)
    flags: list[RiskItem] = []
    for item in items:
        quote = normalize_text(item["quote"])
        unit = next((u for u in units if quote and (quote in normalize_text(u.text))), None)
        if unit is None:
            flags.append(_model_risk(item, quote=item["quote"], source="llm"))
            continue
        source = "transcript" if unit.source == "transcript" else "input"
        flags.append(_model_risk(item, quote=unit.text, source=source, start=unit.start, ref=unit.ref))
    return flags


def _model_risk(item: dict[str, str], **where: Any) -> RiskItem:
    """A statement the model reported that the session's own risk items do not cover: treated as
    endorsed, so the clinician assesses it, since the reply does not say more."""
    return RiskItem.model_validate({"category": item["category"], "status": "endorsed", **where})
