"""The files a session's tool calls read, wrote or edited, from the turns as stored.

Tool calls are kept in turn meta (`kind: tool_use`, `tool`, `input`). Paths in them may be
absolute on another person's machine (`/home/ada/proj/src/auth.py`), relative, or `~/…`; a
path refers to a repository file when it ends with that file's path, so matching works for a
teammate's session as well as for one's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ctx.models import Turn

READ_TOOLS = {"read", "grep", "glob", "ls", "view", "notebookread"}
WRITE_TOOLS = {"write", "create", "create_file"}
EDIT_TOOLS = {
    "edit",
    "multiedit",
    "notebookedit",
    "str_replace",
    "apply_patch",
    "str_replace_editor",
}
_PATH_KEYS = ("file_path", "notebook_path", "path", "filename", "file")
_PATCH_FILE = re.compile(r"^\*\*\* (Add|Update|Delete) File: (.+)$", re.MULTILINE)
# aider's edit blocks: the file name on the line before the fence of a SEARCH/REPLACE block
_AIDER_BLOCK = re.compile(r"^([^\s`][^\n]*)\n```[^\n]*\n<<<<<<< SEARCH", re.MULTILINE)


@dataclass
class FileTouch:
    path: str  # as the tool call named it
    action: str  # "read" | "write" | "edit"
    turn: int
    new_text: list[str] = field(default_factory=list)  # text the call put into the file


def touches(turns: list[Turn]) -> list[FileTouch]:
    out: list[FileTouch] = []
    for t in turns:
        if t.meta.get("kind") == "tool_use":
            out.extend(_from_tool(t))
        elif t.role == "assistant" and "<<<<<<< SEARCH" in t.text:
            for m in _AIDER_BLOCK.finditer(t.text):
                out.append(FileTouch(m.group(1).strip(), "edit", t.n, _replace_parts(t.text)))
    return out


def _from_tool(t: Turn) -> list[FileTouch]:
    name = str(t.meta.get("tool") or "").lower()
    raw = t.meta.get("input")
    inp: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if name in ("apply_patch",) or (isinstance(raw, str) and "*** Begin Patch" in raw):
        text = raw if isinstance(raw, str) else str(inp.get("input") or inp.get("patch") or "")
        added = [
            ln[1:] for ln in text.splitlines() if ln.startswith("+") and not ln.startswith("+++")
        ]
        return [
            FileTouch(m.group(2).strip(), "edit", t.n, added) for m in _PATCH_FILE.finditer(text)
        ]
    path = next((inp[k] for k in _PATH_KEYS if isinstance(inp.get(k), str) and inp[k]), None)
    if path is None:
        return []
    if name in WRITE_TOOLS:
        return [FileTouch(path, "write", t.n, _strings(inp.get("content")))]
    if name in EDIT_TOOLS:
        new: list[str] = _strings(inp.get("new_string")) + _strings(inp.get("new_source"))
        for edit in inp.get("edits") or []:
            if isinstance(edit, dict):
                new += _strings(edit.get("new_string"))
        return [FileTouch(path, "edit", t.n, new)]
    return [FileTouch(path, "read", t.n)]


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) and value else []


def _replace_parts(text: str) -> list[str]:
    out, keep = [], False
    for line in text.splitlines():
        if line.startswith("======="):
            keep = True
        elif line.startswith(">>>>>>> REPLACE"):
            keep = False
        elif keep:
            out.append(line)
    return ["\n".join(out)] if out else []


def refers_to(tool_path: str, repo_path: str) -> bool:
    """Whether a path as a tool call named it is the repository file `repo_path`."""
    p = tool_path.replace("\\", "/").strip()
    while p.startswith("./"):
        p = p[2:]
    return p == repo_path or p.endswith("/" + repo_path)


def wrote_line(touch: FileTouch, line: str) -> bool:
    """Whether this call's new text contains the line (ignoring surrounding whitespace)."""
    needle = line.strip()
    if len(needle) < 3:
        return False
    return any(needle in (ln.strip() for ln in text.splitlines()) for text in touch.new_text)


def new_lines(touch: FileTouch) -> set[str]:
    """The stripped lines of the call's new text: `wrote_line` for many lines at once."""
    return {ln.strip() for text in touch.new_text for ln in text.splitlines()}
