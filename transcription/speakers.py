"""Offline two-speaker labelling (therapist and client) with numpy only.

Each stretch of speech is described by its voice pitch and the average shape of
its spectrum (mel-cepstral coefficients); the stretches are split into two groups
with k-means and the groups are named in order of first appearance, "Speaker 1"
and "Speaker 2". When the two groups are not clearly apart (one speaker, or two
similar voices) the segments are returned unlabelled: no label beats a wrong one.
Segments that contain a pause long enough for a turn change are cut there (when
word times are given) and each part is labelled on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from transcription.types import Segment

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
FRAME = 512  # 32 ms
HOP = 160  # 10 ms
N_MELS = 26
N_CEPS = 13
PITCH_MIN_HZ, PITCH_MAX_HZ = 60.0, 400.0
# Parts shorter than this carry too little voice to describe reliably.
MIN_PART_SECONDS = 0.8
# A gap between words at least this long may be a turn change.
TURN_GAP_SECONDS = 0.5
# Two groups count as two voices only if they are well apart in the standardised
# features (between-group distance over within-group spread) AND their median pitches
# differ by this many semitones: one speaker's segments varied by up to 2 on our samples,
# and standardised features alone split even a single voice "cleanly".
MIN_SEPARATION = 2.0
MIN_PITCH_GAP = 3.0

Floats = npt.NDArray[np.float64]


class TimedWord(Protocol):
    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...

    @property
    def text(self) -> str: ...


def _frames(samples: Floats) -> Floats:
    if len(samples) < FRAME:
        samples = np.pad(samples, (0, FRAME - len(samples)))
    count = 1 + (len(samples) - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    return np.asarray(samples[index], dtype=np.float64)


def _mel_filters() -> Floats:
    def mel(hz: Floats) -> Floats:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    edges_mel = np.linspace(mel(np.array(80.0)), mel(np.array(7600.0)), N_MELS + 2)
    edges_hz = 700.0 * (10 ** (edges_mel / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(FRAME, 1.0 / SAMPLE_RATE)
    filters = np.zeros((N_MELS, len(bins)))
    for i in range(N_MELS):
        low, mid, high = edges_hz[i : i + 3]
        rising = (bins - low) / (mid - low)
        falling = (high - bins) / (high - mid)
        filters[i] = np.clip(np.minimum(rising, falling), 0.0, None)
    return filters


_MEL = _mel_filters()
_DCT = np.cos(np.pi / N_MELS * (np.arange(N_MELS)[None, :] + 0.5) * np.arange(N_CEPS)[:, None])


def _voiced(frames: Floats) -> npt.NDArray[np.bool_]:
    """Frames loud enough to be speech: within 30 dB of the loudest in the stretch."""
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    return np.asarray(level > level.max() - 30.0, dtype=np.bool_)


def _cepstra(frames: Floats) -> Floats:
    """Mean mel-cepstrum (without c0, which is only loudness) of the voiced frames."""
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(FRAME), axis=1)) ** 2
    log_mel = np.log(spectrum @ _MEL.T + 1e-10)
    ceps = log_mel @ _DCT.T
    return np.asarray(ceps[:, 1:].mean(axis=0), dtype=np.float64)


def _pitch(frames: Floats) -> float:
    """Median pitch in semitones (re 100 Hz) of clearly periodic frames, by autocorrelation."""
    centred = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=2 * FRAME, axis=1)
    corr = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :FRAME]
    # Undo the taper of the plain autocorrelation (fewer overlapping samples at longer
    # lags), which otherwise favours half the true period: low voices read an octave up.
    corr = corr * FRAME / (FRAME - np.arange(FRAME))
    lo, hi = int(SAMPLE_RATE / PITCH_MAX_HZ), int(SAMPLE_RATE / PITCH_MIN_HZ)
    peak_lag = lo + np.argmax(corr[:, lo:hi], axis=1)
    strength = corr[np.arange(len(corr)), peak_lag] / (corr[:, 0] + 1e-12)
    periodic = strength > 0.5
    if not periodic.any():
        return float("nan")
    hz = SAMPLE_RATE / peak_lag[periodic]
    return float(12 * np.log2(np.median(hz) / 100.0))


def features(samples: npt.NDArray[np.float32]) -> Floats:
    """[pitch, c1..c12] for one stretch of speech."""
    frames = _frames(samples.astype(np.float64))
    frames = frames[_voiced(frames)]
    return np.concatenate([[_pitch(frames)], _cepstra(frames)])


def _standardise(matrix: Floats) -> Floats:
    filled = np.where(np.isnan(matrix), np.nanmean(matrix, axis=0), matrix)
    filled = np.nan_to_num(filled)
    spread = filled.std(axis=0)
    scaled = (filled - filled.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    # Pitch is the strongest single cue between two voices; weigh it like several cepstra.
    scaled[:, 0] *= 3.0
    return np.asarray(scaled, dtype=np.float64)


def _farthest_pair(points: Floats, block: int = 64) -> tuple[int, int]:
    """The two points farthest apart (the first such pair in row order), a block of rows at a time.

    The whole distance tensor at once would take n * n * features * 8 bytes: 1.6 GB for the
    2,800 parts of a 3-hour session, in the worker that finishes the recording."""
    best, pair = -1.0, (0, 0)
    for start in range(0, len(points), block):
        distances = np.linalg.norm(points[start : start + block, None, :] - points[None, :, :], axis=2)
        row, col = np.unravel_index(np.argmax(distances), distances.shape)
        if distances[row, col] > best:
            best, pair = float(distances[row, col]), (start + int(row), int(col))
    return pair


def _kmeans2(points: Floats, weights: Floats, iterations: int = 50) -> npt.NDArray[np.int_]:
    """Two-group k-means, seeded with the two points farthest apart (deterministic)."""
    first, second = _farthest_pair(points)
    centres = points[[first, second]].copy()
    groups = np.zeros(len(points), dtype=np.int_)
    for _ in range(iterations):
        groups = np.argmin(np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2), axis=1)
        for g in (0, 1):
            if (groups == g).any():
                centres[g] = np.average(points[groups == g], axis=0, weights=weights[groups == g])
    return groups


def _separation(points: Floats, groups: npt.NDArray[np.int_]) -> float:
    """Distance between the group centres over the average spread inside the groups."""
    if len(set(groups.tolist())) < 2:
        return 0.0
    centres = [points[groups == g].mean(axis=0) for g in (0, 1)]
    within = np.mean([np.linalg.norm(points[groups == g] - centres[g], axis=1).mean() for g in (0, 1)])
    return float(np.linalg.norm(centres[0] - centres[1]) / (within + 1e-9))


def _pitch_gap(pitch: Floats, groups: npt.NDArray[np.int_]) -> float:
    """Semitones between the two groups' median pitches (0 when either has none)."""
    medians = [np.nanmedian(pitch[groups == g]) if np.isfinite(pitch[groups == g]).any() else np.nan for g in (0, 1)]
    gap = abs(float(medians[0]) - float(medians[1]))
    return gap if np.isfinite(gap) else 0.0


def _split_at_pauses(segment: Segment, words: Sequence[TimedWord]) -> list[Segment]:
    """Cut a segment where its words pause for a possible turn change."""
    inside = [w for w in words if w.start >= segment.start - 0.05 and w.end <= segment.end + 0.05]
    parts: list[list[TimedWord]] = [[]]
    for word in inside:
        if parts[-1] and word.start - parts[-1][-1].end >= TURN_GAP_SECONDS:
            parts.append([])
        parts[-1].append(word)
    if len(parts) < 2 or any(p[-1].end - p[0].start < MIN_PART_SECONDS for p in parts):
        return [segment]
    return [Segment(p[0].start, p[-1].end, "".join(w.text for w in p).strip(), segment.speaker) for p in parts]


@dataclass(frozen=True)
class VoicePrint:
    """One labelled-to-be stretch: its segment, the segment it came from, its voice features.

    `features` is None for stretches too short to describe; they take their
    neighbour's label. Plain floats, so prints from several chunks (several workers)
    can be stored and labelled together at the end.
    """

    segment: Segment
    origin: int
    features: list[float] | None


def _merge_same_speaker(prints: Sequence[VoicePrint], labelled: list[Segment]) -> list[Segment]:
    """Glue back neighbouring parts of one original segment that got the same label."""
    merged: list[Segment] = []
    last_origin = -1
    for vp, part in zip(prints, labelled, strict=True):
        if merged and last_origin == vp.origin and merged[-1].speaker == part.speaker:
            last = merged[-1]
            merged[-1] = replace(last, end=part.end, text=f"{last.text} {part.text}")
        else:
            merged.append(part)
        last_origin = vp.origin
    return merged


def _clip(audio: npt.NDArray[np.float32], segment: Segment, offset: float) -> npt.NDArray[np.float32]:
    start = max(0, round((segment.start - offset) * SAMPLE_RATE))
    end = max(start, round((segment.end - offset) * SAMPLE_RATE))
    return audio[start:end]


def _assign(parts: Sequence[Segment], groups: npt.NDArray[np.int_], usable: list[int]) -> list[Segment]:
    """Name groups by first appearance; short parts take the label of the part before them."""
    names: dict[int, str] = {}
    labels: dict[int, str] = {}
    for index, group in zip(usable, groups.tolist(), strict=True):
        labels[index] = names.setdefault(group, f"Speaker {len(names) + 1}")
    labelled: list[Segment] = []
    current = labels[usable[0]]
    for index, part in enumerate(parts):
        current = labels.get(index, current)
        labelled.append(replace(part, speaker=current))
    return labelled


def voice_prints(
    audio: npt.NDArray[np.float32],
    segments: Sequence[Segment],
    *,
    offset: float = 0.0,
    words: Sequence[TimedWord] | None = None,
    first_origin: int = 0,
) -> list[VoicePrint]:
    """Voice features of each segment (split at long inner pauses when `words` are given).

    `audio` is 16 kHz mono starting at `offset` seconds; segment and word times are
    absolute. Give each chunk's call a distinct `first_origin` (e.g. its first
    segment's index in the whole transcript) when prints are pooled across chunks.
    """
    prints: list[VoicePrint] = []
    for number, segment in enumerate(segments, start=first_origin):
        for part in _split_at_pauses(segment, words) if words else [segment]:
            usable = part.end - part.start >= MIN_PART_SECONDS
            values = features(_clip(audio, part, offset)).tolist() if usable else None
            prints.append(VoicePrint(part, number, values))
    return prints


def label_prints(prints: Sequence[VoicePrint]) -> list[Segment] | None:
    """Segments labelled "Speaker 1"/"Speaker 2" from pooled prints, or None when unsure."""
    usable = [i for i, vp in enumerate(prints) if vp.features is not None]
    if len(usable) < 2:
        return None
    raw = np.array([prints[i].features for i in usable], dtype=np.float64)
    points = _standardise(raw)
    groups = _kmeans2(points, np.array([prints[i].segment.end - prints[i].segment.start for i in usable]))
    separation, gap = _separation(points, groups), _pitch_gap(raw[:, 0], groups)
    logger.info("speakers: parts=%d separation=%.2f pitch_gap=%.1f", len(usable), separation, gap)
    if not (separation >= MIN_SEPARATION and gap >= MIN_PITCH_GAP):
        return None
    labelled = _assign([vp.segment for vp in prints], groups, usable)
    return _merge_same_speaker(prints, labelled)


def label_speakers(
    audio: npt.NDArray[np.float32],
    segments: list[Segment],
    *,
    offset: float = 0.0,
    words: Sequence[TimedWord] | None = None,
) -> list[Segment]:
    """Segments labelled "Speaker 1"/"Speaker 2" by voice, or returned unlabelled when unsure.

    Labels are consistent within one call only: for a recording transcribed in
    chunks, collect `voice_prints` per chunk and call `label_prints` once on them all.
    """
    labelled = label_prints(voice_prints(audio, segments, offset=offset, words=words))
    return segments if labelled is None else labelled
