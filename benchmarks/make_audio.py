"""Make a long recording from the committed sample, in seconds, without re-encoding.

    .venv/bin/python benchmarks/make_audio.py MINUTES OUT.mp3

The 50 s sample session is remuxed back to back until the recording is at least
MINUTES long. Recordings are made at setup and never committed.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import SAMPLE_MP3  # noqa: E402
from tests.audio_tools import repeat_packets  # noqa: E402


def sample_seconds() -> float:
    import av

    with av.open(str(SAMPLE_MP3)) as container:
        return float(container.duration or 0) / av.time_base


def make(minutes: float, out: Path) -> Path:
    """A recording of at least `minutes` (whole repeats of the sample); reused when already there."""
    times = max(1, math.ceil(minutes * 60 / sample_seconds()))
    if out.exists() and out.stat().st_size > 0:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    return repeat_packets(SAMPLE_MP3, out, times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("minutes", type=float)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    path = make(args.minutes, args.out)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
