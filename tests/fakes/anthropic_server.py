"""A fake Anthropic Messages API on 127.0.0.1 for driving the real Claude Code CLI in tests.

Why: tests must run the real ``claude`` binary (DESIGN.md §6) without network or a key. This
server answers ``POST /v1/messages`` the way the real API does (an SSE stream, or one JSON body
when ``stream`` is false), records every request so a test can assert what Claude Code sent,
and answers anything else Claude Code asks for with something harmless so it never hangs.

Replies: ``replies`` is a queue of :class:`Reply` (or plain strings, meaning text replies) consumed
by *conversation* requests; side requests that Claude Code makes on its own (title generation,
quota checks, topic detection) get ``side_reply`` and do not consume the queue. When the queue is
empty the ``default`` reply is used. Alternatively ``responder`` (a function of the parsed request
body returning a str or Reply) decides every reply.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.base import LoopbackServer, QuietHandler

MODEL_FALLBACK = "claude-sonnet-4-5"


@dataclass
class ToolCall:
    """A tool_use content block the fake model emits (Claude Code then runs the tool)."""

    name: str
    input: dict[str, Any]
    id: str = ""


@dataclass
class Reply:
    """One assistant message: optional thinking, text, then tool calls."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    thinking: str | None = None
    #: When set, a streamed reply stops after its first text delta until this event is set
    #: (a reply still arriving: the user can interrupt it mid-stream).
    stall: threading.Event | None = None

    @property
    def stop_reason(self) -> str:
        return "tool_use" if self.tool_calls else "end_turn"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or the raw text when it is not JSON, or None when empty
    kind: str = ""  # "conversation", "side" or "" for non-messages endpoints

    def texts(self) -> str:
        """Every text in the request (system prompt and messages) joined: for `in` assertions."""
        return "\n".join(_all_texts(self.body))


def _all_texts(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, list):
        for item in node:
            out.extend(_all_texts(item))
    elif isinstance(node, dict):
        for key in ("system", "messages", "content", "text"):
            if key in node:
                out.extend(_all_texts(node[key]))
    return out


def is_conversation_request(body: Any) -> bool:
    """True for the main agent loop's requests, False for Claude Code's side calls.

    The main loop always offers tools (Bash, Read, ...); title generation, quota checks and
    similar helper calls do not, and subagent warm-ups say "Warmup". Tests only need this
    rough split; pass ``responder`` to FakeAnthropic to decide per request instead.
    """
    if not isinstance(body, dict) or not body.get("tools"):
        return False
    # Claude Code 2.0.x primes its subagents with a "Warmup" message that carries tools.
    messages = body.get("messages") or []
    first = _all_texts(messages[0]) if messages else []
    return not (first and first[-1].strip() == "Warmup")


Responder = Callable[[Any], "Reply | str"]


class FakeAnthropic(LoopbackServer):
    """Context manager running the fake server in a daemon thread: ``with FakeAnthropic() as s``."""

    def __init__(
        self,
        replies: list[Reply | str] | None = None,
        *,
        default: Reply | str = "OK from the fake model.",
        side_reply: Reply | str = "Fake title",
        responder: Responder | None = None,
        chunk_size: int = 16,
    ) -> None:
        self._queue: list[Reply] = [_as_reply(r) for r in (replies or [])]
        self.default = _as_reply(default)
        self.side_reply = _as_reply(side_reply)
        self.responder = responder
        self.chunk_size = chunk_size
        super().__init__()
        self.requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    @property
    def url(self) -> str:
        """Base URL for ANTHROPIC_BASE_URL (no trailing /v1: the SDK adds it)."""
        return self.origin

    # -- replies ---------------------------------------------------------------------------
    def add_reply(self, reply: Reply | str) -> None:
        with self._lock:
            self._queue.append(_as_reply(reply))

    def message_requests(self, kind: str | None = "conversation") -> list[RecordedRequest]:
        """Recorded POST /v1/messages requests, by default only the conversation ones."""
        with self._lock:
            reqs = [r for r in self.requests if r.path.startswith("/v1/messages")]
        reqs = [r for r in reqs if not r.path.startswith("/v1/messages/count_tokens")]
        return [r for r in reqs if kind is None or r.kind == kind]

    def _next_reply(self, body: Any) -> tuple[Reply, str]:
        kind = "conversation" if is_conversation_request(body) else "side"
        if self.responder is not None:
            return _as_reply(self.responder(body)), kind
        if kind == "side":
            return self.side_reply, kind
        with self._lock:
            if self._queue:
                return self._queue.pop(0), kind
        return self.default, kind

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"


def _as_reply(r: Reply | str) -> Reply:
    return r if isinstance(r, Reply) else Reply(text=str(r))


def _blocks(srv: FakeAnthropic, reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.thinking is not None:
        blocks.append({"type": "thinking", "thinking": reply.thinking, "signature": "fakesig"})
    if reply.text or not reply.tool_calls:
        blocks.append({"type": "text", "text": reply.text})
    for call in reply.tool_calls:
        tid = call.id or srv.new_id("toolu")
        blocks.append({"type": "tool_use", "id": tid, "name": call.name, "input": call.input})
    return blocks


def _usage(body: Any, out_tokens: int) -> dict[str, int]:
    size = len(json.dumps(body)) if body is not None else 0
    return {
        "input_tokens": max(1, size // 4),
        "output_tokens": out_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def _sse_events(
    srv: FakeAnthropic, reply: Reply, model: str, body: Any
) -> list[tuple[str, dict[str, Any]]]:
    msg_id = srv.new_id("msg")
    blocks = _blocks(srv, reply)
    out_tokens = max(1, sum(len(json.dumps(b)) for b in blocks) // 4)
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {**_usage(body, 1)},
                },
            },
        ),
        ("ping", {"type": "ping"}),
    ]
    n = srv.chunk_size
    for i, block in enumerate(blocks):
        start: dict[str, Any]
        deltas: list[dict[str, Any]]
        if block["type"] == "text":
            start = {"type": "text", "text": ""}
            text = block["text"]
            deltas = [
                {"type": "text_delta", "text": text[j : j + n]} for j in range(0, len(text), n)
            ]
        elif block["type"] == "thinking":
            start = {"type": "thinking", "thinking": ""}
            text = block["thinking"]
            deltas = [
                {"type": "thinking_delta", "thinking": text[j : j + n]}
                for j in range(0, len(text), n)
            ]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            raw = json.dumps(block["input"])
            deltas = [
                {"type": "input_json_delta", "partial_json": raw[j : j + n]}
                for j in range(0, len(raw), n)
            ]
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": i, "content_block": start},
            )
        )
        for d in deltas:
            events.append(
                ("content_block_delta", {"type": "content_block_delta", "index": i, "delta": d})
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": out_tokens},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def _make_handler(srv: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        gunzip = True

        def _send_json(self, status: int, obj: Any) -> None:
            self.send_json(obj, status, {"request-id": srv.new_id("req")})

        def _handle(self, method: str) -> None:
            body = self.read_json() if method in ("POST", "PUT", "PATCH") else None
            path = self.path.split("?", 1)[0]
            rec = RecordedRequest(method, self.path, self.header_dict(), body)
            if method == "POST" and path.rstrip("/") == "/v1/messages":
                reply, rec.kind = srv._next_reply(body)
                srv._record(rec)
                self._messages(body, reply)
                return
            srv._record(rec)
            if method == "HEAD":
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path.rstrip("/") == "/v1/messages/count_tokens":
                self._send_json(200, {"input_tokens": _usage(body, 0)["input_tokens"]})
            elif path.startswith("/v1/models"):
                model = {
                    "type": "model",
                    "id": MODEL_FALLBACK,
                    "display_name": "Fake Sonnet",
                    "created_at": "2025-01-01T00:00:00Z",
                }
                if path.rstrip("/") == "/v1/models":
                    self._send_json(
                        200,
                        {"data": [model], "has_more": False, "first_id": None, "last_id": None},
                    )
                else:
                    self._send_json(200, model)
            else:
                self._send_json(200, {})

        def _messages(self, body: Any, reply: Reply) -> None:
            model = body.get("model", MODEL_FALLBACK) if isinstance(body, dict) else MODEL_FALLBACK
            stream = isinstance(body, dict) and bool(body.get("stream"))
            if not stream:
                blocks = _blocks(srv, reply)
                self._send_json(
                    200,
                    {
                        "id": srv.new_id("msg"),
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": blocks,
                        "stop_reason": reply.stop_reason,
                        "stop_sequence": None,
                        "usage": _usage(body, max(1, len(json.dumps(blocks)) // 4)),
                    },
                )
                return
            self.start_sse({"request-id": srv.new_id("req")})
            stall = reply.stall
            for event, data in _sse_events(srv, reply, model, body):
                self.send_sse(data, event)
                if stall is not None and event == "content_block_delta":
                    stall.wait(60)
                    stall = None

        def do_POST(self) -> None:  # every method: self.command says which
            self._handle(self.command)

        do_GET = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_POST

    return Handler
