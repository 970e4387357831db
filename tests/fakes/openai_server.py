"""A fake OpenAI-compatible chat-completions API on 127.0.0.1 (for aider and similar CLIs).

Why: aider (and many other tools) speak the OpenAI protocol and accept a base URL, so a
loopback fake lets tests run the real tool with no network and no key. Answers
``POST /v1/chat/completions`` (SSE chunks when ``stream`` is true, one JSON body otherwise)
and ``GET /v1/models``; records every request; anything else gets an empty JSON object.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any

    def texts(self) -> str:
        """All message contents of a chat request joined, for `in` assertions."""
        if not isinstance(self.body, dict):
            return ""
        out = []
        for m in self.body.get("messages") or []:
            content = m.get("content")
            if isinstance(content, str):
                out.append(content)
            elif isinstance(content, list):
                out.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return "\n".join(out)


class FakeOpenAI:
    """``with FakeOpenAI(replies=["hi"]) as srv: srv.base_url`` (ends in /v1)."""

    def __init__(
        self,
        replies: list[str] | None = None,
        *,
        default: str = "OK from the fake model.",
        responder: Callable[[Any], str] | None = None,
        chunk_size: int = 8,
    ) -> None:
        self._queue = list(replies or [])
        self.default = default
        self.responder = responder
        self.chunk_size = chunk_size
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeOpenAI:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0].endswith("/chat/completions")]

    def _next_reply(self, body: Any) -> str:
        if self.responder is not None:
            return self.responder(body)
        with self._lock:
            return self._queue.pop(0) if self._queue else self.default

    def new_id(self) -> str:
        return f"chatcmpl-fake{next(self._ids):06d}"


def _usage(body: Any, text: str) -> dict[str, int]:
    prompt = max(1, len(json.dumps(body)) // 4)
    completion = max(1, len(text) // 4)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _make_handler(srv: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw:
                return None
            try:
                return json.loads(raw)
            except ValueError:
                return raw.decode("utf-8", "replace")

        def _json(self, obj: Any, status: int = 200) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            body = self._body() if method == "POST" else None
            with srv._lock:
                srv.requests.append(
                    RecordedRequest(
                        method, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
            path = self.path.split("?", 1)[0].rstrip("/")
            if method == "POST" and path.endswith("/chat/completions"):
                self._chat(body)
            elif method == "POST" and path.endswith("/responses"):
                self._responses(body)
            elif path.endswith("/models"):
                self._json(
                    {
                        "object": "list",
                        "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "fake"}],
                    }
                )
            else:
                self._json({})

        def _chat(self, body: Any) -> None:
            text = srv._next_reply(body)
            model = body.get("model", "gpt-4o-mini") if isinstance(body, dict) else "gpt-4o-mini"
            cid, created = srv.new_id(), int(time.time())
            if not (isinstance(body, dict) and body.get("stream")):
                self._json(
                    {
                        "id": cid,
                        "object": "chat.completion",
                        "created": created,
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": _usage(body, text),
                    }
                )
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

            def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> None:
                obj = {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    **extra,
                }
                self.wfile.write(f"data: {json.dumps(obj)}\n\n".encode())
                self.wfile.flush()

            chunk({"role": "assistant", "content": ""})
            n = srv.chunk_size
            for i in range(0, len(text), n):
                chunk({"content": text[i : i + n]})
            chunk({}, "stop", usage=_usage(body, text))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _responses(self, body: Any) -> None:
            """The Responses API as Codex CLI streams it: created, the text, completed."""
            text = srv._next_reply(body)
            rid, mid = f"resp_{srv.new_id()}", f"msg_{srv.new_id()}"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            message = {
                "type": "message",
                "role": "assistant",
                "id": mid,
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
            usage = {
                "input_tokens": 10,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": max(1, len(text) // 4),
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 10 + max(1, len(text) // 4),
            }
            events = [
                {"type": "response.created", "response": {"id": rid}},
                {"type": "response.output_item.added", "output_index": 0, "item": message},
                {"type": "response.output_text.delta", "item_id": mid, "delta": text},
                {"type": "response.output_item.done", "output_index": 0, "item": message},
                {"type": "response.completed", "response": {"id": rid, "usage": usage}},
            ]
            for ev in events:
                self.wfile.write(f"event: {ev['type']}\ndata: {json.dumps(ev)}\n\n".encode())
            self.wfile.flush()

        def do_POST(self) -> None:
            self._handle("POST")

        def do_GET(self) -> None:
            self._handle("GET")

        def do_HEAD(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler
