"""Speaker separation on two-voice fixtures, scored by diarization error rate (DER).

The fixtures (tests/fixtures/audio/README.md) are short espeak-ng dialogues with their
true turns: two clearly different voices, two voices whose median pitch is within half
a semitone, and one voice speaking its turns at two pitches 7.7 semitones apart. The
first two must come back as two speakers with DER <= 10%; the last as one speaker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.transcription.diarization import Score, Turn, score
from transcription import voice_encoder
from transcription.audio import decode
from transcription.engine import TranscribeResult
from transcription.speakers import VoicePrint, label_prints, label_speakers, voice_prints
from transcription.types import Segment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
MAX_DER = 0.10


def truth(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{name}.json").read_text()))


def reference(name: str) -> list[Turn]:
    return [Turn(t["speaker"], t["start"], t["end"]) for t in truth(name)["turns"]]


def hypothesis(segments: list[Segment]) -> list[Turn]:
    return [Turn(s.speaker, s.start, s.end) for s in segments]


def report(capsys: pytest.CaptureFixture[str], name: str, result: Score) -> None:
    with capsys.disabled():
        print(f"\n{name}: {result}")


def test_encoder_matches_the_published_model() -> None:
    # Resemblyzer 0.1.4 with torch gave these largest components for this file; the numpy
    # encoder must reproduce the network, not merely something like it.
    embedding = voice_encoder.embed_utterances([decode(FIXTURES / "sertraline.wav")])[0]
    dims = [138, 248, 125, 67, 158, 197, 213, 10]
    expected = [0.28933, 0.27646, 0.25372, 0.23818, 0.19087, 0.18202, 0.17732, 0.15114]
    assert np.allclose(embedding[dims], expected, atol=2e-4)
    assert float(np.linalg.norm(embedding)) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("name", ["two_voices_distinct", "two_voices_similar_pitch"])
def test_two_voices_are_separated_within_ten_percent_der(
    name: str, transcribe_file: Callable[[Path], TranscribeResult], capsys: pytest.CaptureFixture[str]
) -> None:
    path = FIXTURES / f"{name}.flac"
    result = transcribe_file(path)
    labelled = label_speakers(decode(path), result.segments, words=result.words)
    scored = score(reference(name), hypothesis(labelled))
    report(capsys, name, scored)
    assert {s.speaker for s in labelled} == {"Speaker 1", "Speaker 2"}
    assert scored.der <= MAX_DER


def test_one_voice_at_two_pitches_is_one_speaker(
    transcribe_file: Callable[[Path], TranscribeResult], capsys: pytest.CaptureFixture[str]
) -> None:
    path = FIXTURES / "one_voice_two_pitches.flac"
    result = transcribe_file(path)
    labelled = label_speakers(decode(path), result.segments, words=result.words)
    one_speaker = [Turn("A", t.start, t.end) for t in reference("one_voice_two_pitches")]
    report(capsys, "one_voice_two_pitches", score(one_speaker, hypothesis(labelled)))
    assert len({s.speaker for s in labelled}) == 1


def long_session(name: str, rounds: int) -> tuple[np.ndarray, list[Turn]]:
    """The fixture's dialogue `rounds` times over, turns shuffled (a longer, less regular session)."""
    audio = decode(FIXTURES / f"{name}.flac")
    turns = reference(name)
    order = np.random.default_rng(7).permutation(len(turns) * rounds) % len(turns)
    pieces, out, at = [], [], 0.0
    for index in order.tolist():
        turn = turns[index]
        clip = audio[round((turn.start - 0.2) * 16_000) : round((turn.end + 0.3) * 16_000)]
        pieces.append(clip)
        out.append(Turn(turn.speaker, at + 0.2, at + 0.2 + turn.end - turn.start))
        at += len(clip) / 16_000
    return np.concatenate(pieces), out


def pooled_labels(audio: np.ndarray, turns: list[Turn]) -> list[Segment] | None:
    """Prints from two chunks (cut at a turn boundary halfway), labelled once together."""
    segments = [Segment(t.start, t.end, f"turn {i}") for i, t in enumerate(turns)]
    half = len(segments) // 2
    cut = (segments[half - 1].end + segments[half].start) / 2
    first = voice_prints(audio[: round(cut * 16_000)], segments[:half])
    second = voice_prints(audio[round(cut * 16_000) :], segments[half:], offset=cut, first_origin=half)
    return label_prints(first + second)


def test_a_long_similar_pitch_session_in_two_chunks_keeps_its_labels(capsys: pytest.CaptureFixture[str]) -> None:
    audio, turns = long_session("two_voices_similar_pitch", rounds=4)
    labelled = pooled_labels(audio, turns)
    assert labelled is not None
    scored = score(turns, hypothesis(labelled))
    report(capsys, f"two_voices_similar_pitch x4 ({len(audio) / 16_000:.0f} s, 2 chunks)", scored)
    assert scored.der <= MAX_DER


def test_a_long_one_voice_session_in_two_chunks_stays_one_speaker() -> None:
    audio, turns = long_session("one_voice_two_pitches", rounds=4)
    assert pooled_labels(audio, turns) is None


def test_prints_stored_before_the_encoder_changed_are_not_clustered() -> None:
    old = [VoicePrint(Segment(i, i + 2.0, "x"), i, [float(i % 2)] * 13) for i in range(6)]
    assert label_prints(old) is None


def test_a_brief_odd_sound_in_one_voice_is_not_a_second_speaker() -> None:
    # Ten 3-s parts of one voice and one 1.3-s part unlike anything else (a cough, a door):
    # the two groups are far apart, but the odd one holds 4% of the speech.
    rng = np.random.default_rng(5)
    voice, odd = np.abs(rng.standard_normal(256)), np.abs(rng.standard_normal(256))

    def part(i: int, centre: np.ndarray, length: float) -> VoicePrint:
        values = centre + 0.05 * rng.standard_normal(256)
        return VoicePrint(Segment(4.0 * i, 4.0 * i + length, ""), i, (values / np.linalg.norm(values)).tolist())

    prints = [part(i, voice, 3.0) for i in range(10)] + [part(10, odd, 1.3)]
    assert label_prints(prints) is None
    # Two such parts of 3 s (17% of the speech): now they are a second speaker.
    prints[-1] = part(10, odd, 3.0)
    assert label_prints([*prints, part(11, odd, 3.0)]) is not None
