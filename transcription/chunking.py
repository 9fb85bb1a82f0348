"""Split long recordings into chunks that end in pauses, so no word is cut in two.

Each chunk can be transcribed by a different worker. Only the stretch around each
nominal boundary is decoded (a minute of audio per boundary), so planning a 3-hour
recording holds about a minute of samples at a time.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt

from transcription.audio import SAMPLE_RATE, decode

logger = logging.getLogger(__name__)

# Energy is measured in 20 ms frames and averaged over 400 ms, so the quietest point is
# the middle of a real pause, not a short dip between two syllables.
FRAME_SECONDS = 0.02
PAUSE_SECONDS = 0.4


def _frame_energy(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    frame = round(FRAME_SECONDS * SAMPLE_RATE)
    usable = len(samples) // frame * frame
    frames = samples[:usable].astype(np.float64).reshape(-1, frame)
    return np.asarray(np.mean(frames * frames, axis=1), dtype=np.float64)


def quietest_point(samples: npt.NDArray[np.float32], *, window_start: float, nominal: float) -> float | None:
    """Time (s) of the quietest pause in `samples`, which begin at `window_start`.

    Ties (several silent stretches) go to the one nearest the nominal boundary, so
    chunks stay close to the target length. None if the window is too short.
    """
    energy = _frame_energy(samples)
    width = max(1, round(PAUSE_SECONDS / FRAME_SECONDS))
    if len(energy) < width:
        return None
    smooth = np.convolve(energy, np.ones(width) / width, mode="valid")
    centres = window_start + (np.arange(len(smooth)) + width / 2) * FRAME_SECONDS
    # Energies within 1% of the minimum (or 1e-9 absolute) count as equally quiet.
    quiet = smooth <= smooth.min() * 1.01 + 1e-9
    candidates = centres[quiet]
    return float(candidates[np.argmin(np.abs(candidates - nominal))])


def _nominal_boundaries(duration: float, target: float) -> list[float]:
    # Evenly spaced, so the last chunk is not a short leftover.
    count = max(1, round(duration / target))
    return [duration * k / count for k in range(1, count)]


def _boundary(path: str | Path, nominal: float, search: float, duration: float, absolute: bool = False) -> float:
    start = max(0.0, nominal - search)
    end = min(duration, nominal + search)
    samples = decode(path, start=start, end=end, absolute=absolute)
    point = quietest_point(samples, window_start=start, nominal=nominal)
    return nominal if point is None else point


def plan_chunks(
    path: str | Path,
    *,
    duration: float,
    target: float = 300.0,
    search: float = 30.0,
    start: float = 0.0,
    absolute: bool = False,
) -> list[tuple[float, float]]:
    """Contiguous (start, end) ranges covering [start, duration], each about `target` seconds.

    Each boundary sits at the quietest point within ±`search` s of its nominal place.
    Recordings shorter than 1.5 x target are one chunk. `absolute`: the file's own timestamps
    are the recording's (see `transcription.audio.decode`).
    """
    if duration - start < 1.5 * target:
        return [(start, duration)]
    # Windows must not overlap, or two boundaries could land on the same pause.
    search = min(search, target / 2 - PAUSE_SECONDS)
    nominals = [start + at for at in _nominal_boundaries(duration - start, target)]
    cuts = [round(_boundary(path, nominal, search, duration, absolute), 3) for nominal in nominals]
    edges = [start, *cuts, duration]
    chunks = list(itertools.pairwise(edges))
    logger.info("chunks planned: duration=%.1f chunks=%d", duration, len(chunks))
    return chunks
