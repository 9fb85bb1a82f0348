"""Link every sentence of a draft to the source passages that support it.

Matching is by content-word overlap (stemmed, stopwords removed) through an
inverted index, so a 700-segment transcript is checked in milliseconds. Overlap
alone is not enough for the details a clinical note must get exactly right:
numbers and doses, medications, weekdays, months and relative days, and
negation. Those are checked strictly against the supporting passage, and any
mismatch marks the sentence unsupported with a short reason in `issue`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from notes.context import NoteContext, TextInput
from notes.document import RISK_LABELS, Evidence, NoteSection, RiskItem, Sentence
from notes.risk import find_risks
from notes.sources import TextUnit, input_units, prior_note_units, transcript_units
from notes.text import content_tokens, has_negation, normalize_number, normalize_text, words

MIN_COVERAGE = 0.66  # share of the sentence's content words found in the supporting passage
CANDIDATES = 6  # best-overlapping units examined per sentence
NEIGHBOURS = 2  # units either side that may complete a passage (a thought split over sentences)
_SOURCE_PRIORITY = {"transcript": 0, "input": 1, "prior_note": 2}

_WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})
_RELATIVE_DAYS = frozenset({"today", "yesterday", "tomorrow", "tonight", "weekend"})
# Months only when capitalised: "may", "march" and "august" are also ordinary words.
_MONTHS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b"
)
_DOSE_UNITS = {
    "mg": "mg",
    "milligram": "mg",
    "milligrams": "mg",
    "mcg": "mcg",
    "microgram": "mcg",
    "micrograms": "mcg",
    "ml": "ml",
    "milliliter": "ml",
    "milliliters": "ml",
    "millilitre": "ml",
    "millilitres": "ml",
}
_BRANDS = {
    "zoloft": "sertraline",
    "prozac": "fluoxetine",
    "lexapro": "escitalopram",
    "celexa": "citalopram",
    "paxil": "paroxetine",
    "effexor": "venlafaxine",
    "pristiq": "desvenlafaxine",
    "cymbalta": "duloxetine",
    "wellbutrin": "bupropion",
    "remeron": "mirtazapine",
    "desyrel": "trazodone",
    "trintellix": "vortioxetine",
    "seroquel": "quetiapine",
    "abilify": "aripiprazole",
    "risperdal": "risperidone",
    "zyprexa": "olanzapine",
    "latuda": "lurasidone",
    "lamictal": "lamotrigine",
    "depakote": "divalproex",
    "tegretol": "carbamazepine",
    "klonopin": "clonazepam",
    "ativan": "lorazepam",
    "xanax": "alprazolam",
    "valium": "diazepam",
    "buspar": "buspirone",
    "vistaril": "hydroxyzine",
    "atarax": "hydroxyzine",
    "ritalin": "methylphenidate",
    "concerta": "methylphenidate",
    "adderall": "amphetamine",
    "vyvanse": "lisdexamfetamine",
    "strattera": "atomoxetine",
    "neurontin": "gabapentin",
    "suboxone": "buprenorphine",
    "subutex": "buprenorphine",
    "ambien": "zolpidem",
    "topamax": "topiramate",
    "intuniv": "guanfacine",
}
_GENERICS = frozenset(_BRANDS.values()) | {
    "lithium",
    "valproate",
    "prazosin",
    "propranolol",
    "naltrexone",
    "methadone",
    "melatonin",
    "clonidine",
}


@dataclass(slots=True)
class _Index:
    units: list[TextUnit]
    tokens: list[frozenset[str]]
    postings: dict[str, list[int]]
    streams: dict[str, list[int]]


def build_index(ctx: NoteContext) -> _Index:
    """Index the transcript sentences, input sentences and prior-note sentences of a context."""
    units = (
        transcript_units(ctx.segments, ctx.speaker_roles) + input_units(ctx.inputs) + prior_note_units(ctx.prior_notes)
    )
    tokens = [frozenset(content_tokens(unit.text)) for unit in units]
    postings: dict[str, list[int]] = {}
    streams: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        streams.setdefault(unit.stream, []).append(i)
        for token in tokens[i]:
            postings.setdefault(token, []).append(i)
    return _Index(units, tokens, postings, streams)


def ground(sections: list[NoteSection], ctx: NoteContext) -> list[NoteSection]:
    """Return copies of the sections with every sentence's evidence and `supported` set."""
    index = build_index(ctx)
    return [s.model_copy(update={"sentences": [ground_sentence(x, index) for x in s.sentences]}) for s in sections]


def ground_sentence(sentence: Sentence, index: _Index) -> Sentence:
    if sentence.placeholder:
        return sentence
    tokens = frozenset(content_tokens(sentence.text))
    if not tokens:
        return _ground_verbatim(sentence, index)
    issue = "No matching passage in the transcript, inputs or prior notes."
    for candidate in _candidates(tokens, index):
        window = _window(candidate, tokens, index)
        found = frozenset().union(*(index.tokens[i] for i in window))
        if not _covers(tokens, found):
            continue
        problem = strict_mismatch(sentence.text, " ".join(index.units[i].text for i in window))
        if problem is None:
            evidence = [index.units[i].evidence() for i in window]
            return sentence.model_copy(update={"supported": True, "evidence": evidence, "issue": ""})
        issue = problem
    return sentence.model_copy(update={"supported": False, "evidence": [], "issue": issue})


def _ground_verbatim(sentence: Sentence, index: _Index) -> Sentence:
    """Sentences without content words ("Yes.") are supported only by an exact match."""
    target = normalize_text(sentence.text)
    for unit in index.units:
        if target and target in normalize_text(unit.text):
            return sentence.model_copy(update={"supported": True, "evidence": [unit.evidence()], "issue": ""})
    issue = "Too short to check against the sources."
    return sentence.model_copy(update={"supported": False, "evidence": [], "issue": issue})


def _candidates(tokens: frozenset[str], index: _Index) -> list[int]:
    overlap: Counter[int] = Counter()
    for token in tokens:
        overlap.update(index.postings.get(token, ()))
    ranked = sorted(overlap, key=lambda i: (-overlap[i], _SOURCE_PRIORITY[index.units[i].source], i))
    return ranked[:CANDIDATES]


def _window(center: int, tokens: frozenset[str], index: _Index) -> list[int]:
    """The candidate plus nearby units of the same stream that add sentence words the candidate lacks."""
    stream = index.streams[index.units[center].stream]
    pos = index.units[center].position
    nearby = stream[max(pos - NEIGHBOURS, 0) : pos + NEIGHBOURS + 1]
    missing = tokens - index.tokens[center]
    return [i for i in nearby if i == center or index.tokens[i] & missing]


def _covers(tokens: frozenset[str], found: frozenset[str]) -> bool:
    matched = len(tokens & found)
    return matched >= min(2, len(tokens)) and matched >= MIN_COVERAGE * len(tokens)


def strict_mismatch(claim: str, source: str) -> str | None:
    """Why `claim` is not supported by `source` on a strict detail, or None if all details agree."""
    source_facts = facts(source)
    for kind, value in sorted(facts(claim) - source_facts):
        return f"The {kind} '{value}' does not appear in the supporting passage."
    if _negation_differs(claim, source):
        return "The supporting passage says the opposite (negation differs)."
    return None


def facts(text: str) -> set[tuple[str, str]]:
    """Details that must match exactly: numbers, dose units, medications, days and months."""
    found: set[tuple[str, str]] = set()
    for word in words(text):
        number = normalize_number(word)
        if number is not None:
            found.add(("number", number))
        elif word in _DOSE_UNITS:
            found.add(("unit", _DOSE_UNITS[word]))
        elif word in _GENERICS or word in _BRANDS:
            found.add(("medication", _BRANDS.get(word, word)))
        elif word in _WEEKDAYS or word in _RELATIVE_DAYS:
            found.add(("day", word))
    found.update(("month", m.group(1)[:3].lower()) for m in _MONTHS.finditer(text))
    return found


_CLAUSE = re.compile(r"[,;:]| but | although | though | whereas ", re.IGNORECASE)


def _negation_differs(claim: str, source: str) -> bool:
    """Compare polarity clause by clause: each claim clause against the source clause it overlaps most."""
    source_clauses = [(frozenset(content_tokens(c)), has_negation(c)) for c in _CLAUSE.split(source)]
    for clause in _CLAUSE.split(claim):
        tokens = frozenset(content_tokens(clause))
        if not tokens:
            continue
        best = max(source_clauses, key=lambda sc: len(sc[0] & tokens), default=None)
        if best is not None and best[0] & tokens and best[1] != has_negation(clause):
            return True
    return False


# --- Citations given by a model ----------------------------------------------------------------

# A sentence that says what the client reported must rest on the client's words or the typed inputs.
_CLIENT_REPORT = re.compile(
    r"\b(?:client|patient|he|she|they)\s+(?:\w+ly\s+)?(?:reported|reports|said|says|stated|states|described|"
    r"describes|endorsed|endorses|denied|denies|shared|shares|expressed|expresses|mentioned|mentions|disclosed|"
    r"discloses|admitted|admits|noted|notes|complained|complains|identified|identifies|acknowledged|acknowledges)\b",
    re.IGNORECASE,
)


def verify_cited(sentence: Sentence, passages: list[TextUnit], unknown: list[str]) -> Sentence:
    """Check a sentence against the passages its citations name: they exist, they say it (content
    words and the strict details), and a report of what the client said rests on the client's speech
    or the clinician's inputs. Evidence is the cited passages, with their times."""
    if sentence.placeholder:
        return sentence
    problem = _citation_problem(sentence.text, passages, unknown)
    if problem:
        return sentence.model_copy(update={"supported": False, "evidence": [], "issue": problem})
    return sentence.model_copy(update={"supported": True, "evidence": [p.evidence() for p in passages], "issue": ""})


def _citation_problem(text: str, passages: list[TextUnit], unknown: list[str]) -> str | None:
    if unknown:
        return f"Cites {', '.join(unknown[:3])}, which is not in the material the note was written from."
    if not passages:
        return "No citation: the writer did not say which passage this rests on."
    cited = " ".join(p.text for p in passages)
    tokens = frozenset(content_tokens(text))
    if tokens and not _covers(tokens, frozenset(content_tokens(cited))):
        return f"The cited passage ({_ids(passages)}) does not say this."
    if not tokens and normalize_text(text) not in normalize_text(cited):
        return "Too short to check against the cited passage."
    problem = strict_mismatch(text, cited)
    if problem:
        return problem
    client_heard = any(p.source == "input" or p.speaker == "client" for p in passages)
    if _CLIENT_REPORT.search(text) and not client_heard and any(p.speaker == "therapist" for p in passages):
        return f"Rests on the clinician's words ({_ids(passages)}), not on what the client said."
    return None


_SOURCE_PLACES = {"transcript": "the transcript", "input": "the typed inputs", "prior_note": "an earlier note"}


def _ids(passages: list[TextUnit]) -> str:
    """Where the cited passages are, as the clinician finds them: transcript times, else the kind of source."""
    places = [_clock(p.start) if p.start is not None else _SOURCE_PLACES[p.source] for p in passages]
    return ", ".join(dict.fromkeys(places[:3]))


def flag_risk_contradictions(sections: list[NoteSection], risks: list[RiskItem]) -> list[NoteSection]:
    """Hold a composed note to the session's own risk items (notes.risk): a sentence that denies a
    risk the client endorsed is contradicted, and an endorsed category the note never mentions gets
    a flagged sentence of its own. Either blocks signing until the clinician resolves it."""
    endorsed = {item.category: item for item in reversed(risks) if item.endorsed}
    if not endorsed:
        return sections
    shown = [(si, i, s) for si, section in enumerate(sections) for i, s in enumerate(section.sentences) if s.shown]
    found = find_risks([], [TextInput("session_summary", s.text, f"{si}:{i}") for si, i, s in shown])
    by_sentence: dict[str, list[RiskItem]] = {}
    for item in found:
        by_sentence.setdefault(item.ref, []).append(item)
    updated = [s.model_copy(update={"sentences": list(s.sentences)}) for s in sections]
    addressed: set[str] = set()
    for si, i, sentence in shown:
        cited = {e.ref for e in sentence.evidence}
        addressed.update(c for c, item in endorsed.items() if item.ref in cited)
        for item in by_sentence.get(f"{si}:{i}", []):
            if item.status == "denied" and item.category in endorsed:
                updated[si].sentences[i] = sentence.model_copy(
                    update={"supported": False, "issue": _contradicted(endorsed[item.category])}
                )
            elif item.status != "denied":
                addressed.add(item.category)
    for category, item in endorsed.items():
        if category not in addressed:
            _add_omission(updated, item)
    return updated


def _contradicted(item: RiskItem) -> str:
    where = f" at {_clock(item.start)}" if item.start is not None else " in the typed inputs"
    return (
        f"Contradicted: this says the client denies {RISK_LABELS[item.category].lower()}, but the client "
        f"endorsed it{where}."
    )


def _add_omission(sections: list[NoteSection], item: RiskItem) -> None:
    label = RISK_LABELS[item.category]
    target = next((s for s in sections if s.key in ("assessment", "risk")), sections[-1] if sections else None)
    if target is None:
        return
    target.sentences = [s for s in target.sentences if not s.placeholder]
    source = "input" if item.source == "llm" else item.source
    evidence = Evidence(source=source, quote=item.quote, start=item.start, end=item.end, ref=item.ref)
    issue = (
        f"Contradicted by omission: the client endorsed {label.lower()} in this session and the note does not "
        "address it. Document it, or keep this sentence."
    )
    text = f"{label} reported in session: \u201c{item.quote}\u201d"
    target.sentences.append(Sentence(text=text, supported=False, evidence=[evidence], issue=issue))


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:d}:{whole % 60:02d}"
