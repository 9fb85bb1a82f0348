"""The offline drafter on eight scripted sessions: the facts a clinician expects, in the right
section, for SOAP, DAP, BIRP and the narrative note; nothing that does not belong in a note; the
client never in the first person outside quotation marks; every statement with its evidence."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import lemminflect  # type: ignore[import-untyped]
import pytest

from notes.context import Goal, NoteContext, PriorNote, TextInput
from notes.document import NoteDraft
from notes.offline import offline_draft
from notes.speakers import resolve_speakers
from notes.styles import BUILTIN_STYLES
from notes.text import stem, words
from transcription.types import Segment

SESSIONS = sorted((Path(__file__).parent / "sessions").glob("*.json"))
STYLES = ("soap", "dap", "birp", "narrative")
MIN_SHARE = 0.9
# Where a clinician puts each kind of fact, per style.
WHERE: dict[str, dict[str, set[str]]] = {
    "soap": {
        "report": {"subjective"}, "response": {"subjective", "assessment"}, "observation": {"objective"},
        "intervention": {"objective"}, "progress": {"assessment"}, "risk": {"assessment"},
        "assessment": {"assessment"}, "plan": {"plan"}, "medication": {"assessment"},
    },
    "dap": {
        "report": {"data"}, "response": {"data"}, "observation": {"data"}, "intervention": {"data"},
        "progress": {"assessment"}, "risk": {"assessment"}, "assessment": {"assessment"}, "plan": {"plan"},
        "medication": {"assessment"},
    },
    "birp": {
        "report": {"behavior"}, "observation": {"behavior"}, "intervention": {"intervention"},
        "response": {"response"}, "progress": {"response"}, "risk": {"behavior", "response"},
        "assessment": {"response"}, "plan": {"plan"}, "medication": {"response"},
    },
    "narrative": {kind: {"narrative"} for kind in
                  ("report", "response", "observation", "intervention", "progress", "risk", "assessment", "medication")}
    | {"plan": {"plan"}},
}  # fmt: skip
GREETING = re.compile(r"^(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks|thank you|see you|bye)\b", re.I)
BACKCHANNEL = re.compile(r"^(?:mm-?hmm|uh-?huh|okay|ok|yeah|yes|right|sure|great|good|exactly)\W*$", re.I)
FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|mine|myself)\b(?!-)", re.I)


@cache
def session(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def context(data: dict[str, Any], style: str) -> NoteContext:
    return NoteContext(
        style=BUILTIN_STYLES[style],
        segments=[Segment(s["start"], s["end"], s["text"], s["speaker"]) for s in data["segments"]],
        inputs=[TextInput(i["kind"], i["text"], f"input-{n}") for n, i in enumerate(data["inputs"])],
        prior_notes=[PriorNote(p["ref"], p["date"], p["text"]) for p in data["prior_notes"]],
        goals=[Goal(g["ref"], g["description"], g["target"]) for g in data["goals"]],
        medications=list(data.get("medications", [])),
    )


@cache
def draft(path: Path, style: str) -> NoteDraft:
    return offline_draft(context(session(path), style))


def lemma(word: str) -> str:
    """ "cried" and "crying" -> "cry": the dictionary form, so a fact matches whatever the tense."""
    lemmas = lemminflect.getAllLemmas(word)
    for pos in ("VERB", "NOUN", "ADJ"):
        if pos in lemmas:
            return str(lemmas[pos][0])
    return stem(word)


def stems(text: str) -> list[str]:
    return [lemma(w) for w in words(text)]


def contains(sentence: str, phrase: str) -> bool:
    have, want = stems(sentence), stems(phrase)
    return any(have[i : i + len(want)] == want for i in range(len(have) - len(want) + 1))


def found_in(note: NoteDraft, fact: dict[str, Any], sections: set[str]) -> bool:
    return any(
        all(contains(s.text, p) for p in fact["must"])
        for section in note.sections
        if section.key in sections
        for s in section.sentences
    )


def score(paths: list[Path], style: str) -> tuple[int, int, list[str]]:
    hits, total, misses = 0, 0, []
    for path in paths:
        note = draft(path, style)
        for fact in session(path)["expected"]:
            total += 1
            if found_in(note, fact, WHERE[style][fact["kind"]]):
                hits += 1
            elif not session(path)["held_out"]:
                misses.append(f"{path.stem}: {fact['kind']} {fact['must']}")
    return hits, total, misses


def all_sentences(note: NoteDraft) -> list[str]:
    return [s.text for section in note.sections for s in section.sentences if not s.placeholder]


def outside_quotes(text: str) -> str:
    return re.sub(r'"[^"]*"', '""', text)


def test_there_are_eight_sessions_of_several_problems_some_held_out() -> None:
    problems = {session(p)["problem"] for p in SESSIONS}
    assert len(SESSIONS) >= 8 and len(problems) >= 8
    assert sum(session(p)["held_out"] for p in SESSIONS) >= 2


@pytest.mark.parametrize("style", STYLES)
def test_expected_facts_land_in_the_right_section(style: str) -> None:
    tuned = [p for p in SESSIONS if not session(p)["held_out"]]
    held = [p for p in SESSIONS if session(p)["held_out"]]
    hits, total, misses = score(tuned, style)
    held_hits, held_total, _ = score(held, style)
    share, held_share = hits / total, held_hits / held_total
    overall = (hits + held_hits) / (total + held_total)
    print(
        f"\n{style}: {hits}/{total} = {share:.0%} on the tuning sessions; held out {held_hits}/{held_total} = "
        f"{held_share:.0%}; all {overall:.0%}"
    )
    for miss in misses:
        print("  missed", miss)
    assert overall >= MIN_SHARE and share >= MIN_SHARE


@pytest.mark.parametrize("style", STYLES)
def test_no_question_greeting_or_backchannel_in_any_note(style: str) -> None:
    for path in SESSIONS:
        for text in all_sentences(draft(path, style)):
            assert "?" not in text, (path.stem, text)
            body = re.sub(r"^(?:Client (?:stated|responded)|Clinician \w+): ", "", text).strip('"')
            assert not GREETING.match(body) and not BACKCHANNEL.match(body), (path.stem, text)


@pytest.mark.parametrize("style", STYLES)
def test_no_first_person_outside_quotation_marks(style: str) -> None:
    for path in SESSIONS:
        for text in all_sentences(draft(path, style)):
            assert not FIRST_PERSON.search(outside_quotes(text)), (path.stem, text)


@pytest.mark.parametrize("style", STYLES)
def test_every_statement_keeps_its_evidence(style: str) -> None:
    for path in SESSIONS:
        data = session(path)
        spoken = {(s["start"], s["end"]): s["text"] for s in data["segments"]}
        typed = [i["text"] for i in data["inputs"]]
        for section in draft(path, style).sections:
            for sentence in section.sentences:
                if sentence.placeholder:
                    assert not sentence.evidence
                    continue
                assert sentence.supported and sentence.evidence, (path.stem, sentence.text)
                for evidence in sentence.evidence:
                    if evidence.source == "transcript":
                        assert evidence.start is not None and evidence.end is not None
                        assert any(evidence.quote in text for text in spoken.values())
                    else:
                        assert any(evidence.quote in text for text in typed)


def test_each_sessions_speakers_are_told_apart_without_names() -> None:
    for path in SESSIONS:
        data = session(path)
        segments = [Segment(s["start"], s["end"], s["text"], s["speaker"]) for s in data["segments"]]
        inputs = [i["text"] for i in data["inputs"]]
        assert resolve_speakers(segments, None, inputs) == data["roles"], path.stem


def test_goal_progress_is_judged_from_the_sessions_numbers() -> None:
    status = {p.stem: [g.status for g in draft(p, "soap").goal_progress] for p in SESSIONS}
    assert status["alcohol_mi"] == ["met"]  # two drinking days, target two
    assert status["panic_exposure"] == ["progressing"]  # three attacks, down from six; target one
    assert status["depression_medication"] == ["regressing"]  # four out of ten, five in the earlier note


def test_print_three_notes_for_reading() -> None:
    for name in ("depression_medication", "alcohol_mi", "trauma_nightmares"):
        path = next(p for p in SESSIONS if p.stem == name)
        for style in ("soap", "dap"):
            note = draft(path, style)
            print(f"\n===== {name} ({style})")
            for section in note.sections:
                print(f"{section.title}:")
                for sentence in section.sentences:
                    print(f"  - {sentence.text}")
            assert all(section.sentences for section in note.sections)
