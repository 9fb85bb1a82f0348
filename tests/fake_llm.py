"""A fake OpenAI-compatible chat completions server for tests.

    with FakeLLMServer("ok", sections={"plan": "Journal daily."}) as server:
        engine = LLMEngine(server.base_url, "test-key", "fake-model", timeout=2, max_retries=1)
        draft = engine.generate(ctx)
        body = server.requests[0]          # the JSON body the server received

Behaviours (set `behaviour`, or `script` for one behaviour per request in turn):
- "ok": a valid reply built from the request's schema (json_schema or json_object
  mode), answering like a careful model:
  - a stage-one request (its schema asks for "facts") gets one fact per `fact_every`
    segments of its stretch (and its last), each the segment's own text citing its id;
  - a note request gets its sections from `sections` (key -> text, or key -> a list of
    {"text", "cites"} sent as given). Each sentence of a text cites the passage of the
    session data that shares most of its words (a fact cites the segments the fact cites),
    or nothing when none shares half of them. `facts_section` names a section that gets
    every fact of a two-stage compose request as a sentence with the fact's citations.
    Sections not given get the "no content" marker. `themes`, `goal_progress`,
    `plan_review` and `risk_statements` are returned as given (default: empty lists).
  `requests` records every body received; `data(body)` reads a request's session data.
- "500", "429", "400", "401", "404": that HTTP status with an OpenAI-style error body.
- "timeout": waits `delay` seconds before answering "ok" (use a client timeout below it).
- "malformed": 200 with content that is not JSON.
- "schema_violation": 200 with JSON that lacks required keys and adds an unknown one.
- "refusal": 200 with `message.refusal` set and no content.
- "content_filter": 200 with finish_reason "content_filter".
- "length": 200 with finish_reason "length" and the reply cut off, as at the token limit.
Only POST /v1/chat/completions is served; anything else is a 404.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

NO_CONTENT = "No relevant content in the recording or inputs."
DATA_OPEN, DATA_CLOSE = "<<<SESSION_DATA", "SESSION_DATA>>>"
_WORD = re.compile(r"[a-z0-9']{3,}")
ERROR_STATUSES = {"500": 500, "429": 429, "400": 400, "401": 401, "404": 404}


class FakeLLMServer:
    """Threaded HTTP server on 127.0.0.1 with a random free port; use as a context manager."""

    def __init__(
        self,
        behaviour: str = "ok",
        *,
        sections: dict[str, Any] | None = None,
        themes: list[str] | None = None,
        goal_progress: list[dict[str, Any]] | None = None,
        risk_statements: list[dict[str, str]] | None = None,
        plan_review: list[dict[str, Any]] | None = None,
        script: list[str] | None = None,
        delay: float = 3.0,
        fact_every: int = 25,
        facts_section: str | None = None,
    ) -> None:
        self.behaviour = behaviour
        self.sections: dict[str, Any] = sections or {}
        self.plan_review = plan_review or []
        self.fact_every = fact_every
        self.facts_section = facts_section
        self.themes = themes or []
        self.goal_progress = goal_progress or []
        self.risk_statements = risk_statements or []
        self.script = list(script or [])
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll interval makes shutdown (and so each test) fast.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()  # wakes handlers sleeping in "timeout"
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def next_behaviour(self, body: dict[str, Any]) -> str:
        """Record the request and pick the behaviour for it."""
        with self._lock:
            self.requests.append(body)
            return self.script.pop(0) if self.script else self.behaviour

    def reply_content(self, body: dict[str, Any]) -> dict[str, Any]:
        """A reply that satisfies the request's schema, filled from the configured texts."""
        schema = _request_schema(body)
        data = self.data(body)
        if "facts" in schema.get("properties", {}):
            return {"facts": _facts(data.get("transcript", []), self.fact_every)}
        keys = list(schema.get("properties", {}).get("sections", {}).get("properties", {}))
        passages = _passages(data)
        sections = {key: _cited(self.sections.get(key, NO_CONTENT), passages) for key in keys}
        if self.facts_section in sections:
            facts = data.get("transcript_facts", [])
            sections[self.facts_section] = [{"text": f["text"], "cites": f["cites"]} for f in facts]
        return {
            "sections": sections,
            "themes": self.themes,
            "goal_progress": self.goal_progress,
            "plan_review": self.plan_review,
            "risk_statements": self.risk_statements,
        }

    @staticmethod
    def data(body: dict[str, Any]) -> dict[str, Any]:
        """The session data of a request (the JSON between the markers of its user message)."""
        user = body["messages"][-1]["content"]
        block = user.split(DATA_OPEN + "\n", 1)[1].split("\n" + DATA_CLOSE, 1)[0]
        return dict(json.loads(block))

    def wait(self, seconds: float) -> None:
        self._closing.wait(seconds)


def _facts(transcript: list[dict[str, str]], every: int) -> list[dict[str, Any]]:
    chosen = [entry for i, entry in enumerate(transcript) if i % every == 0 or i == len(transcript) - 1]
    return [{"text": entry["text"], "cites": [entry["id"]]} for entry in chosen]


def _passages(data: dict[str, Any]) -> list[tuple[list[str], set[str]]]:
    """(the ids to cite, the words) of everything in the session data a sentence may rest on."""
    found = [([e["id"]], _words(e["text"])) for e in data.get("transcript", [])]
    found += [(f["cites"], _words(f["text"])) for f in data.get("transcript_facts", [])]
    for group in data.get("typed_inputs", []):
        found += [([s["id"]], _words(s["text"])) for s in group["sentences"]]
    for note in data.get("prior_notes", []):
        found += [([s["id"]], _words(s["text"])) for s in note["passages"]]
    return found


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _cited(text: str | list[dict[str, Any]], passages: list[tuple[list[str], set[str]]]) -> list[dict[str, Any]]:
    if not isinstance(text, str):
        return text
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    cited = []
    for sentence in sentences:
        words = _words(sentence)
        best = max(passages, key=lambda p: len(words & p[1]), default=([], set()))
        enough = words and len(words & best[1]) * 2 >= len(words) and sentence != NO_CONTENT
        cited.append({"text": sentence, "cites": best[0] if enough else []})
    return cited


def _request_schema(body: dict[str, Any]) -> dict[str, Any]:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return dict(response_format.get("json_schema", {}).get("schema", {}))
    return dict(response_format.get("schema", {}))


def _completion(model: str, content: str | None, *, refusal: str | None = None, finish: str = "stop") -> bytes:
    message = {"role": "assistant", "content": content, "refusal": refusal}
    return json.dumps(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    ).encode()


def _reply(server: FakeLLMServer, behaviour: str, body: dict[str, Any]) -> tuple[int, bytes]:
    model = str(body.get("model", "fake-model"))
    if behaviour in ERROR_STATUSES:
        error = {"error": {"message": f"fake {behaviour}", "type": "fake_error", "param": None, "code": None}}
        return ERROR_STATUSES[behaviour], json.dumps(error).encode()
    if behaviour == "malformed":
        return 200, _completion(model, "Here is your note: {sections: oops")
    if behaviour == "schema_violation":
        return 200, _completion(model, json.dumps({"sections": {}, "unexpected": True}))
    if behaviour == "refusal":
        return 200, _completion(model, None, refusal="I can't help with that.")
    if behaviour == "content_filter":
        return 200, _completion(model, None, finish="content_filter")
    if behaviour == "length":
        return 200, _completion(model, json.dumps(server.reply_content(body))[:200], finish="length")
    if behaviour == "timeout":
        server.wait(server.delay)
    return 200, _completion(model, json.dumps(server.reply_content(body)))


def _handler_for(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, b'{"error": {"message": "not found"}}')
                return
            self._send(*_reply(server, server.next_behaviour(body), body))

        def _send(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test); nothing to do

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler
