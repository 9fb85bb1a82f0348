"""The session's material checked against the chart: the client addressed by another client's name,
a medication or prescriber the chart does not list; and no warning where nothing is wrong."""

from __future__ import annotations

import pytest

from notes.chart_checks import addressed_names, source_warnings, wrong_client_warnings
from notes.context import NoteContext, TextInput
from notes.sources import transcript_units
from notes.styles import BUILTIN_STYLES
from tests.conftest import World
from transcription.types import Segment

ROLES = {"Speaker 1": "therapist", "Speaker 2": "client"}
OTHERS = ["Maria Lopez", "Tom Becker", "Will Hart"]


def warnings(*lines: tuple[str, str], client: str = "Dana Whitfield", others: list[str] = OTHERS) -> list[str]:
    segments = [Segment(i * 5.0, i * 5.0 + 4.0, text, speaker) for i, (speaker, text) in enumerate(lines)]
    found = wrong_client_warnings(transcript_units(segments, ROLES), client_name=client, other_names=others)
    return [w.text for w in found]


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("Hi Maria, come on in.", ["Maria"]),
        ("Good morning, Maria.", ["Maria"]),
        ("Maria, how was the week?", ["Maria"]),
        ("How have you been sleeping, Maria?", ["Maria"]),
        ("Welcome back Maria.", ["Maria"]),
        ("Hi there, come on in.", []),
        ("How is your sister, Maria?", []),
        ("I saw Maria at the shop.", []),
    ],
)
def test_the_names_a_sentence_addresses(sentence: str, names: list[str]) -> None:
    assert addressed_names(sentence) == names


def test_another_clients_name_in_a_greeting_is_a_warning() -> None:
    found = warnings(
        ("Speaker 1", "Hi Maria, good to see you again."),
        ("Speaker 2", "Thanks, it has been a long week."),
        ("Speaker 1", "Tell me about the week, Maria."),
    )
    assert found == [
        "The recording addresses the client as 'Maria', the name of another client of this practice; "
        "check it belongs to Dana Whitfield."
    ]


def test_the_right_name_is_no_warning_first_name_or_full() -> None:
    assert warnings(("Speaker 1", "Hi Dana, good to see you."), ("Speaker 2", "Hi.")) == []
    assert warnings(("Speaker 1", "Good morning, Dana Whitfield."), ("Speaker 2", "Morning.")) == []
    assert warnings(("Speaker 1", "Hi Maria."), client="Maria Lopez", others=["Dana Whitfield", "Maria Kent"]) == []


def test_a_session_that_also_addresses_the_client_by_name_is_theirs() -> None:
    found = warnings(
        ("Speaker 1", "Hi Dana, and hi Tom, thanks for coming in together."),
        ("Speaker 2", "Thanks for having us."),
    )
    assert found == []


def test_names_that_are_not_other_clients_and_mentions_are_no_warning() -> None:
    assert warnings(("Speaker 1", "Hi Priya, come in.")) == []  # not a client of the practice
    assert warnings(("Speaker 2", "I told Maria about it."), ("Speaker 1", "How did Maria take it?")) == []
    assert warnings(("Speaker 1", "How is your friend, Maria?")) == []
    assert warnings(("Speaker 2", "Thanks, Maria said the same.")) == []  # the client speaking of someone


def test_a_client_named_like_a_word_is_only_warned_of_when_addressed() -> None:
    assert warnings(("Speaker 1", "Thanks. Will you try the exercise this week?")) == []
    assert warnings(("Speaker 1", "Thanks, Will, see you next week.")) != []


def test_a_medication_and_prescriber_off_the_chart_are_warnings() -> None:
    ctx = NoteContext(
        style=BUILTIN_STYLES["soap"],
        segments=[
            Segment(0.0, 4.0, "Are you still on the sertraline?", "Speaker 1"),
            Segment(5.0, 9.0, "Yes, Dr. Kim prescribed the sertraline in March.", "Speaker 2"),
            Segment(10.0, 14.0, "And I started buspirone last week.", "Speaker 2"),
        ],
        speaker_roles=ROLES,
        medications=["Sertraline 100 mg, Dr. Patel"],
    )
    texts = [w.text for w in source_warnings(ctx, client_name="Dana Whitfield", other_names=OTHERS)]
    assert texts == [
        "Prescriber of sertraline named as Dr. Kim; the chart lists Dr. Patel. Check the chart or the note.",
        "Client named buspirone, which is not on the chart. Check the chart or the note.",
    ]


def test_medications_as_charted_and_an_empty_chart_are_no_warning() -> None:
    segments = [Segment(0.0, 4.0, "Dr. Patel prescribed the sertraline and I take it daily.", "Speaker 2")]
    ctx = NoteContext(
        style=BUILTIN_STYLES["soap"], segments=segments, speaker_roles=ROLES, medications=["Sertraline, Dr. Patel"]
    )
    assert source_warnings(ctx, client_name="Dana Whitfield", other_names=OTHERS) == []
    ctx.medications = []
    ctx.inputs = [TextInput("session_summary", "Client takes sertraline.", "in-1")]
    assert source_warnings(ctx, client_name="Dana Whitfield", other_names=OTHERS) == []


@pytest.mark.django_db
def test_the_names_checked_are_the_practices_clients_the_author_may_see(world: World) -> None:
    from clients.models import Client
    from notes.models import NoteRequest
    from notes.selectors import other_client_names

    mine = Client.objects.create(practice=world.a.practice, name="Maria Lopez")
    mine.assigned_clinicians.add(world.a.clinician)
    Client.objects.create(practice=world.a.practice, name="Tom Becker")  # not on the author's caseload
    Client.objects.create(practice=world.b.practice, name="Will Hart").assigned_clinicians.add(world.a.clinician)
    request = NoteRequest.objects.create(
        practice=world.a.practice,
        client=world.a.client,
        created_by=world.a.clinician,
        style_key="soap",
        date_of_service="2026-01-07",
        summary_only=True,
    )
    assert other_client_names(practice=world.a.practice, request=request) == ["Maria Lopez"]
    world.a.practice.share_caseload = True
    world.a.practice.save()
    assert sorted(other_client_names(practice=world.a.practice, request=request)) == ["Maria Lopez", "Tom Becker"]
