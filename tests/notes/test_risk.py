from __future__ import annotations

import pytest

from notes.context import TextInput
from notes.document import RiskFlag
from notes.risk import find_risks, merge_risks
from transcription.types import Segment


def _flags(text: str) -> list[tuple[str, bool]]:
    return [(f.category, f.negated) for f in find_risks([Segment(12.0, 16.0, text, "Speaker 2")], [])]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Some nights I just want to kill myself.", "suicide"),
        ("I've thought about how I would end my life.", "suicide"),
        ("I don't want to be alive anymore.", "suicide"),
        ("Everyone would be better off without me.", "suicide"),
        ("I started cutting myself again last month.", "self_harm"),
        ("When it gets bad I burn myself.", "self_harm"),
        ("Sometimes I want to hurt him so badly.", "harm_to_others"),
        ("I'm going to kill my boss.", "harm_to_others"),
        ("He hits me when he's been drinking.", "abuse"),
        ("My stepdad choked me when I was twelve.", "abuse"),
        ("Pt reports passive SI.", "suicide"),
    ],
)
def test_risk_statements_are_found(text: str, category: str) -> None:
    assert (category, False) in _flags(text)


def test_a_denial_is_still_flagged_but_marked_negated() -> None:
    assert _flags("I would never hurt myself.") == [("self_harm", True)]
    assert _flags("Client denies SI, HI.") == [("suicide", True), ("harm_to_others", True)]


def test_a_leading_no_does_not_negate_a_following_statement() -> None:
    assert _flags("No, I want to kill myself.") == [("suicide", False)]


def test_the_clinicians_screening_question_is_flagged() -> None:
    assert _flags("Have you had any thoughts of suicide this week?") == [("suicide", False)]


def test_benign_talk_is_not_flagged(segments: list[Segment]) -> None:
    benign = [Segment(0, 2, "I hurt my back moving boxes."), Segment(2, 4, "Hi, how are you?")]
    assert find_risks(segments + benign, []) == []


def test_flags_carry_time_and_source() -> None:
    segments = [Segment(0.0, 3.0, "Fine."), Segment(30.0, 40.0, "It was fine. But I want to die.", "Speaker 2")]
    inputs = [TextInput("post_session", "Client disclosed that her partner hits her.", "in-3")]
    flags = find_risks(segments, inputs)
    assert [(f.category, f.source, f.quote) for f in flags] == [
        ("suicide", "transcript", "But I want to die."),
        ("abuse", "input", "Client disclosed that her partner hits her."),
    ]
    assert 30.0 < (flags[0].start or 0) < 40.0 and flags[1].start is None and flags[1].ref == "in-3"


def test_merge_keeps_found_flags_and_adds_only_new_model_flags() -> None:
    found = [RiskFlag("suicide", "Some nights I just want to kill myself.", 12.0, "transcript")]
    from_llm = [
        RiskFlag("suicide", "I just want to kill myself", None, "llm"),
        RiskFlag("self_harm", "I just want to kill myself", None, "llm"),
        RiskFlag("abuse", "Her brother pushed her last year.", None, "llm"),
    ]
    merged = merge_risks(found, from_llm)
    assert [(f.category, f.source) for f in merged] == [
        ("suicide", "transcript"),
        ("self_harm", "llm"),
        ("abuse", "llm"),
    ]
