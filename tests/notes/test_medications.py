"""Medication facts from a session and the client's chart: what was said of each medication, and
each difference from the chart said plainly, with nothing the session did not say."""

from __future__ import annotations

from notes import voice
from notes.context import NoteContext
from notes.medications import medication_facts
from notes.offline import offline_draft
from notes.sources import transcript_units
from notes.styles import BUILTIN_STYLES
from transcription.types import Segment

ROLES = {"Speaker 1": "therapist", "Speaker 2": "client"}
CHART = ["Sertraline 100 mg each morning, Dr. Patel", "Trazodone 50 mg at bedtime"]


def facts(*lines: tuple[str, str], chart: list[str] = CHART) -> list[str]:
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, text, speaker) for i, (speaker, text) in enumerate(lines)]
    return [f.text for f in medication_facts(transcript_units(segments, ROLES), chart)]


def test_a_medication_off_the_chart_is_named_as_a_fact_to_check() -> None:
    texts = facts(("Speaker 2", "I started taking buspirone last week and it makes me dizzy."))
    assert "Medication (buspirone, not on the chart): started; taking; side effect reported: dizzy." not in texts
    assert "Medication (buspirone, not on the chart): started; side effect reported: dizzy." in texts
    assert "Client named buspirone, which is not on the chart." in texts


def test_a_charted_medication_is_summarised_and_a_denial_is_not_a_miss() -> None:
    texts = facts(
        ("Speaker 1", "Have you missed any doses of the sertraline?"),
        ("Speaker 2", "No, I haven't missed any."),
    )
    assert texts == ["Medication (sertraline, on the chart): discussed."]


def test_a_different_prescriber_is_stated_and_nothing_is_inferred() -> None:
    texts = facts(
        ("Speaker 2", "I stopped the trazodone because I felt groggy."),
        ("Speaker 2", "Dr. Ruiz prescribed my sertraline last month."),
    )
    assert "Medication (trazodone, on the chart): stopped; side effect reported: groggy." in texts
    assert "Prescriber of sertraline named as Dr. Ruiz; the chart lists Dr. Patel." in texts
    assert not any("trazodone" in t and "Ruiz" in t for t in texts)


def test_an_empty_chart_is_said_as_it_is() -> None:
    assert facts(("Speaker 2", "I take lithium at night."), chart=[]) == [
        "Medication (lithium, not on the chart): taking.",
        "Client named lithium; the chart lists no medications.",
    ]


def test_the_drafter_puts_medication_facts_in_the_assessment_and_protective_factors_with_risk() -> None:
    segments = [
        Segment(0.0, 4.0, "Have you had thoughts of ending your life?", "Speaker 1"),
        Segment(4.5, 8.0, "Sometimes, but I could never do that to my kids.", "Speaker 2"),
        Segment(8.5, 12.0, "Are you still taking the sertraline?", "Speaker 1"),
        Segment(12.5, 16.0, "I missed two doses because it made me nauseous.", "Speaker 2"),
    ]
    ctx = NoteContext(style=BUILTIN_STYLES["soap"], segments=segments, speaker_roles=ROLES, medications=CHART)
    assessment = [s.text for s in offline_draft(ctx).sections[2].sentences]
    assert "Medication (sertraline, on the chart): missed doses; side effect reported: nauseous." in assessment
    assert any(t.startswith("Protective factors (children): ") for t in assessment), assessment


def test_an_answer_is_paired_with_the_question_it_answers() -> None:
    assert voice.indirect_question("When is your next appointment with Dr. Lee?") == (
        "when their next appointment with Dr. Lee is"
    )
    assert voice.indirect_question("What did you do when it started?") == "what they did when it started"
    assert voice.indirect_question("How often are you two arguing like this?") == "how often they are arguing like this"
    assert voice.indirect_question("How have things been since we last met?") is None
    assert voice.indirect_question("Are you sleeping?") is None
