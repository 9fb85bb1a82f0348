"""Speaker labelling cost and accuracy on a long recording made from a two-voice fixture.

    .venv/bin/python benchmarks/speakers.py [--minutes 10] [--fixture two_voices_similar_pitch] [--json]

The fixture's turns are shuffled back to back until the recording is MINUTES long, cut
into chunks of TRANSCRIPTION_CHUNK_SECONDS (300 s) as the pipeline cuts it, and each chunk's
voice prints are computed on the true turns (Whisper is measured by transcribe.py); all
prints are then labelled together, as the worker that finishes a recording does. Reports
CPU seconds per audio minute for the prints and for the labelling, the process's peak RSS
before and after, and the DER against the true turns.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.transcription.diarization import Turn, score  # noqa: E402
from transcription.audio import decode  # noqa: E402
from transcription.speakers import VoicePrint, label_prints, voice_prints  # noqa: E402
from transcription.types import Segment  # noqa: E402

RATE = 16_000
FIXTURES = REPO / "tests" / "fixtures" / "audio"
CHUNK_SECONDS = 300.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(fixture: str, minutes: float) -> tuple[np.ndarray, list[Turn]]:
    audio = decode(FIXTURES / f"{fixture}.flac")
    truth = json.loads((FIXTURES / f"{fixture}.json").read_text())["turns"]
    rng = np.random.default_rng(0)
    pieces, turns, at = [], [], 0.0
    while at < minutes * 60:
        turn = truth[int(rng.integers(len(truth)))]
        clip = audio[round((turn["start"] - 0.2) * RATE) : round((turn["end"] + 0.3) * RATE)]
        pieces.append(clip)
        turns.append(Turn(turn["speaker"], at + 0.2, at + 0.2 + turn["end"] - turn["start"]))
        at += len(clip) / RATE
    return np.concatenate(pieces), turns


def prints_by_chunk(audio: np.ndarray, turns: list[Turn]) -> list[VoicePrint]:
    prints: list[VoicePrint] = []
    segments = [Segment(t.start, t.end, "") for t in turns]
    start = 0.0
    while start < len(audio) / RATE:
        end = start + CHUNK_SECONDS
        inside = [s for s in segments if start <= s.start < end]
        # The pipeline cuts at silences; here a chunk simply ends after its last turn.
        stop = max(end, inside[-1].end) if inside else end
        pcm = audio[round(start * RATE) : round(stop * RATE)]
        prints += voice_prints(pcm, inside, offset=start, first_origin=len(prints))
        start = stop
    return prints


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fixture", default="two_voices_similar_pitch")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    audio, turns = build(args.fixture, args.minutes)
    minutes = len(audio) / RATE / 60
    rss_before = peak_rss_mib()
    began = time.process_time()
    prints = prints_by_chunk(audio, turns)
    prints_cpu = time.process_time() - began
    began = time.process_time()
    labelled = label_prints(prints)
    label_cpu = time.process_time() - began
    hypothesis = (
        [Turn(s.speaker, s.start, s.end) for s in labelled]
        if labelled
        else [Turn("", p.segment.start, p.segment.end) for p in prints]
    )
    result = {
        "fixture": args.fixture,
        "audio_minutes": round(minutes, 2),
        "parts": len(prints),
        "prints_cpu_s_per_audio_min": round(prints_cpu / minutes, 3),
        "label_cpu_s": round(label_cpu, 3),
        "peak_rss_before_mib": round(rss_before, 1),
        "peak_rss_after_mib": round(peak_rss_mib(), 1),
        "der": round(score(turns, hypothesis).der, 4),
        "speakers": sorted({t.speaker for t in hypothesis}),
    }
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
