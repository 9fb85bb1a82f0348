"""Checks of the session's material against the chart, shown on the note page before signing.

- *Wrong client*: the recording addresses the client ("Hi Maria", "Maria, how was the week?",
  "How are you, Maria?") by the first name of another client of the practice, and never by
  their own name. A session that also addresses the client by their own name is taken to be
  theirs (a family or couple session may address two clients).
- *Medication*: a medication or prescriber named in the session that differs from the chart's
  medications (``notes.medications``). A chart with no medications is not checked: most charts
  start empty, and a warning on every session would teach clinicians to ignore warnings.

Plain data in, plain data out: the caller passes the names of the other clients, and only
those of the same practice that the note's author may see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from notes.context import NoteContext
from notes.document import SourceWarning
from notes.medications import chart_differences, chart_names
from notes.sources import TextUnit, input_units, transcript_units
from notes.speakers import resolve_speakers

_NAME = r"(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)"
_GREETING = (
    r"(?:hi|hello|hey|morning|good (?:morning|afternoon|evening)|welcome(?: back)?|nice to (?:see|meet) you|"
    r"thanks|thank you|bye|goodbye|see you(?: next \w+)?|take care)"
)
# "your sister, Maria": a name after someone's relation is who they are, not who is spoken to.
_APPOSITION = re.compile(r"\b(?:my|your|his|her|their|our)\s+\w+\s*,?\s*$", re.IGNORECASE)
# The ways a sentence addresses someone by name: after a greeting, first with a comma, last after one.
_ADDRESS = (
    re.compile(rf"\b{_GREETING},?\s+{_NAME}\b", re.IGNORECASE),
    re.compile(rf"^\W*{_NAME},\s"),
    re.compile(rf",\s*{_NAME}\W*$"),
)


def addressed_names(text: str) -> list[str]:
    """First names the sentence addresses someone by, as written."""
    names = []
    for pattern in _ADDRESS:
        for match in pattern.finditer(text):
            name = match.group("name")
            # The greeting pattern ignores case; a name does not.
            if name[0].isupper() and not _APPOSITION.search(text[: match.start("name")]):
                names.append(name)
    return list(dict.fromkeys(names))


def _name_words(name: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[A-Za-z][A-Za-z'-]*", name)}


def wrong_client_warnings(
    units: Iterable[TextUnit], *, client_name: str, other_names: Iterable[str]
) -> list[SourceWarning]:
    """One warning per other client's first name the recording addresses the client by."""
    own = _name_words(client_name)
    others = {
        first.lower()
        for name in other_names
        if (words := re.findall(r"[A-Za-z][A-Za-z'-]*", name)) and (first := words[0]).lower() not in own
    }
    addressed: dict[str, list[TextUnit]] = {}
    for unit in units:
        if unit.source != "transcript" or unit.speaker == "client":
            continue  # the clinician addresses the client
        for name in addressed_names(unit.text):
            addressed.setdefault(name, []).append(unit)
    if any(name.lower() in own for name in addressed):
        return []
    return [
        SourceWarning(
            kind="wrong_client",
            text=f"The recording addresses the client as '{name}', the name of another client of this practice; "
            f"check it belongs to {client_name}.",
            evidence=[unit.evidence() for unit in said[:3]],
        )
        for name, said in addressed.items()
        if name.lower() in others
    ]


def medication_warnings(units: list[TextUnit], chart: list[str], known: tuple[str, ...] = ()) -> list[SourceWarning]:
    if not chart:
        return []
    return [
        SourceWarning(kind="medication", text=f"{fact.text} Check the chart or the note.", evidence=fact.evidence)
        for fact in chart_differences(units, chart, known)
    ]


def source_warnings(ctx: NoteContext, *, client_name: str, other_names: Iterable[str]) -> list[SourceWarning]:
    """Every check, on the session's transcript and typed inputs."""
    roles = resolve_speakers(ctx.segments, ctx.speaker_roles, [i.text for i in ctx.inputs])
    units = transcript_units(ctx.segments, roles or None) + input_units(ctx.inputs)
    known = tuple(chart_names(ctx.medications))
    return [
        *wrong_client_warnings(units, client_name=client_name, other_names=other_names),
        *medication_warnings(units, ctx.medications, known),
    ]
