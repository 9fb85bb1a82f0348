"""Drafting without a language model: the offline drafter and the grounding check, timed.

    .venv/bin/python benchmarks/drafting.py [--minutes 50] [--claims 40] [--repeat 5] [--json]

Both are pure Python over a transcript, in this process (no Django, no servers). The
transcript is the sample session's script line after line, one 4.2 s segment a line, each
made unique, until it is MINUTES long; grounding checks CLAIMS sentences (two paraphrases
of what the client said, alternately) against it. Reported: the median and the slowest of
REPEAT runs of each, and the one-minute load average before and after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import loadavg, print_table  # noqa: E402
from notes.context import NoteContext  # noqa: E402
from notes.document import NoteSection, Sentence  # noqa: E402
from notes.grounding import ground  # noqa: E402
from notes.offline import offline_draft  # noqa: E402
from notes.styles import BUILTIN_STYLES  # noqa: E402
from tests.samples import SAMPLES  # noqa: E402
from transcription.types import Segment  # noqa: E402

SEGMENT_SECONDS = 4.2
CLAIMS = ("The client spent most of Saturday in bed.", "Client emailed her manager on Wednesday.")


def transcript(minutes: float) -> list[Segment]:
    lines = [line for line in (SAMPLES / "sample_session.txt").read_text(encoding="utf-8").splitlines() if line]
    script = [("Speaker 1" if line.startswith("T:") else "Speaker 2", line[3:]) for line in lines]
    count = round(minutes * 60 / SEGMENT_SECONDS)
    segments = []
    for i in range(count):
        speaker, text = script[i % len(script)]
        start = round(i * SEGMENT_SECONDS, 2)
        segments.append(Segment(start, round(start + 4.0, 2), f"{text} Item {i} was noted.", speaker))
    return segments


def context(segments: list[Segment]) -> NoteContext:
    ctx = NoteContext(style=BUILTIN_STYLES["soap"], segments=segments)
    ctx.speaker_roles = {"Speaker 1": "therapist", "Speaker 2": "client"}
    return ctx


def timed(run: Callable[[], Any], repeat: int) -> dict[str, float]:
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - began)
    return {"median_s": round(statistics.median(seconds), 4), "max_s": round(max(seconds), 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=50.0)
    parser.add_argument("--claims", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    segments = transcript(args.minutes)
    claims = [Sentence(text=CLAIMS[i % len(CLAIMS)]) for i in range(args.claims)]
    before = loadavg()
    figures: dict[str, Any] = {
        "segments": len(segments),
        "offline_draft": timed(lambda: offline_draft(context(segments)), args.repeat),
        "grounding": timed(
            lambda: ground([NoteSection(key="s", title="S", sentences=claims)], context(segments)), args.repeat
        ),
    }
    figures["load"] = [before, loadavg()]
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print_table(
        [
            ("run", "segments", "median s", "max s"),
            *[
                (name, str(len(segments)), f"{figures[name]['median_s']:.3f}", f"{figures[name]['max_s']:.3f}")
                for name in ("offline_draft", "grounding")
            ],
        ]
    )
    print(f"load: {before:.1f}->{figures['load'][1]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
