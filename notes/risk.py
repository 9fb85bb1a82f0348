"""Risk-language detection in the session's own words (transcript and typed inputs).

This runs on the source material, independently of any language model, so that a
model that misses or softens a statement cannot hide it. Patterns are deliberately
broad: a false alarm costs the clinician a glance, a miss can cost much more.
A statement preceded by a negation ("I would never hurt myself") is still flagged,
marked `negated=True`, because a denial is itself something the clinician documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from notes.context import TextInput
from notes.document import RiskCategory, RiskFlag, RiskSource
from notes.sources import TextUnit, input_units, transcript_units
from notes.text import is_negation, normalize_text, words
from transcription.types import Segment

_SELF = r"(?:myself|himself|herself|themselves|themself|yourself)"
_RELATIVE = (
    r"(?:wife|husband|partner|boyfriend|girlfriend|ex|mom|mother|dad|father|stepdad|stepfather|stepmom|brother|"
    r"sister|son|daughter|kids?|children|baby|boss|coworker|neighbou?r|roommate|uncle|aunt|grandfather|cousin)"
)
_PERSON = rf"(?:him|her|them|someone|somebody|people|anyone|everyone|(?:my|his|her|the) {_RELATIVE})"
_ATTACKER = rf"(?:he|she|they|(?:my|his|her) {_RELATIVE}|dad|mom|father|mother)"

_PATTERNS: dict[RiskCategory, tuple[str, ...]] = {
    "suicide": (
        rf"\bkill(?:ing|ed)? {_SELF}",
        r"\bsuicid\w*",
        r"\bend(?:ing)? (?:my|his|her|their) (?:own )?life\b",
        r"\bend(?:ing)? it all\b",
        r"\btak(?:e|ing) (?:my|his|her) (?:own )?life\b",
        r"\b(?:don't|do not|doesn't|didn't|no longer) want(?:s|ed)? to (?:be alive|live|be here|wake up|exist)\b",
        r"\bwant(?:s|ed)? to die\b",
        r"\bwish(?:ed)? (?:i|he|she) (?:was|were) dead\b",
        r"\bbetter off (?:dead|without me)\b",
        r"\bno (?:reason|point) (?:to|in) (?:live|living|going on)\b",
        r"\bcan't go on\b",
        rf"\b(?:hang|shoot|drown) {_SELF}\b",
        r"\boverdos\w*",
    ),
    "self_harm": (
        rf"\b(?:cut|cutting|burn|burning|burned|hurt|hurting|harm|harming|hit|hitting|scratch|scratching|"
        rf"punish|punishing) {_SELF}\b",
        r"\bself[- ]?harm\w*",
        r"\bself[- ]?injur\w*",
        r"\bcutting (?:again|on my|my (?:arms?|legs?|wrists?))\b",
    ),
    "harm_to_others": (
        rf"\b(?:hurt|kill|hit|stab|shoot|strangle|beat up|attack|punch) {_PERSON}\b",
        rf"\b(?:want|wanted|going|gonna|plan|planning) to (?:hurt|kill|hit|stab|shoot|attack|punch)\b(?! {_SELF})",
        r"\bhomicid\w*",
        r"\bget back at\b",
    ),
    "abuse": (
        rf"\b{_ATTACKER} (?:hits|hit|beats|beat|kicks|kicked|punch(?:es|ed)|slap(?:s|ped)|chok(?:es|ed)|"
        r"hurts|hurt|shov(?:es|ed)|push(?:es|ed)|grabb?(?:s|ed)|touch(?:es|ed)|threaten(?:s|ed)|rap(?:es|ed)) "
        r"(?:me|us|her|him)\b",
        r"\babus(?:e|ed|es|ive|ing)\b",
        r"\bmolest\w*",
        r"\brap(?:e|ed)\b",
        r"\bsexual(?:ly)? assault\w*",
        r"\bdomestic violence\b",
        r"\b(?:afraid|scared) (?:of (?:him|her|my \w+)|to go home)\b",
    ),
}

# Clinical abbreviations count only in capitals ("si" and "hi" are ordinary words).
_ABBREVIATIONS: dict[RiskCategory, str] = {"suicide": r"\bSI\b", "self_harm": r"\bNSSI\b", "harm_to_others": r"\bHI\b"}
_COMPILED: list[tuple[RiskCategory, re.Pattern[str]]] = [
    (category, re.compile(pattern, re.IGNORECASE)) for category, patterns in _PATTERNS.items() for pattern in patterns
] + [(category, re.compile(pattern)) for category, pattern in _ABBREVIATIONS.items()]
_NEGATION_WINDOW = 5  # words before the match that may negate it


def find_risks(segments: list[Segment], inputs: Iterable[TextInput]) -> list[RiskFlag]:
    """Risk statements in the transcript and inputs, one flag per sentence and category, in order."""
    units = transcript_units(segments, None) + input_units(inputs)
    flags: list[RiskFlag] = []
    for unit in units:
        flags.extend(_unit_flags(unit))
    return flags


def _unit_flags(unit: TextUnit) -> list[RiskFlag]:
    found: dict[RiskCategory, bool] = {}
    for category, pattern in _COMPILED:
        for match in pattern.finditer(unit.text):
            negated = _negated_before(unit.text, match.start())
            # A sentence counts as negated only if every mention of the category in it is.
            found[category] = found.get(category, True) and negated
    source: RiskSource = "transcript" if unit.source == "transcript" else "input"
    return [
        RiskFlag(category=category, quote=unit.text, start=unit.start, source=source, negated=negated, ref=unit.ref)
        for category, negated in found.items()
    ]


def _negated_before(text: str, position: int) -> bool:
    # A comma starts a new clause only before a pronoun: "No, I want to die" is not a denial,
    # while "denies SI, HI" negates both items of the list.
    clause = re.split(
        r"[;:]|, (?=(?:i|he|she|they|we|it|you)\b)| but | although | though ", text[:position], flags=re.IGNORECASE
    )[-1]
    return any(is_negation(word) for word in words(clause)[-_NEGATION_WINDOW:])


def merge_risks(found: list[RiskFlag], from_llm: list[RiskFlag]) -> list[RiskFlag]:
    """Found flags first (they carry times), then model-reported ones that say something new.

    Two flags are the same when the category matches and one quote contains the other
    (after normalising case and punctuation).
    """
    merged: list[RiskFlag] = []
    for flag in [*found, *from_llm]:
        if not any(_same(flag, kept) for kept in merged):
            merged.append(flag)
    return merged


def _same(a: RiskFlag, b: RiskFlag) -> bool:
    if a.category != b.category:
        return False
    qa, qb = normalize_text(a.quote), normalize_text(b.quote)
    return bool(qa and qb) and (qa in qb or qb in qa)
