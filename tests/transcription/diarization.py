"""Diarization error rate, the standard way: (missed + false alarm + confusion) / reference speech.

Scored on 10 ms frames over the whole recording, no collar, with the mapping from
hypothesis labels to reference speakers that makes confusion smallest (every one-to-one
mapping is tried; two or three speakers make that cheap). Unlabelled hypothesis speech
counts as one more hypothesis speaker, so leaving two voices unlabelled scores as
confusing one of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

STEP = 0.01


@dataclass(frozen=True)
class Turn:
    speaker: str
    start: float
    end: float


@dataclass(frozen=True)
class Score:
    speech: float
    missed: float
    false_alarm: float
    confusion: float

    @property
    def der(self) -> float:
        return (self.missed + self.false_alarm + self.confusion) / self.speech

    def __str__(self) -> str:
        return (
            f"DER {self.der:6.2%} (missed {self.missed / self.speech:.2%}, false alarm "
            f"{self.false_alarm / self.speech:.2%}, confusion {self.confusion / self.speech:.2%} "
            f"of {self.speech:.1f} s speech)"
        )


def _frames(turns: Sequence[Turn], speakers: list[str], count: int) -> npt.NDArray[np.int_]:
    """Frame -> speaker index (-1 for silence); later turns win the rare overlap."""
    frames = np.full(count, -1, dtype=np.int_)
    for turn in turns:
        frames[round(turn.start / STEP) : round(turn.end / STEP)] = speakers.index(turn.speaker)
    return frames


def score(reference: Sequence[Turn], hypothesis: Sequence[Turn]) -> Score:
    end = max(t.end for t in [*reference, *hypothesis])
    count = round(end / STEP) + 1
    ref_names = sorted({t.speaker for t in reference})
    hyp_names = sorted({t.speaker for t in hypothesis})
    ref, hyp = _frames(reference, ref_names, count), _frames(hypothesis, hyp_names, count)
    both = (ref >= 0) & (hyp >= 0)
    best = min(
        int(np.sum(both & (np.array([*mapping, -1])[hyp] != ref)))
        for mapping in _mappings(len(hyp_names), len(ref_names))
    )
    return Score(
        speech=float(np.sum(ref >= 0)) * STEP,
        missed=float(np.sum((ref >= 0) & (hyp < 0))) * STEP,
        false_alarm=float(np.sum((ref < 0) & (hyp >= 0))) * STEP,
        confusion=best * STEP,
    )


def _mappings(hyp_count: int, ref_count: int) -> list[tuple[int, ...]]:
    """Each hypothesis label to a distinct reference speaker, or to none (-1) once references run out."""
    targets = list(range(ref_count)) + [-1] * max(0, hyp_count - ref_count)
    return sorted(set(itertools.permutations(targets, hyp_count)))
