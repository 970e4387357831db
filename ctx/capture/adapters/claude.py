"""Claude Code transcripts: ``~/.claude/projects/<encoded cwd>/<session-id>.jsonl``.

Why this exists: Claude Code's TUI redraws constantly, so its pty stream is a poor transcript;
the JSONL file it writes itself is exact (DESIGN.md §3.5). The format is undocumented and
changes between releases (checked against 2.0.77 and 2.1.330), so this parser takes what it
knows and counts the rest in ``header.meta`` — it never fails on content.

Taken: ``user`` (prompts, tool results), ``assistant`` (text, tool calls; records that
share a ``message.id`` are one message and are merged), ``system`` records with text, and the
title records (``custom-title`` > ``ai-title`` > ``summary``). Thinking blocks are not turn
text: they go to the next turn's ``meta["thinking"]`` (clipped). Sidechain (subagent) records
are skipped: the parent's Task tool call and its result already carry the subagent's prompt
and answer. Everything else (attachments, snapshots, api-request records, ...) is ignored.
See docs/adapters.md.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from ctx.capture.adapters import (
    MAX_LISTED_PROBLEMS,
    JsonlLine,
    clip,
    clip_value,
    first_text,
    in_window,
    iso_ts,
    iter_jsonl,
    to_epoch,
)
from ctx.handoff import RESUME_MARKER
from ctx.models import TranscriptHeader, TranscriptTurn

#: Claude Code cuts encoded project directory names to this length and appends a hash.
MAX_ENCODED_LEN = 200

#: Record types that are known and deliberately not turned into turns.
IGNORED_TYPES = frozenset(
    {
        "attachment",
        "file-history-snapshot",
        "queue-operation",
        "api-request",
        "api-request-shape",
        "api-request-blob",
        "last-prompt",
        "cost-state",
        "atis-latch",
        "mode",
        "permission-mode",
        "tools-used",
        "tag",
        "pr-link",
        "agent-name",
        "worktree-state",
        "attribution-snapshot",
        "progress",
    }
)
TITLE_TYPES = {"custom-title": "customTitle", "ai-title": "aiTitle", "summary": "summary"}
#: User-record text that Claude Code writes for slash commands and their local output.
COMMAND_PREFIXES = (
    "<command-name>",
    "<command-message>",
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
)
#: Tool-call input keys worth showing in the turn text, most telling first.
_INPUT_KEYS = (
    "command",
    "file_path",
    "notebook_path",
    "path",
    "pattern",
    "url",
    "query",
    "description",
    "prompt",
)


# -- where the files are -----------------------------------------------------------------


def _djb2(text: str) -> int:
    """Claude Code's string hash: djb2 over UTF-16 code units in int32 arithmetic."""
    data = text.encode("utf-16-le")
    h = 0
    for i in range(0, len(data), 2):
        h = (h * 31 + int.from_bytes(data[i : i + 2], "little")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def encode_project_dir(cwd: str | os.PathLike[str]) -> str:
    """The directory name Claude Code uses for ``cwd`` under ``~/.claude/projects``.

    Rule (verified against 2.1.330): every UTF-16 code unit that is not an ASCII letter or
    digit becomes ``-`` (so ``/a.b_c`` → ``-a-b-c``, ``é`` → ``-``, an emoji → ``--``). Names
    longer than 200 characters are cut to 200 and get ``-`` plus base-36 of the absolute
    djb2 hash of the original path.
    """
    s = os.fspath(cwd)
    enc = "".join(
        ch if ch.isascii() and ch.isalnum() else ("--" if ord(ch) > 0xFFFF else "-") for ch in s
    )
    if len(enc) <= MAX_ENCODED_LEN:
        return enc
    return f"{enc[:MAX_ENCODED_LEN]}-{_base36(abs(_djb2(s)))}"


def claude_projects_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """``~/.claude/projects``; ``$CLAUDE_CONFIG_DIR/projects`` if that is set and no home given."""
    if home is None:
        config_dir = os.environ.get("CLAUDE_CONFIG_DIR")
        if config_dir:
            return Path(config_dir) / "projects"
        home = Path.home()
    return Path(home) / ".claude" / "projects"


def project_transcript_dirs(
    cwd: str | os.PathLike[str], home: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Existing transcript directories for ``cwd`` (as given and with symlinks resolved)."""
    root = claude_projects_dir(home)
    found: list[Path] = []
    for variant in dict.fromkeys((os.fspath(cwd), os.path.realpath(cwd))):
        enc = encode_project_dir(variant)
        candidates = [root / enc]
        if len(enc) > MAX_ENCODED_LEN and root.is_dir():
            # The hash suffix differs between builds (JS vs Bun); the prefix does not.
            candidates += sorted(root.glob(f"{enc[:MAX_ENCODED_LEN]}-*"))
        for d in candidates:
            if d.is_dir() and d not in found:
                found.append(d)
    return found


def find_transcripts(
    cwd: str | os.PathLike[str],
    since: datetime | float | str | None = None,
    until: datetime | float | str | None = None,
    home: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """This project's session transcripts, oldest first (by modification time).

    ``since``/``until`` (datetime, epoch seconds or ISO string) keep only files modified in
    that window: ``ctx wrap claude`` passes its start and end time to find the file the run
    wrote. Subagent files (``agent-*.jsonl``) are left out.
    """
    lo, hi = to_epoch(since), to_epoch(until)
    files = [
        p
        for d in project_transcript_dirs(cwd, home)
        for p in d.glob("*.jsonl")
        if p.is_file() and not p.name.startswith("agent-") and in_window(p, lo, hi)
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


# -- parsing -------------------------------------------------------------------------------


def _tool_summary(name: str, tool_input: Any) -> str:
    if isinstance(tool_input, dict):
        for key in _INPUT_KEYS:
            value = tool_input.get(key)
            if isinstance(value, str) and value.strip():
                return f"[{name}] {clip(value, 500)}"
    if tool_input in (None, {}, []):
        return f"[{name}]"
    import json

    return f"[{name}] {clip(json.dumps(tool_input, ensure_ascii=False), 500)}"


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict) and block.get("type") == "image":
                parts.append("[image]")
            else:
                parts.append(first_text([block]))
        return "\n".join(p for p in parts if p)
    return first_text(content)


class _Parser:
    def __init__(self) -> None:
        self.turns: list[TranscriptTurn] = []
        self._used_ids: set[str] = set()
        self._seen_uuids: set[str] = set()
        self._seen_blocks: set[tuple[str, str, str]] = set()
        self._text_turn: dict[str, int] = {}  # message id -> index of its open text turn
        self._thinking: dict[str, list[str]] = {}  # message id -> thinking not yet attached
        self._tool_names: dict[str, str] = {}
        self.session_id: str | None = None
        self.cwd: str | None = None
        self.branch: str | None = None
        self.version: str | None = None
        self.models: list[str] = []
        self.times: list[str] = []
        self.titles: dict[str, str] = {}
        self.records = 0
        self.malformed: list[int] = []
        self.unknown: Counter[str] = Counter()
        self.ignored = 0
        self.sidechain = 0
        self.duplicates = 0
        self.truncated_tail = False
        self.continues: str | None = None
        self.resumed = 0

    # -- helpers
    def _new_id(self, uuid: Any) -> str | None:
        if not isinstance(uuid, str) or not uuid:
            return None
        ident, k = uuid, 1
        while ident in self._used_ids:
            ident, k = f"{uuid}#{k}", k + 1
        self._used_ids.add(ident)
        return ident

    def _add(self, role: str, text: str, rec: dict[str, Any], meta: dict[str, Any]) -> int:
        turn = TranscriptTurn(
            role=role,
            text=text,
            ts=iso_ts(rec.get("timestamp")),
            id=self._new_id(rec.get("uuid")),
            meta=meta,
        )
        self.turns.append(turn)
        return len(self.turns) - 1

    def _attach_thinking(self, msg_id: str, index: int) -> None:
        thoughts = self._thinking.pop(msg_id, None)
        if thoughts:
            self.turns[index].meta["thinking"] = clip("\n\n".join(thoughts))

    def _note(self, rec: dict[str, Any]) -> None:
        if self.session_id is None and isinstance(rec.get("sessionId"), str):
            self.session_id = rec["sessionId"]
        if self.cwd is None and isinstance(rec.get("cwd"), str):
            self.cwd = rec["cwd"]
        branch = rec.get("gitBranch")
        # "HEAD" is what Claude Code records outside a repo or on a detached HEAD: no branch.
        if self.branch is None and isinstance(branch, str) and branch not in ("", "HEAD"):
            self.branch = branch
        if isinstance(rec.get("version"), str):
            self.version = rec["version"]
        ts = iso_ts(rec.get("timestamp"))
        if ts:
            self.times.append(ts)

    # -- records
    def feed(self, line: JsonlLine) -> None:
        self.records += 1
        rec = line.value
        if line.error is not None or not isinstance(rec, dict):
            if not line.complete:
                self.truncated_tail = True
            else:
                self.malformed.append(line.number)
            return
        rtype = rec.get("type")
        resumed = rec.get(RESUME_MARKER)
        if isinstance(resumed, str) and rtype in ("user", "assistant", "system"):
            # rebuilt by `ctx resume`: those turns are stored already, in the session continued
            self.continues = resumed
            self.resumed += 1
            return
        self._note(rec)
        if rtype in TITLE_TYPES:
            title = rec.get(TITLE_TYPES[str(rtype)])
            if isinstance(title, str) and title.strip():
                self.titles[str(rtype)] = title.strip()
            return
        if rtype in IGNORED_TYPES:
            self.ignored += 1
            return
        if rtype not in ("user", "assistant", "system"):
            self.unknown[str(rtype)] += 1
            return
        if rec.get("isSidechain"):
            self.sidechain += 1
            return
        uuid = rec.get("uuid")
        if isinstance(uuid, str):
            if uuid in self._seen_uuids:
                self.duplicates += 1
                return
            self._seen_uuids.add(uuid)
        if rtype == "system":
            self._system(rec)
            return
        msg = rec.get("message")
        if not isinstance(msg, dict):
            self.malformed.append(line.number)
            return
        if rtype == "user":
            self._user(rec, msg)
        else:
            self._assistant(rec, msg)

    def _system(self, rec: dict[str, Any]) -> None:
        content = rec.get("content")
        if not isinstance(content, str) or not content.strip():
            self.ignored += 1
            return
        meta = {k: rec[k] for k in ("subtype", "level") if isinstance(rec.get(k), str)}
        self._add("system", content.strip(), rec, meta)

    def _user(self, rec: dict[str, Any], msg: dict[str, Any]) -> None:
        if rec.get("isMeta"):
            self.ignored += 1  # context Claude Code injected, not something the user typed
            return
        content = msg.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            self.ignored += 1
            return
        texts: list[str] = []
        for block in blocks:
            if not isinstance(block, dict):
                continue
            btype = block.get("type")
            if btype == "text" and isinstance(block.get("text"), str):
                texts.append(block["text"])
            elif btype in ("image", "document"):
                texts.append(f"[{btype}]")
            elif btype == "tool_result":
                self._tool_result(rec, block)
        text = "\n".join(t for t in texts if t.strip()).strip()
        if not text:
            return
        role, meta = "user", {}
        if rec.get("isCompactSummary"):
            role, meta = "system", {"compact_summary": True}
        elif text.startswith(COMMAND_PREFIXES):
            role, meta = "system", {"command": True}
        self._add(role, text, rec, meta)

    def _tool_result(self, rec: dict[str, Any], block: dict[str, Any]) -> None:
        raw = _result_text(block.get("content"))
        tool_id = block.get("tool_use_id")
        meta: dict[str, Any] = {"kind": "tool_result", "tool_use_id": tool_id}
        if isinstance(tool_id, str) and tool_id in self._tool_names:
            meta["tool"] = self._tool_names[tool_id]
        if block.get("is_error"):
            meta["is_error"] = True
        raw = raw.rstrip()
        text = clip(raw)
        if text != raw:
            meta["truncated"] = True
            meta["bytes"] = len(raw.encode("utf-8"))
        self._add("tool", text, rec, meta)

    def _assistant(self, rec: dict[str, Any], msg: dict[str, Any]) -> None:
        msg_id = str(msg.get("id") or rec.get("uuid") or f"line-{self.records}")
        model = msg.get("model")
        if (
            isinstance(model, str)
            and model
            and not model.startswith("<")
            and model not in self.models
        ):
            self.models.append(model)
        content = msg.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            self.ignored += 1
            return
        for block in blocks:
            if not isinstance(block, dict):
                continue
            btype = block.get("type")
            if btype == "text":
                self._assistant_text(rec, msg_id, block.get("text"), model)
            elif btype == "thinking":
                thought = block.get("thinking")
                if isinstance(thought, str) and thought.strip():
                    key = (msg_id, "thinking", thought)
                    if key not in self._seen_blocks:
                        self._seen_blocks.add(key)
                        self._thinking.setdefault(msg_id, []).append(thought.strip())
            elif btype in ("tool_use", "server_tool_use"):
                self._tool_use(rec, msg_id, block)

    def _assistant_text(self, rec: dict[str, Any], msg_id: str, text: Any, model: Any) -> None:
        if not isinstance(text, str) or not text.strip():
            return
        key = (msg_id, "text", text)
        if key in self._seen_blocks:
            self.duplicates += 1
            return
        self._seen_blocks.add(key)
        index = self._text_turn.get(msg_id)
        if index is not None and index == len(self.turns) - 1:
            turn = self.turns[index]
            if text.startswith(turn.text):  # a later, longer snapshot of the same stream
                turn.text = text.strip()
            elif turn.text.endswith(text.strip()):
                pass
            else:
                turn.text = f"{turn.text}\n\n{text.strip()}"
            self._attach_thinking(msg_id, index)
            return
        meta: dict[str, Any] = {"message_id": msg_id}
        if isinstance(model, str) and model:
            meta["model"] = model
        index = self._add("assistant", text.strip(), rec, meta)
        self._text_turn[msg_id] = index
        self._attach_thinking(msg_id, index)

    def _tool_use(self, rec: dict[str, Any], msg_id: str, block: dict[str, Any]) -> None:
        tool_id = str(block.get("id") or "")
        key = (msg_id, "tool", tool_id)
        if tool_id and key in self._seen_blocks:
            self.duplicates += 1
            return
        self._seen_blocks.add(key)
        name = str(block.get("name") or "tool")
        if tool_id:
            self._tool_names[tool_id] = name
        tool_input = block.get("input")
        meta = {
            "kind": "tool_use",
            "tool": name,
            "tool_use_id": tool_id or None,
            "input": clip_value(tool_input),
            "message_id": msg_id,
        }
        index = self._add("tool", _tool_summary(name, tool_input), rec, meta)
        self._attach_thinking(msg_id, index)

    # -- result
    def header(self, path: Path) -> TranscriptHeader:
        skipped = len(self.malformed) + sum(self.unknown.values()) + int(self.truncated_tail)
        meta: dict[str, Any] = {"source_path": str(path), "records": self.records}
        meta["skipped"] = skipped
        optional: dict[str, Any] = {
            "claude_version": self.version,
            "model": self.models[0] if self.models else None,
            "models": self.models if len(self.models) > 1 else None,
            "malformed_lines": self.malformed[:MAX_LISTED_PROBLEMS] or None,
            "unknown_types": dict(self.unknown) or None,
            "ignored_records": self.ignored or None,
            "sidechain_records": self.sidechain or None,
            "duplicate_records": self.duplicates or None,
            "truncated_tail": self.truncated_tail or None,
            "continues": self.continues,
            "resumed_records": self.resumed or None,
        }
        meta.update({k: v for k, v in optional.items() if v is not None})
        title = next((self.titles[k] for k in TITLE_TYPES if k in self.titles), None)
        return TranscriptHeader(
            tool="claude",
            external_id=self.session_id or path.stem,
            title=title,
            started_at=min(self.times) if self.times else None,
            ended_at=max(self.times) if self.times else None,
            cwd=self.cwd,
            branch=self.branch,
            meta=meta,
        )


def parse_claude_transcript(
    path: str | os.PathLike[str],
) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
    """Read one Claude Code session file into the generic header + turns.

    Never raises on content: malformed lines, unknown record types and a half-written last
    line are skipped and counted in ``header.meta`` (``skipped``, ``malformed_lines``,
    ``unknown_types``, ``truncated_tail``). Raises ``OSError`` only if the file cannot be read.
    """
    p = Path(path)
    parser = _Parser()
    for line in iter_jsonl(p):
        try:
            parser.feed(line)
        except (TypeError, AttributeError, ValueError, KeyError, RecursionError):
            parser.malformed.append(line.number)  # a field of an unexpected type: skip it
    return parser.header(p), parser.turns
