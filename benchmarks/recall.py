"""Chart-term recall and word error rate of primed transcription, by window length and decoding.

    .venv/bin/python benchmarks/recall.py [--windows 12,16,20,24,28] [--repeats 4] [--threads 0] [--json]

The recording is made at setup: the 50 s sample session, then two sentences of
``tests/fixtures/audio/chart_terms.ogg`` (surnames and drug names), then the sample again, and
so on until every sentence has been said once. Its reference text is the sample's script and
the sentences. Each run transcribes it in this process with the same model (loaded first):
unprimed once, then primed with the chart terms, each window length decoded one window at a
time (the former path) and in batches (the current one). Recall counts the chart-term words
written as in the reference (at most as often as they are said); "invented" counts extra ones.
WER is word-level edit distance over the reference length, after the same normalisation of
both texts (case, punctuation, numbers up to twenty, "Dr.").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.common import SAMPLES, loadavg, print_table  # noqa: E402
from notes.text import SMALL_NUMBERS  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "audio"
# Names first, then medications, as the chart gives them.
CHART = [
    "Sam",
    "Okonkwo",
    "Kowalczyk",
    "Siobhan",
    "Nakamura",
    "Priya Raghunathan",
    "lamotrigine",
    "bupropion",
    "quetiapine",
    "escitalopram",
    "duloxetine",
    "venlafaxine",
    "buspirone",
    "mirtazapine",
]
NUMBERS = SMALL_NUMBERS
SPELLINGS = {"dr": "doctor", "mr": "mister", **{str(n): word for n, word in enumerate(NUMBERS)}}


@dataclass
class Recording:
    samples: npt.NDArray[np.float32]  # 16 kHz mono
    reference: str
    seconds: float


@dataclass
class Run:
    decoding: str  # unprimed, sequential or batched
    window_s: float
    wall_s: float
    rtf: float
    terms_said: int
    terms_found: int
    terms_invented: int
    recall: float
    wer: float
    windows_redecoded: int
    load_before: float
    load_after: float


def normalise(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))
    return [SPELLINGS.get(word, word) for word in words]


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, said in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, heard in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (said != heard))
    return row[-1]


def term_counts(words: list[str]) -> Counter[str]:
    terms = {word for term in CHART for word in normalise(term)}
    return Counter(word for word in words if word in terms)


def build_recording(repeats: int) -> Recording:
    from tests import audio_tools

    sample = audio_tools.load(SAMPLES / "sample_session.wav")
    lines = (SAMPLES / "sample_session.txt").read_text().splitlines()
    script = [line[3:] for line in lines if line[:2] in ("T:", "C:")]
    terms_audio = audio_tools.load(FIXTURES / "chart_terms.ogg")
    sentences = [line.split("\t") for line in (FIXTURES / "chart_terms.txt").read_text().splitlines() if line]
    per_repeat = -(-len(sentences) // repeats)
    parts, text = [], []
    for k in range(repeats):
        parts.append(sample)
        text.extend(script)
        for start, end, _voice, sentence in sentences[k * per_repeat : (k + 1) * per_repeat]:
            piece = terms_audio[int(float(start) * 16_000) : int(float(end) * 16_000)]
            parts.append(audio_tools.pad(piece, before=0.8, after=0.8))
            text.append(sentence)
    samples = audio_tools.concat(*parts)
    return Recording(samples, " ".join(text), len(samples) / 16_000)


def measure(recording: Recording, *, decoding: str, window: float, threads: int) -> Run:
    from transcription import engine

    hotwords, prompt = engine.priming(CHART) if decoding != "unprimed" else (None, None)
    before = loadavg()
    began = time.monotonic()
    result = engine.transcribe(
        recording.samples,
        hotwords=hotwords,
        initial_prompt=prompt,
        cpu_threads=threads,
        word_timestamps=True,
        window_seconds=window,
        batched=decoding == "batched",
    )
    wall = time.monotonic() - began
    reference = normalise(recording.reference)
    heard = normalise(" ".join(segment.text for segment in result.segments))
    said, found = term_counts(reference), term_counts(heard)
    hits = sum(min(count, found[word]) for word, count in said.items())
    extra = sum(max(0, count - said[word]) for word, count in found.items())
    return Run(
        decoding=decoding,
        window_s=window,
        wall_s=round(wall, 2),
        rtf=round(wall / recording.seconds, 4),
        terms_said=sum(said.values()),
        terms_found=hits,
        terms_invented=extra,
        recall=round(hits / max(1, sum(said.values())), 3),
        wer=round(100 * word_errors(reference, heard) / len(reference), 2),
        windows_redecoded=len(result.redecoded),
        load_before=before,
        load_after=loadavg(),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", default="12,16,20,24,28", help="window lengths in seconds")
    parser.add_argument("--decodings", default="sequential,batched")
    parser.add_argument("--repeats", type=int, default=4, help="times the sample is said (sentences spread over them)")
    parser.add_argument("--threads", type=int, default=0, help="CTranslate2 threads (0: its default)")
    parser.add_argument("--skip-unprimed", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from transcription import engine

    recording = build_recording(args.repeats)
    engine.get_model(None, cpu_threads=args.threads)
    runs = (
        []
        if args.skip_unprimed
        else [measure(recording, decoding="unprimed", window=engine.WINDOW_SECONDS, threads=args.threads)]
    )
    for window in (float(w) for w in args.windows.split(",")):
        for decoding in args.decodings.split(","):
            runs.append(measure(recording, decoding=decoding, window=window, threads=args.threads))
            print(json.dumps(asdict(runs[-1])), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({"audio_s": round(recording.seconds, 1), "runs": [asdict(r) for r in runs]}, indent=2))
        return 0
    rows = [
        (
            "decoding",
            "window s",
            "wall s",
            "RTF",
            "terms found / said",
            "invented",
            "recall",
            "WER %",
            "re-decoded",
            "load",
        )
    ]
    rows += [
        (
            r.decoding,
            f"{r.window_s:g}",
            f"{r.wall_s:.1f}",
            f"{r.rtf:.4f}",
            f"{r.terms_found} / {r.terms_said}",
            str(r.terms_invented),
            f"{r.recall:.3f}",
            f"{r.wer:.2f}",
            str(r.windows_redecoded),
            f"{r.load_before:.1f}->{r.load_after:.1f}",
        )
        for r in runs
    ]
    print(f"recording: {recording.seconds:.0f} s")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
