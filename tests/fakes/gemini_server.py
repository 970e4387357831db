"""A fake Gemini API (generativelanguage v1beta) on 127.0.0.1, for the real Gemini CLI.

Why: Gemini CLI reads ``GOOGLE_GEMINI_BASE_URL`` (the genai SDK's base URL), so a loopback
fake lets tests run the real CLI with no network and no key. Answers
``POST /v1beta/models/<model>:streamGenerateContent?alt=sse`` (SSE ``data:`` lines of
``GenerateContentResponse`` chunks), ``:generateContent`` (one JSON body; the CLI uses it for
side requests such as routing or titles), ``:countTokens`` and ``:embedContent``; records every
request; anything else gets an empty JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.base import QuietHandler, ScriptedServer


@dataclass
class GeminiRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any

    @property
    def action(self) -> str:
        """``streamGenerateContent``, ``generateContent``, ``countTokens``, ... ("" if none)."""
        path = self.path.split("?", 1)[0]
        return path.rsplit(":", 1)[1] if ":" in path.rsplit("/", 1)[-1] else ""

    def contents(self) -> list[dict[str, Any]]:
        if not isinstance(self.body, dict):
            return []
        got = self.body.get("contents")
        return [c for c in got if isinstance(c, dict)] if isinstance(got, list) else []

    def texts(self) -> str:
        """Every text part of the request's contents, joined (for `in` assertions)."""
        out = []
        for c in self.contents():
            for p in c.get("parts") or []:
                if isinstance(p, dict) and isinstance(p.get("text"), str):
                    out.append(p["text"])
        return "\n".join(out)


class FakeGemini(ScriptedServer):
    """``with FakeGemini(replies=["hi"]) as srv: srv.base_url`` (no trailing path)."""

    def __init__(
        self,
        replies: list[str] | None = None,
        *,
        default: str = "OK from the fake Gemini.",
        responder: Callable[[Any], str] | None = None,
        chunk_size: int = 12,
    ) -> None:
        super().__init__(replies, default, responder, chunk_size)
        self.requests: list[GeminiRequest] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _make_handler(self)

    @property
    def base_url(self) -> str:
        return self.origin

    def chat_requests(self) -> list[GeminiRequest]:
        """The streamed content requests: the conversation itself."""
        with self._lock:
            return [r for r in self.requests if r.action == "streamGenerateContent"]


def _usage(body: Any, text: str) -> dict[str, int]:
    prompt = max(1, len(json.dumps(body)) // 4)
    out = max(1, len(text) // 4)
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": out,
        "totalTokenCount": prompt + out,
    }


def _response(text: str, finish: str | None, usage: dict[str, int] | None) -> dict[str, Any]:
    cand: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    obj: dict[str, Any] = {"candidates": [cand], "modelVersion": "gemini-2.5-pro"}
    if usage:
        obj["usageMetadata"] = usage
    return obj


def _json_schema(body: Any) -> dict[str, Any] | None:
    """The response schema of a side request that wants JSON (the CLI's model router, ...)."""
    config = body.get("generationConfig") if isinstance(body, dict) else None
    if not isinstance(config, dict) or config.get("responseMimeType") != "application/json":
        return None
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    return schema if isinstance(schema, dict) else {"type": "OBJECT"}


def _from_schema(schema: Any) -> Any:
    """A small value that fits a JSON schema (Gemini's upper-case types or JSON Schema's)."""
    if not isinstance(schema, dict):
        return None
    if schema.get("enum"):
        return schema["enum"][0]
    kind = str(schema.get("type") or "object").lower()
    if kind == "object":
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        return {k: _from_schema(v) for k, v in props.items()}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 10
    if kind == "boolean":
        return False
    return "fake"


def _make_handler(srv: FakeGemini) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def _handle(self, method: str) -> None:
            body = self.read_json() if method == "POST" else None
            req = GeminiRequest(method, self.path, self.header_dict(), body)
            with srv._lock:
                srv.requests.append(req)
            action = req.action
            if action == "streamGenerateContent":
                self._stream(body)
            elif action == "generateContent":
                schema = _json_schema(body)
                text = json.dumps(_from_schema(schema)) if schema else srv._next_reply(body)
                self.send_json(_response(text, "STOP", _usage(body, text)))
            elif action == "countTokens":
                self.send_json({"totalTokens": max(1, len(json.dumps(body)) // 4)})
            elif action in ("embedContent", "batchEmbedContents"):
                self.send_json({"embedding": {"values": [0.0] * 8}})
            else:
                self.send_json({})

        def _stream(self, body: Any) -> None:
            text = srv._next_reply(body)
            self.start_sse()
            n = srv.chunk_size
            pieces = [text[i : i + n] for i in range(0, len(text), n)] or [""]
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                obj = _response(
                    piece, "STOP" if last else None, _usage(body, text) if last else None
                )
                self.send_sse(obj, newline="\r\n")

        def do_POST(self) -> None:  # and GET: self.command says which
            self._handle(self.command)

        do_GET = do_POST

    return Handler
