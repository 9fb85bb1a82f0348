"""The client's words in the clinical third person, quoted when that is not safe; the clinician's
words to the client turned into the plan's third person."""

from __future__ import annotations

import pytest

from notes.voice import client_statement, fragment, has_first_person, second_to_third


@pytest.mark.parametrize(
    ("said", "written"),
    [
        (
            "I missed two doses of my medication because I felt dizzy.",
            "Client reported missing two doses of their medication because they felt dizzy.",
        ),
        (
            "I left my cart and sat in the car for twenty minutes.",
            "Client reported leaving their cart and sitting in the car for twenty minutes.",
        ),
        ("I was tired and I am sad.", "Client reported that they were tired and they are sad."),
        ("It was very hard.", "Client reported that it was very hard."),
        ("I used to walk my dog in the park.", "Client reported that they used to walk their dog in the park."),
        ("I stopped keeping beer in the fridge.", "Client reported that they stopped keeping beer in the fridge."),
        ("My heart was racing.", "Client reported that their heart was racing."),
    ],
)
def test_client_sentences_become_third_person_statements(said: str, written: str) -> None:
    assert client_statement(said) == written


@pytest.mark.parametrize(
    "said",
    [
        "We laughed about his terrible fishing stories.",  # "we" is ambiguous
        "The lamp, the window, your desk.",  # "your" cannot be resolved
        "Not good.",  # a fragment has no subject to convert
    ],
)
def test_sentences_that_cannot_be_converted_safely_are_quoted(said: str) -> None:
    assert client_statement(said) == f'Client stated: "{said}"'


def test_answers_become_fragments_after_a_label() -> None:
    assert fragment("I'm eating one meal a day.") == "Eating one meal a day."
    assert fragment("I've been sleeping about five hours a night.") == "Sleeping about five hours a night."
    assert fragment("Honestly pretty low.") == "Pretty low."


def test_numbers_and_comparisons_are_kept_exactly() -> None:
    said = "I drank on two days this week, down from five days a week last month."
    written = "Client reported drinking on two days this week, down from five days a week last month."
    assert client_statement(said) == written


def test_clinician_instructions_turn_to_the_third_person() -> None:
    assert second_to_third("schedule two short walks with your dog before our next session") == (
        "schedule two short walks with their dog before the next session"
    )
    assert second_to_third("I'd like to refer you") is None  # the clinician's own first person is not converted
    assert second_to_third("try the time-out and use I-statements when you come back") == (
        "try the time-out and use I-statements when they come back"
    )


def test_first_person_is_found_outside_quotes_only() -> None:
    assert has_first_person("Client said my dog")
    assert not has_first_person('Client stated: "I am tired."')
    assert not has_first_person("Homework: use I-statements.")
