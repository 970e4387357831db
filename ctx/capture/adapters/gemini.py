"""Gemini CLI chats: ``~/.gemini/tmp/<project>/chats/session-<time>-<id8>.jsonl`` (or ``.json``).

Why: Gemini CLI records every session itself (core ``ChatRecordingService``); its file is exact
where the redrawn terminal is not (DESIGN.md §3.5). Read from the 0.61.0 bundle and checked by
running it (see docs/adapters.md).

Where: ``<project>`` is a short slug of the project folder's name (``my-app``, ``my-app-1`` on a
clash; ``~/.gemini/projects.json`` maps paths to slugs and ``<slug>/.project_root`` holds the
path) since the project registry came in; before that it was the sha256 hex of the project
path. Both are searched. ``$GEMINI_CLI_HOME`` replaces the home directory.

Format: newer releases append JSONL records — a metadata line (``sessionId``, ``projectHash``,
``startTime``, ``lastUpdated``, ``kind``), message records (``id``, ``timestamp``, ``type`` of
user / gemini / info / error / warning, ``content`` as a string or Gemini parts, and for
``gemini`` messages ``thoughts``, ``tokens``, ``model``, ``toolCalls``), ``{"$set": {...}}``
metadata updates (``summary`` is the title; ``messages`` replaces the list) and
``{"$rewindTo": id}``, which drops that message and everything after it. A message re-appended
with the same id replaces the earlier copy (tool results and token counts arrive that way).
Older releases wrote one JSON object with a ``messages`` list; it parses the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
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
from ctx.core.models import TranscriptHeader, TranscriptTurn

#: User text the CLI injects as context rather than something typed (its own ignore list);
#: like the other adapters' injected context it is not a turn (counted in meta.injected_context).
INJECTED_PREFIXES = ("<session_context>", "<hook_context>")
NOTICE_TYPES = ("info", "error", "warning")
_INPUT_KEYS = ("command", "file_path", "absolute_path", "path", "pattern", "url", "query", "prompt")


def gemini_home(home: str | os.PathLike[str] | None = None) -> Path:
    """``~/.gemini``; the CLI puts it under ``$GEMINI_CLI_HOME`` when that is set."""
    if home is None:
        home = os.environ.get("GEMINI_CLI_HOME") or Path.home()
    return Path(home) / ".gemini"


def project_hash(cwd: str | os.PathLike[str]) -> str:
    """The older folder name (and every file's ``projectHash``): sha256 hex of the path."""
    return hashlib.sha256(os.fspath(cwd).encode("utf-8")).hexdigest()


def project_dirs(
    cwd: str | os.PathLike[str], home: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Existing ``tmp/<project>`` folders of ``cwd``: hash-named, registered slug, marked slug."""
    tmp = gemini_home(home) / "tmp"
    if not tmp.is_dir():
        return []
    variants = list(dict.fromkeys((os.path.abspath(cwd), os.path.realpath(cwd))))
    names = [project_hash(v) for v in variants]
    try:
        reg = json.loads((gemini_home(home) / "projects.json").read_text(encoding="utf-8"))
        projects = reg.get("projects") if isinstance(reg, dict) else None
        if isinstance(projects, dict):
            names += [str(projects[v]) for v in variants if isinstance(projects.get(v), str)]
    except (OSError, ValueError):
        pass
    try:
        for d in tmp.iterdir():  # slug folders name their owner in .project_root
            marker = d / ".project_root"
            if d.name not in names and marker.is_file() and not marker.is_symlink():
                with open(marker, encoding="utf-8", errors="replace") as fh:
                    if fh.read(4096).strip() in variants:
                        names.append(d.name)
    except OSError:
        pass
    out = []
    for name in dict.fromkeys(names):
        d = tmp / name
        if "/" not in name and name not in ("", ".", "..") and d.is_dir() and not d.is_symlink():
            out.append(d)
    return out


def slugify(name: str) -> str:
    """The CLI's project slug: lower-case, every run of non-[a-z0-9] one ``-``, trimmed."""
    import re

    slug = re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", name.lower())).strip("-")
    return slug or "project"


def ensure_project_dir(
    cwd: str | os.PathLike[str], home: str | os.PathLike[str] | None = None
) -> Path:
    """The ``tmp/<slug>`` folder the CLI uses for ``cwd``, claimed the way the CLI claims one
    (first free ``slug``, ``slug-1``, ... with the owner written to ``.project_root``) when it
    has none yet; the CLI adopts a folder whose marker names its project."""
    path = os.path.abspath(cwd)
    tmp = gemini_home(home) / "tmp"
    for d in project_dirs(path, home):
        if (d / ".project_root").is_file():
            return d
    taken: set[str] = set()
    try:
        reg = json.loads((gemini_home(home) / "projects.json").read_text(encoding="utf-8"))
        if isinstance(reg, dict) and isinstance(reg.get("projects"), dict):
            taken = {str(v) for k, v in reg["projects"].items() if k != path}
    except (OSError, ValueError):
        pass
    base, n = slugify(os.path.basename(path)), 0
    while True:
        name = base if n == 0 else f"{base}-{n}"
        n += 1
        d = tmp / name
        if name in taken or d.is_symlink() or (d.exists() and not d.is_dir()):
            continue
        marker = d / ".project_root"
        if marker.exists():
            continue  # owned by another project (ours was found above)
        d.mkdir(parents=True, exist_ok=True)
        marker.write_text(path, encoding="utf-8")
        return d


def find_sessions(
    cwd: str | os.PathLike[str],
    since: datetime | float | str | None = None,
    until: datetime | float | str | None = None,
    home: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """This project's main-session chat files modified in [since, until], oldest first.

    Sub-agent chats (``chats/<parent id>/<id>.jsonl``) are left out: the parent holds the call
    and its result."""
    lo, hi = to_epoch(since), to_epoch(until)
    files = [
        p
        for d in project_dirs(cwd, home)
        for pattern in ("session-*.jsonl", "session-*.json")
        for p in (d / "chats").glob(pattern)
        if p.is_file() and not p.is_symlink() and in_window(p, lo, hi)
    ]
    return sorted(set(files), key=lambda p: (p.stat().st_mtime, p.name))


# ---- parts (shared with the Qwen Code adapter, which keeps Gemini's Content shape) -----------


def parts_of(content: Any) -> list[Any]:
    """A ``PartListUnion`` (a string, one part, or a list of parts/strings) as a list."""
    if content is None:
        return []
    if isinstance(content, list):
        return [{"text": p} if isinstance(p, str) else p for p in content]
    return [{"text": content}] if isinstance(content, str) else [content]


def parts_text(content: Any) -> str:
    """The visible text of parts: text (not thoughts), and placeholders for attachments."""
    out = []
    for p in parts_of(content):
        if not isinstance(p, dict) or p.get("thought") is True:
            continue
        if isinstance(p.get("text"), str):
            out.append(p["text"])
        elif "inlineData" in p or "fileData" in p:
            data = p.get("inlineData") or p.get("fileData") or {}
            mime = data.get("mimeType") if isinstance(data, dict) else None
            tag = "[image]" if str(mime or "").startswith("image/") else "[file]"
            out.append(f"\n{tag}\n" if out else f"{tag}\n")
    return "".join(out)  # streamed text arrives in pieces: joined as the CLI joins them


def thought_text(content: Any) -> str:
    return "\n".join(
        p["text"]
        for p in parts_of(content)
        if isinstance(p, dict) and p.get("thought") is True and isinstance(p.get("text"), str)
    )


def tool_line(name: str, args: Any) -> str:
    """``[tool] the telling argument`` for a call's turn text."""
    if isinstance(args, dict):
        for key in _INPUT_KEYS:
            value = args.get(key)
            if isinstance(value, str) and value.strip():
                return f"[{name}] {clip(value, 500)}"
    if args in (None, {}, []):
        return f"[{name}]"
    return f"[{name}] {clip(json.dumps(args, ensure_ascii=False), 500)}"


def response_text(response: Any) -> tuple[str, bool]:
    """A ``functionResponse.response`` (``{output}`` / ``{error}`` / anything) → (text, error)."""
    if isinstance(response, dict):
        if isinstance(response.get("output"), str):
            return response["output"], False
        if "error" in response:
            err = response["error"]
            return (err if isinstance(err, str) else json.dumps(err, ensure_ascii=False)), True
        if isinstance(response.get("content"), (str, list)):
            return parts_text(response["content"]), False
    if isinstance(response, str):
        return response, False
    return json.dumps(response, ensure_ascii=False), False


def result_turn(
    text: str, ts: str | None, ident: str | None, call_id: str | None, tool: str | None, error: bool
) -> TranscriptTurn:
    raw = text.rstrip()
    clipped = clip(raw)
    meta: dict[str, Any] = {"kind": "tool_result", "call_id": call_id}
    if tool:
        meta["tool"] = tool
    if error:
        meta["is_error"] = True
    if clipped != raw:
        meta["truncated"] = True
        meta["bytes"] = len(raw.encode("utf-8"))
    return TranscriptTurn("tool", clipped, ts, ident, meta)


def call_turn(name: str, args: Any, ts: str | None, call_id: str | None) -> TranscriptTurn:
    meta = {"kind": "tool_use", "tool": name, "call_id": call_id, "input": clip_value(args)}
    return TranscriptTurn("tool", tool_line(name, args), ts, call_id, meta)


# ---- parsing ---------------------------------------------------------------------------------


def _tool_result_text(call: dict[str, Any]) -> str | None:
    """A recorded tool call's result: parts with a functionResponse, a string, or the display."""
    result = call.get("result")
    texts = []
    for p in parts_of(result) if result is not None else []:
        if not isinstance(p, dict):
            continue
        fr = p.get("functionResponse")
        if isinstance(fr, dict):
            texts.append(response_text(fr.get("response"))[0])
        elif isinstance(p.get("text"), str):
            texts.append(p["text"])
        elif isinstance(p.get("output"), str):
            texts.append(p["output"])
    if texts:
        return "\n".join(texts)
    display = call.get("resultDisplay")
    if isinstance(display, str) and display.strip():
        return display
    return None


class _Parser:
    def __init__(self) -> None:
        self.meta: dict[str, Any] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.records = 0
        self.malformed: list[int] = []
        self.unknown: Counter[str] = Counter()
        self.truncated_tail = False
        self.rewound = 0
        # ids rebuilt by `ctx resume`: the CLI re-writes them (``$set`` messages) without the mark
        self.marked: dict[str, str] = {}
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
        if isinstance(rec.get("$rewindTo"), str):
            ids = list(self.messages)
            cut = ids.index(rec["$rewindTo"]) if rec["$rewindTo"] in ids else 0
            for mid in ids[cut:]:
                del self.messages[mid]
                self.rewound += 1
        elif isinstance(rec.get("id"), str):
            self._message(rec)
        elif isinstance(rec.get("$set"), dict):
            update = dict(rec["$set"])
            msgs = update.pop("messages", None)
            if isinstance(msgs, list):
                self.messages.clear()
                for m in msgs:
                    if isinstance(m, dict) and isinstance(m.get("id"), str):
                        self._message(m)
            self.meta.update(update)
        elif isinstance(rec.get("sessionId"), str):
            msgs = rec.get("messages")
            self.meta.update({k: v for k, v in rec.items() if k != "messages"})
            for m in msgs if isinstance(msgs, list) else []:
                if isinstance(m, dict) and isinstance(m.get("id"), str):
                    self._message(m)
        else:
            self.unknown["/".join(sorted(str(k) for k in rec)[:3]) or "empty"] += 1

    def _message(self, m: dict[str, Any]) -> None:
        mid = str(m["id"])
        if isinstance(m.get(RESUME_MARKER), str):
            self.marked[mid] = m[RESUME_MARKER]
        self.messages[mid] = m  # a re-appended id replaces the copy, keeps the place

    def result(self, path: Path) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
        turns: list[TranscriptTurn] = []
        models: list[str] = []
        times: list[str] = []
        ignored = injected = 0
        for mid, m in self.messages.items():
            ts = iso_ts(m.get("timestamp"))
            if ts:
                times.append(ts)
            mark = self.marked.get(mid)
            if mark is not None:  # rebuilt by `ctx resume`: stored already
                self.continues = mark
                self.resumed += 1
                continue
            mtype = m.get("type")
            if mtype == "user":
                shown = m.get("displayContent")
                text = (parts_text(shown) or parts_text(m.get("content"))).strip()
                if text.startswith("<hook_context>") and "</hook_context>" in text:
                    # a SessionStart hook's context (ctx's own brief), put before the prompt
                    text = text.split("</hook_context>", 1)[1].strip()
                    injected += 1
                if not text:
                    ignored += 1
                elif text.startswith(INJECTED_PREFIXES):
                    injected += 1  # the CLI's startup context (machine paths, a file tree)
                elif text.startswith("/"):
                    turns.append(TranscriptTurn("system", text, ts, mid, {"command": True}))
                else:
                    turns.append(TranscriptTurn("user", text, ts, mid, {}))
            elif mtype == "gemini":
                model = m.get("model")
                if isinstance(model, str) and model and model not in models:
                    models.append(model)
                turns.extend(self._gemini(mid, m, ts))
            elif mtype in NOTICE_TYPES:
                text = parts_text(m.get("content")).strip()
                if text:
                    notice = {"generated": True, "level": mtype}
                    turns.append(TranscriptTurn("system", text, ts, mid, notice))
                else:
                    ignored += 1
            else:
                self.unknown[f"message/{mtype}"] += 1
        for key in ("startTime", "lastUpdated"):
            ts = iso_ts(self.meta.get(key))
            if ts:
                times.append(ts)
        meta: dict[str, Any] = {
            "source_path": str(path),
            "records": self.records,
            "skipped": len(self.malformed) + sum(self.unknown.values()) + int(self.truncated_tail),
        }
        optional: dict[str, Any] = {
            "model": models[0] if models else None,
            "models": models if len(models) > 1 else None,
            "project_hash": self.meta.get("projectHash"),
            "kind": self.meta.get("kind") if self.meta.get("kind") != "main" else None,
            "format": "json" if path.suffix == ".json" else None,
            "malformed_lines": self.malformed[:MAX_LISTED_PROBLEMS] or None,
            "unknown_types": dict(self.unknown) or None,
            "ignored_records": ignored or None,
            "injected_context": injected or None,
            "rewound_messages": self.rewound or None,
            "truncated_tail": self.truncated_tail or None,
            "continues": self.continues,
            "resumed_records": self.resumed or None,
        }
        meta.update({k: v for k, v in optional.items() if v is not None})
        summary = self.meta.get("summary")
        dirs = self.meta.get("directories")
        sid = self.meta.get("sessionId")
        owner = _owner(path)
        header = TranscriptHeader(
            tool="gemini",
            external_id=str(sid) if isinstance(sid, str) and sid else _id_from_name(path),
            title=summary.strip() if isinstance(summary, str) and summary.strip() else None,
            started_at=iso_ts(self.meta.get("startTime")) or (min(times) if times else None),
            ended_at=max(times) if times else None,
            cwd=dirs[0] if isinstance(dirs, list) and dirs and isinstance(dirs[0], str) else owner,
            meta=meta,
        )
        return header, turns

    def _gemini(self, mid: str, m: dict[str, Any], ts: str | None) -> list[TranscriptTurn]:
        out: list[TranscriptTurn] = []
        thoughts = []
        for t in m.get("thoughts") or []:
            if isinstance(t, dict) and isinstance(t.get("description"), str):
                subject = t.get("subject")
                desc = t["description"].strip()
                has_subject = isinstance(subject, str) and subject
                thoughts.append(f"**{subject}** {desc}" if has_subject else desc)
        inline = thought_text(m.get("content"))
        if inline:
            thoughts.append(inline)
        text = parts_text(m.get("content")).strip()
        if text:
            meta: dict[str, Any] = {"message_id": mid}
            if isinstance(m.get("model"), str):
                meta["model"] = m["model"]
            if isinstance(m.get("tokens"), dict):
                meta["tokens"] = clip_value(m["tokens"])
            out.append(TranscriptTurn("assistant", text, ts, mid, meta))
        for i, call in enumerate(m.get("toolCalls") or []):
            if not isinstance(call, dict):
                continue
            name = str(call.get("name") or "tool")
            cid = call.get("id") if isinstance(call.get("id"), str) else f"{mid}:call{i}"
            cts = iso_ts(call.get("timestamp")) or ts
            out.append(call_turn(name, call.get("args"), cts, cid))
            result = _tool_result_text(call)
            if result is not None:
                error = call.get("status") in ("error", "cancelled")
                out.append(result_turn(result, cts, f"{cid}:result", cid, name, error))
        if out and thoughts:
            out[0].meta["thinking"] = clip("\n\n".join(thoughts))
        return out


def _owner(path: Path) -> str | None:
    """The project path a slug folder names in its ``.project_root`` (None if unknown)."""
    marker = path.parent.parent / ".project_root"
    try:
        if marker.is_file() and not marker.is_symlink():
            with open(marker, encoding="utf-8", errors="replace") as fh:
                text = fh.read(4096).strip()
            return text if text.startswith("/") else None
    except OSError:
        pass
    return None


def _id_from_name(path: Path) -> str:
    """``session-2026-01-15T10-20-abcd1234.jsonl`` → ``abcd1234`` (the short id)."""
    return path.stem.rsplit("-", 1)[-1]


def parse_gemini_session(
    path: str | os.PathLike[str],
) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
    """Read one chat file (JSONL, or the older single JSON object); never raises on content."""
    p = Path(path)
    parser = _Parser()
    with open(p, "rb") as fh:
        head = fh.read(1 << 16)
    whole: Any = None
    if p.suffix == ".json" or (head.lstrip().startswith(b"{") and b'"messages"' in head[:4096]):
        try:
            whole = json.loads(p.read_bytes().decode("utf-8", errors="replace"))
        except ValueError:
            whole = None
    if isinstance(whole, dict) and isinstance(whole.get("messages"), list):
        parser.feed(1, whole, True)
    elif p.suffix == ".json":  # one JSON object that does not parse: cut off mid-write
        parser.feed(1, None, False)
    else:
        for line in iter_jsonl(p):
            parser.feed(line.number, line.value if line.error is None else None, line.complete)
    return parser.result(p)
