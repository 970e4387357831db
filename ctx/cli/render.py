"""Readable text views of sessions (shared by `sessions show` and anything else that prints one)."""

from __future__ import annotations

from ctx.cli.common import plural, short_time
from ctx.models import Session, Turn
from ctx.timeutil import to_unix


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


def turn_block(t: Turn, width: int = 80) -> list[str]:
    label = f"── [{t.n}] {t.role}"
    if t.meta.get("name"):
        label += f" · {t.meta['name']}"
    if t.ts:
        label += f" · {short_time(t.ts)[11:]}"
    label += " "
    return [label + "─" * max(3, width - len(label)), t.text.rstrip(), ""]


def session_text(s: Session, width: int = 80) -> str:
    lines = session_header(s)
    lines.append("")
    for t in s.turns or []:
        lines.extend(turn_block(t, width))
    return "\n".join(lines)
