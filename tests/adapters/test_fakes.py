"""The fake API servers speak the protocols the real CLIs expect (checked with plain HTTP)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from tests.fakes.anthropic_server import FakeAnthropic, Reply, ToolCall
from tests.fakes.openai_server import FakeOpenAI

TOOLS = [{"name": "Bash", "input_schema": {"type": "object"}}]


def _post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[str, str]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.headers.get("content-type", ""), resp.read().decode()


def _sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_anthropic_stream_events_and_recording() -> None:
    reply = Reply(text="Hello there", thinking="hmm", tool_calls=[ToolCall("Bash", {"c": "ls"})])
    with FakeAnthropic(replies=[reply], chunk_size=4) as srv:
        body = {"model": "m1", "stream": True, "tools": TOOLS,
                "messages": [{"role": "user", "content": "hi"}]}  # fmt: skip
        ctype, text = _post(srv.url + "/v1/messages?beta=true", body, {"x-api-key": "k"})
        assert ctype == "text/event-stream"
        events = _sse(text)
        names = [e for e, _ in events]
        assert names[:2] == ["message_start", "ping"]
        assert names[-2:] == ["message_delta", "message_stop"]
        starts = [d["content_block"]["type"] for e, d in events if e == "content_block_start"]
        assert starts == ["thinking", "text", "tool_use"]
        text_out = "".join(
            d["delta"]["text"] for e, d in events if d.get("delta", {}).get("type") == "text_delta"
        )
        assert text_out == "Hello there"
        tool_json = "".join(
            d["delta"]["partial_json"]
            for e, d in events
            if d.get("delta", {}).get("type") == "input_json_delta"
        )
        assert json.loads(tool_json) == {"c": "ls"}
        assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
        assert events[0][1]["message"]["model"] == "m1"
        (rec,) = srv.message_requests()
        assert rec.body == body and rec.headers["x-api-key"] == "k" and rec.texts() == "hi"


def test_anthropic_queue_side_calls_and_other_endpoints() -> None:
    with FakeAnthropic(replies=["first", "second"], default="later", side_reply="Title") as srv:
        convo = {"model": "m", "tools": TOOLS, "messages": [{"role": "user", "content": "q"}]}
        side = {"model": "haiku", "messages": [{"role": "user", "content": "title this"}]}
        warmup = {**convo, "messages": [{"role": "user", "content": "Warmup"}]}
        texts = []
        for body in (convo, side, warmup, convo, convo):
            _, raw = _post(srv.url + "/v1/messages", body)  # stream absent: one JSON body
            texts.append(json.loads(raw)["content"][0]["text"])
        assert texts == ["first", "Title", "Title", "second", "later"]
        assert len(srv.message_requests()) == 3
        assert len(srv.message_requests(kind="side")) == 2
        _, counted = _post(srv.url + "/v1/messages/count_tokens", convo)
        assert json.loads(counted)["input_tokens"] > 0
        with urllib.request.urlopen(srv.url + "/v1/models", timeout=10) as resp:
            assert json.loads(resp.read())["data"][0]["type"] == "model"
        _, other = _post(srv.url + "/api/event_logging/batch", {"events": []})
        assert json.loads(other) == {}


def test_anthropic_responder_decides_every_reply() -> None:
    def answer(body: Any) -> str:
        return "echo: " + body["messages"][-1]["content"]

    with FakeAnthropic(responder=answer) as srv:
        _, raw = _post(srv.url + "/v1/messages", {"messages": [{"role": "user", "content": "x"}]})
        assert json.loads(raw)["content"][0]["text"] == "echo: x"


def test_openai_stream_and_plain() -> None:
    with FakeOpenAI(replies=["streamed reply", "plain reply"], chunk_size=3) as srv:
        body = {"model": "gpt-4o-mini", "stream": True,
                "messages": [{"role": "user", "content": "hello"}]}  # fmt: skip
        ctype, text = _post(srv.base_url + "/chat/completions", body)
        assert ctype == "text/event-stream"
        datas = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
        assert datas[-1] == "[DONE]"
        chunks = [json.loads(d) for d in datas[:-1]]
        content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        assert content == "streamed reply"
        assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
        _, raw = _post(srv.base_url + "/chat/completions", {**body, "stream": False})
        assert json.loads(raw)["choices"][0]["message"]["content"] == "plain reply"
        with urllib.request.urlopen(srv.base_url + "/models", timeout=10) as resp:
            assert json.loads(resp.read())["data"][0]["id"] == "gpt-4o-mini"
        assert [r.texts() for r in srv.chat_requests()] == ["hello", "hello"]
