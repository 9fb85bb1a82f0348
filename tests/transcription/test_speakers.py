"""Offline two-speaker labelling on the sample session, checked against its script."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from transcription.audio import decode
from transcription.engine import TranscribeResult
from transcription.speakers import label_prints, label_speakers, voice_prints
from transcription.types import Segment

ROLE = {"T": "Speaker 1", "C": "Speaker 2"}  # the therapist speaks first


def accuracy(labelled: list[Segment], script: list[tuple[str, str]]) -> float:
    """Share of speech time whose label matches the script (segments follow the script's turns)."""
    assert len(labelled) == len(script)
    total = sum(s.end - s.start for s in labelled)
    right = sum(s.end - s.start for s, (who, _) in zip(labelled, script, strict=True) if s.speaker == ROLE[who])
    return right / total


@pytest.mark.parametrize("name", ["sample_session.wav", "sample_session.webm"])
def test_sample_speakers_match_the_script(
    samples: Path, transcribe_file: Callable[[Path], TranscribeResult], script: list[tuple[str, str]], name: str
) -> None:
    result = transcribe_file(samples / name)
    labelled = label_speakers(decode(samples / name), result.segments)
    assert accuracy(labelled, script) == 1.0
    assert [s.text for s in labelled] == [s.text for s in result.segments]


def test_one_voice_is_left_unlabelled(samples: Path, transcribe_file: Callable[[Path], TranscribeResult]) -> None:
    result = transcribe_file(samples / "sample_session.wav")
    therapist_only = result.segments[0::2]
    client_only = result.segments[1::2]
    audio = decode(samples / "sample_session.wav")
    assert {s.speaker for s in label_speakers(audio, therapist_only)} == {""}
    assert {s.speaker for s in label_speakers(audio, client_only)} == {""}


def test_segments_spanning_a_turn_change_are_split_at_the_pause(
    samples: Path, transcribe_file: Callable[[Path], TranscribeResult], script: list[tuple[str, str]]
) -> None:
    result = transcribe_file(samples / "sample_session.wav")
    pairs = zip(result.segments[0::2], result.segments[1::2], strict=True)
    merged = [Segment(t.start, c.end, f"{t.text} {c.text}") for t, c in pairs]
    labelled = label_speakers(decode(samples / "sample_session.wav"), merged, words=result.words)
    assert accuracy(labelled, script) >= 0.95


def test_prints_from_separate_chunks_get_consistent_labels(
    samples: Path, transcribe_file: Callable[[Path], TranscribeResult], script: list[tuple[str, str]]
) -> None:
    result = transcribe_file(samples / "sample_session.wav")
    cut = result.segments[4].start  # between the 4th and 5th turns
    first = [s for s in result.segments if s.end <= cut]
    second = [s for s in result.segments if s.start >= cut]
    prints = voice_prints(decode(samples / "sample_session.wav", end=cut), first)
    prints += voice_prints(
        decode(samples / "sample_session.wav", start=cut), second, offset=cut, first_origin=len(first)
    )
    labelled = label_prints(prints)
    assert labelled is not None
    assert accuracy(labelled, script) == 1.0
