"""Fixtures for the pure audio/Whisper tests: sample paths, one model, cached transcripts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
class BytesRead:
    total: int = 0


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> BytesRead:
    """Counts the bytes FFmpeg reads from recordings: what "looks at the head and the tail only"
    or "decodes only that stretch" means, measured without a clock."""
    counter = BytesRead()
    # Every open in transcription.audio reads through this wrapper (it hides the file name from FFmpeg).
    original = audio._ContentOnly.read

    def read(self: audio._ContentOnly, size: int = -1) -> bytes:
        data = original(self, size)
        counter.total += len(data)
        return data

    monkeypatch.setattr(audio._ContentOnly, "read", read)
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
