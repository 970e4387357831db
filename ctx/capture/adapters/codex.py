"""Codex CLI rollouts: ``~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl``.

Why: Codex records every session as JSONL (codex-rs ``RolloutRecorder``); each line is
``{"timestamp", "type", "payload"}`` with type ``session_meta`` (first line: id, cwd,
cli_version, git), ``response_item`` (what the model saw and said), ``turn_context`` (model,
cwd per turn), ``event_msg`` (UI events) or ``compacted``.

Taken: ``response_item`` messages of role user/assistant (the ``developer`` role and the
context Codex injects as user text — ``<environment_context>``, ``<user_instructions>``,
AGENTS.md — are left out), tool calls (``function_call``, ``custom_tool_call``,
``local_shell_call``, ``web_search_call``) as role "tool" turns and their outputs, clipped.
Reasoning summaries go to the next turn's ``meta["thinking"]``. ``event_msg`` user/agent
messages duplicate the response items and are used only when a file has no message items.
An interrupted turn (``event_msg`` ``turn_aborted``, or the ``<turn_aborted>`` user message
newer releases put in the history) is a ``system`` turn with ``meta["generated"] =
"interrupt"``: Codex wrote it, nobody said it.
The pre-2025 TypeScript CLI wrote bare items without the envelope; those parse too.
"""

from __future__ import annotations

import json
import os
import shlex
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from ctx.capture.adapters import (
    MAX_LISTED_PROBLEMS,
    RESUME_MARKER,
    clip,
    clip_value,
    first_text,
    in_window,
    iso_ts,
    iter_jsonl,
    to_epoch,
)
from ctx.core.jsonline import loads_line
from ctx.core.models import TranscriptHeader, TranscriptTurn

INJECTED_PREFIXES = (
    "<environment_context>",
    "<user_instructions>",
    "# AGENTS.md instructions",
    "<INSTRUCTIONS>",
)
ABORTED_PREFIX = "<turn_aborted>"
_CALL_TYPES = ("function_call", "custom_tool_call", "local_shell_call", "web_search_call")
_OUTPUT_TYPES = ("function_call_output", "custom_tool_call_output")
_KNOWN_EVENTS_IGNORED = ("turn_context", "compacted")


def codex_home(home: str | os.PathLike[str] | None = None) -> Path:
    """``~/.codex``, or ``$CODEX_HOME`` when set and no home is given."""
    if home is None:
        env = os.environ.get("CODEX_HOME")
        if env:
            return Path(env)
        home = Path.home()
    return Path(home) / ".codex"


def _head_meta(path: Path) -> dict[str, Any]:
    """The session_meta payload from the first lines of a rollout ({} when absent)."""
    try:
        with open(path, "rb") as fh:
            for _ in range(5):
                raw = fh.readline(4_000_000)
                if not raw:
                    break
                rec, error = loads_line(raw)
                if error is not None:
                    continue
                if isinstance(rec, dict) and rec.get("type") == "session_meta":
                    payload = rec.get("payload")
                    return payload if isinstance(payload, dict) else {}
    except OSError:
        pass
    return {}


def _is_subagent(meta: dict[str, Any]) -> bool:
    source = meta.get("source")
    return (isinstance(source, dict) and "subagent" in source) or "parent_thread_id" in meta


def find_rollouts(
    since: datetime | float | str | None = None,
    until: datetime | float | str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    home: str | os.PathLike[str] | None = None,
    include_subagents: bool = False,
) -> list[Path]:
    """Rollout files modified in [since, until], oldest first.

    With ``cwd``, only sessions whose ``session_meta.cwd`` is that directory (symlinks
    resolved). Rollouts of Codex sub-agents are left out unless asked for.
    """
    root = codex_home(home) / "sessions"
    if not root.is_dir():
        return []
    lo, hi = to_epoch(since), to_epoch(until)
    want = os.path.realpath(cwd) if cwd is not None else None
    out = []
    for p in root.rglob("rollout-*.jsonl"):
        if not p.is_file() or not in_window(p, lo, hi):
            continue
        if want is not None or not include_subagents:
            meta = _head_meta(p)
            if not include_subagents and _is_subagent(meta):
                continue
            if want is not None:
                got = meta.get("cwd")
                if not isinstance(got, str) or os.path.realpath(got) != want:
                    continue
        out.append(p)
    return sorted(out, key=lambda p: (p.stat().st_mtime, p.name))


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for item in content if isinstance(content, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("type") in ("input_image", "image"):
            parts.append("[image]")
        elif isinstance(item.get("text"), str):
            parts.append(item["text"])
    return "\n".join(p for p in parts if p)


def _output_text(output: Any) -> tuple[str, dict[str, Any]]:
    """Tool output: a string, content items, or the old ``{content, success}`` object."""
    meta: dict[str, Any] = {}
    if isinstance(output, dict):
        if output.get("success") is False:
            meta["is_error"] = True
        output = output.get("content", "")
    if isinstance(output, list):
        return _message_text(output), meta
    text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    # Older shell outputs are JSON: {"output": "...", "metadata": {"exit_code": 1, ...}}.
    if text.startswith("{") and '"output"' in text:
        obj, _error = loads_line(text)
        if isinstance(obj, dict) and isinstance(obj.get("output"), str):
            md = obj.get("metadata")
            if isinstance(md, dict) and isinstance(md.get("exit_code"), int):
                meta["exit_code"] = md["exit_code"]
                if md["exit_code"] != 0:
                    meta["is_error"] = True
            text = obj["output"]
    return text, meta


def _call_summary(payload: dict[str, Any]) -> tuple[str, Any]:
    """(name, parsed input) of any call item."""
    ptype = payload.get("type")
    if ptype == "local_shell_call":
        action = payload.get("action") if isinstance(payload.get("action"), dict) else {}
        return "local_shell", action
    if ptype == "web_search_call":
        return "web_search", payload.get("action")
    name = str(payload.get("name") or ptype)
    raw = payload.get("arguments", payload.get("input"))
    if isinstance(raw, str):
        parsed, error = loads_line(raw)
        return name, (raw if error is not None else parsed)
    return name, raw


def _input_line(name: str, value: Any) -> str:
    if isinstance(value, dict):
        for key in ("command", "cmd", "query", "path", "file_path"):
            cmd = value.get(key)
            if isinstance(cmd, list) and all(isinstance(c, str) for c in cmd):
                return f"[{name}] {clip(shlex.join(cmd), 500)}"
            if isinstance(cmd, str) and cmd.strip():
                return f"[{name}] {clip(cmd, 500)}"
    if isinstance(value, str):
        return f"[{name}] {clip(value, 500)}"
    if value in (None, {}, []):
        return f"[{name}]"
    return f"[{name}] {clip(json.dumps(value, ensure_ascii=False), 500)}"


class _Parser:
    def __init__(self) -> None:
        self.turns: list[TranscriptTurn] = []
        self.fallback: list[TranscriptTurn] = []  # from event_msg, used if no message items
        self.meta: dict[str, Any] = {}
        self.models: list[str] = []
        self.times: list[str] = []
        self.title: str | None = None
        self.thinking: list[str] = []
        self.call_names: dict[str, str] = {}
        self.records = 0
        self.malformed: list[int] = []
        self.unknown: Counter[str] = Counter()
        self.ignored = 0
        self.truncated_tail = False
        self.has_messages = False
        self.continues: str | None = None
        self.resumed = 0
        self.aborted_items = 0  # <turn_aborted> messages (then the events are duplicates)

    def _add(self, turn: TranscriptTurn) -> None:
        if self.thinking:
            turn.meta["thinking"] = clip("\n\n".join(self.thinking))
            self.thinking = []
        self.turns.append(turn)

    def feed(self, number: int, value: Any, complete: bool) -> None:
        self.records += 1
        if not isinstance(value, dict):
            if complete:
                self.malformed.append(number)
            else:
                self.truncated_tail = True
            return
        ts = iso_ts(value.get("timestamp"))
        if ts:
            self.times.append(ts)
        rtype, payload = value.get("type"), value.get("payload")
        if "payload" not in value:
            # Legacy TypeScript CLI: a bare meta object first, then bare response items.
            if number == 1 and "id" in value and "type" not in value:
                rtype, payload = "session_meta", value
            elif rtype in ("message", "reasoning", *_CALL_TYPES, *_OUTPUT_TYPES):
                rtype, payload = "response_item", value
            elif value.get("record_type") == "state":
                self.ignored += 1
                return
        if not isinstance(payload, dict):
            self.malformed.append(number)
            return
        resumed = value.get(RESUME_MARKER)
        if isinstance(resumed, str) and rtype in ("response_item", "event_msg"):
            # rebuilt by `ctx resume`: those turns are stored already, in the session continued
            self.continues = resumed
            if payload.get("type") != "thread_name_updated":
                self.resumed += 1
                return
        if rtype == "session_meta":
            if not self.meta:
                self.meta = payload
        elif rtype == "response_item":
            self._item(payload, ts)
        elif rtype == "turn_context":
            model = payload.get("model")
            if isinstance(model, str) and model and model not in self.models:
                self.models.append(model)
        elif rtype == "event_msg":
            self._event(payload, ts)
        elif rtype in _KNOWN_EVENTS_IGNORED:
            self.ignored += 1
        else:
            self.unknown[str(rtype)] += 1

    def _item(self, p: dict[str, Any], ts: str | None) -> None:
        ptype = p.get("type")
        item_id = p.get("id") if isinstance(p.get("id"), str) else None
        if ptype == "message":
            role = p.get("role")
            text = _message_text(p.get("content")).strip()
            if role not in ("user", "assistant") or not text:
                self.ignored += 1
                return
            self.has_messages = True
            if role == "user" and text.startswith(INJECTED_PREFIXES):
                self.ignored += 1
                return
            if role == "user" and text.startswith(ABORTED_PREFIX):
                self.aborted_items += 1
                meta: dict[str, Any] = {"generated": "interrupt"}
                self._add(TranscriptTurn("system", text, ts, item_id, meta))
                return
            self._add(TranscriptTurn(str(role), text, ts, item_id, {}))
        elif ptype == "reasoning":
            summary = p.get("summary")
            text = _message_text(summary) if isinstance(summary, list) else ""
            if text.strip():
                self.thinking.append(text.strip())
        elif ptype in _CALL_TYPES:
            name, args = _call_summary(p)
            call_id = p.get("call_id") if isinstance(p.get("call_id"), str) else None
            if call_id:
                self.call_names[call_id] = name
            meta = {"kind": "tool_use", "tool": name, "call_id": call_id, "input": clip_value(args)}
            self._add(TranscriptTurn("tool", _input_line(name, args), ts, call_id or item_id, meta))
        elif ptype in _OUTPUT_TYPES:
            call_id = p.get("call_id") if isinstance(p.get("call_id"), str) else None
            raw, extra = _output_text(p.get("output"))
            raw = raw.rstrip()
            text = clip(raw)
            meta = {"kind": "tool_result", "call_id": call_id, **extra}
            if call_id in self.call_names:
                meta["tool"] = self.call_names[str(call_id)]
            if text != raw:
                meta["truncated"] = True
                meta["bytes"] = len(raw.encode("utf-8"))
            ident = f"{call_id}:output" if call_id else None
            self._add(TranscriptTurn("tool", text, ts, ident, meta))
        else:
            self.unknown[f"response_item/{ptype}"] += 1

    def _event(self, p: dict[str, Any], ts: str | None) -> None:
        etype = p.get("type")
        if etype in ("user_message", "agent_message"):
            text = first_text(p.get("message")).strip()
            if text:
                role = "user" if etype == "user_message" else "assistant"
                self.fallback.append(TranscriptTurn(role, text, ts, None, {}))
        elif etype == "turn_aborted":
            reason = p.get("reason") if isinstance(p.get("reason"), str) else "interrupted"
            meta = {"generated": "interrupt", "reason": reason, "from_event": True}
            turn = TranscriptTurn("system", f"[turn aborted: {reason}]", ts, None, meta)
            self.turns.append(turn)
            self.fallback.append(TranscriptTurn("system", turn.text, ts, None, dict(meta)))
        elif etype == "thread_name_updated" and isinstance(p.get("thread_name"), str):
            self.title = p["thread_name"]
        else:
            self.ignored += 1

    def result(self, path: Path) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
        def from_event(t: TranscriptTurn) -> bool:
            return bool(t.meta.get("from_event"))

        if self.has_messages:
            # a <turn_aborted> message already says it: drop the event's copy
            turns = [t for t in self.turns if not (self.aborted_items and from_event(t))]
        else:
            turns = self.fallback + [t for t in self.turns if not from_event(t)]
        raw_git = self.meta.get("git")
        git: dict[str, Any] = raw_git if isinstance(raw_git, dict) else {}
        meta: dict[str, Any] = {
            "source_path": str(path),
            "records": self.records,
            "skipped": len(self.malformed) + sum(self.unknown.values()) + int(self.truncated_tail),
        }
        optional = {
            "codex_version": self.meta.get("cli_version"),
            "originator": self.meta.get("originator"),
            "model_provider": self.meta.get("model_provider"),
            "model": self.models[0] if self.models else self.meta.get("model"),
            "models": self.models if len(self.models) > 1 else None,
            "commit": git.get("commit_hash"),
            "repository_url": git.get("repository_url"),
            "subagent": True if _is_subagent(self.meta) else None,
            "malformed_lines": self.malformed[:MAX_LISTED_PROBLEMS] or None,
            "unknown_types": dict(self.unknown) or None,
            "ignored_records": self.ignored or None,
            "truncated_tail": self.truncated_tail or None,
            "continues": self.continues,
            "resumed_records": self.resumed or None,
        }
        meta.update({k: v for k, v in optional.items() if v is not None})
        started = iso_ts(self.meta.get("timestamp")) or (min(self.times) if self.times else None)
        ext = self.meta.get("id")
        header = TranscriptHeader(
            tool="codex",
            external_id=str(ext) if ext else _id_from_name(path),
            title=self.title,
            started_at=started,
            ended_at=max(self.times) if self.times else None,
            cwd=self.meta.get("cwd") if isinstance(self.meta.get("cwd"), str) else None,
            branch=git.get("branch") if isinstance(git.get("branch"), str) else None,
            meta=meta,
        )
        return header, turns


def _id_from_name(path: Path) -> str:
    """``rollout-2026-01-15T10-20-30-<uuid>.jsonl`` → the uuid (its last five dash groups)."""
    parts = path.stem.split("-")
    return "-".join(parts[-5:]) if len(parts) >= 6 else path.stem


def parse_codex_rollout(
    path: str | os.PathLike[str],
) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
    """Read one rollout file into the generic header + turns; never raises on content."""
    p = Path(path)
    parser = _Parser()
    for line in iter_jsonl(p):
        try:
            parser.feed(line.number, line.value if line.error is None else None, line.complete)
        except (TypeError, AttributeError, ValueError, KeyError, RecursionError):
            parser.malformed.append(line.number)  # a field of an unexpected type: skip it
    return parser.result(p)
