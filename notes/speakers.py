"""Who is speaking: each speaker label mapped to "therapist" or "client", from the names the
clinician gave or, failing that, from how the speakers talk.

No single cue decides: clinicians ask most of the questions, use the vocabulary of technique
and homework, open with the greeting and the agenda, and speak to the client's situation; clients
answer, speak in the first person about symptoms, medication and numbers, and say what the
clinician's typed notes later report about them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from notes import lexicons as lx
from notes.text import content_tokens, split_sentences
from transcription.types import Segment

THERAPIST_ROLES = frozenset({"therapist", "clinician", "counselor", "counsellor", "provider", "psychologist"})
NAMED_ROLES = THERAPIST_ROLES | {"client", "patient"}

_SECOND_PERSON = re.compile(r"\b(you|your|you're|you've|yourself)\b", re.IGNORECASE)
FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|i'll|my|me|myself|we|our|us)\b", re.IGNORECASE)
_SINGULAR_FIRST = re.compile(r"\b(i|i'm|i've|i'd|my|me|myself)\b", re.IGNORECASE)
_WH_QUESTION = re.compile(
    r"^(?:and |so )?(?:how|what|when|where|why|which|who|have|has|are|do|did|is|would|could)\b", re.IGNORECASE
)
_AGENDA = lx.cue(
    r"\b(?:last (?:week|time) (?:you|we)|where would you like to start|what would you like to "
    r"(?:focus|talk)|let's start|check in|since we last met|come (?:on )?in|have a seat)\b"
)
_SYMPTOM_REPORT = lx.cue(
    r"\b(?:i (?:had|felt|feel|missed|stopped|drank|slept|cried|skipped|can't|couldn't)|my "
    r"(?:heart|chest|mood|sleep|medication|meds|wife|husband|mom|manager))\b"
)
# Cue weights: positive points to the clinician, negative to the client.
_WEIGHTS = {"question": 2.0, "vocab": 1.5, "second": 0.5, "first": -1.5, "report": -1.5, "answer": -1.0}


def resolve_speakers(
    segments: list[Segment], speaker_roles: dict[str, str] | None, inputs: Iterable[str] = ()
) -> dict[str, str]:
    """Map each speaker label to "therapist" or "client" from the given roles, else from how they talk.

    A speaker the clinician named by role ("Therapist", "Client") has that role, and with two
    speakers the other one has the other role. Otherwise the speaker whose talk scores most like a
    clinician's (see `clinician_score`) is the therapist; everyone else is a client.
    """
    if speaker_roles:
        return {label: _normalize_role(role) for label, role in speaker_roles.items()}
    by_label = _sentences_by_label(segments)
    named = {label: _normalize_role(label) for label in by_label if label.strip().lower() in NAMED_ROLES}
    if named:
        return _complete_named(named, by_label)
    if len(by_label) < 2:
        return {}
    scores = clinician_score(segments, list(inputs))
    therapist = max(scores, key=lambda label: scores[label])
    return {label: "therapist" if label == therapist else "client" for label in by_label}


def clinician_score(segments: list[Segment], inputs: list[str]) -> dict[str, float]:
    """How much each label talks like the clinician, per sentence, from several cues combined."""
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    previous_label, previous_question = "", False
    for segment in segments:
        if not segment.speaker:
            continue
        for sentence in split_sentences(segment.text):
            answer = previous_question and previous_label != segment.speaker
            totals[segment.speaker] = totals.get(segment.speaker, 0.0) + _sentence_score(sentence, answer)
            counts[segment.speaker] = counts.get(segment.speaker, 0) + 1
            previous_label, previous_question = segment.speaker, _is_question(sentence)
    scores = {label: totals[label] / counts[label] for label in totals}
    _add_opening(scores, segments)
    _add_typed_perspective(scores, segments, inputs)
    return scores


def _sentence_score(sentence: str, answer: bool) -> float:
    cues = {
        "question": _is_question(sentence),
        "vocab": lx.CLINICIAN_VOCAB.search(sentence) is not None
        or any(p.search(sentence) for p in lx.INTERVENTIONS.values()),
        "second": _SECOND_PERSON.search(sentence) is not None,
        "first": _SINGULAR_FIRST.search(sentence) is not None,
        "report": _SYMPTOM_REPORT.search(sentence) is not None,
        "answer": answer,
    }
    return sum(_WEIGHTS[name] for name, present in cues.items() if present)


def _is_question(sentence: str) -> bool:
    text = sentence.strip()
    return text.endswith("?") or (_WH_QUESTION.match(text) is not None and _SECOND_PERSON.search(text) is not None)


def _add_opening(scores: dict[str, float], segments: list[Segment]) -> None:
    """The greeting with the client's name or the agenda usually comes from the clinician."""
    for segment in segments[:4]:
        if segment.speaker in scores and _AGENDA.search(segment.text):
            scores[segment.speaker] += 1.0
            return


def _add_typed_perspective(scores: dict[str, float], segments: list[Segment], inputs: list[str]) -> None:
    """The clinician's typed notes report what the client said: the speaker they echo is the client."""
    reported = {t for text in inputs for t in content_tokens(text)}
    if not reported:
        return
    overlap = {label: 0 for label in scores}
    for segment in segments:
        if segment.speaker in overlap:
            overlap[segment.speaker] += len(reported & set(content_tokens(segment.text)))
    most = max(overlap, key=lambda label: overlap[label])
    if overlap[most] and list(overlap.values()).count(overlap[most]) == 1:
        scores[most] -= 0.5


def _sentences_by_label(segments: list[Segment]) -> dict[str, list[str]]:
    by_label: dict[str, list[str]] = {}
    for segment in segments:
        if segment.speaker:
            by_label.setdefault(segment.speaker, []).extend(split_sentences(segment.text))
    return by_label


def _complete_named(named: dict[str, str], by_label: dict[str, list[str]]) -> dict[str, str]:
    if len(by_label) == 2 and len(named) == 1:
        (role,) = named.values()
        named.update(
            {label: "client" if role == "therapist" else "therapist" for label in by_label if label not in named}
        )
    return named


def _normalize_role(role: str) -> str:
    role = role.strip().lower()
    return "therapist" if role in THERAPIST_ROLES else "client" if role else ""


def guess_role(sentence: str) -> str:
    """Per-sentence guess when no speaker information exists, from the same cues as for a whole speaker."""
    score = _sentence_score(sentence, answer=False)
    if score >= 0.5:
        return "therapist"
    return "client" if score < 0 or FIRST_PERSON.search(sentence) else ""
