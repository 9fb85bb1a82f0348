"""Note writing through any OpenAI-compatible chat completions endpoint.

One code path for OpenAI, Azure OpenAI, vLLM, Ollama and llama.cpp servers. The
reply is forced into a JSON schema (`json_schema` mode, or llama-cpp-python's
`json_object` + `schema` mode) generated from the pydantic models in `notes.reply`,
and validated by the same models either way, because not every server enforces the
schema it was given.

A session that fits the budget (`budget_tokens`, NOTE_CONTEXT_TOKENS) is written in one
call. A longer one in two stages: `extract` reads one stretch of the transcript and returns
its facts, each citing segment ids; `compose` writes the note from the facts of all
stretches. The notes tasks run the stretches in parallel (a Celery chord); `generate` runs
the same steps one after the other. Every sentence's citations are then verified
(notes.grounding.verify_cited), and the note is held to the session's own risk items.

Errors and retries (the one retry policy for note writing; the task does not retry these):
- LLMTransientError: timeout, connection failure, 408/409/429 and 5xx. Retried here
  (the openai client's own retries are off) up to `max_retries` (LLM_MAX_RETRIES) more
  times with exponential backoff (1 s, 2 s, 4 s..., at most MAX_BACKOFF_S), then raised;
  the task fails the request with the error's plain message.
- LLMPermanentError: other 4xx (400, 401, 403, 404, 422...), a refusal or content
  filter, and a reply that is not JSON or does not match the schema. An unreadable
  reply is retried exactly once: servers without enforced grammars produce one
  now and then, while a second failure at temperature 0 means the model or the
  server setting is wrong and more attempts would only add cost and delay. A reply
  cut off at the token limit is not retried: at temperature 0 the same request is
  cut off the same way. With bounded schemas (`max_section_chars`, for grammar-based
  local servers) and no explicit `max_tokens`, each request's token limit is the
  longest reply its schema allows (`notes.reply.longest_reply`), so none is cut off.
Error messages are plain language for the clinician and never contain session
text; logs carry the model name, attempt numbers, status codes and timings only.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import openai
from celery.exceptions import SoftTimeLimitExceeded
from pydantic import BaseModel, ValidationError

from notes.context import NoteContext
from notes.document import (
    NO_CONTENT,
    ContextReport,
    GoalProgress,
    NoteDraft,
    NoteSection,
    PlanReview,
    RiskItem,
    Sentence,
    StretchReport,
)
from notes.grounding import flag_risk_contradictions, verify_cited
from notes.prompt import (
    Material,
    build_messages,
    compose_messages,
    extract_messages,
    material,
    stretch_report,
    stretches,
)
from notes.reply import (
    CitedText,
    FactsReply,
    NoteReply,
    ReplyGoal,
    ReplyPlanItem,
    ReplyRisk,
    facts_reply_model,
    json_schema,
    longest_reply,
    note_reply_model,
)
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


@dataclass(frozen=True, slots=True)
class CallUsage:
    """What one answered call cost, as the server reported it."""

    prompt_tokens: int
    completion_tokens: int
    seconds: float


@dataclass(slots=True)
class NotePlan:
    """How a context will be written: `one_call` messages when everything fits, else the stretches."""

    material: Material
    messages: list[dict[str, str]]
    report: ContextReport
    parts: list[range]
    risks: list[RiskItem]

    @property
    def two_stage(self) -> bool:
        return bool(self.parts)


class LLMEngine:
    """Writes a NoteDraft from a NoteContext with chat completions; see the module docstring."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        *,
        timeout: float = 120.0,
        max_retries: int = 2,
        response_format: ResponseFormat = "json_schema",
        budget_tokens: int = 100_000,
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
        self.max_section_chars = max_section_chars  # see notes.reply: for grammar-based local servers
        self.max_items = max_items
        self.backoff_s = backoff_s
        self._sleep = sleep
        self.usage: list[CallUsage] = []  # every answered call of this engine, for logs and benchmarks
        # Retries are ours (bounded, only for transient errors); the client must not add its own.
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=0)

    # --- the steps -------------------------------------------------------------------------

    def note_model(self, ctx: NoteContext) -> type[BaseModel]:
        goal_ids = [f"G{n}" for n in range(1, len(ctx.goals) + 1)]
        return note_reply_model(ctx.style, goal_ids, max_chars=self.max_section_chars, max_items=self.max_items)

    def facts_model(self) -> type[BaseModel]:
        # Bounded like a section of the note, three times over: a stretch holds more than a section.
        return facts_reply_model(max_chars=self.max_section_chars, max_items=self.max_items * 3)

    def plan(self, ctx: NoteContext, risks: Sequence[RiskItem] | None = None) -> NotePlan:
        """One call if it fits, else the stretches of stage one. Without `risks`, the session's own."""
        risks = find_risks(ctx.segments, ctx.inputs, speaker_roles=ctx.speaker_roles) if risks is None else risks
        found = material(ctx, risks)
        schema = json_schema(self.note_model(ctx))
        messages, report = build_messages(ctx, found, budget_tokens=self.budget_tokens, schema=schema)
        if report.approx_tokens <= self.budget_tokens or not ctx.segments:
            return NotePlan(found, messages, report, [], list(risks))
        return NotePlan(found, [], report, self._stretches(found), list(risks))

    def stretch_plan(self, ctx: NoteContext) -> NotePlan:
        """The stretches alone (a stage-one task needs nothing else), without the risk screen's cost."""
        found = material(ctx)
        return NotePlan(found, [], ContextReport(), self._stretches(found), [])

    def _stretches(self, found: Material) -> list[range]:
        return stretches(found, budget_tokens=self.budget_tokens, schema=json_schema(self.facts_model()))

    def generate(self, ctx: NoteContext) -> NoteDraft:
        """The whole note in this process: one call, or every stretch in turn and then the note."""
        plan = self.plan(ctx)
        if not plan.two_stage:
            return self.one_call(ctx, plan)
        parts: list[StretchReport] = []
        facts: list[list[dict[str, Any]]] = []
        for index in range(len(plan.parts)):
            began = time.monotonic()
            facts.append(self.extract(ctx, plan, index))
            parts.append(self.stretch_report(plan, index, facts[-1], time.monotonic() - began))
        return self.compose(ctx, plan, facts, parts)

    def one_call(self, ctx: NoteContext, plan: NotePlan) -> NoteDraft:
        """Everything fitted one call: the note straight from the whole session."""
        return self._draft(ctx, plan, self._reply(plan.messages, self.note_model(ctx)), plan.report)

    def extract(self, ctx: NoteContext, plan: NotePlan, index: int) -> list[dict[str, Any]]:
        """Stage one: the facts of one stretch, each with the ids it cites (unknown ids dropped)."""
        model = self.facts_model()
        messages = extract_messages(plan.material, plan.parts[index], index, len(plan.parts), json_schema(model))
        reply = FactsReply.model_validate(self._reply(messages, model))
        facts = []
        for fact in reply.facts:
            cites = [c.strip().upper() for c in fact.cites if c.strip().upper() in plan.material.passages]
            if fact.text.strip():
                facts.append({"text": fact.text.strip(), "cites": cites})
        return facts

    def stretch_report(self, plan: NotePlan, index: int, facts: list[dict[str, Any]], seconds: float) -> StretchReport:
        report = stretch_report(plan.material, plan.parts[index])
        return report.model_copy(update={"facts": len(facts), "seconds": round(seconds, 2)})

    def compose(
        self, ctx: NoteContext, plan: NotePlan, facts: list[list[dict[str, Any]]], parts: list[StretchReport]
    ) -> NoteDraft:
        """Stage two: the note from every stretch's facts, the typed inputs, prior notes and goals."""
        model = self.note_model(ctx)
        messages, report = compose_messages(
            ctx, plan.material, facts, parts, budget_tokens=self.budget_tokens, schema=json_schema(model)
        )
        began = time.monotonic()
        reply = self._reply(messages, model)
        report.compose_seconds = round(time.monotonic() - began, 2)
        return self._draft(ctx, plan, reply, report)

    def _draft(self, ctx: NoteContext, plan: NotePlan, reply: dict[str, Any], report: ContextReport) -> NoteDraft:
        note, found = NoteReply.model_validate(reply), plan.material
        sections = [
            NoteSection(key=s.key, title=s.title, sentences=cited_sentences(note.sections[s.key], found))
            for s in ctx.style.sections
        ]
        return NoteDraft(
            sections=flag_risk_contradictions(sections, plan.risks),
            themes=_themes(note.themes),
            goal_progress=_goal_progress(note.goal_progress, found),
            plan_review=_plan_review(note.plan_review, found),
            risks=merge_risks(plan.risks, _llm_risks(note.risk_statements, ctx)),
            engine="llm",
            offline_notice=None,
            context=report,
            model=self.model,
        )

    # --- one request, with the retry policy ------------------------------------------------

    def _reply(self, messages: list[dict[str, str]], model: type[BaseModel]) -> dict[str, Any]:
        schema = json_schema(model)
        transient_failures = 0
        invalid_replies = 0
        while True:
            attempt = transient_failures + invalid_replies + 1
            try:
                return parse_reply(self._complete(messages, schema, attempt), model)
            except LLMTransientError as exc:
                transient_failures += 1
                if transient_failures > self.max_retries:
                    exc.attempts = attempt
                    raise
                self._sleep(min(self.backoff_s * 2 ** (transient_failures - 1), MAX_BACKOFF_S))
            except _InvalidReply as exc:
                invalid_replies += 1
                logger.warning("llm reply unusable model=%s attempt=%d code=%s", self.model, attempt, exc.code)
                if invalid_replies > 1 or exc.code == "truncated":
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
                max_tokens=self._max_tokens(schema) or openai.omit,
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
        usage = getattr(completion, "usage", None)
        call = CallUsage(
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            seconds=round(time.monotonic() - began, 3),
        )
        self.usage.append(call)
        logger.info(
            "llm call done model=%s attempt=%d elapsed=%.2fs prompt_tokens=%d completion_tokens=%d",
            self.model, attempt, call.seconds, call.prompt_tokens, call.completion_tokens,
        )  # fmt: skip
        return _content(completion)

    def _max_tokens(self, schema: dict[str, Any]) -> int | None:
        # A grammar writes at least one character a token: the longest reply is a limit it never reaches.
        return self.max_tokens or (longest_reply(schema) if self.max_section_chars else None)

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


def parse_reply(content: str, model: type[BaseModel]) -> dict[str, Any]:
    """Decode and validate a reply with its reply model; raises _InvalidReply("malformed" | "schema")."""
    try:
        value = json.loads(_strip_fence(content))
    except ValueError:
        raise _InvalidReply("malformed") from None
    try:
        model.model_validate(value)
    except ValidationError as exc:
        # Where and what kind only: the offending value may quote the session.
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in exc.errors(include_input=False)[:5])
        logger.warning("llm reply failed schema checks: %s", where)
        raise _InvalidReply("schema") from None
    return value  # type: ignore[no-any-return]


def _strip_fence(content: str) -> str:
    """Some servers wrap JSON in a Markdown code fence even in JSON mode."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[-1].rsplit("```", 1)[0]
    return text


def cited_sentences(items: list[CitedText], found: Material) -> list[Sentence]:
    """The reply's sentences of one section, each verified against the passages it cites; the
    "no content" marker becomes a placeholder. A reply item holding several sentences is split,
    each part resting on the item's citations."""
    marker = normalize_text(NO_CONTENT)
    sentences: list[Sentence] = []
    for item in items:
        passages, unknown = found.resolve(item.cites)
        for part in split_sentences(item.text):
            if normalize_text(part) == marker:
                sentences.append(Sentence(text=NO_CONTENT, placeholder=True))
            else:
                sentences.append(verify_cited(Sentence(text=part), passages, unknown))
    return sentences or [Sentence(text=NO_CONTENT, placeholder=True)]


def _themes(themes: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for theme in themes:
        label = " ".join(theme.split())
        if label and label.lower() not in seen:
            seen[label.lower()] = label
    return list(seen.values())[:MAX_THEMES]


def _goal_progress(items: list[ReplyGoal], found: Material) -> list[GoalProgress]:
    """One entry per known goal, with the passages it cites as evidence; unknown goals are dropped."""
    progress: dict[str, GoalProgress] = {}
    for item in items:
        goal_ref = found.goal_refs.get(item.goal_id)
        if goal_ref is None or goal_ref in progress:
            continue
        evidence = [p.evidence() for p in found.resolve(item.cites)[0]]
        progress[goal_ref] = GoalProgress.model_validate(
            {"goal_id": goal_ref, "status": item.status, "evidence": evidence,
             "evidence_quote": evidence[0].quote if evidence else ""}
        )  # fmt: skip
    return list(progress.values())


def _plan_review(items: list[ReplyPlanItem], found: Material) -> list[PlanReview]:
    return [
        PlanReview.model_validate(
            {"item": i.item, "status": i.status, "evidence": [p.evidence() for p in found.resolve(i.cites)[0]]}
        )
        for i in items
        if i.item.strip()
    ]


def _llm_risks(items: list[ReplyRisk], ctx: NoteContext) -> list[RiskItem]:
    """Model-reported risk statements, placed in the transcript or inputs when the quote is found there."""
    units = transcript_units(ctx.segments, ctx.speaker_roles) + input_units(ctx.inputs)
    flags: list[RiskItem] = []
    for item in items:
        quote = normalize_text(item.quote)
        unit = next((u for u in units if quote and (quote in normalize_text(u.text))), None)
        if unit is None:
            flags.append(_model_risk(item, quote=item.quote, source="llm"))
            continue
        source = "transcript" if unit.source == "transcript" else "input"
        flags.append(_model_risk(item, quote=unit.text, source=source, start=unit.start, ref=unit.ref))
    return flags


def _model_risk(item: ReplyRisk, **where: Any) -> RiskItem:
    """A statement the model reported that the session's own risk items do not cover: treated as
    endorsed, so the clinician assesses it, since the reply does not say more."""
    return RiskItem.model_validate({"category": item.category, "status": "endorsed", **where})
