"""What each sentence of a session does: a question, an answer, a report, an intervention, a
plan, a greeting, a back-channel... and which clinician question each client answer answers.

Acts are decided from the speaker's role, the sentence's shape and the lexicons; a client's
first sentence after a clinician's question is that question's answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from notes import lexicons as lx
from notes import voice
from notes.sources import TextUnit
from notes.text import content_tokens

# Acts that never reach a note.
DROPPED = frozenset({"greeting", "backchannel", "small_talk", "question", "other"})
_YES_NO = re.compile(
    r"^(?:and |so )?(?:are|is|do|does|did|have|has|were|was|can|could|will|would)\s+you\b", re.IGNORECASE
)
_REFLECTION = re.compile(
    r"^(?:so )?(?:you felt|you're noticing|it sounds like you|what i'm hearing|so you)\b", re.IGNORECASE
)
_RESPONSE_CUES = lx.cue(
    r"\b(?:helped|helps|helpful|calmer|better|relaxed|present|makes sense|like that|worked|i'd like that|"
    r"good idea|i can see|true|balanced|hard for me but)\b"
)
_CLINICIAN_PLAN = re.compile(
    r"^(?:and |so )?I(?:['\u2019]d| would)? (?:also )?(?:like to|want to|will|['\u2019]ll|am going to|"
    r"['\u2019]m going to)\s+(?!see you|try\b|look\b)",
    re.IGNORECASE,
)
_WH_QUESTION = re.compile(r"^(?:and |so |okay,? )?(?:what|when|where|why|which|who|how)\b", re.IGNORECASE)
_RECOMMEND = re.compile(r"^(?:and |so )?I(?:['\u2019]d| would)? (?:also )?recommend\b", re.IGNORECASE)


@dataclass(slots=True)
class Turn:
    """One sentence with what it does; `question` is the clinician sentence an answer answers."""

    unit: TextUnit
    act: str
    topic: str = ""
    question: TextUnit | None = None
    techniques: tuple[str, ...] = ()


def read_turns(units: list[TextUnit]) -> list[Turn]:
    """Acts for the transcript's sentences, in order; typed inputs are read in notes.facts."""
    turns: list[Turn] = []
    for index, unit in enumerate(units):
        previous = _previous_other(units, index)
        turn = _clinician_turn(unit) if unit.speaker == "therapist" else _client_turn(unit, previous, turns)
        turn.topic = topic_of(unit.text) or (topic_of(turn.question.text) if turn.question else "")
        turns.append(turn)
    return turns


def topic_of(text: str) -> str:
    """The clinical topic a sentence is about (first match in the order of lx.TOPICS)."""
    hits = [name for name, pattern in lx.TOPICS.items() if pattern.search(text)]
    return "Risk" if "Risk" in hits else (hits[0] if hits else "")


def techniques_in(text: str) -> tuple[str, ...]:
    return tuple(label for label, pattern in lx.INTERVENTIONS.items() if pattern.search(text))


def is_yes_no(question: str) -> bool:
    return _YES_NO.match(question) is not None


def _previous_other(units: list[TextUnit], index: int) -> TextUnit | None:
    """The last sentence of the other speaker's turn just before this sentence's turn."""
    speaker = units[index].speaker
    for back in range(index - 1, -1, -1):
        if units[back].speaker != speaker:
            return units[back]
    return None


def _clinician_turn(unit: TextUnit) -> Turn:
    text = unit.text.strip()
    techniques = techniques_in(text)
    question = text.endswith("?")
    if lx.NEXT_SESSION.search(text) and lx.WHEN.search(text) and not question and not lx.HOMEWORK.search(text):
        return Turn(unit, "next_session")
    if _is_homework(text):
        return Turn(unit, "homework", techniques=techniques)
    if question:
        return Turn(unit, "question", techniques=techniques)
    if _CLINICIAN_PLAN.match(text) or _RECOMMEND.match(text) or _imperative_referral(text):
        return Turn(unit, "plan", techniques=techniques)
    if lx.GREETING.match(text) and not techniques and len(text.split()) <= 8:
        return Turn(unit, "greeting")
    if lx.PSYCHOEDUCATION.search(text):
        return Turn(unit, "psychoeducation", techniques=techniques)
    if techniques:
        return Turn(unit, "intervention", techniques=techniques)
    if lx.ASSESSMENT.search(text) and len(text.split()) > 5:
        return Turn(unit, "assessment")
    if _REFLECTION.match(text):
        return Turn(unit, "reflection")
    return Turn(unit, "backchannel" if len(text.split()) <= 3 else "other")


def _is_homework(text: str) -> bool:
    if not lx.HOMEWORK.search(text):
        return False
    if text.endswith("?"):
        if _WH_QUESTION.match(text):
            return False  # "What would you like to focus on today?" asks, it does not assign
        return re.search(r"\b(?:would|could|will|can) you\b", text, re.IGNORECASE) is not None and (
            re.search(r"\b(?:feel|think|say|describe|rate)\b", text, re.IGNORECASE) is None
        )
    return (
        re.search(r"\b(?:homework|for (?:this|the) week|for practice)\b|^(?:and |so )?try\b", text, re.IGNORECASE)
        is not None
    )


def _imperative_referral(text: str) -> bool:
    return (
        lx.REFERRAL.search(text) is not None
        and re.match(
            r"^(?:and |so |also )?(?:please )?(?:let|call|ask|bring|contact|talk|tell|mention|book|schedule)\b",
            text,
            re.IGNORECASE,
        )
        is not None
    )


def _client_turn(unit: TextUnit, previous: TextUnit | None, turns: list[Turn]) -> Turn:
    text = unit.text.strip()
    answered = previous if previous is not None and previous.speaker == "therapist" else None
    first_of_turn = not turns or turns[-1].unit.speaker != unit.speaker
    last_act = _last_clinician_act(turns)
    if text.endswith("?"):
        return Turn(unit, "question")
    if lx.SMALL_TALK.search(text) and not lx.TOPICS["Anxiety"].search(text) and len(text.split()) <= 12:
        return Turn(unit, "small_talk")
    if lx.GREETING.match(text) and len(text.split()) <= 4:
        return Turn(unit, "greeting")
    if lx.CLIENT_COMMITMENT.match(text) and _commits_to_something(text):
        return Turn(unit, "commitment")
    if lx.BACKCHANNEL.match(text) or _only_agrees(text):
        act = "agreement" if last_act in {"homework", "plan"} and not lx.NEGATIVE.match(text) else "backchannel"
        return Turn(unit, act, question=answered if first_of_turn else None)
    if not first_of_turn and turns[-1].act == "answer" and not voice.is_clause(text):
        return Turn(unit, "answer", question=turns[-1].question)  # "Pretty low. About four out of ten."
    if first_of_turn and answered is not None and answered.text.rstrip().endswith("?"):
        if last_act == "question_intervention" and _RESPONSE_CUES.search(text):
            return Turn(unit, "response", question=answered)
        return Turn(unit, "answer", question=answered)
    if last_act in {"intervention", "psychoeducation", "question_intervention"} and _RESPONSE_CUES.search(text):
        return Turn(unit, "response")
    return Turn(unit, "report")


def _only_agrees(text: str) -> bool:
    """ "Yes, I can do that." agrees and says nothing more; "Okay, I feel more present." says more."""
    if not lx.AFFIRMATIVE.match(text):
        return False
    rest = lx.AFFIRMATIVE.sub("", text, count=1)
    return not set(content_tokens(rest)) - {"do", "try", "that", "can", "will", "ll", "ask", "sure", "fine"}


def _commits_to_something(text: str) -> bool:
    """ "I'll call her tonight." commits to an action; "I'll try." and "I can do that." only agree."""
    rest = re.sub(lx.CLIENT_COMMITMENT.pattern, "", text, count=1, flags=re.IGNORECASE).strip(" .!,")
    return len(rest.split()) >= 2 and not re.fullmatch(
        r"(?:do (?:that|it)|try(?: that)?|think about it)", rest, re.IGNORECASE
    )


def _last_clinician_act(turns: list[Turn]) -> str:
    """The act of the clinician's last turn, reading back over the client's current turn."""
    for turn in reversed(turns):
        if turn.unit.speaker == "therapist":
            if turn.act == "question" and turn.techniques:
                return "question_intervention"
            return turn.act
    return ""
