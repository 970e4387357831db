"""A fake OpenAI Responses API on loopback: what the real Codex CLI talks to in the tests.

Codex CLI (0.171.0) speaks only the Responses API (`wire_api = "responses"`): POST
`/v1/responses` with `"stream": true`, answered by Server-Sent Events — `response.created`,
`response.output_item.added`, `response.content_part.added`, `response.output_text.delta`…,
`response.output_text.done`, `response.output_item.done`, `response.completed` (with usage).
Every request body is recorded so a test can check what the model was sent (`input`).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.base import LoopbackServer, QuietHandler


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: Any

    def messages(self) -> list[tuple[str, str]]:
        """(role, text) of every message item of the request's `input`."""
        out: list[tuple[str, str]] = []
        for item in (self.body or {}).get("input", []) if isinstance(self.body, dict) else []:
            if isinstance(item, dict) and item.get("type") == "message":
                texts = [
                    c.get("text", "") for c in item.get("content") or [] if isinstance(c, dict)
                ]
                out.append((str(item.get("role")), "\n".join(texts)))
        return out


class FakeResponses(LoopbackServer):
    """``with FakeResponses(["reply 1", "reply 2"]) as srv``; ``srv.base_url`` ends in /v1."""

    def __init__(self, replies: list[str] | None = None, default: str = "OK (fake).") -> None:
        self.replies = list(replies or [])
        self.default = default
        super().__init__()
        self.requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler(self)

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def response_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and "/responses" in r.path]

    def _take(self, body: Any) -> tuple[str, int]:
        with self._lock:
            self.requests.append(RecordedRequest("POST", "/v1/responses", body))
            return (self.replies.pop(0) if self.replies else self.default), next(self._ids)


def _handler(srv: FakeResponses) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            with srv._lock:
                srv.requests.append(RecordedRequest("GET", self.path, None))
            self.send_json({"object": "list", "data": []})

        def do_POST(self) -> None:
            body = self.read_json(text_fallback=False)
            text, k = srv._take(body)
            self.start_sse()
            for event in _events(text, k, (body or {}).get("model", "fake")):
                self.send_sse(event, event["type"])

    return Handler


def _events(text: str, k: int, model: str) -> list[dict[str, Any]]:
    rid, mid = f"resp_{k}", f"msg_{k}"
    resp = {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "status": "in_progress",
        "model": model,
        "output": [],
    }
    part = {"item_id": mid, "output_index": 0, "content_index": 0}
    item = {
        "id": mid,
        "type": "message",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    usage = {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 15,
    }
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": resp},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**item, "status": "in_progress", "content": []},
        },
        {
            "type": "response.content_part.added",
            **part,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ]
    events += [
        {"type": "response.output_text.delta", **part, "delta": text[i : i + 16]}
        for i in range(0, len(text), 16)
    ]
    events += [
        {"type": "response.output_text.done", **part, "text": text},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {
            "type": "response.completed",
            "response": {**resp, "status": "completed", "output": [item], "usage": usage},
        },
    ]
    return events
