"""Goal progress and themes without a model.

A goal's progress is judged only from what the session says: a number compared with an earlier
one ("down from five to two"), with the same measure in a prior note, or with the goal's target,
or an explicit comparison word ("more than last month"). Anything else is "not addressed".
Themes are the client's topics that recur: known themes the session touches, and this session's
clinical topics that earlier notes also raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from notes import lexicons as lx
from notes import voice
from notes.context import Goal, PriorNote
from notes.document import GoalProgress, GoalStatus
from notes.facts import Fact
from notes.sources import TextUnit
from notes.text import content_tokens, normalize_number

_NUM = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|once|twice)"
_MEASURE = re.compile(
    rf"\b({_NUM})(?: or {_NUM})?(?:\s+(out of (?:ten|10)|(?:panic )?attacks?|days?|nights?|times|hours?|drinks?|"
    rf"beers?|meetings?|sessions?|classes))?(?:\s+(?:a|per|each)\s+(week|night|day|month))?",
    re.IGNORECASE,
)
_FROM = re.compile(rf"\b(?:down|up)? ?from ({_NUM})\b", re.IGNORECASE)
_LOWER_IS_BETTER = re.compile(
    r"\b(?:reduce|decrease|fewer|less|lower|stop|quit|cut|limit|no more than)\b", re.IGNORECASE
)
_WORSE = lx.cue(r"\b(?:more than|up from|worse|came back|increased|missed|skipped|stopped going)\b")
_BETTER = lx.cue(r"\b(?:down from|fewer|less than|better|improved|only|attended|managed)\b")
_GENERIC = frozenset(
    {
        "week",
        "day",
        "night",
        "time",
        "month",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "10",
        "every",
        "reduc",
        "improv",
        "increas",
        "decreas",
        "fewer",
        "higher",
        "lower",
        "meet",
        "attend",
    }
)
_STATUS_WORDS: dict[GoalStatus, str] = {
    "met": "target met", "progressing": "improving", "no_change": "no change", "regressing": "worsening",
}  # fmt: skip


@dataclass(slots=True)
class Judged:
    goal: Goal
    status: GoalStatus
    fact: Fact | None


def judge_goals(goals: list[Goal], facts: list[Fact], priors: list[PriorNote]) -> list[Judged]:
    """Each goal judged against the client's reports in this session, or not addressed."""
    judged = []
    for goal in goals:
        relevant = [f for f in facts if f.kind in {"report", "response", "risk"} and _about(goal, f)]
        baseline = _baseline(facts, relevant)
        verdict = next((v for f in relevant if (v := _verdict(goal, f, priors, baseline)) is not None), None)
        judged.append(verdict or Judged(goal, "not_addressed", None))
    return judged


def goal_progress(judged: list[Judged]) -> list[GoalProgress]:
    return [
        GoalProgress(
            goal_id=j.goal.ref,
            status=j.status,
            evidence_quote=j.fact.evidence[-1].quote if j.fact else "",
            evidence=[j.fact.evidence[-1]] if j.fact else [],
        )
        for j in judged
    ]


def _about(goal: Goal, fact: Fact) -> bool:
    wanted = {t[:4] for t in content_tokens(goal.description) if t not in _GENERIC and len(t) >= 3}
    seen = {t[:4] for e in fact.evidence for t in content_tokens(e.quote)}
    return bool(wanted & seen)


_BASELINE_QUESTION = lx.cue(r"\b(?:before (?:this|that)|last month|previously|used to|usually|earlier)\b.*\?$")


def _baseline(facts: list[Fact], relevant: list[Fact]) -> Fact | None:
    """The client's answer to "And before this week?" right after a relevant report: the earlier figure."""
    for index, fact in enumerate(facts[1:], start=1):
        asked = fact.evidence[0].quote if len(fact.evidence) > 1 else ""
        follows = facts[index - 1] in relevant and _BASELINE_QUESTION.search(asked) is not None
        if follows and _first_measure(fact.evidence[-1].quote):
            return fact
    return None


def _verdict(goal: Goal, fact: Fact, priors: list[PriorNote], baseline: Fact | None = None) -> Judged | None:
    client_words = " ".join(e.quote for e in fact.evidence if not e.quote.rstrip().endswith("?"))
    lower_better = _LOWER_IS_BETTER.search(goal.description) is not None
    now = _first_measure(client_words)
    before = _from_number(client_words)
    if before is None and baseline is not None and now is not None:
        measured = _first_measure(baseline.evidence[-1].quote)
        before = measured[0] if measured else None
    prior_text, earlier = _prior_measure(now, priors)
    target = _first_measure(f"{goal.target} {goal.description}")
    status = _compare(now, before if before is not None else earlier, target, lower_better)
    if status is None:
        status = _by_words(client_words, lower_better)
    if status is None:
        return None
    quotes = [e.quote for e in fact.evidence if not e.quote.rstrip().endswith("?")]
    telling = [q for q in quotes if _first_measure(q) or _WORSE.search(q) or _BETTER.search(q)] or quotes
    said = "; ".join(voice.client_statement(q).rstrip(".") for q in telling)
    text = f'Progress on goal "{goal.description}": {_STATUS_WORDS[status]}; {said}'
    evidence = list(fact.evidence)
    if baseline is not None and before is not None and _from_number(client_words) is None:
        text = f"{text}; earlier: {voice.client_statement(baseline.evidence[-1].quote).rstrip('.')}"
        evidence += baseline.evidence
    if before is None and earlier is not None and prior_text:
        text = text.rstrip(".") + f"; earlier note: {prior_text}."
    text = text if text.endswith((".", '"')) else f"{text}."
    return Judged(goal, status, Fact("progress", text, evidence, fact.topic, fact.order))


def _compare(
    now: tuple[float, str] | None, earlier: float | None, target: tuple[float, str] | None, lower_better: bool
) -> GoalStatus | None:
    if now is None:
        return None
    value = now[0]
    if target is not None and (value <= target[0] if lower_better else value >= target[0]):
        return "met"
    if earlier is None:
        return None
    if value == earlier:
        return "no_change"
    return "progressing" if (value < earlier) == lower_better else "regressing"


def _by_words(text: str, lower_better: bool) -> GoalStatus | None:
    if _WORSE.search(text):
        return "regressing"
    if _BETTER.search(text):
        return "progressing"
    return None


def _number(word: str) -> float | None:
    value = normalize_number(word.lower())
    return float(value) if value is not None else None


def _first_measure(text: str) -> tuple[float, str] | None:
    for match in _MEASURE.finditer(text):
        value = _number(match.group(1))
        if value is not None and (match.group(2) or match.group(3)):
            return value, _unit(match.group(2))
    return None


def _unit(word: str | None) -> str:
    return re.sub(r"\b10\b", "ten", (word or "").lower())


def _from_number(text: str) -> float | None:
    match = _FROM.search(text)
    return _number(match.group(1)) if match else None


def _prior_measure(now: tuple[float, str] | None, priors: list[PriorNote]) -> tuple[str, float | None]:
    """The same measure ("out of ten", "days") in the newest prior note that has it."""
    if now is None or not now[1]:
        return "", None
    for prior in priors:
        for match in _MEASURE.finditer(prior.text):
            value = _number(match.group(1))
            if value is not None and _unit(match.group(2)) == now[1]:
                return f"{match.group(0)} ({prior.date})", value
    return "", None


def progress_facts(judged: list[Judged]) -> list[Fact]:
    return [j.fact for j in judged if j.fact is not None]


def recurring_themes(known: list[str], units: list[TextUnit], priors: list[PriorNote]) -> list[str]:
    """Known themes the session touches, then session topics an earlier note also raised."""
    present = {t for unit in units for t in content_tokens(unit.text)}
    themes = [t for t in known if (tokens := set(content_tokens(t))) and len(tokens & present) * 2 >= len(tokens)]
    session_text = " ".join(u.text for u in units if u.speaker != "therapist")
    prior_text = " ".join(p.text for p in priors)
    for name, pattern in lx.TOPICS.items():
        if name != "Risk" and pattern.search(session_text) and pattern.search(prior_text):
            theme = name.lower()
            if theme not in {t.lower() for t in themes}:
                themes.append(theme)
    return themes
