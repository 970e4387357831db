"""Readable text views of sessions (shared by `sessions show` and anything else that prints one)."""

from __future__ import annotations

from typing import Any

from ctx.cli.common import plural, short_time
from ctx.core.models import Session, Turn
from ctx.core.timeutil import to_unix


def duration(session: Session) -> str:
    if not session.started_at or not session.ended_at:
        return ""
    secs = int(to_unix(session.ended_at) - to_unix(session.started_at))
    if secs < 0:
        return ""
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    return f"{secs // 3600}h{(secs % 3600) // 60:02d}m"


def session_header(s: Session) -> list[str]:
    lines = [f"session  {s.id}" + (f"  {s.title}" if s.title else "")]
    facts = [f"tool {s.tool}", f"status {s.status}", plural(s.turn_count, "turn")]
    if s.branch:
        facts.append(f"branch {s.branch}")
    if s.exit_status is not None:
        facts.append(f"exit {s.exit_status}")
    if s.private:
        facts.append("private")
    lines.append("         " + " · ".join(facts))
    when = short_time(s.started_at)
    if s.ended_at:
        d = duration(s)
        when += f" → {short_time(s.ended_at)}" + (f" ({d})" if d else "")
    lines.append(f"when     {when}")
    if s.author:
        lines.append(f"author   {s.author}")
    if s.commit:
        end = f" → {s.commit_end[:10]}" if s.commit_end and s.commit_end != s.commit else ""
        lines.append(f"commit   {s.commit[:10]}{end}")
    if s.command:
        lines.append("command  " + " ".join(s.command))
    if s.cwd:
        lines.append(f"cwd      {s.cwd}")
    if s.external_id:
        lines.append(f"tool id  {s.external_id}")
    if s.tags:
        lines.append(f"tags     {', '.join(s.tags)}")
    return lines


#: File-writing tool calls whose content the text view shows (the turn text has only the path).
WRITE_TOOLS = ("Write", "Edit", "MultiEdit")


def _diff(old: str, new: str) -> list[str]:
    return [f"- {line}" for line in old.splitlines()] + [f"+ {line}" for line in new.splitlines()]


def write_detail(t: Turn) -> list[str]:
    """What a Write/Edit call put in the file: the content, or the replaced and new text as
    -/+ lines (from the call's input kept in ``meta.input``; long values were clipped)."""
    if (
        t.role != "tool"
        or t.meta.get("kind") != "tool_use"
        or t.meta.get("tool") not in WRITE_TOOLS
    ):
        return []
    args = t.meta.get("input")
    if not isinstance(args, dict):
        return []
    content = args.get("content")
    if isinstance(content, str):
        return content.rstrip("\n").splitlines()
    raw = args.get("edits")
    edits: list[Any] = raw if isinstance(raw, list) else [args]
    out: list[str] = []
    for edit in edits:
        if not isinstance(edit, dict):
            continue
        old, new = edit.get("old_string"), edit.get("new_string")
        if isinstance(old, str) and isinstance(new, str):
            if out:
                out.append("  ⋯")
            out += _diff(old, new)
    return out


def turn_block(t: Turn, width: int = 80) -> list[str]:
    label = f"── [{t.n}] {t.role}"
    if t.meta.get("name"):
        label += f" · {t.meta['name']}"
    if t.ts:
        label += f" · {short_time(t.ts)[11:]}"
    label += " "
    detail = ["    " + line for line in write_detail(t)]
    return [label + "─" * max(3, width - len(label)), t.text.rstrip(), *detail, ""]


def session_text(s: Session, width: int = 80) -> str:
    lines = session_header(s)
    lines.append("")
    for t in s.turns or []:
        lines.extend(turn_block(t, width))
    return "\n".join(lines)
