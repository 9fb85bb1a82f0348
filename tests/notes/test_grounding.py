from __future__ import annotations

import pytest

from notes.context import PriorNote, TextInput
from notes.document import NO_CONTENT, NoteSection, Sentence
from notes.grounding import ground
from tests.notes.conftest import fifty_minutes, make_ctx
from transcription.types import Segment

MEDS = [
    Segment(0.0, 6.0, "I've been taking 50 mg of sertraline every morning.", "Speaker 2"),
    Segment(6.5, 9.0, "I did take it every day this week.", "Speaker 2"),
    Segment(9.5, 14.0, "My appointment with Dr. Lee is on March 3.", "Speaker 2"),
]


def _check(text: str, segments: list[Segment] | None = None, **fields: object) -> Sentence:
    ctx = make_ctx("soap", segments=segments, **fields)
    (section,) = ground([NoteSection(key="s", title="S", sentences=[Sentence(text=text)])], ctx)
    return section.sentences[0]


def test_a_paraphrase_of_the_transcript_is_supported_with_timed_evidence() -> None:
    sentence = _check("The client spent most of Saturday in bed.")
    assert sentence.supported and sentence.issue == ""
    quotes = [e.quote for e in sentence.evidence]
    assert "It was on Saturday." in quotes
    assert all(e.source == "transcript" and e.start is not None for e in sentence.evidence)


def test_an_invented_sentence_is_unsupported() -> None:
    sentence = _check("The client went hiking with friends in the mountains.")
    assert not sentence.supported and sentence.evidence == [] and sentence.issue


@pytest.mark.parametrize(
    ("text", "supported"),
    [
        ("Client takes 50 mg of sertraline each morning.", True),
        ("Client takes fifty milligrams of sertraline each morning.", True),
        ("Client takes Zoloft 50 mg every morning.", True),  # brand name of the same drug
        ("Client takes 100 mg of sertraline each morning.", False),
        ("Client takes 50 mcg of sertraline each morning.", False),
        ("Client takes 50 mg of fluoxetine each morning.", False),
    ],
)
def test_doses_and_medications_must_match_exactly(text: str, supported: bool) -> None:
    assert _check(text, MEDS).supported is supported


@pytest.mark.parametrize(
    ("text", "supported"),
    [
        ("Client did take the medication every day this week.", True),
        ("Client did not take the medication every day this week.", False),
        ("She emailed her manager on Wednesday.", True),
        ("She did not email her manager on Wednesday.", False),
    ],
)
def test_negation_must_match(text: str, supported: bool) -> None:
    segments = MEDS if "medication" in text else None
    assert _check(text.replace("the medication", "it"), segments).supported is supported


def test_an_affirmation_of_a_denied_statement_is_unsupported() -> None:
    segments = [Segment(0, 3, "I didn't sleep well at all this week.", "Speaker 2")]
    assert not _check("Client slept well this week.", segments).supported
    assert _check("Client has not slept well this week.", segments).supported


@pytest.mark.parametrize(
    ("text", "supported"),
    [
        ("Client emailed her manager on Wednesday.", True),
        ("Client emailed her manager on Thursday.", False),
        ("Client emailed her manager yesterday.", False),
        ("Her appointment with Dr. Lee is on March 3.", True),
        ("Her appointment with Dr. Lee is on March 5.", False),
        ("Her appointment with Dr. Lee is on April 3.", False),
    ],
)
def test_days_and_dates_must_match(text: str, supported: bool) -> None:
    segments = MEDS if "Lee" in text else None
    assert _check(text, segments).supported is supported


def test_number_words_and_digits_are_the_same_number() -> None:
    assert _check("Client will start with 3 mornings a week next month.").supported
    assert not _check("Client will start with four mornings a week next month.").supported


def test_inputs_and_prior_notes_can_support_a_sentence() -> None:
    inputs = [TextInput("post_session", "Client engaged well and completed the breathing exercise.", "in-1")]
    prior = [PriorNote("note-9", "2024-01-02", "Client was referred by her GP for low mood after a bereavement.")]
    typed = _check("Client completed the breathing exercise.", inputs=inputs, prior_notes=prior)
    assert typed.supported and typed.evidence[0].source == "input" and typed.evidence[0].ref == "in-1"
    history = _check("The GP referred her for low mood after a bereavement.", inputs=inputs, prior_notes=prior)
    assert history.supported and history.evidence[0].source == "prior_note"


def test_placeholders_and_short_answers() -> None:
    ctx = make_ctx("soap")
    marker = Sentence(text=NO_CONTENT, placeholder=True)
    sentences = [marker, Sentence(text="Yes."), Sentence(text="No.")]
    (section,) = ground([NoteSection(key="s", title="S", sentences=sentences)], ctx)
    assert section.sentences[0] is marker
    assert section.sentences[1].supported and not section.sentences[2].supported


def test_grounding_a_fifty_minute_transcript_finds_each_claims_source() -> None:
    ctx = make_ctx("soap", segments=fifty_minutes())
    claims = {
        "The client spent most of Saturday in bed.": "Saturday",
        "Client emailed her manager on Wednesday.": "Wednesday",
    }
    (section,) = ground([NoteSection(key="s", title="S", sentences=[Sentence(text=t) for t in claims] * 20)], ctx)
    for sentence in section.sentences:
        assert sentence.supported, sentence.text
        assert sentence.evidence and all(e.source == "transcript" and e.start is not None for e in sentence.evidence)
        assert any(claims[sentence.text] in e.quote for e in sentence.evidence), sentence.evidence
