"""What the note-writing model is asked to reply, as pydantic models built per style.

The same models give the JSON schema sent to the model (json_schema mode, or llama.cpp's
json_object + schema mode) and validate the reply, whichever the server enforced. Every sentence
comes with the ids of the passages it rests on (S3, I1.2, P1.4...); `notes.grounding` checks them.

The schema is inlined (no $ref) and closed (every object `additionalProperties: false`, every
property required), which OpenAI's strict mode requires and llama.cpp's grammar compiler reads.
Bounds (`max_chars`) are for grammar-based local servers, where they stop a small model from
running on inside a string; OpenAI's strict mode may reject them, so they are off by default.
With bounds on, every string and list of the schema has a limit, so `longest_reply` gives the
most characters a reply can take; a grammar-constrained server writes at least one character a
token, so a token limit that large can never cut a reply off.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from notes.document import GOAL_STATUSES, PLAN_STATUSES, RISK_CATEGORIES
from notes.styles import Style

__all__ = ["FactsReply", "NoteReply", "facts_reply_model", "json_schema", "longest_reply", "note_reply_model"]

QUOTE_CHARS = 300
THEME_CHARS = 80
SENTENCE_CHARS = 400
MAX_CITES = 6
CITE_CHARS = 12  # S714, I3.12, P2.45, L


class ReplyModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CitedText(ReplyModel):
    text: str
    cites: list[str]


class ReplyGoal(ReplyModel):
    goal_id: str
    status: str
    cites: list[str]


class ReplyPlanItem(ReplyModel):
    item: str
    status: str
    cites: list[str]


class ReplyRisk(ReplyModel):
    category: str
    quote: str


class NoteReply(ReplyModel):
    """The reply as the engine reads it (the per-style model validated the exact shape first)."""

    sections: dict[str, list[CitedText]]
    themes: list[str]
    goal_progress: list[ReplyGoal]
    plan_review: list[ReplyPlanItem]
    risk_statements: list[ReplyRisk]


class FactsReply(ReplyModel):
    facts: list[CitedText]


def _text(max_chars: int | None) -> Any:
    return Annotated[str, StringConstraints(max_length=max_chars)] if max_chars else str


def _items(item: Any, max_items: int | None) -> Any:
    return list[item] if max_items is None else Annotated[list[item], Field(max_length=max_items)]


def _choice(values: Sequence[str]) -> Any:
    return Literal.__getitem__(tuple(values)) if values else str  # type: ignore[attr-defined]


def _cites(bounded: bool) -> Any:
    return _items(_text(CITE_CHARS), MAX_CITES) if bounded else list[str]


def _cited(name: str, max_chars: int | None, **extra: Any) -> type[BaseModel]:
    cites = _cites(bool(max_chars))
    return create_model(name, __base__=ReplyModel, **extra, text=(_text(max_chars), ...), cites=(cites, ...))


def note_reply_model(
    style: Style, goal_ids: Sequence[str] = (), *, max_chars: int | None = None, max_items: int = 10
) -> type[BaseModel]:
    """The composed note: per section a list of cited sentences, themes, goal progress, plan review."""
    bound = max_items if max_chars else None
    sentence = _cited("Sentence", min(max_chars, SENTENCE_CHARS) if max_chars else None)
    quote = _text(min(max_chars, QUOTE_CHARS) if max_chars else None)
    cites = _cites(bool(max_chars))
    fields: dict[str, Any] = {
        f"s{i}": (_items(sentence, bound), Field(alias=s.key)) for i, s in enumerate(style.sections)
    }
    sections = create_model("Sections", __base__=ReplyModel, **fields)
    goal = create_model(
        "GoalProgress",
        __base__=ReplyModel,
        goal_id=(_choice(goal_ids), ...),
        status=(_choice(GOAL_STATUSES), ...),
        cites=(cites, ...),
    )
    plan_item = create_model(
        "PlanItem", __base__=ReplyModel, item=(quote, ...), status=(_choice(PLAN_STATUSES), ...), cites=(cites, ...)
    )
    risk = create_model(
        "RiskStatement", __base__=ReplyModel, category=(_choice(RISK_CATEGORIES), ...), quote=(quote, ...)
    )
    return create_model(
        "ClinicalNote",
        __base__=ReplyModel,
        sections=(sections, ...),
        themes=(_items(_text(THEME_CHARS if max_chars else None), bound), ...),
        goal_progress=(_items(goal, len(goal_ids) if max_chars else None), ...),
        plan_review=(_items(plan_item, bound), ...),
        risk_statements=(_items(risk, bound), ...),
    )


def facts_reply_model(*, max_chars: int | None = None, max_items: int = 30) -> type[BaseModel]:
    """Stage one of a long session: the facts of one stretch, each citing its segments."""
    fact = _cited("Fact", min(max_chars, SENTENCE_CHARS) if max_chars else None)
    return create_model(
        "StretchFacts", __base__=ReplyModel, facts=(_items(fact, max_items if max_chars else None), ...)
    )


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema by alias, with every $ref inlined and titles dropped."""
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})
    return _inline(schema, definitions)  # type: ignore[no-any-return]


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inline(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    inlined: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":  # a mapping of names (a section may be called "title"), not a schema
            inlined[key] = {name: _inline(sub, definitions) for name, sub in value.items()}
        elif key == "const":  # one allowed value; not every grammar compiler reads "const"
            inlined["enum"] = [value]
        elif key != "title":
            inlined[key] = _inline(value, definitions)
    return inlined


def longest_reply(schema: dict[str, Any]) -> int | None:
    """The most characters a reply matching `schema` can take; None if anything in it is unbounded.

    Counted as a grammar writes it: compact JSON plus the one optional space allowed after each
    brace, bracket, colon and comma, and each string's characters written as themselves.
    """
    if "enum" in schema:
        return max(len(json.dumps(value)) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return schema["maxLength"] + 2 if "maxLength" in schema else None
    if kind == "array":
        count = schema.get("maxItems")
        item = longest_reply(schema["items"]) if count else 0
        return None if count is None or item is None else 4 + count * (item + 2)
    if kind == "object":
        total = 4
        for name, sub in schema.get("properties", {}).items():
            value = longest_reply(sub)
            if value is None:
                return None
            total += len(json.dumps(name)) + value + 4
        return total
    return None
