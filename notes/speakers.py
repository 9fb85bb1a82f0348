"""Who is speaking: each speaker label mapped to "therapist" or "client", from the names the
clinician gave or, failing that, from how the speakers talk."""

from __future__ import annotations

import re

from notes.text import split_sentences
from transcription.types import Segment

THERAPIST_ROLES = frozenset({"therapist", "clinician", "counselor", "counsellor", "provider", "psychologist"})
NAMED_ROLES = THERAPIST_ROLES | {"client", "patient"}


def resolve_speakers(segments: list[Segment], speaker_roles: dict[str, str] | None) -> dict[str, str]:
    """Map each speaker label to "therapist" or "client" from the given roles, else by a heuristic.

    A speaker the clinician named by role ("Therapist", "Client") has that role, and with two
    speakers the other one has the other role. Otherwise, among labelled speakers, the one whose
    sentences most often look like a clinician's (questions, second person) is the therapist;
    everyone else is a client.
    """
    if speaker_roles:
        return {label: _normalize_role(role) for label, role in speaker_roles.items()}
    by_label: dict[str, list[str]] = {}
    for segment in segments:
        if segment.speaker:
            by_label.setdefault(segment.speaker, []).extend(split_sentences(segment.text))
    named = {label: _normalize_role(label) for label in by_label if label.strip().lower() in NAMED_ROLES}
    if named:
        if len(by_label) == 2 and len(named) == 1:
            (role,) = named.values()
            named.update({label: "client" if role == "therapist" else "therapist"
                          for label in by_label if label not in named})
        return named
    if len(by_label) < 2:
        return {}
    share = {
        label: sum(guess_role(s) == "therapist" for s in sents) / len(sents)
        for label, sents in by_label.items()
        if sents
    }
    therapist = max(share, key=lambda label: share[label])
    return {label: "therapist" if label == therapist else "client" for label in by_label}


def _normalize_role(role: str) -> str:
    role = role.strip().lower()
    return "therapist" if role in THERAPIST_ROLES else "client" if role else ""


_SECOND_PERSON = re.compile(r"\b(you|your|you're|you've|yourself)\b", re.IGNORECASE)
FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|i'll|my|me|myself|we|our|us)\b", re.IGNORECASE)


def guess_role(sentence: str) -> str:
    """Per-sentence guess when no speaker information exists: clinicians ask and address the client."""
    if sentence.rstrip().endswith("?") or _SECOND_PERSON.search(sentence):
        return "therapist"
    return "client" if FIRST_PERSON.search(sentence) else ""

