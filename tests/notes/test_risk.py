"""The risk-language engine: item fields, context, neighbouring sentences, and the labelled corpus."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from notes.context import TextInput
from notes.document import RISK_STATUSES, RiskItem
from notes.risk import find_risks, merge_risks, pipeline
from transcription.types import Segment

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "risk_corpus.jsonl"
HELD_OUT = tuple(HERE / f"risk_corpus_heldout{n}.jsonl" for n in ("", "2", "3"))
# Each held-out part was written and committed before the engine saw it, measured once, and only then
# used to fix what it showed missing. Those first measurements are the honest figures for new phrasings.
FIRST_LOOK = {
    "held-out part 1": "endorsed recall 0.925 (49/53), false endorsements 0.019 (1/54), "
    "status accuracy 0.949 (111/117)",
    "held-out part 2": "endorsed recall 0.865 (32/37), false endorsements 0.024 (1/41), status accuracy 0.929 (79/85)",
    "held-out part 3": "endorsed recall 0.476 (10/21), false endorsements 0.000 (0/21), status accuracy 0.689 (31/45)",
}
ROLES = {"Speaker 1": "therapist", "Speaker 2": "client"}
CATEGORIES = ("suicide", "self_harm", "harm_to_others", "abuse")


def _client(text: str) -> list[RiskItem]:
    return find_risks([Segment(12.0, 16.0, text, "Speaker 2")], [], speaker_roles=ROLES)


def _typed(text: str) -> list[RiskItem]:
    return find_risks([], [TextInput("session_summary", text, "in-1")])


def _kinds(items: list[RiskItem]) -> list[tuple[str, str, str | None]]:
    return [(i.category, i.status, i.level) for i in items]


# --- what an item says ------------------------------------------------------------------------


def test_items_carry_speaker_time_and_source() -> None:
    segments = [
        Segment(0.0, 3.0, "Fine.", "Speaker 1"),
        Segment(30.0, 40.0, "It was fine. But I want to die.", "Speaker 2"),
    ]
    inputs = [TextInput("post_session", "Client disclosed that her partner hits her.", "in-3")]
    items = find_risks(segments, inputs, speaker_roles=ROLES)
    assert [(i.category, i.status, i.source, i.quote, i.speaker, i.ref) for i in items] == [
        ("suicide", "endorsed", "transcript", "But I want to die.", "Speaker 2", "segment:1"),
        ("abuse", "endorsed", "input", "Client disclosed that her partner hits her.", None, "in-3"),
    ]
    said, typed = items
    assert said.start is not None and said.end is not None and 30.0 < said.start < said.end <= 40.0
    assert typed.start is None and typed.end is None


def test_an_item_is_frozen_and_serialises_to_plain_data() -> None:
    (item,) = _client("I want to kill myself.")
    with pytest.raises(ValueError, match="frozen"):
        item.status = "denied"  # type: ignore[misc]
    data = json.loads(item.model_dump_json())
    assert data["status"] == "endorsed" and data["level"] == "active_thoughts" and data["protective_factors"] == []


def test_endorsed_says_whether_the_client_reports_it_now() -> None:
    assert [i.endorsed for i in _client("I would never hurt myself.")] == [False]
    assert [i.endorsed for i in _client("I cut myself last night.")] == [True]


def test_every_status_can_be_told_apart() -> None:
    said = {
        "endorsed": "I want to kill myself.",
        "denied": "I would never kill myself.",
        "historical": "I tried to kill myself when I was sixteen.",
        "hypothetical": "In the movie the main character kills himself.",
        "other_person": "My friend tried to kill himself.",
    }
    assert {status: [i.status for i in _client(text)] for status, text in said.items()} == {
        status: [status] for status in RISK_STATUSES
    }


# --- words in context -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "This commute is killing me.",
        "I could kill for a coffee.",
        "I'm dead tired.",
        "I cut myself some slack this week.",
        "I burned myself on the stove.",
        "Hi, how are you?",
    ],
)
def test_ordinary_idioms_and_accidents_are_not_risk(text: str) -> None:
    assert _client(text) == []


def test_a_clinicians_documented_denial_is_a_denial() -> None:
    said = find_risks([Segment(0, 3, "He denied suicidal ideation.", "Speaker 1")], [], speaker_roles=ROLES)
    assert [i.status for i in said] == ["denied"]
    assert _kinds(_typed("Pt denies SI/HI.")) == [("suicide", "denied", None), ("harm_to_others", "denied", None)]


def test_doubt_about_a_denial_is_reported_risk() -> None:
    assert [i.status for i in _client("I'm not sure I don't want to kill myself.")] == ["endorsed"]


def test_someone_elses_risk_is_theirs() -> None:
    assert [i.status for i in _client("My friend tried to kill himself.")] == ["other_person"]
    assert [i.status for i in _typed("Client's father died by suicide when she was ten.")] == ["other_person"]
    # In documentation "she" is the client.
    assert [i.status for i in _typed("She reported wanting to kill herself.")] == ["endorsed"]


def test_a_typed_report_of_the_clients_words_is_the_clients_risk() -> None:
    items = _typed("Client said some evenings he can't go on; safety plan reviewed.")
    assert _kinds(items) == [("suicide", "endorsed", "wish_to_be_dead")]


def test_a_typed_summary_of_passive_ideation_keeps_the_denial_of_plan_and_intent() -> None:
    items = _typed("Client reports passive SI without plan or intent.")
    assert _kinds(items) == [
        ("suicide", "endorsed", "wish_to_be_dead"),
        ("suicide", "denied", "plan"),
        ("suicide", "denied", "intent"),
    ]


def test_a_qualifier_in_the_next_sentence_is_kept_as_context() -> None:
    first, second = "Sometimes I think everyone would be better off without me.", "I would never do anything though."
    items = _client(f"{first} {second}")
    assert _kinds(items) == [("suicide", "endorsed", "wish_to_be_dead"), ("suicide", "denied", "intent")]
    assert (items[0].quote, items[0].context) == (first, second)
    assert (items[1].quote, items[1].context) == (second, first)


def test_a_time_in_the_next_sentence_makes_an_attempt_historical() -> None:
    items = _client("I tried to overdose once. That was almost ten years ago.")
    assert _kinds(items) == [("suicide", "historical", "attempt")]


def test_an_answer_to_a_screening_question_is_an_item_with_the_question_as_context() -> None:
    question, answer = "Have you had any thoughts of suicide this week?", "Yes, a few times."
    segments = [Segment(0, 3, question, "Speaker 1"), Segment(3, 5, answer, "Speaker 2")]
    (item,) = find_risks(segments, [], speaker_roles=ROLES)
    assert (item.category, item.status, item.quote, item.context, item.speaker) == (
        "suicide",
        "endorsed",
        answer,
        question,
        "Speaker 2",
    )
    denial = [Segment(0, 3, "Any thoughts of hurting yourself?", "Speaker 1"), Segment(3, 5, "No, none.", "Speaker 2")]
    assert [(i.category, i.status) for i in find_risks(denial, [], speaker_roles=ROLES)] == [("self_harm", "denied")]


def test_an_unanswered_screening_question_is_not_an_item() -> None:
    segments = [
        Segment(0, 3, "Have you had any thoughts of suicide?", "Speaker 1"),
        Segment(3, 6, "I've been sleeping badly.", "Speaker 2"),
    ]
    assert find_risks(segments, [], speaker_roles=ROLES) == []


def test_with_nothing_known_about_the_speakers_a_question_is_the_clinicians() -> None:
    segments = [Segment(0, 3, "Have you had any thoughts of suicide?"), Segment(3, 5, "No, never.")]
    assert [(i.category, i.status) for i in find_risks(segments, [])] == [("suicide", "denied")]


def test_protective_factors_are_the_ones_the_client_names() -> None:
    (item,) = _client("I think about dying but I would never leave my kids.")
    assert item.protective_factors == ("children",)
    (plain,) = _client("I think about dying.")
    assert plain.protective_factors == ()


def test_without_named_roles_the_speakers_are_told_apart_by_how_they_talk() -> None:
    segments = [
        Segment(0, 3, "How have you been sleeping? Any thoughts of suicide?", "Speaker 1"),
        Segment(3, 6, "Yeah, most nights.", "Speaker 2"),
        Segment(6, 9, "Can you tell me more about that?", "Speaker 1"),
        Segment(9, 12, "My brother cuts himself and I worry about him.", "Speaker 2"),
    ]
    assert [(i.category, i.status, i.speaker) for i in find_risks(segments, [])] == [
        ("suicide", "endorsed", "Speaker 2"),
        ("self_harm", "other_person", "Speaker 2"),
    ]


# --- merging with what the model reported -----------------------------------------------------


def test_merge_keeps_found_items_and_adds_only_new_model_statements() -> None:
    found = _client("Some nights I just want to kill myself.")
    from_model = [
        RiskItem(category="suicide", status="endorsed", quote="I just want to kill myself", source="llm"),
        RiskItem(category="self_harm", status="endorsed", quote="I just want to kill myself", source="llm"),
        RiskItem(category="abuse", status="denied", quote="Her brother pushed her last year.", source="llm"),
    ]
    merged = merge_risks(found, from_model)
    assert [(i.category, i.source, i.status) for i in merged] == [
        ("suicide", "transcript", "endorsed"),
        ("self_harm", "llm", "endorsed"),
        ("abuse", "llm", "denied"),
    ]
    assert merge_risks(merged, merged) == merged


def test_merge_keeps_every_found_item_of_one_sentence() -> None:
    found = _typed("Client reports passive SI without plan or intent.")
    assert len(found) == 3
    assert merge_risks(found, found) == found


# --- the pipeline -----------------------------------------------------------------------------


def test_the_pipeline_is_built_once_per_process() -> None:
    nlp = pipeline()
    assert pipeline() is nlp


def test_no_text_reaches_the_logs(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Zanzibar"
    find_risks(
        [Segment(0, 4, f"I want to kill myself in {secret}.", "Speaker 2")],
        [TextInput("session_summary", f"Pt denies SI in {secret}.", "in-1")],
    )
    out, err = capfd.readouterr()
    assert secret not in out and secret not in err
    assert all(secret not in record.getMessage() for record in caplog.records)


# --- the labelled corpus ----------------------------------------------------------------------


@dataclass
class _Scores:
    endorsed: int = 0
    endorsed_found: int = 0
    negatives: int = 0
    false_endorsements: int = 0
    labels: int = 0
    labels_right: int = 0
    levels: int = 0
    levels_right: int = 0
    exact: int = 0
    entries: int = 0
    misses: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.entries} items; endorsed recall {self.recall:.3f} ({self.endorsed_found}/{self.endorsed}), "
            f"false endorsements {self.false_rate:.3f} ({self.false_endorsements}/{self.negatives}), "
            f"status accuracy {self.accuracy:.3f} ({self.labels_right}/{self.labels}), "
            f"level accuracy {self.levels_right}/{self.levels}, exact {self.exact}/{self.entries}"
        )

    @property
    def recall(self) -> float:
        return self.endorsed_found / max(self.endorsed, 1)

    @property
    def false_rate(self) -> float:
        return self.false_endorsements / max(self.negatives, 1)

    @property
    def accuracy(self) -> float:
        return self.labels_right / max(self.labels, 1)


def _entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _run(entry: dict[str, Any]) -> list[RiskItem]:
    if "turns" in entry:
        segments = [
            Segment(5.0 * i, 5.0 * i + 4, text, "Speaker 1" if role == "therapist" else "Speaker 2")
            for i, (role, text) in enumerate(entry["turns"])
        ]
        return find_risks(segments, [], speaker_roles=ROLES)
    if entry["who"] == "input":
        return _typed(entry["text"])
    speaker = "Speaker 1" if entry["who"] == "clinician" else "Speaker 2"
    return find_risks([Segment(0.0, 4.0, entry["text"], speaker)], [], speaker_roles=ROLES)


def _expected(entry: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(category, status) -> the C-SSRS levels the label names (may be empty)."""
    expected: dict[tuple[str, str], set[str]] = {}
    for label in entry["expect"]:
        category, status, *levels = label.split()
        expected.setdefault((category, status), set()).update(levels)
    return expected


def _score(entries: list[dict[str, Any]]) -> _Scores:
    scores = _Scores()
    for entry in entries:
        items = _run(entry)
        _score_entry(scores, entry, _expected(entry), items)
    return scores


def _score_entry(
    scores: _Scores, entry: dict[str, Any], expected: dict[tuple[str, str], set[str]], items: list[RiskItem]
) -> None:
    found: dict[tuple[str, str], set[str | None]] = {}
    for item in items:
        found.setdefault((item.category, item.status), set()).add(item.level)
    scores.entries += 1
    scores.exact += set(found) == set(expected)
    if not any(status == "endorsed" for _, status in expected):
        scores.negatives += 1
        if any(status == "endorsed" for _, status in found):
            scores.false_endorsements += 1
            scores.misses.append(f"false endorsement: {entry}")
    if not expected:
        scores.labels += 1
        scores.labels_right += not found
        if found:
            scores.misses.append(f"not risk: {entry} -> {sorted(found)}")
    for key, levels in expected.items():
        right = key in found
        scores.labels += 1
        scores.labels_right += right
        if key[1] == "endorsed":
            scores.endorsed += 1
            scores.endorsed_found += right
        if levels:
            scores.levels += len(levels)
            scores.levels_right += len(levels & found.get(key, set()))  # type: ignore[operator]
            if right and not levels <= found[key]:  # type: ignore[operator]
                scores.misses.append(f"level {sorted(levels)} of {key}: {entry} -> {sorted(map(str, found[key]))}")
        if not right:
            scores.misses.append(f"missed {key}: {entry} -> {sorted(found)}")


def test_the_corpus_covers_every_status_and_category_and_who_says_it() -> None:
    entries = _entries(CORPUS) + [entry for path in HELD_OUT for entry in _entries(path)]
    assert len(entries) >= 300
    cells = Counter(tuple(label.split()[:2]) for entry in entries for label in entry["expect"])
    assert all(cells[(category, status)] >= 2 for category in CATEGORIES for status in RISK_STATUSES), cells
    speakers = Counter(entry.get("who", "turns") for entry in entries)
    assert min(speakers[who] for who in ("client", "clinician", "input", "turns")) >= 10, speakers
    groups = Counter(entry["group"] for entry in entries)
    assert {"indirect", "idiom", "negation_trap", "neighbour", "abbreviation", "qa"} <= set(groups)


def test_the_corpus_is_read_as_labelled(capsys: pytest.CaptureFixture[str]) -> None:
    parts = {"tuned on": _score(_entries(CORPUS))}
    parts.update({f"held-out part {n}": _score(_entries(path)) for n, path in enumerate(HELD_OUT, start=1)})
    everything = _Scores()
    for part in parts.values():
        for name in (
            "endorsed",
            "endorsed_found",
            "negatives",
            "false_endorsements",
            "labels",
            "labels_right",
            "levels",
            "levels_right",
            "exact",
            "entries",
        ):
            setattr(everything, name, getattr(everything, name) + getattr(part, name))
        everything.misses += part.misses
    with capsys.disabled():
        print()
        for name, scores in (("all", everything), *parts.items()):
            print(scores.line(f"risk corpus, {name}"))
            if name in FIRST_LOOK:
                print(f"    first measurement, before it was tuned on: {FIRST_LOOK[name]}")
        for miss in everything.misses:
            print("  ", miss)
    assert everything.recall >= 0.98
    assert everything.false_rate <= 0.03
    assert everything.accuracy >= 0.93


def test_the_corpus_protective_factors_are_found() -> None:
    entries = [e for path in (CORPUS, *HELD_OUT) for e in _entries(path) if "protective" in e]
    assert entries
    for entry in entries:
        found = {factor for item in _run(entry) for factor in item.protective_factors}
        assert set(entry["protective"]) <= found, entry
