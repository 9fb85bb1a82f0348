"""Chunk plans for long recordings: contiguous, about the target length, cut in pauses."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from tests import audio_tools
from tests.transcription.conftest import Decoded
from transcription.audio import decode, probe
from transcription.chunking import plan_chunks, quietest_point


@pytest.fixture(scope="module")
def six_minutes(tmp_path_factory: pytest.TempPathFactory, samples: Path) -> Path:
    """The sample seven times over with 3 s gaps of faint hiss between repeats, as an MP3."""
    speech = audio_tools.load(samples / "sample_session.wav")
    parts = [audio_tools.concat(speech, audio_tools.noise(3.0, seed=n)) for n in range(7)]
    return audio_tools.write(tmp_path_factory.mktemp("chunks") / "six_minutes.mp3", audio_tools.concat(*parts))


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def assert_covers(chunks: list[tuple[float, float]], duration: float) -> None:
    assert chunks[0][0] == 0.0
    assert chunks[-1][1] == duration
    for (_, end), (start, _) in itertools.pairwise(chunks):
        assert end == start


def test_a_short_recording_is_one_chunk(samples: Path) -> None:
    assert plan_chunks(samples / "sample_session.wav", duration=50.03, target=300.0) == [(0.0, 50.03)]
    assert plan_chunks(samples / "sample_session.wav", duration=50.03, target=40.0) == [(0.0, 50.03)]


def test_long_recording_boundaries_fall_in_silences(six_minutes: Path) -> None:
    duration = probe(six_minutes, max_duration=3600, max_bytes=10**9).duration
    chunks = plan_chunks(six_minutes, duration=duration, target=60.0, search=15.0)
    assert_covers(chunks, duration)
    assert len(chunks) == round(duration / 60.0)
    speech_level = rms(decode(six_minutes, start=0.0, end=50.0))
    for start, end in chunks:
        assert 60.0 - 2 * 15.0 <= end - start <= 60.0 + 2 * 15.0
    for _, boundary in chunks[:-1]:
        around = decode(six_minutes, start=boundary - 0.15, end=boundary + 0.15)
        assert rms(around) < 0.05 * speech_level, boundary


def test_quietest_point_is_the_middle_of_the_pause() -> None:
    audio = audio_tools.concat(audio_tools.tone(4.0), audio_tools.noise(1.0), audio_tools.tone(5.0))
    point = quietest_point(audio, window_start=100.0, nominal=105.0)
    assert point is not None and 104.2 <= point <= 104.8


def test_planning_a_two_hour_file_decodes_only_around_boundaries(two_hour_mp3: Path, decoded: Decoded) -> None:
    duration = probe(two_hour_mp3, max_duration=4 * 3600, max_bytes=10**10).duration
    before = decoded.seconds
    chunks = plan_chunks(two_hour_mp3, duration=duration)
    # The ±30 s search window around each nominal boundary (a frame more where a seek lands early),
    # nothing in between: about a sixth of the recording.
    assert decoded.seconds - before <= (len(chunks) - 1) * (60.0 + 1.0)
    assert_covers(chunks, duration)
    assert len(chunks) == round(duration / 300.0)
    assert all(240.0 <= end - start <= 360.0 for start, end in chunks)
