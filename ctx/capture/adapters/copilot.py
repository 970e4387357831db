"""GitHub Copilot: the Copilot CLI's session logs and VS Code Copilot Chat sessions.

Copilot CLI (npm ``@github/copilot``): ``~/.copilot/session-state/<id>/events.jsonl`` (older
releases: ``session-state/<id>.jsonl``), with ``workspace.yaml`` (``cwd:``) beside it. Each line
is ``{"type", "data", "id", "timestamp", "parentId"}``: ``session.start`` (``sessionId``,
``copilotVersion``, ``context.cwd``/``gitRoot``/``branch``), ``user.message`` (``content``),
``assistant.message`` (``content``, ``toolRequests``), ``assistant.reasoning``,
``tool.execution_start`` (``toolCallId``, ``toolName``, ``arguments``),
``tool.execution_complete`` (``success``, ``result.content``, ``error.message``),
``session.model_change`` (``newModel``). Events of sub-agents carry a top-level ``agentId``
and are left out (counted). Events carrying the ``ctx resume`` marker were rebuilt from a
ctx session (stored already): left out, and the session ``continues`` that one.

VS Code Copilot Chat: ``<Code>/User/workspaceStorage/<hash>/chatSessions/<id>.json`` (one
``ISerializableChatData`` object: ``sessionId``, ``creationDate``, ``customTitle``,
``requests[]`` with ``message.text``, ``response[]`` parts, ``timestamp``, ``modelId``) or, in
newer VS Code, ``<id>.jsonl``: an operation log whose first line ``{"kind": 0, "v": state}``
is the whole session and whose later lines set (``kind`` 1), append (2, optional ``i`` = cut
first) or delete (3) the value at key path ``k``. The folder is in the workspace's
``workspace.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctx.capture.adapters import (
    RESUME_MARKER,
    clip,
    clip_value,
    iso_ts,
    iter_jsonl,
    tool_line,
    workspace_folder,
)
from ctx.core.models import TranscriptHeader, TranscriptTurn


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _text(value.get("value", value.get("content", "")))
    if isinstance(value, list):
        return "\n".join(t for t in (_text(v) for v in value) if t)
    return ""


def _tool_line(name: str, args: Any) -> str:
    return tool_line(name, args, ("command", "path", "filePath", "pattern", "query", "url"))


def _result_turn(
    name: str, call_id: str | None, raw: str, ts: str | None, error: bool
) -> TranscriptTurn:
    raw = raw.rstrip()
    text = clip(raw)
    meta: dict[str, Any] = {"kind": "tool_result", "tool": name, "call_id": call_id}
    if error:
        meta["is_error"] = True
    if text != raw:
        meta["truncated"] = True
        meta["bytes"] = len(raw.encode("utf-8"))
    return TranscriptTurn("tool", text, ts, f"{call_id}:output" if call_id else None, meta)


# ---- Copilot CLI ------------------------------------------------------------------------------


def copilot_home(home: str | os.PathLike[str] | None = None) -> Path:
    """``$COPILOT_HOME`` (when set, no home given), else ``~/.copilot``."""
    if home is None and os.environ.get("COPILOT_HOME"):
        return Path(os.environ["COPILOT_HOME"])
    return Path(home if home is not None else Path.home()) / ".copilot"


def _session_logs(root: Path) -> list[Path]:
    state = root / "session-state"
    if not state.is_dir():
        return []
    out = [p for p in state.glob("*/events.jsonl") if p.is_file()]
    out += [p for p in state.glob("*.jsonl") if p.is_file()]
    return out


def _yaml_value(path: Path, key: str) -> str | None:
    """A flat ``key: value`` of workspace.yaml (no YAML library needed)."""
    try:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(f"{key}:"):
                raw = line[len(key) + 1 :].strip()
                if len(raw) > 1 and raw[0] == raw[-1] == '"':
                    with contextlib.suppress(ValueError):  # a double-quoted scalar
                        decoded = json.loads(raw)
                        return decoded if isinstance(decoded, str) and decoded else None
                value = raw.strip("'\"")
                return value or None
    except OSError:
        return None
    return None


def _yaml_cwd(path: Path) -> str | None:
    return _yaml_value(path, "cwd")


def cli_session_cwd(log: Path) -> str | None:
    if log.name == "events.jsonl":
        cwd = _yaml_cwd(log.parent / "workspace.yaml")
        if cwd:
            return cwd
    for line in iter_jsonl(log):
        v = line.value if line.error is None else None
        if isinstance(v, dict) and v.get("type") == "session.start":
            ctx = _obj(_obj(v.get("data")).get("context"))
            cwd = ctx.get("cwd") or ctx.get("gitRoot")
            return cwd if isinstance(cwd, str) else None
        if line.number > 5:
            break
    return None


def _under(path: str | None, wants: list[str]) -> bool:
    if not path:
        return False
    real = os.path.realpath(path)
    return any(real == w or real.startswith(w.rstrip(os.sep) + os.sep) for w in wants)


def find_cli_sessions(
    cwd: str | os.PathLike[str] | list[str] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Copilot CLI session logs (of sessions run in ``cwd`` or below, when given)."""
    base = Path(root) if root is not None else copilot_home()
    logs = _session_logs(base)
    if cwd is None:
        return sorted(logs)
    dirs = [cwd] if isinstance(cwd, (str, os.PathLike)) else cwd
    wants = [os.path.realpath(d) for d in dirs]
    return sorted(p for p in logs if _under(cli_session_cwd(p), wants))


def parse_copilot_cli_session(
    path: str | os.PathLike[str],
) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
    """One Copilot CLI session log; never raises on content (an unreadable file raises)."""
    p = Path(path)
    turns: list[TranscriptTurn] = []
    thinking: list[str] = []
    names: dict[str, str] = {}
    unknown: Counter[str] = Counter()
    start: dict[str, Any] = {}
    models: list[str] = []
    times: list[str] = []
    malformed = subagent = 0
    title = None
    ignored = 0
    continues: str | None = None
    own_times: list[str] = []  # of events not rebuilt by `ctx resume`

    def add(turn: TranscriptTurn) -> None:
        if thinking:
            turn.meta["thinking"] = clip("\n\n".join(thinking))
            thinking.clear()
        turns.append(turn)

    for line in iter_jsonl(p):
        ev = line.value if line.error is None else None
        if not isinstance(ev, dict) or not isinstance(ev.get("type"), str):
            malformed += 1
            continue
        ts = iso_ts(ev.get("timestamp"))
        if ts:
            times.append(ts)
        mark = ev.get(RESUME_MARKER)
        if isinstance(mark, str):
            continues = mark  # rebuilt by `ctx resume`: its turns are stored already
            if ev.get("type") == "session.start":  # cwd, branch; not the version ctx put
                start = start or {
                    k: v for k, v in _obj(ev.get("data")).items() if k != "copilotVersion"
                }
            continue
        if ts:
            own_times.append(ts)
        if ev.get("agentId"):
            subagent += 1
            continue
        etype, data = ev["type"], _obj(ev.get("data"))
        eid = ev.get("id") if isinstance(ev.get("id"), str) else None
        if etype == "session.start":
            start = start or data
            model = data.get("selectedModel")
            if isinstance(model, str) and model not in models:
                models.append(model)
        elif etype == "session.model_change":
            model = data.get("newModel")
            if isinstance(model, str) and model not in models:
                models.append(model)
        elif etype == "session.title_changed" and isinstance(data.get("title"), str):
            title = data["title"]
        elif etype == "user.message":
            text = _text(data.get("content")).strip()
            if text:
                add(TranscriptTurn("user", text, ts, eid, {}))
        elif etype == "assistant.reasoning":
            text = _text(data.get("content")).strip()
            if text:
                thinking.append(text)
        elif etype == "assistant.message":
            model = data.get("model")
            if isinstance(model, str) and model not in models:
                models.append(model)
            reasoning = data.get("reasoningText")
            if isinstance(reasoning, str) and reasoning.strip():
                thinking.append(reasoning.strip())
            text = _text(data.get("content")).strip()
            if text:
                add(TranscriptTurn("assistant", text, ts, eid, {}))
            for req in data.get("toolRequests") or []:
                cid = _obj(req).get("toolCallId")
                if isinstance(cid, str) and isinstance(_obj(req).get("name"), str):
                    names[cid] = req["name"]
        elif etype == "tool.execution_start":
            cid = data.get("toolCallId") if isinstance(data.get("toolCallId"), str) else None
            name = str(data.get("toolName") or names.get(cid or "") or "tool")
            if cid:
                names[cid] = name
            args = data.get("arguments")
            use = {"kind": "tool_use", "tool": name, "call_id": cid, "input": clip_value(args)}
            add(TranscriptTurn("tool", _tool_line(name, args), ts, cid, use))
        elif etype == "tool.execution_complete":
            cid = data.get("toolCallId") if isinstance(data.get("toolCallId"), str) else None
            name = names.get(cid or "", "tool")
            failed = data.get("success") is False
            raw = _text(_obj(data.get("result")).get("content"))
            if failed and not raw:
                raw = _text(_obj(data.get("error")).get("message"))
            add(_result_turn(name, cid, raw, ts, failed))
        elif etype.startswith(("session.", "assistant.", "tool.", "hook.", "skill.", "system.")):
            ignored += 1
        else:
            unknown[etype] += 1
    ctx = _obj(start.get("context"))
    cwd = _yaml_cwd(p.parent / "workspace.yaml") if p.name == "events.jsonl" else None
    cwd = cwd or (ctx.get("cwd") if isinstance(ctx.get("cwd"), str) else None)
    sid = start.get("sessionId")
    ext = (
        sid
        if isinstance(sid, str) and sid
        else (p.parent.name if p.name == "events.jsonl" else p.stem)
    )
    meta: dict[str, Any] = {"source_path": str(p), "skipped": malformed + sum(unknown.values())}
    optional = {
        "copilot_version": start.get("copilotVersion"),
        "model": models[0] if models else None,
        "models": models if len(models) > 1 else None,
        "unknown_types": dict(unknown) or None,
        "malformed_lines": malformed or None,
        "subagent_events": subagent or None,
        "ignored_records": ignored or None,
        "continues": continues,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    if title is None and p.name == "events.jsonl":
        title = _yaml_value(p.parent / "workspace.yaml", "name")
    header = TranscriptHeader(
        tool="copilot",
        external_id=ext,
        title=title,
        started_at=(min(own_times) if continues and own_times else None)
        or iso_ts(start.get("startTime"))
        or (min(times) if times else None),
        ended_at=max(times) if times else None,
        cwd=cwd,
        branch=ctx.get("branch") if isinstance(ctx.get("branch"), str) else None,
        meta=meta,
    )
    return header, turns


# ---- VS Code Copilot Chat ---------------------------------------------------------------------


def vscode_user_dirs(home: str | os.PathLike[str] | None = None) -> list[Path]:
    """VS Code's (and VS Code Insiders') ``User`` directories on this platform."""
    base = Path(home) if home is not None else Path.home()
    if sys.platform == "darwin":
        root = base / "Library" / "Application Support"
    elif sys.platform.startswith("win"):
        appdata = os.environ.get("APPDATA") if home is None else None
        root = Path(appdata) if appdata else base / "AppData" / "Roaming"
    else:
        root = base / ".config"
    return [root / name / "User" for name in ("Code", "Code - Insiders")]


@dataclass
class ChatFile:
    path: Path
    folder: str | None


def find_chat_sessions(
    cwd: str | os.PathLike[str] | list[str] | None = None,
    *,
    user_dirs: list[Path] | None = None,
) -> list[ChatFile]:
    """``chatSessions/*.json[l]`` of the workspaces opened on ``cwd`` (or below it)."""
    dirs = [cwd] if isinstance(cwd, (str, os.PathLike)) else cwd
    wants = [os.path.realpath(d) for d in dirs] if dirs is not None else None
    out = []
    for user in user_dirs if user_dirs is not None else vscode_user_dirs():
        for ws in sorted((user / "workspaceStorage").glob("*/workspace.json")):
            folder = workspace_folder(ws)
            if folder is None or (wants is not None and not _under(folder, wants)):
                continue
            for f in sorted((ws.parent / "chatSessions").glob("*.json*")):
                if f.suffix in (".json", ".jsonl") and f.is_file():
                    out.append(ChatFile(f, folder))
    return out


def _set(target: Any, key: Any, value: Any) -> None:
    if isinstance(target, dict) and isinstance(key, str):  # noqa: SIM114 - not one type
        target[key] = value
    elif isinstance(target, list) and isinstance(key, int) and 0 <= key < len(target):
        target[key] = value


def _apply(state: Any, op: dict[str, Any]) -> Any:
    """One operation of the .jsonl log onto the state (bad paths are ignored)."""
    kind, keys, value = op.get("kind"), op.get("k"), op.get("v")
    if kind == 0:
        return value
    if not isinstance(keys, list) or not keys:
        return state
    target = state
    for key in keys[:-1]:
        if isinstance(target, dict) and isinstance(key, str):
            target = target.get(key)
        elif isinstance(target, list) and isinstance(key, int) and 0 <= key < len(target):
            target = target[key]
        else:
            return state
    last = keys[-1]
    if kind == 1:
        _set(target, last, value)
    elif kind == 2:
        arr = target.get(last) if isinstance(target, dict) and isinstance(last, str) else None
        if arr is None and isinstance(target, dict) and isinstance(last, str):
            arr = target[last] = []
        if isinstance(arr, list):
            cut = op.get("i")
            if isinstance(cut, int) and 0 <= cut <= len(arr):
                del arr[cut:]
            arr.extend(value if isinstance(value, list) else [value])
    elif kind == 3 and isinstance(target, dict) and isinstance(last, str):
        target.pop(last, None)
    return state


def _load_chat(path: Path) -> tuple[dict[str, Any], int]:
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except ValueError:
            return {}, 1
        return _obj(data), 0
    state: Any = None
    bad = 0
    for line in iter_jsonl(path):
        op = line.value if line.error is None else None
        if not isinstance(op, dict) or (state is None and op.get("kind") != 0):
            bad += 1
            continue
        state = _apply(state, op)
    return _obj(state), bad


def _flush(
    turns: list[TranscriptTurn], said: list[str], thinking: list[str], ts: str | None
) -> None:
    """The answer text gathered so far becomes one assistant turn."""
    text = "".join(said).strip()
    said.clear()
    if text:
        meta = {"thinking": clip("\n\n".join(thinking))} if thinking else {}
        thinking.clear()
        turns.append(TranscriptTurn("assistant", text, ts, None, meta))


def parse_vscode_chat(chat: ChatFile) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
    """One VS Code chat session; never raises on content (an unreadable file raises)."""
    data, bad = _load_chat(chat.path)
    turns: list[TranscriptTurn] = []
    unknown: Counter[str] = Counter()
    models: list[str] = []
    ignored = 0
    for req in data.get("requests") or []:
        if not isinstance(req, dict):
            bad += 1
            continue
        ts = iso_ts(req.get("timestamp"))
        rid = req.get("requestId") if isinstance(req.get("requestId"), str) else None
        model = req.get("modelId")
        if isinstance(model, str) and model not in models:
            models.append(model)
        asked = _text(_obj(req.get("message")).get("text")).strip()
        if asked:
            turns.append(TranscriptTurn("user", asked, ts, rid, {}))
        said: list[str] = []
        thinking: list[str] = []

        for part in req.get("response") or []:
            if not isinstance(part, dict):
                bad += 1
                continue
            kind = part.get("kind")
            if kind in (None, "markdownContent", "markdownVuln"):
                said.append(_text(part.get("value", part.get("content"))))
            elif kind == "thinking":
                t = _text(part.get("value")).strip()
                if t:
                    thinking.append(t)
            elif kind in ("toolInvocationSerialized", "toolInvocation"):
                _flush(turns, said, thinking, ts)
                name = str(part.get("toolId") or "tool")
                cid = part.get("toolCallId") if isinstance(part.get("toolCallId"), str) else None
                shown = _text(part.get("pastTenseMessage") or part.get("invocationMessage"))
                use: dict[str, Any] = {"kind": "tool_use", "tool": name, "call_id": cid}
                details = part.get("resultDetails")
                if details is not None:
                    use["input"] = clip_value(_obj(details).get("input", details))
                turns.append(
                    TranscriptTurn("tool", f"[{name}] {clip(shown, 500)}".strip(), ts, cid, use)
                )
                out = _obj(details).get("output")
                if out:
                    turns.append(
                        _result_turn(name, cid, _text(out), ts, bool(_obj(details).get("isError")))
                    )
            elif kind in (
                "inlineReference",
                "codeblockUri",
                "textEditGroup",
                "undoStop",
                "prepareToolInvocation",
                "confirmation",
                "progressMessage",
                "warning",
                "progressTaskSerialized",
                "command",
                "reference",
            ):
                ignored += 1
            else:
                unknown[str(kind)] += 1
        _flush(turns, said, thinking, ts)
    sid = data.get("sessionId")
    times = [t.ts for t in turns if t.ts]
    meta: dict[str, Any] = {
        "source_path": str(chat.path),
        "source": "vscode",
        "skipped": bad + sum(unknown.values()),
    }
    optional = {
        "model": models[0] if models else None,
        "models": models if len(models) > 1 else None,
        "chat_format_version": data.get("version"),
        "unknown_types": dict(unknown) or None,
        "malformed_records": bad or None,
        "ignored_records": ignored or None,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    title = data.get("customTitle")
    header = TranscriptHeader(
        tool="copilot-vscode",
        external_id=sid if isinstance(sid, str) and sid else chat.path.stem,
        title=title if isinstance(title, str) and title.strip() else None,
        started_at=iso_ts(data.get("creationDate")) or (min(times) if times else None),
        ended_at=iso_ts(data.get("lastMessageDate")) or (max(times) if times else None),
        cwd=chat.folder,
        meta=meta,
    )
    return header, turns
