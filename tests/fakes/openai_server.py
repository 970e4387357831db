"""A fake OpenAI-compatible chat-completions API on 127.0.0.1 (for aider and similar CLIs).

Why: aider (and many other tools) speak the OpenAI protocol and accept a base URL, so a
loopback fake lets tests run the real tool with no network and no key. Answers
``POST /v1/chat/completions`` (SSE chunks when ``stream`` is true, one JSON body otherwise)
and ``GET /v1/models``; records every request; anything else gets an empty JSON object.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.base import QuietHandler, ScriptedServer


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


class FakeOpenAI(ScriptedServer):
    """``with FakeOpenAI(replies=["hi"]) as srv: srv.base_url`` (ends in /v1)."""

    def __init__(
        self,
        replies: list[str] | None = None,
        *,
        default: str = "OK from the fake model.",
        responder: Callable[[Any], str] | None = None,
        chunk_size: int = 8,
    ) -> None:
        super().__init__(replies, default, responder, chunk_size)
        self.requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0].endswith("/chat/completions")]

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
    class Handler(QuietHandler):
        def _handle(self, method: str) -> None:
            body = self.read_json() if method == "POST" else None
            with srv._lock:
                srv.requests.append(RecordedRequest(method, self.path, self.header_dict(), body))
            path = self.path.split("?", 1)[0].rstrip("/")
            if method == "POST" and path.endswith("/chat/completions"):
                self._chat(body)
            elif method == "POST" and path.endswith("/responses"):
                self._responses(body)
            elif path.endswith("/models"):
                self.send_json(
                    {
                        "object": "list",
                        "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "fake"}],
                    }
                )
            else:
                self.send_json({})

        def _chat(self, body: Any) -> None:
            text = srv._next_reply(body)
            model = body.get("model", "gpt-4o-mini") if isinstance(body, dict) else "gpt-4o-mini"
            cid, created = srv.new_id(), int(time.time())
            if not (isinstance(body, dict) and body.get("stream")):
                self.send_json(
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
            self.start_sse()

            def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> None:
                obj = {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    **extra,
                }
                self.send_sse(obj)

            chunk({"role": "assistant", "content": ""})
            n = srv.chunk_size
            for i in range(0, len(text), n):
                chunk({"content": text[i : i + n]})
            chunk({}, "stop", usage=_usage(body, text))
            self.send_sse("[DONE]")

        def _responses(self, body: Any) -> None:
            """The Responses API as Codex CLI streams it: created, the text, completed."""
            text = srv._next_reply(body)
            rid, mid = f"resp_{srv.new_id()}", f"msg_{srv.new_id()}"
            self.start_sse()
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
                self.send_sse(ev, ev["type"])

        def do_POST(self) -> None:  # and GET: self.command says which
            self._handle(self.command)

        do_GET = do_POST

        def do_HEAD(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler
