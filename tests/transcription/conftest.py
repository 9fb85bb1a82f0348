"""Fixtures for the pure audio/Whisper tests: sample paths, one model, cached transcripts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.audio_tools import FIXTURES as FIXTURES
from tests.samples import SAMPLES
from transcription import audio, engine
from transcription.audio import decode
from transcription.engine import TranscribeResult


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@dataclass
class Decoded:
    seconds: float = 0.0


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> Decoded:
    """Counts the seconds of audio transcription.audio decodes: what "looks at the head and the
    tail only" and "decodes only that stretch" mean, measured without a clock."""
    counter = Decoded()
    frames, checked = audio._frames, audio._decodable_seconds

    def counted_frames(container: Any, stream: Any) -> Iterator[Any]:
        for frame in frames(container, stream):
            counter.seconds += frame.samples / (frame.sample_rate or audio.SAMPLE_RATE)
            yield frame

    def counted_check(container: Any, stream: Any, after: float) -> float:
        seconds = checked(container, stream, after=after)
        counter.seconds += seconds
        return seconds

    # The two places that decode: ranged decoding, and probe's head and tail checks.
    monkeypatch.setattr(audio, "_frames", counted_frames)
    monkeypatch.setattr(audio, "_decodable_seconds", counted_check)
    return counter


@pytest.fixture(scope="session")
def model() -> object:
    """The default tiny.en model, loaded once for the whole test session."""
    return engine.get_model()


@pytest.fixture(scope="session")
def transcribe_file(model: object) -> Callable[[Path], TranscribeResult]:
    """Transcribe a file once per session (with word times), however many tests ask."""
    cache: dict[Path, TranscribeResult] = {}

    def run(path: Path) -> TranscribeResult:
        if path not in cache:
            cache[path] = engine.transcribe(decode(path), word_timestamps=True)
        return cache[path]

    return run


@pytest.fixture(scope="session")
def script(samples: Path) -> list[tuple[str, str]]:
    """(speaker letter, line) pairs of the sample's script."""
    lines = (samples / "sample_session.txt").read_text().splitlines()
    return [(line[0], line[3:]) for line in lines if line[:2] in ("T:", "C:")]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, samples: Path) -> Path:
    """A folder of recordings made from the sample at setup: OGG, FLAC, AIFF, a live WebM."""
    from tests import audio_tools

    folder = tmp_path_factory.mktemp("built")
    samples_16k = audio_tools.load(samples / "sample_session.wav")
    for suffix in ("ogg", "flac", "aiff"):
        audio_tools.write(folder / f"sample_session.{suffix}", samples_16k)
    audio_tools.write(folder / "live.webm", samples_16k, streaming=True)
    return folder


@pytest.fixture(scope="session")
def two_hour_mp3(tmp_path_factory: pytest.TempPathFactory, samples: Path) -> Path:
    """The sample remuxed back to back to about 2 h (no re-encoding: built in a second or two)."""
    from tests import audio_tools

    return audio_tools.repeat_packets(
        samples / "sample_session.mp3", tmp_path_factory.mktemp("long") / "two_hours.mp3", 144
    )
