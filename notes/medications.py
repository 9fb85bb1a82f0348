"""Medication facts without a model: for each medication the session names (found with the
drug-name dictionary and the client's chart), what was said of it (started, stopped, missed,
taking, side effects, prescriber) as a one-line summary, and a plain statement wherever the
session differs from the chart ("Client named prazosin, which is not on the chart.").

Every word of a summary is either a fixed frame ("Medication", "on the chart", "missed doses")
or the session's own ("dizzy", "Dr. Kim"); nothing is inferred beyond what was said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from notes.drugs import find_medications
from notes.facts import Fact
from notes.lexicons import AFFIRMATIVE
from notes.sources import TextUnit

_STATUS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("started", re.compile(r"\b(?:start(?:ed|ing)|began|put (?:me|you|her|him|them) on|new prescription)\b", re.I)),
    ("stopped", re.compile(r"\b(?:stop(?:ped|ping)|quit|came off|ran out|discontinu\w*)\b", re.I)),
    ("missed doses", re.compile(r"\b(?:miss(?:ed|ing)|skip(?:ped|ping)|forg[oe]t\w*)\b", re.I)),
    (
        "dose changed",
        re.compile(r"\b(?:increas\w*|decreas\w*|rais(?:ed|ing)|lower(?:ed|ing)|went up|cut back)\b", re.I),
    ),
    ("taking", re.compile(r"\b(?:taking|take|takes|took|on it)\b", re.I)),
)
_SIDE_EFFECT = re.compile(
    r"\b(?:side effects?|dizz\w*|lightheaded|nause\w*|headaches?|drowsy|groggy|sleepy|shaky|jittery|"
    r"dry mouth|weight gain|gained weight|sweat\w*|upset stomach|numb|foggy|restless)\b",
    re.I,
)
_NEGATED = re.compile(r"\b(?:not|never|no|haven't|hasn't|didn't|don't|doesn't|won't|wasn't)\b(?:\W+\w+){0,2}\W*$", re.I)
_PRESCRIBER = re.compile(r"\bDr\.? [A-Z][a-z]+\b")
_PRESCRIBED = re.compile(r"\bprescrib\w*\b", re.I)
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z-]{2,}")


@dataclass(slots=True)
class _Mentions:
    name: str
    units: list[TextUnit] = field(default_factory=list)
    by_client: bool = False
    confirmed: list[TextUnit] = field(default_factory=list)


def chart_names(lines: list[str]) -> dict[str, str]:
    """The chart's medication names (lower case) -> the chart line that lists each."""
    names: dict[str, str] = {}
    for line in lines:
        found = find_medications(line) or _NAME_WORD.findall(line)[:1]
        for name in found:
            names.setdefault(name.lower(), line)
    return names


def medication_facts(units: list[TextUnit], chart: list[str], known: tuple[str, ...] = ()) -> list[Fact]:
    """One summary per medication the session names, then each difference from the chart."""
    on_chart = chart_names(chart)
    mentions = _mentions(units, (*on_chart, *known))
    facts: list[Fact] = []
    for mention in mentions:
        facts.append(_summary(mention, units, mention.name.lower() in on_chart))
        check = _chart_check(mention, units, on_chart)
        if check is not None:
            facts.append(check)
    return facts


def chart_differences(units: list[TextUnit], chart: list[str], known: tuple[str, ...] = ()) -> list[Fact]:
    """Only the differences from the chart: a medication not on it, a prescriber other than its."""
    on_chart = chart_names(chart)
    checks = (_chart_check(mention, units, on_chart) for mention in _mentions(units, (*on_chart, *known)))
    return [check for check in checks if check is not None]


def _mentions(units: list[TextUnit], names: tuple[str, ...]) -> list[_Mentions]:
    """Each medication's sentences: those that name it, and a client's answer to a question that does."""
    found: dict[str, _Mentions] = {}
    for index, unit in enumerate(units):
        for name in find_medications(unit.text, names):
            mention = found.setdefault(name.lower(), _Mentions(name))
            mention.units.append(unit)
            mention.by_client = mention.by_client or unit.speaker == "client"
            answer = _answer(units, index)
            if answer is not None and answer not in mention.units:
                mention.units.append(answer)
                mention.by_client = True
                if AFFIRMATIVE.match(answer.text):
                    mention.confirmed.append(unit)  # "Are you still taking it?" "Yes, ..."
    return list(found.values())


def _answer(units: list[TextUnit], index: int) -> TextUnit | None:
    unit = units[index]
    if unit.source != "transcript" or unit.speaker != "therapist" or not unit.text.rstrip().endswith("?"):
        return None
    following = units[index + 1] if index + 1 < len(units) else None
    return following if following is not None and following.speaker == "client" else None


def _summary(mention: _Mentions, units: list[TextUnit], charted: bool) -> Fact:
    # What was said of it: the client's sentences and the clinician's typed notes, not explanations in session.
    said = [u for u in mention.units if u.speaker != "therapist" and not u.text.rstrip().endswith("?")]
    said += mention.confirmed
    statuses = [label for label, pattern in _STATUS if any(_affirmed(pattern, u.text) for u in said)]
    if "taking" in statuses and {"started", "stopped"} & set(statuses):
        statuses.remove("taking")
    effects = list(dict.fromkeys(m.group(0).lower() for u in said for m in _SIDE_EFFECT.finditer(u.text)))
    parts = [*statuses]
    if effects:
        parts.append(f"side effect reported: {', '.join(e for e in effects if e != 'side effect') or 'unspecified'}")
    prescriber, prescribing = _prescriber(mention, units)
    if prescriber:
        parts.append(f"prescriber named: {prescriber}")
    where = "on the chart" if charted else "not on the chart"
    body = "; ".join(parts) if parts else "discussed"
    evidence = [u.evidence() for u in [*mention.units, *prescribing]]
    order = float(mention.units[-1].position if mention.units[-1].source == "transcript" else 0)
    return Fact("medication", f"Medication ({mention.name}, {where}): {body}.", evidence, "Medication", order)


def _affirmed(pattern: re.Pattern[str], text: str) -> bool:
    return any(not _NEGATED.search(text[: m.start()]) for m in pattern.finditer(text))


def _prescriber(mention: _Mentions, units: list[TextUnit]) -> tuple[str, list[TextUnit]]:
    """A doctor named as prescribing this medication: in a sentence naming it, or in a sentence
    saying "prescribed" within two sentences after it."""
    for unit in mention.units:
        doctor = _PRESCRIBER.search(unit.text)
        if doctor and _PRESCRIBED.search(unit.text):
            return doctor.group(0), []
        for later in units[unit.position + 1 : unit.position + 3] if unit.source == "transcript" else []:
            if find_medications(later.text):
                break  # the next sentences are about another medication
            doctor = _PRESCRIBER.search(later.text)
            if doctor and _PRESCRIBED.search(later.text):
                return doctor.group(0), [later]
    return "", []


def _chart_check(mention: _Mentions, units: list[TextUnit], on_chart: dict[str, str]) -> Fact | None:
    """A medication or prescriber that differs from the chart, said plainly for the clinician to check."""
    who = "Client" if mention.by_client else "Clinician"
    evidence = [u.evidence() for u in mention.units]
    order = float(mention.units[-1].position if mention.units[-1].source == "transcript" else 0)
    line = on_chart.get(mention.name.lower())
    if line is None:
        text = (
            f"{who} named {mention.name}, which is not on the chart."
            if on_chart
            else f"{who} named {mention.name}; the chart lists no medications."
        )
        return Fact("medication", text, evidence, "Medication", order)
    prescriber, prescribing = _prescriber(mention, units)
    charted = _PRESCRIBER.search(line)
    if prescriber and charted and _surname(prescriber) != _surname(charted.group(0)):
        text = f"Prescriber of {mention.name} named as {prescriber}; the chart lists {charted.group(0)}."
        return Fact("medication", text, evidence + [u.evidence() for u in prescribing], "Medication", order)
    return None


def _surname(doctor: str) -> str:
    return doctor.split()[-1].lower()
