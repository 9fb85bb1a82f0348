"""Real tiny.en transcription of real recordings, priming with chart terms, model caching."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests import audio_tools
from tests.transcription.conftest import FIXTURES
from transcription import engine
from transcription.audio import decode
from transcription.engine import TranscribeResult, priming

KEY_WORDS = ("brother", "journal", "manager", "fishing", "wednesday")
CHART = ["Sam", "sertraline", "journal", "part-time return to work"]


def text_of(result: TranscribeResult) -> str:
    return " ".join(segment.text for segment in result.segments).lower()


def assert_sample_transcript(result: TranscribeResult) -> None:
    assert result.speech_found
    assert result.language == "en"
    assert result.duration == pytest.approx(50.0, abs=0.3)
    for word in KEY_WORDS:
        assert word in text_of(result)
    times = [(s.start, s.end) for s in result.segments]
    assert all(start < end for start, end in times)
    assert times == sorted(times)


@pytest.mark.parametrize("name", ["sample_session.wav", "sample_session.mp3", "sample_session.m4a",
                                  "sample_session.webm"])
def test_each_sample_format_transcribes(
    samples: Path, transcribe_file: Callable[[Path], TranscribeResult], name: str
) -> None:
    assert_sample_transcript(transcribe_file(samples / name))


@pytest.mark.parametrize("name", ["sample_session.ogg", "sample_session.flac"])
def test_ogg_and_flac_made_in_setup_transcribe(
    built: Path, transcribe_file: Callable[[Path], TranscribeResult], name: str
) -> None:
    assert_sample_transcript(transcribe_file(built / name))


def test_offset_makes_times_absolute(samples: Path, model: object) -> None:
    result = engine.transcribe(decode(samples / "sample_session.wav", start=32.0, end=40.0), offset=32.0)
    assert "manager" in text_of(result)
    assert result.segments[0].start >= 32.0
    assert result.segments[-1].end <= 40.5


def test_silence_is_no_speech(model: object) -> None:
    result = engine.transcribe(audio_tools.noise(20.0))
    assert not result.speech_found
    assert result.segments == []


def test_progress_rises_to_one(samples: Path, model: object) -> None:
    seen: list[float] = []
    engine.transcribe(decode(samples / "sample_session.wav", end=15.0), on_progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_unprimed_model_mishears_sertraline(model: object) -> None:
    result = engine.transcribe(decode(FIXTURES / "sertraline.wav"))
    assert "sertraline" not in text_of(result)  # tiny.en writes "search for like"
    assert "milligrams" in text_of(result)


def test_primed_model_hears_sertraline(model: object) -> None:
    hotwords, prompt = priming(CHART)
    result = engine.transcribe(decode(FIXTURES / "sertraline.wav"), hotwords=hotwords, initial_prompt=prompt)
    assert "sertraline" in text_of(result)


def test_priming_reaches_past_the_first_window(samples: Path, model: object) -> None:
    # Whisper itself would prime only its first 30 s window; the term is said at 50 s.
    speech = audio_tools.concat(decode(samples / "sample_session.wav"), decode(FIXTURES / "sertraline.wav"))
    hotwords, prompt = priming(CHART)
    result = engine.transcribe(speech, hotwords=hotwords, initial_prompt=prompt, word_timestamps=True)
    text = text_of(result)
    assert "sertraline" in text
    for word in KEY_WORDS:
        assert word in text
    assert result.segments[-1].start > 48.0
    assert result.words and result.words[-1].end > 52.0


def test_priming_invents_no_terms_that_were_not_said(samples: Path, model: object) -> None:
    hotwords, prompt = priming(["Sam", "lamotrigine", "bereavement"])
    audio = decode(samples / "sample_session.wav", end=30.0)
    result = engine.transcribe(audio, hotwords=hotwords, initial_prompt=prompt)
    assert "lamotrigine" not in text_of(result)
    assert "brother" in text_of(result)


def test_priming_dedupes_and_keeps_order() -> None:
    hotwords, prompt = priming(["Sam", " sertraline ", "SAM", "", "Sertraline", "journal"])
    assert hotwords == "Sam, sertraline, journal"
    assert prompt == "A therapy session. Mentioned: Sam, sertraline, journal."


def test_priming_with_nothing_is_nothing() -> None:
    assert priming([]) == (None, None)
    assert priming(["  ", ""]) == (None, None)


def test_priming_stays_within_whisper_prompt_budget() -> None:
    terms = [f"medication{n}" for n in range(200)]
    hotwords, prompt = priming(terms)
    assert hotwords is not None and prompt is not None
    assert len(hotwords) <= engine.HOTWORDS_MAX_CHARS
    assert len(prompt) <= engine.PROMPT_MAX_CHARS
    assert hotwords.startswith("medication0, medication1,")


def test_model_is_loaded_once_per_directory_and_threads(model: object) -> None:
    assert engine.get_model() is model
    assert engine.get_model(engine.default_model_dir()) is model


def test_missing_model_directory_is_an_error_not_a_download(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        engine.get_model(str(tmp_path / "nowhere"))
