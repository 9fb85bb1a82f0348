"""Probing, validation and ranged decoding of uploaded recordings."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests import audio_tools
from tests.transcription.conftest import Decoded
from transcription.audio import SAMPLE_RATE, AudioRejected, decode, format_duration, probe

BIG = 10**10
FOUR_HOURS = 4 * 3600.0


def check(path: Path, *, max_duration: float = FOUR_HOURS, max_bytes: int = BIG) -> str:
    """The rejection code for `path`, or "ok"."""
    try:
        probe(path, max_duration=max_duration, max_bytes=max_bytes)
    except AudioRejected as rejected:
        assert rejected.message and rejected.message[0].isupper()
        return rejected.code
    return "ok"


@pytest.mark.parametrize(
    ("name", "fmt", "codec"),
    [
        ("sample_session.wav", "wav", "pcm_s16le"),
        ("sample_session.mp3", "mp3", "mp3"),
        ("sample_session.m4a", "m4a", "aac"),
        ("sample_session.webm", "webm", "opus"),
    ],
)
def test_each_sample_format_is_recognised(samples: Path, name: str, fmt: str, codec: str) -> None:
    info = probe(samples / name, max_duration=FOUR_HOURS, max_bytes=BIG)
    assert (info.format, info.codec, info.channels) == (fmt, codec, 1)
    assert info.duration == pytest.approx(50.0, abs=0.2)
    assert info.sample_rate in (16_000, 48_000)


@pytest.mark.parametrize(("name", "fmt"), [("sample_session.ogg", "ogg"), ("sample_session.flac", "flac")])
def test_ogg_and_flac_made_from_the_wav_are_recognised(built: Path, name: str, fmt: str) -> None:
    info = probe(built / name, max_duration=FOUR_HOURS, max_bytes=BIG)
    assert info.format == fmt
    assert info.duration == pytest.approx(50.0, abs=0.2)


def test_format_comes_from_content_not_extension(samples: Path, tmp_path: Path) -> None:
    disguised = shutil.copyfile(samples / "sample_session.mp3", tmp_path / "recording.wav")
    assert probe(disguised, max_duration=FOUR_HOURS, max_bytes=BIG).format == "mp3"
    text = shutil.copyfile(samples / "sample_session.txt", tmp_path / "notes.wav")
    assert check(text) == "not_audio"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty.wav", "empty"),
        ("not_audio.mp3", "not_audio"),
        ("truncated.m4a", "damaged"),
        ("sample_session.txt", "not_audio"),
    ],
)
def test_bad_samples_are_refused_with_the_right_code(samples: Path, name: str, code: str) -> None:
    assert check(samples / name) == code


def test_messages_are_plain_language(samples: Path) -> None:
    with pytest.raises(AudioRejected) as empty:
        probe(samples / "empty.wav", max_duration=FOUR_HOURS, max_bytes=BIG)
    assert empty.value.message == "This file is empty."
    with pytest.raises(AudioRejected) as text:
        probe(samples / "not_audio.mp3", max_duration=FOUR_HOURS, max_bytes=BIG)
    assert "MP3, WAV, M4A, WEBM, OGG and FLAC" in text.value.message


def test_a_container_we_do_not_accept_is_unsupported(built: Path) -> None:
    assert check(built / "sample_session.aiff") == "unsupported_format"


@pytest.mark.parametrize("name", ["sample_session.mp3", "sample_session.m4a", "sample_session.webm"])
def test_a_file_cut_in_half_is_damaged(samples: Path, tmp_path: Path, name: str) -> None:
    half = audio_tools.truncate(samples / name, tmp_path / name, keep=0.5)
    assert check(half) == "damaged"


def test_a_flac_cut_short_is_damaged(built: Path, tmp_path: Path) -> None:
    cut = audio_tools.truncate(built / "sample_session.flac", tmp_path / "cut.flac", keep=0.8)
    assert check(cut) == "damaged"


def test_over_length_is_refused_with_both_lengths(samples: Path) -> None:
    with pytest.raises(AudioRejected) as rejected:
        probe(samples / "sample_session.wav", max_duration=30, max_bytes=BIG)
    assert rejected.value.code == "too_long"
    assert rejected.value.message == "This recording is 50 s long; the limit is 30 s."


def test_over_size_is_refused_before_opening(samples: Path) -> None:
    assert check(samples / "sample_session.wav", max_bytes=1_000_000) == "too_large"


def test_durations_read_as_hours_and_minutes() -> None:
    assert format_duration(4 * 3600 + 12 * 60 + 5) == "4 h 12 min"
    assert format_duration(4 * 3600) == "4 h"
    assert format_duration(38 * 60 + 59) == "38 min"


def test_a_live_webm_without_duration_is_measured(built: Path) -> None:
    info = probe(built / "live.webm", max_duration=FOUR_HOURS, max_bytes=BIG)
    assert info.format == "webm"
    assert info.duration == pytest.approx(50.0, abs=0.2)


def test_probing_a_two_hour_file_decodes_only_a_moment_at_its_head_and_tail(
    two_hour_mp3: Path, decoded: Decoded
) -> None:
    info = probe(two_hour_mp3, max_duration=FOUR_HOURS, max_bytes=BIG)
    assert 1.0 <= decoded.seconds < 3.0, "about a second at each end, of two hours"
    assert info.duration == pytest.approx(144 * 50.0, rel=0.01)
    assert check(two_hour_mp3, max_duration=3600) == "too_long"


def test_full_decode_is_16k_mono_float32(samples: Path) -> None:
    audio = decode(samples / "sample_session.wav")
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == 800_438  # 50.027 s, as the WAV header says


def _lag(full: np.ndarray, part: np.ndarray, start: float, max_lag: int = 800) -> int:
    """Offset (samples) at which `part` best matches `full` around `start`."""
    at = round(start * SAMPLE_RATE)
    probe_part = part[4000:36000]
    errors = [np.abs(full[at + 4000 + lag : at + 36000 + lag] - probe_part).mean() for lag in range(-max_lag, max_lag)]
    return int(np.argmin(errors)) - max_lag


@pytest.mark.parametrize(
    "name", ["sample_session.wav", "sample_session.mp3", "sample_session.m4a", "sample_session.webm"]
)
def test_ranged_decode_returns_that_stretch(samples: Path, name: str) -> None:
    full = decode(samples / name)
    part = decode(samples / name, start=23.3, end=28.3)
    assert len(part) == 5 * SAMPLE_RATE
    # Within one codec frame (20 ms) of where a full decode puts it.
    assert abs(_lag(full, part, 23.3)) <= 0.025 * SAMPLE_RATE


def test_ranged_decode_of_a_long_file_decodes_only_that_stretch_and_is_exact(
    two_hour_mp3: Path, decoded: Decoded
) -> None:
    part = decode(two_hour_mp3, start=6800.0, end=7100.0)
    assert len(part) == 300 * SAMPLE_RATE
    assert 300.0 <= decoded.seconds < 305.0, "the stretch, from the frame the seek lands on"


def test_decode_past_the_end_stops_at_the_end(samples: Path) -> None:
    assert len(decode(samples / "sample_session.wav", start=48.0, end=60.0)) == 800_438 - 48 * SAMPLE_RATE
