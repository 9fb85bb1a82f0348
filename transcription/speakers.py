"""Offline two-speaker labelling (therapist and client) by pretrained speaker embeddings.

Each stretch of speech is embedded by a voice encoder trained to tell speakers apart
(`transcription.voice_encoder`, Resemblyzer's GE2E network run in numpy): one voice's
stretches land close together whatever their pitch or words, two voices apart even at
the same pitch. The stretches are clustered into two groups (spherical k-means, started
from the main axis of variation), and the groups are named in order of first appearance,
"Speaker 1" and "Speaker 2". When the two groups' centres are as alike as one voice's
stretches are to each other (one speaker), the segments are returned unlabelled.
Segments that contain a pause long enough for a turn change are cut there (when word
times are given) and each part is labelled on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from transcription import voice_encoder
from transcription.types import Segment

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
EMBEDDING_SIZE = 256
# Shorter parts carry too little voice to embed reliably; they take their neighbour's label.
MIN_PART_SECONDS = 0.8
# Only parts at least this long shape the two groups; shorter embedded parts are then
# put in the nearer group.
FIT_SECONDS = 1.2
# A gap between words at least this long may be a turn change.
TURN_GAP_SECONDS = 0.5
# Two group centres more alike than this (cosine) are one voice. Measured: one voice at
# two pitches 7.7 semitones apart gave 0.90, two voices 0.5 semitone apart 0.76 (see
# docs/PERFORMANCE.md, "Speaker labelling").
SAME_VOICE_SIMILARITY = 0.86
# A group with less of the fitted speech than this is a cough, a laugh or a noise that
# the clustering split off, not a second person in the room.
MIN_GROUP_SHARE = 0.05
# Embeddings are stored rounded: 4 decimals move a cosine by < 1e-4 and halve the JSON.
DECIMALS = 4
# Whisper's segment times run a few hundred ms into the pauses around speech (about 5% of
# speech time on our fixtures) or stop short of it. A part's ends are moved to where the
# audio is loud enough to be speech, by at most this much and never past the midpoint
# to a neighbouring part.
SNAP_SECONDS = 0.3
LEVEL_FRAME = 160  # 10 ms
# Speech is this many dB above the recording's quiet floor (its 10th-percentile frame).
SPEECH_OVER_FLOOR_DB = 12.0

Floats = npt.NDArray[np.float64]


class TimedWord(Protocol):
    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...

    @property
    def text(self) -> str: ...


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
    """One labelled-to-be stretch: its segment, the segment it came from, its voice embedding.

    `features` is None for stretches too short to describe; they take their
    neighbour's label. Plain floats, so prints from several chunks (several workers)
    can be stored and labelled together at the end.
    """

    segment: Segment
    origin: int
    features: list[float] | None

    def row(self) -> dict[str, Any]:
        """As stored (encrypted JSON) until the whole recording is labelled."""
        segment = self.segment
        return {"start": segment.start, "end": segment.end, "text": segment.text, "origin": self.origin,
                "features": self.features}  # fmt: skip

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> VoicePrint:
        return cls(Segment(row["start"], row["end"], row["text"]), row["origin"], row["features"])


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
    """Name groups by first appearance; parts without a print take the label of the part before them."""
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


def _speech_frames(audio: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
    """Per 10 ms frame of the audio: loud enough over its own quiet floor to be speech."""
    count = len(audio) // LEVEL_FRAME
    if count == 0:
        return np.zeros(0, dtype=np.bool_)
    # A view and a float32 dot per frame: a float64 copy of a 300 s chunk would be 38 MB twice over.
    frames = np.ascontiguousarray(audio[: count * LEVEL_FRAME], dtype=np.float32).reshape(count, LEVEL_FRAME)
    level = 10 * np.log10(np.einsum("ij,ij->i", frames, frames) / LEVEL_FRAME + 1e-12)
    return np.asarray(level > np.percentile(level, 10) + SPEECH_OVER_FLOOR_DB, dtype=np.bool_)


def _first_loud(speech: npt.NDArray[np.bool_], low: float, high: float, *, last: bool = False) -> float | None:
    """Time of the first (or the end of the last) speech frame in [low, high), None if none."""
    first = max(0, round(low * SAMPLE_RATE / LEVEL_FRAME))
    loud = np.flatnonzero(speech[first : max(first, round(high * SAMPLE_RATE / LEVEL_FRAME))])
    if len(loud) == 0:
        return None
    frame = first + (loud[-1] + 1 if last else loud[0])
    return float(frame * LEVEL_FRAME / SAMPLE_RATE)


def _snap(parts: list[Segment], speech: npt.NDArray[np.bool_], offset: float) -> list[Segment]:
    """Each part's ends moved onto its speech, by at most SNAP_SECONDS, never past a neighbour's midpoint.

    A quiet recording edge (no loud frame near it) keeps Whisper's time: in low-SNR audio the
    level says little, and the worst case stays Whisper's own."""
    snapped: list[Segment] = []
    for index, part in enumerate(parts):
        before = (parts[index - 1].end + part.start) / 2 if index > 0 else -np.inf
        after = (part.end + parts[index + 1].start) / 2 if index + 1 < len(parts) else np.inf
        middle = (part.start + part.end) / 2
        start = _first_loud(
            speech, max(before, part.start - SNAP_SECONDS) - offset, min(middle, part.start + SNAP_SECONDS) - offset
        )
        end = _first_loud(
            speech,
            max(middle, part.end - SNAP_SECONDS) - offset,
            min(after, part.end + SNAP_SECONDS) - offset,
            last=True,
        )
        snapped.append(
            replace(
                part,
                start=part.start if start is None else round(start + offset, 2),
                end=part.end if end is None else round(end + offset, 2),
            )
        )
    return snapped


def voice_prints(
    audio: npt.NDArray[np.float32],
    segments: Sequence[Segment],
    *,
    offset: float = 0.0,
    words: Sequence[TimedWord] | None = None,
    first_origin: int = 0,
) -> list[VoicePrint]:
    """Voice embeddings of each segment (split at long inner pauses when `words` are given).

    `audio` is 16 kHz mono starting at `offset` seconds; segment and word times are
    absolute. Give each chunk's call a distinct `first_origin` (e.g. its first
    segment's index in the whole transcript) when prints are pooled across chunks.
    """
    split = [
        (number, part)
        for number, segment in enumerate(segments, start=first_origin)
        for part in (_split_at_pauses(segment, words) if words else [segment])
    ]
    snapped = _snap([part for _, part in split], _speech_frames(audio), offset)
    parts = [(number, part) for (number, _), part in zip(split, snapped, strict=True)]
    usable = [i for i, (_, part) in enumerate(parts) if part.end - part.start >= MIN_PART_SECONDS]
    embeddings = voice_encoder.embed_utterances([_clip(audio, parts[i][1], offset) for i in usable])
    values = {i: np.round(e.astype(np.float64), DECIMALS).tolist() for i, e in zip(usable, embeddings, strict=True)}
    return [VoicePrint(part, number, values.get(i)) for i, (number, part) in enumerate(parts)]


def _normalised(points: Floats) -> Floats:
    return np.asarray(points / (np.linalg.norm(points, axis=-1, keepdims=True) + 1e-12), dtype=np.float64)


def _centres(points: Floats, weights: Floats, groups: npt.NDArray[np.int_]) -> Floats:
    return _normalised(np.stack([(points[groups == g] * weights[groups == g, None]).sum(axis=0) for g in (0, 1)]))


def _two_groups(points: Floats, weights: Floats, iterations: int = 30) -> npt.NDArray[np.int_]:
    """Spherical two-means, started by splitting along the main axis (deterministic, no outlier seeds)."""
    centred = points - np.average(points, axis=0, weights=weights)
    axis = np.linalg.svd(centred * np.sqrt(weights)[:, None], full_matrices=False)[2][0]
    groups = np.asarray(centred @ axis > 0, dtype=np.int_)
    for _ in range(iterations):
        if len(set(groups.tolist())) < 2:
            break
        regrouped = np.argmax(points @ _centres(points, weights, groups).T, axis=1)
        if np.array_equal(regrouped, groups):
            break
        groups = regrouped
    return groups


def _embedded(prints: Sequence[VoicePrint]) -> list[int]:
    # Prints of another length were stored before the encoder changed; they count as too short.
    return [i for i, vp in enumerate(prints) if vp.features is not None and len(vp.features) == EMBEDDING_SIZE]


def _voice_centres(points: Floats, durations: Floats) -> Floats | None:
    """The centres of the two voices' groups, or None when the speech is one voice."""
    groups = _two_groups(points, durations)
    shares = [durations[groups == g].sum() / durations.sum() for g in (0, 1)]
    if min(shares) < MIN_GROUP_SHARE:
        return None
    centres = _centres(points, durations, groups)
    similarity = float(centres[0] @ centres[1])
    logger.info("speakers: fitted=%d centre_similarity=%.3f smaller_share=%.2f", len(points), similarity, min(shares))
    return None if similarity >= SAME_VOICE_SIMILARITY else centres


def label_prints(prints: Sequence[VoicePrint]) -> list[Segment] | None:
    """Segments labelled "Speaker 1"/"Speaker 2" from pooled prints, or None for one voice or too little speech."""
    usable = _embedded(prints)
    durations = np.array([prints[i].segment.end - prints[i].segment.start for i in usable])
    fit = durations >= FIT_SECONDS
    if fit.sum() < 2:
        return None
    points = _normalised(np.array([prints[i].features for i in usable], dtype=np.float64))
    centres = _voice_centres(points[fit], durations[fit])
    if centres is None:
        return None
    labelled = _assign([vp.segment for vp in prints], np.argmax(points @ centres.T, axis=1), usable)
    return _merge_same_speaker(prints, labelled)


def label_speakers(
    audio: npt.NDArray[np.float32],
    segments: list[Segment],
    *,
    offset: float = 0.0,
    words: Sequence[TimedWord] | None = None,
) -> list[Segment]:
    """Segments labelled "Speaker 1"/"Speaker 2" by voice, or returned unlabelled for one voice.

    Labels are consistent within one call only: for a recording transcribed in
    chunks, collect `voice_prints` per chunk and call `label_prints` once on them all.
    """
    labelled = label_prints(voice_prints(audio, segments, offset=offset, words=words))
    return segments if labelled is None else labelled
