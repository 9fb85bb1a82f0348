"""A fake OpenAI-compatible chat completions server for tests.

    with FakeLLMServer("ok", sections={"plan": "Journal daily."}) as server:
        engine = LLMEngine(server.base_url, "test-key", "fake-model", timeout=2, max_retries=1)
        draft = engine.generate(ctx)
        body = server.requests[0]          # the JSON body the server received

Behaviours (set `behaviour`, or `script` for one behaviour per request in turn):
- "ok": a valid reply built from the request's schema (json_schema or json_object
  mode). Section texts come from `sections` (key -> text); sections not given get
  the "no content" marker. `themes`, `goal_progress` and `risk_statements` are
  returned as given (default: empty lists).
- "500", "429", "400", "401", "404": that HTTP status with an OpenAI-style error body.
- "timeout": waits `delay` seconds before answering "ok" (use a client timeout below it).
- "malformed": 200 with content that is not JSON.
- "schema_violation": 200 with JSON that lacks required keys and adds an unknown one.
- "refusal": 200 with `message.refusal` set and no content.
- "content_filter": 200 with finish_reason "content_filter".
Only POST /v1/chat/completions is served; anything else is a 404.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

NO_CONTENT = "No relevant content in the recording or inputs."
ERROR_STATUSES = {"500": 500, "429": 429, "400": 400, "401": 401, "404": 404}


class FakeLLMServer:
    """Threaded HTTP server on 127.0.0.1 with a random free port; use as a context manager."""

    def __init__(
        self,
        behaviour: str = "ok",
        *,
        sections: dict[str, str] | None = None,
        themes: list[str] | None = None,
        goal_progress: list[dict[str, str]] | None = None,
        risk_statements: list[dict[str, str]] | None = None,
        script: list[str] | None = None,
        delay: float = 3.0,
    ) -> None:
        self.behaviour = behaviour
        self.sections = sections or {}
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
        keys = list(schema.get("properties", {}).get("sections", {}).get("properties", {}))
        return {
            "sections": {key: self.sections.get(key, NO_CONTENT) for key in keys},
            "themes": self.themes,
            "goal_progress": self.goal_progress,
            "risk_statements": self.risk_statements,
        }

    def wait(self, seconds: float) -> None:
        self._closing.wait(seconds)


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
