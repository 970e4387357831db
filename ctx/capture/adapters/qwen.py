"""Qwen Code chats: ``~/.qwen/projects/<encoded cwd>/chats/<session-id>.jsonl``.

Why: Qwen Code (a Gemini CLI fork) records every session itself; read from the 0.24.4 bundle
(core ``ChatRecordingService``) and checked by running it (see docs/adapters.md). Unlike Gemini
CLI it writes one record per event, chained Claude-style: ``uuid``, ``parentUuid``,
``sessionId``, ``timestamp``, ``type`` (user / assistant / tool_result / system), ``subtype``,
``cwd``, ``version``, ``gitBranch``, and ``message`` in Gemini's Content shape (``role``,
``parts``) — so the parts are read with the Gemini adapter's helpers.

The folder is the working directory with every character that is not an ASCII letter or digit
turned into ``-``; ``$QWEN_RUNTIME_DIR`` or ``$QWEN_HOME`` replace ``~/.qwen``. Archived chats
sit in ``chats/archive/``. Records are read in file order: a rewind leaves the dropped branch in
the file (the CLI skips it by ``parentUuid``), and ctx keeps what was said.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from ctx.capture.adapters import (
    MAX_LISTED_PROBLEMS,
    RESUME_MARKER,
    clip,
    clip_value,
    in_window,
    iso_ts,
    iter_jsonl,
    to_epoch,
)
from ctx.capture.adapters.gemini import (
    call_turn,
    parts_of,
    parts_text,
    response_text,
    result_turn,
    thought_text,
)
from ctx.core.models import TranscriptHeader, TranscriptTurn

#: System records that are bookkeeping, not conversation.
IGNORED_SUBTYPES = frozenset(
    {
        "ui_telemetry",
        "attribution_snapshot",
        "file_history_snapshot",
        "session_model",
        "session_source",
        "parent_session",
        "turn_result",
        "user_text_elements",
        "session_artifact_event",
        "session_artifact_snapshot",
        "session_sources_snapshot",
        "branch_checkpoint",
        "goal_state",
        "goal_turn_end",
        "rewind",
        "omni_recall",
    }
)
_SESSION_FILE = re.compile(r"^[0-9a-fA-F-]{32,36}\.jsonl$")


def qwen_home(home: str | os.PathLike[str] | None = None) -> Path:
    """``~/.qwen``, or ``$QWEN_RUNTIME_DIR`` / ``$QWEN_HOME`` when set and no home is given."""
    if home is None:
        env = os.environ.get("QWEN_RUNTIME_DIR") or os.environ.get("QWEN_HOME")
        if env:
            return Path(env).expanduser()
        home = Path.home()
    return Path(home) / ".qwen"


def encode_project_dir(cwd: str | os.PathLike[str]) -> str:
    return re.sub(r"[^a-zA-Z0-9]", "-", os.fspath(cwd))


def find_sessions(
    cwd: str | os.PathLike[str],
    since: datetime | float | str | None = None,
    until: datetime | float | str | None = None,
    home: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """This project's chat files (active and archived) modified in [since, until], oldest first."""
    lo, hi = to_epoch(since), to_epoch(until)
    root = qwen_home(home) / "projects"
    found = set()
    for variant in dict.fromkeys((os.path.abspath(cwd), os.path.realpath(cwd))):
        chats = root / encode_project_dir(variant) / "chats"
        for d in (chats, chats / "archive"):
            if not d.is_dir() or d.is_symlink():
                continue
            for p in d.glob("*.jsonl"):
                ok = _SESSION_FILE.match(p.name) and p.is_file() and not p.is_symlink()
                if ok and in_window(p, lo, hi):
                    found.add(p)
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Parser:
    def __init__(self) -> None:
        self.turns: list[TranscriptTurn] = []
        self.session_id: str | None = None
        self.cwd: str | None = None
        self.branch: str | None = None
        self.version: str | None = None
        self.models: list[str] = []
        self.times: list[str] = []
        self.title: str | None = None
        self.call_names: dict[str, str] = {}
        self.seen: set[str] = set()
        self.records = 0
        self.malformed: list[int] = []
        self.unknown: Counter[str] = Counter()
        self.ignored = 0
        self.duplicates = 0
        self.truncated_tail = False
        self.continues: str | None = None
        self.resumed = 0

    def feed(self, number: int, rec: Any, complete: bool) -> None:
        self.records += 1
        if not isinstance(rec, dict):
            if complete:
                self.malformed.append(number)
            else:
                self.truncated_tail = True
            return
        rtype = rec.get("type")
        mark = rec.get(RESUME_MARKER)
        if isinstance(mark, str) and rtype in ("user", "assistant", "tool_result"):
            self.continues = mark  # rebuilt by `ctx resume`: stored already
            self.resumed += 1
            return
        self._note(rec)
        uuid = rec.get("uuid") if isinstance(rec.get("uuid"), str) else None
        if uuid is not None:
            if uuid in self.seen:
                self.duplicates += 1
                return
            self.seen.add(uuid)
        ts = iso_ts(rec.get("timestamp"))
        msg = _obj(rec.get("message"))
        if rtype == "user":
            self._user(rec, msg, ts, uuid)
        elif rtype == "assistant":
            self._assistant(rec, msg, ts, uuid)
        elif rtype == "tool_result":
            self._tool_result(rec, msg, ts, uuid)
        elif rtype == "system":
            self._system(rec, ts, uuid)
        else:
            self.unknown[str(rtype)] += 1

    def _note(self, rec: dict[str, Any]) -> None:
        if self.session_id is None and isinstance(rec.get("sessionId"), str):
            self.session_id = rec["sessionId"]
        if self.cwd is None and isinstance(rec.get("cwd"), str):
            self.cwd = rec["cwd"]
        branch = rec.get("gitBranch")
        if self.branch is None and isinstance(branch, str) and branch not in ("", "HEAD"):
            self.branch = branch
        if isinstance(rec.get("version"), str) and rec["version"] != "unknown":
            self.version = rec["version"]
        ts = iso_ts(rec.get("timestamp"))
        if ts:
            self.times.append(ts)

    def _user(
        self, rec: dict[str, Any], msg: dict[str, Any], ts: str | None, uuid: str | None
    ) -> None:
        text = parts_text(msg.get("parts")).strip()
        if not text:
            self.ignored += 1
            return
        subtype = rec.get("subtype")
        if subtype in (None, "mid_turn_user_message", "realtime_message"):
            self.turns.append(TranscriptTurn("user", text, ts, uuid, {}))
        else:  # goal runtime, cron, notifications: the agent wrote them, not the user
            meta = {"generated": True, "subtype": str(subtype)}
            self.turns.append(TranscriptTurn("system", clip(text), ts, uuid, meta))

    def _assistant(
        self, rec: dict[str, Any], msg: dict[str, Any], ts: str | None, uuid: str | None
    ) -> None:
        model = rec.get("model")
        if isinstance(model, str) and model and model not in self.models:
            self.models.append(model)
        parts = parts_of(msg.get("parts"))
        thinking = thought_text(parts).strip()
        text = parts_text(parts).strip()
        added: list[TranscriptTurn] = []
        if text:
            meta: dict[str, Any] = {}
            if isinstance(model, str) and model:
                meta["model"] = model
            if isinstance(rec.get("usageMetadata"), dict):
                meta["tokens"] = clip_value(rec["usageMetadata"])
            added.append(TranscriptTurn("assistant", text, ts, uuid, meta))
        for i, p in enumerate(parts):
            fc = p.get("functionCall") if isinstance(p, dict) else None
            if not isinstance(fc, dict):
                continue
            name = str(fc.get("name") or "tool")
            cid = str(fc["id"]) if isinstance(fc.get("id"), str) else f"{uuid}:call{i}"
            self.call_names[cid] = name
            added.append(call_turn(name, fc.get("args"), ts, cid))
        if not added:
            self.ignored += 1
            return
        if thinking:
            added[0].meta["thinking"] = clip(thinking)
        self.turns.extend(added)

    def _tool_result(
        self, rec: dict[str, Any], msg: dict[str, Any], ts: str | None, uuid: str | None
    ) -> None:
        info = _obj(rec.get("toolCallResult"))
        failed = info.get("status") == "error" or bool(info.get("error"))
        n = 0
        for p in parts_of(msg.get("parts")):
            fr = p.get("functionResponse") if isinstance(p, dict) else None
            if not isinstance(fr, dict):
                continue
            cid = fr.get("id") if isinstance(fr.get("id"), str) else info.get("callId")
            cid = cid if isinstance(cid, str) else None
            text, error = response_text(fr.get("response"))
            name = fr.get("name") if isinstance(fr.get("name"), str) else None
            tool = name or (self.call_names.get(cid) if cid else None)
            ident = f"{cid}:result" if cid else uuid
            self.turns.append(result_turn(text, ts, ident, cid, tool, error or failed))
            n += 1
        if not n:
            display = info.get("resultDisplay")
            if isinstance(display, str) and display.strip():
                cid = info.get("callId") if isinstance(info.get("callId"), str) else None
                tool = self.call_names.get(cid) if cid else None
                ident = f"{cid}:result" if cid else uuid
                self.turns.append(result_turn(display, ts, ident, cid, tool, failed))
            else:
                self.ignored += 1

    def _system(self, rec: dict[str, Any], ts: str | None, uuid: str | None) -> None:
        subtype = rec.get("subtype")
        payload = _obj(rec.get("systemPayload"))
        if subtype == "custom_title":
            title = payload.get("customTitle")
            if isinstance(title, str) and title.strip():
                self.title = title.strip()
        elif subtype == "slash_command":
            raw = payload.get("rawCommand") or payload.get("command")
            if isinstance(raw, str) and raw.strip() and payload.get("phase") != "result":
                meta = {"command": True}
                self.turns.append(TranscriptTurn("system", raw.strip(), ts, uuid, meta))
            else:
                self.ignored += 1
        elif subtype == "chat_compression":
            summary = str(payload.get("summary") or "")
            if summary.strip():
                meta = {"generated": True, "compact_summary": True}
                self.turns.append(TranscriptTurn("system", clip(summary.strip()), ts, uuid, meta))
            else:
                self.ignored += 1
        elif subtype in IGNORED_SUBTYPES or subtype == "at_command":
            self.ignored += 1
        else:
            self.unknown[f"system/{subtype}"] += 1

    def result(self, path: Path) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
        meta: dict[str, Any] = {
            "source_path": str(path),
            "records": self.records,
            "skipped": len(self.malformed) + sum(self.unknown.values()) + int(self.truncated_tail),
        }
        optional = {
            "qwen_version": self.version,
            "model": self.models[0] if self.models else None,
            "models": self.models if len(self.models) > 1 else None,
            "archived": True if path.parent.name == "archive" else None,
            "malformed_lines": self.malformed[:MAX_LISTED_PROBLEMS] or None,
            "unknown_types": dict(self.unknown) or None,
            "ignored_records": self.ignored or None,
            "duplicate_records": self.duplicates or None,
            "truncated_tail": self.truncated_tail or None,
            "continues": self.continues,
            "resumed_records": self.resumed or None,
        }
        meta.update({k: v for k, v in optional.items() if v is not None})
        header = TranscriptHeader(
            tool="qwen",
            external_id=self.session_id or path.stem,
            title=self.title,
            started_at=min(self.times) if self.times else None,
            ended_at=max(self.times) if self.times else None,
            cwd=self.cwd,
            branch=self.branch,
            meta=meta,
        )
        return header, self.turns


def parse_qwen_session(
    path: str | os.PathLike[str],
) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
    """Read one Qwen Code chat file into the generic header + turns; never raises on content."""
    p = Path(path)
    parser = _Parser()
    for line in iter_jsonl(p):
        parser.feed(line.number, line.value if line.error is None else None, line.complete)
    return parser.result(p)
