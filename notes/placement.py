"""Which section a fact goes to, by what the fact is.

A built-in section's `role` says which kinds of fact it holds; a practice template's section
(role "summary" unless its author chose one) is read by its key, title and instructions
("Homework", "Interventions used", "Mental status"...). Each fact goes to the one section that
fits it best; a style with one catch-all section takes everything there.
"""

from __future__ import annotations

import re

from notes.facts import Fact
from notes.styles import Section

# role -> {fact kind: weight}; topic roles also take reports on their topics (see _TOPIC_ROLES).
ROLE_KINDS: dict[str, dict[str, float]] = {
    "client_account": {"report": 1.0, "response": 0.9, "risk": 0.5, "observation": 0.5, "medication": 0.4},
    "observation": {"observation": 1.0, "intervention": 0.9},
    "data": {"report": 1.0, "observation": 1.0, "intervention": 1.0, "response": 1.0, "medication": 0.5},
    "intervention": {"intervention": 1.0},
    "response": {"response": 1.0, "progress": 0.9, "assessment": 0.8, "risk": 0.6, "medication": 0.7},
    "assessment": {"assessment": 1.0, "progress": 1.0, "risk": 1.0, "medication": 1.0},
    "plan": {"plan": 1.0},
    "goals": {"progress": 1.0, "report": 0.3},
    "problem": {"report": 1.0, "risk": 0.4, "medication": 0.4},
    "history": {},
    "progress": {"progress": 1.0, "response": 0.5},
    "medical": {"medication": 1.5},
    "substance": {},
    "social": {},
    "risk": {"risk": 1.0},
    "mental_status": {"observation": 1.0},
    "summary": {
        kind: 0.2
        for kind in (
            "report",
            "observation",
            "intervention",
            "response",
            "progress",
            "risk",
            "assessment",
            "plan",
            "medication",
        )
    },
}
_TOPIC_ROLES: dict[str, frozenset[str]] = {
    "medical": frozenset({"Medication", "Sleep", "Appetite"}),
    "substance": frozenset({"Substance use"}),
    "social": frozenset({"Relationships", "Work/school"}),
    "history": frozenset({"Grief", "Trauma"}),
}
# A template section's words -> the role it plays (first match wins).
_WORDS_TO_ROLE: tuple[tuple[str, str], ...] = (
    (r"\b(?:narrative|summary|progress note|session note|note)\b", "summary"),
    (r"\b(?:plan|homework|next steps?|follow[- ]up|referrals?|recommendations?)\b", "plan"),
    (r"\b(?:risk|safety)\b", "risk"),
    (r"\b(?:interventions?|techniques?|modalit\w+)\b", "intervention"),
    (r"\b(?:response|evaluation)\b", "response"),
    (r"\b(?:mental status|mse|presentation|observations?|objective)\b", "observation"),
    (r"\b(?:assessment|impressions?|formulation|progress)\b", "assessment"),
    (r"\b(?:medications?|medical)\b", "medical"),
    (r"\b(?:substances?|alcohol)\b", "substance"),
    (r"\b(?:subjective|client report|presenting|concerns?|situation|problems?|data)\b", "client_account"),
)


def section_role(section: Section) -> str:
    """A section's role; a template section without one is read by its key and title, then instructions."""
    if section.role != "summary":
        return section.role
    for text in (f"{section.key} {section.title}", section.instructions):
        for pattern, role in _WORDS_TO_ROLE:
            if re.search(pattern, text.replace("_", " "), re.IGNORECASE):
                return role
    return "summary"


def fit(fact: Fact, role: str) -> float:
    weight = ROLE_KINDS.get(role, ROLE_KINDS["summary"]).get(fact.kind, 0.0)
    if fact.kind in {"report", "response"} and fact.topic in _TOPIC_ROLES.get(role, frozenset()):
        weight = max(weight, 1.2)
    return weight


def place(facts: list[Fact], sections: tuple[Section, ...]) -> dict[str, list[Fact]]:
    """Each fact to the best-fitting section (the first on a tie); unfitting facts to a catch-all if any."""
    roles = [section_role(section) for section in sections]
    placed: dict[str, list[Fact]] = {section.key: [] for section in sections}
    for fact in facts:
        scores = [fit(fact, role) for role in roles]
        best = max(range(len(sections)), key=lambda i: scores[i])
        if scores[best] > 0:
            placed[sections[best].key].append(fact)
    return {key: _ordered(items) for key, items in placed.items()}


def _ordered(facts: list[Fact]) -> list[Fact]:
    """Spoken order, typed observations first, duplicates once."""
    seen: set[str] = set()
    kept = []
    for fact in sorted(facts, key=lambda f: f.order):
        if fact.text not in seen:
            seen.add(fact.text)
            kept.append(fact)
    return kept
