"""Clinical facts from the read turns and the typed inputs: each one sentence of the note in
the clinical voice, with its kind (what it is, which decides its section), its topic and its
evidence. Words come from the session; the only others are fixed frames ("Client reported",
"Clinician used", "Homework:", "Next session:", a topic label such as "Sleep:")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from notes import lexicons as lx
from notes import voice
from notes.context import TextInput
from notes.document import Evidence
from notes.drugs import find_medications
from notes.sources import TextUnit, input_units
from notes.text import content_tokens
from notes.turns import DROPPED, Turn, is_yes_no, topic_of

FactKind = str  # report, observation, intervention, response, progress, risk, assessment, plan


@dataclass(slots=True)
class Fact:
    kind: FactKind
    text: str
    evidence: list[Evidence] = field(default_factory=list)
    topic: str = ""
    order: float = 0.0


def session_facts(turns: list[Turn], chart_names: tuple[str, ...] = ()) -> list[Fact]:
    """Facts from the transcript's turns, in spoken order."""
    facts: list[Fact] = []
    for index, turn in enumerate(turns):
        if turn.act in DROPPED:
            facts.extend(_question_intervention(turn))
            continue
        new = _turn_facts(turn, turns, index, chart_names)
        if turn.act == "answer" and len(new) == 1 and facts and _same_label(facts[-1], new[0]):
            facts[-1] = _joined_answers(facts[-1], new[0])
            continue
        if turn.act == "report" and _continues(turn, turns, index, facts):
            facts[-1] = _merged(facts[-1], turn)
            continue
        facts.extend(new)
    return _without_repeats(facts)


def _same_label(before: Fact, after: Fact) -> bool:
    """Two answers to one question under one label ("Mood: Pretty low." and "Mood: About four...")."""
    label = after.text.split(":")[0]
    return (
        ":" in after.text
        and before.text.startswith(f"{label}:")
        and not label.startswith("Client")
        and before.evidence[0].quote == after.evidence[0].quote
    )


def _joined_answers(before: Fact, after: Fact) -> Fact:
    rest = after.text.split(":", 1)[1].strip()
    text = f"{before.text.rstrip('.')}; {rest[:1].lower() + rest[1:]}"
    return Fact(before.kind, _sentence(text), [*before.evidence, *after.evidence[1:]], before.topic, after.order)


_ANAPHOR = re.compile(r"\b(?:that|it|this|then|there|them)\b", re.IGNORECASE)


def _continues(turn: Turn, turns: list[Turn], index: int, facts: list[Fact]) -> bool:
    """A short sentence pointing back ("I haven't done that in three weeks.") finishes the one before."""
    before = turns[index - 1] if index else None
    return (
        before is not None
        and before.unit.speaker == turn.unit.speaker
        and before.act in {"report", "answer"}
        and bool(facts)
        and facts[-1].kind == "report"
        and len(turn.unit.text.split()) <= 12
        and _ANAPHOR.search(turn.unit.text) is not None
        and voice.third_person(turn.unit.text) is not None
        and not facts[-1].text.startswith("Client stated")
    )


def _merged(fact: Fact, turn: Turn) -> Fact:
    body = voice.third_person(voice.clean(turn.unit.text)) or ""
    text = f"{fact.text.rstrip('.')}; {body[:1].lower() + body[1:]}"
    return Fact(fact.kind, _sentence(text), [*fact.evidence, turn.unit.evidence()], fact.topic, fact.order)


def _without_repeats(facts: list[Fact]) -> list[Fact]:
    """One line per technique, and no topic-less explanation beside a labelled one from the same turn."""
    labelled = {f.order for f in facts if f.text.startswith("Clinician provided psychoeducation")}
    seen: dict[str, Fact] = {}
    kept: list[Fact] = []
    for fact in facts:
        if fact.text.startswith("Clinician explained") and {fact.order - 1, fact.order + 1} & labelled:
            continue
        key = fact.text.split(":")[0].rstrip(".") if fact.text.startswith("Clinician used") else fact.text
        if key in seen:
            seen[key].evidence.extend(fact.evidence)
            continue
        seen[key] = fact
        kept.append(fact)
    return kept


def input_facts(inputs: list[TextInput]) -> list[Fact]:
    """Typed inputs are the clinician's own words, kept as written, each under what it is."""
    facts: list[Fact] = []
    for offset, unit in enumerate(input_units(inputs)):
        kind = _typed_kind(unit)
        text = unit.text if not voice.has_first_person(unit.text) else f'Clinician noted: "{unit.text}"'
        facts.append(Fact(kind, _sentence(text), [unit.evidence()], topic_of(unit.text), -1000.0 + offset))
    return facts


def duration_fact(units: list[TextUnit]) -> list[Fact]:
    """The recorded length, a measurable session fact (from the first to the last transcribed word)."""
    timed = [u for u in units if u.start is not None and u.end is not None]
    if not timed:
        return []
    minutes = max(1, round(((timed[-1].end or 0.0) - (timed[0].start or 0.0)) / 60))
    text = f"Recorded session length: about {minutes} minute{'s' if minutes != 1 else ''}."
    return [Fact("observation", text, [timed[0].evidence(), timed[-1].evidence()], "", -2000.0)]


def _typed_kind(unit: TextUnit) -> FactKind:
    text = unit.text
    if (
        lx.NEXT_SESSION.search(text)
        or lx.HOMEWORK.search(text)
        or re.search(r"\b(?:will|plan|next week)\b", text, re.IGNORECASE)
    ):
        return "plan"
    if lx.ASSESSMENT.search(text):
        return "assessment"
    if unit.kind in {"pre_session", "post_session"} or lx.OBSERVATION.search(text):
        return "observation"
    return "intervention" if any(p.search(text) for p in lx.INTERVENTIONS.values()) else "report"


def _turn_facts(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    builders = {
        "answer": _answer, "report": _report, "response": _response, "commitment": _commitment,
        "agreement": _agreement, "homework": _homework, "plan": _plan, "next_session": _next_session,
        "psychoeducation": _psychoeducation, "intervention": _intervention, "assessment": _clinician_assessment,
        "reflection": _reflection,
    }  # fmt: skip
    builder = builders.get(turn.act)
    if builder is None:
        return []
    facts = builder(turn, turns, index, chart_names)
    if turn.act in {"homework", "psychoeducation", "plan"} and turn.techniques:
        facts += _techniques(turn)
    return facts


def _fact(kind: FactKind, text: str, *units: TextUnit, topic: str = "") -> Fact:
    order = units[-1].position if units else 0
    return Fact(kind, _sentence(text), [u.evidence() for u in units], topic, float(order))


def _sentence(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", '"')) else text.rstrip(",;:") + "."


def _report(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    if _replies_to_clinician(turns, index) and _POINTING.match(voice.clean(turn.unit.text)):
        # "That's how it feels, like I'm always on guard." answers what the clinician just said.
        return [_fact("response", voice.quote(turn.unit.text, "responded"), turn.unit, topic=turn.topic)]
    text = voice.client_statement(turn.unit.text)
    kind = "risk" if turn.topic == "Risk" else "report"
    return [_fact(kind, _with_drug_label(text, turn, chart_names), turn.unit, topic=turn.topic)]


def _replies_to_clinician(turns: list[Turn], index: int) -> bool:
    before = turns[index - 1] if index else None
    return before is not None and before.unit.speaker == "therapist" and before.act not in {"question", "greeting"}


def _with_drug_label(text: str, turn: Turn, chart_names: tuple[str, ...]) -> str:
    """A medication answer names the drug the question asked about ("Medication (prazosin): ...")."""
    if turn.question is None:
        return text
    asked = [d for d in find_medications(turn.question.text, chart_names) if d.lower() not in text.lower()]
    return f"Medication ({', '.join(asked)}): {text}" if asked else text


def _answer(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    question = turn.question
    assert question is not None  # answers always carry their question
    topic = topic_of(question.text) or turn.topic
    kind = "risk" if topic == "Risk" else "report"
    if is_yes_no(question.text) and (lx.NEGATIVE.match(turn.unit.text) or lx.AFFIRMATIVE.match(turn.unit.text)):
        text = _yes_no_answer(question.text, turn.unit.text)
        if text is not None:
            return [_fact(kind, _with_drug_label(text, turn, chart_names), question, turn.unit, topic=topic)]
    label = _label(topic, question.text, turn.unit.text, chart_names)
    body = voice.fragment(turn.unit.text) if label else None
    if label and body:
        text = f"{label}: {body}"
    elif (
        _opens_answer(turns, index)
        and _asks_about_something(question.text)
        and (voice.indirect_question(question.text) is not None or _needs_its_question(turn.unit.text))
    ):
        text = _paired(question.text, turn.unit.text)
    else:
        text = voice.client_statement(turn.unit.text)
    return [_fact(kind, text, question, turn.unit, topic=topic)]


_POINTS_BACK = re.compile(r"^(?:it|it's|that|that's|this|they|there|maybe|probably|about|around|just)\b", re.IGNORECASE)


def _opens_answer(turns: list[Turn], index: int) -> bool:
    """The client's first sentence after the question (the rest of the turn reads on its own)."""
    return index > 0 and turns[index - 1].unit.speaker != turns[index].unit.speaker


_CHECK_IN_WORDS = frozenset(
    {"doing", "been", "things", "thing", "going", "go", "went", "feel", "felt", "today", "week", "day", "lately"}
    | {"since", "last", "time", "met", "meet", "that", "it", "this"}
)


def _asks_about_something(question: str) -> bool:
    """ "When is your next appointment?" names what the answer is about; "How are you doing?" and
    "Where are you with that?" do not, so pairing would point the answer at the wrong thing."""
    return bool(set(content_tokens(question)) - _CHECK_IN_WORDS)


def _needs_its_question(answer: str) -> bool:
    """An answer that means nothing without its question ("Work, mostly.", "It's on the 20th.")."""
    text = voice.clean(answer)
    return not voice.is_clause(text) or _POINTS_BACK.match(text) is not None or len(text.split()) <= 3


def _paired(question: str, answer: str) -> str:
    """ "When is your next appointment?" + "It's on the 20th." -> "When asked when their next appointment
    is, client reported that it's on the 20th."; the question is quoted when it cannot be turned."""
    asked = voice.indirect_question(question)
    lead = f"When asked {asked}" if asked else f'When asked "{question.strip().rstrip("?")}"'
    text = voice.clean(answer)
    statement = voice.client_statement(answer)
    if re.match(r"^that\b", text, re.IGNORECASE) or not statement.startswith("Client reported"):
        return f'{lead}, client stated: "{answer.strip()}"'
    return f"{lead}, client{statement.removeprefix('Client')}"


def _label(topic: str, question: str, answer: str, chart_names: tuple[str, ...]) -> str:
    asked = [d for d in find_medications(question, chart_names) if d.lower() not in answer.lower()]
    if asked:
        return f"Medication ({', '.join(asked)})"
    scale = re.search(
        r"\bhow (important|confident|ready|motivated)\b.*?\bto (?:you )?to ([\w\s]+?)\?", question, re.IGNORECASE
    )
    if scale:
        return f"Rating of how {scale.group(1).lower()} it is to {scale.group(2).strip()}"
    # "Relationships: It was sad" would mislabel a feeling: only measured topics label an answer.
    return topic if topic in _MEASURED_TOPICS else ""


_MEASURED_TOPICS = frozenset({"Mood", "Anxiety", "Sleep", "Appetite", "Medication", "Substance use"})
_QUESTION_OBJECT = re.compile(
    r"^(?:and |so )?(?:are|is|do|does|did|have|has|were|was|can|could|will|would)\s+you\s+(?:still\s+)?"
    r"(?:had|have|been having|noticed|felt|experienced|had any|got)?\s*(?:any\s+)?(.+?)\s*\?$",
    re.IGNORECASE,
)


def _yes_no_answer(question: str, answer: str) -> str | None:
    """ "Have you had any thoughts of hurting yourself?" + "No." -> "Client denied thoughts of hurting themselves." """
    match = _QUESTION_OBJECT.match(question.strip())
    still = re.search(r"\byou still\b", question, re.IGNORECASE) is not None
    obj = voice.second_to_third(match.group(1)) if match else None
    if obj is None:
        return None
    if lx.NEGATIVE.match(answer):
        return f"Client denied {'still ' if still else ''}{obj}"
    rest = re.sub(r"^\W*(?:yes|yeah|yep|sure)\W*", "", answer, flags=re.IGNORECASE).strip()
    detail = voice.fragment(rest) if rest and len(rest.split()) > 1 else None
    verb = "confirmed still" if still else "confirmed"
    return f"Client {verb} {obj}" + (f"; {detail[:1].lower() + detail[1:]}" if detail else "")


_POINTING = re.compile(r"^(?:that|it|this)\b|^(?:\S+\s+){0,5}(?:that|it|this)\W*$", re.IGNORECASE)


def _response(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    text = voice.clean(turn.unit.text)
    if _POINTING.match(text):  # "That makes sense.", "I like that.": quoted, their referent is the clinician's
        return [_fact("response", voice.quote(turn.unit.text, "responded"), turn.unit, topic=turn.topic)]
    return [_fact("response", voice.client_statement(turn.unit.text), turn.unit, topic=turn.topic)]


def _commitment(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    body = voice.third_person(
        voice.clean(re.sub(r"^\W*(?:okay|ok|yes|yeah|fine|sure)[,.]?\s*", "", turn.unit.text, flags=re.IGNORECASE))
    )
    timed = lx.WHEN.search(turn.unit.text) is not None or re.search(r"\b(?:will|'ll)\b", turn.unit.text) is not None
    if body is None:
        return [_fact("plan", voice.quote(turn.unit.text), turn.unit)]
    text = re.sub(r"^They (will|can|could|would)\b", r"Client \1", body)
    if text == body:
        text = f"Client reported that {body[:1].lower() + body[1:]}"
    return [_fact("plan" if timed else "response", text, turn.unit, topic=turn.topic)]


def _agreement(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    return [_fact("plan", "Client agreed", turn.unit)]


_LEAD = re.compile(
    r"^(?:(?:and|so|also|okay|great|good|now|then|please|for homework|for this week|for the week|for practice|"
    r"this week|between sessions|would you be willing to|could you|would you|will you|can you|i'd like you to|"
    r"try to)[,:]?\s+)+",
    re.IGNORECASE,
)


def _homework(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    if turn.unit.text.rstrip().endswith("?") and _declined(turns, index):
        return []
    action = voice.second_to_third(_LEAD.sub("", turn.unit.text.strip()).rstrip("?. "))
    if action is None:
        return [_fact("plan", f'Homework: "{turn.unit.text.strip()}"', turn.unit)]
    frame = (
        "Homework"
        if re.search(r"\b(?:homework|practice|week|each|every|at home)\b", turn.unit.text, re.IGNORECASE)
        else "Plan"
    )
    return [_fact("plan", f"{frame}: {action}", turn.unit)]


def _declined(turns: list[Turn], index: int) -> bool:
    following = next((t for t in turns[index + 1 :] if t.unit.speaker != "therapist"), None)
    return following is not None and lx.NEGATIVE.match(following.unit.text) is not None


def _plan(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    text = turn.unit.text.strip()
    recommend = re.match(r"^(?:and |so )?I(?:['\u2019]d| would)? (?:also )?recommend\s+(.*)$", text, re.IGNORECASE)
    plans = re.match(
        r"^(?:and |so )?I(?:['\u2019]d| would)? (?:also )?(?:like to|want to|will|['\u2019]ll|"
        r"am going to|['\u2019]m going to)\s+(.*)$",
        text,
        re.IGNORECASE,
    )
    if recommend or plans:
        match = recommend or plans
        assert match is not None
        rest = voice.second_to_third(match.group(1))
        if rest is not None:
            return [_fact("plan", f"Clinician {'recommended' if recommend else 'plans to'} {rest}", turn.unit)]
        return [_fact("plan", f'Clinician stated: "{text}"', turn.unit)]
    action = voice.second_to_third(_LEAD.sub("", text))
    return [_fact("plan", f"Plan: {action}" if action else f'Plan: "{text}"', turn.unit)]


def _next_session(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    when = lx.WHEN.search(turn.unit.text)
    assert when is not None
    return [_fact("plan", f"Next session: {when.group(0).strip()}", turn.unit)]


def _psychoeducation(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    found = (m.group(0).lower() for m in lx.PSYCHOED_TOPICS.finditer(turn.unit.text))
    topics = list(dict.fromkeys(lx.PSYCHOED_TOPIC_NAMES.get(topic, topic) for topic in found))
    if not topics:
        return [_fact("intervention", f'Clinician explained: "{turn.unit.text.strip()}"', turn.unit)]
    return [_fact("intervention", f"Clinician provided psychoeducation on {_join(topics)}", turn.unit)]


def _intervention(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    return _techniques(turn)


def _question_intervention(turn: Turn) -> list[Fact]:
    """A technique asked as a question ("On a scale of one to ten...") is still a technique used."""
    return _techniques(turn) if turn.act == "question" and turn.techniques else []


_UNQUOTED = frozenset({"validation"})  # "That's a big change." adds nothing to "Clinician used validation."


def _techniques(turn: Turn) -> list[Fact]:
    facts = []
    for label in turn.techniques:
        text = f"Clinician used {label}"
        words = {w.lower() for w in re.findall(r"[\w-]+", label)}
        spoken = {w.lower() for w in re.findall(r"[\w-]+", turn.unit.text)}
        if not words <= spoken and not turn.unit.text.rstrip().endswith("?") and label not in _UNQUOTED:
            text += f': "{turn.unit.text.strip()}"'
        facts.append(_fact("intervention", text, turn.unit))
    return facts


def _reflection(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    return [_fact("intervention", "Clinician used reflective listening", turn.unit)]


def _clinician_assessment(turn: Turn, turns: list[Turn], index: int, chart_names: tuple[str, ...]) -> list[Fact]:
    return [_fact("assessment", f'Clinician stated: "{turn.unit.text.strip()}"', turn.unit)]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
