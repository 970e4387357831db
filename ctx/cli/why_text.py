"""The text of `ctx why`, from the answer as a dict (WhyResult.to_dict()): the same lines
whether the answer was just computed or read from the answer cache (ctx/cli/fast_why.py)."""

from __future__ import annotations

from typing import Any

from ctx.cli.output import one_line, short_time


def render_why(r: dict[str, Any]) -> list[str]:
    start, end = r["start"], r["end"]
    where = r["path"] + (f":{start}" + (f"-{end}" if end != start else "") if start else "")
    out = [where]
    if r["uncommitted_lines"]:
        out.append(f"  not committed yet: line(s) {ranges(r['uncommitted_lines'])}")
    for c in r["commits"]:
        out.append(
            f"  {c['sha'][:10]}  {c['date'][:10]}  {one_line(c['author'], 30)}  "
            f"{one_line(c['summary'], 50)}  (line {ranges(c['lines'])})"
        )
    if not r["sessions"]:
        out.append("no session is linked to these lines")
    for s in r["sessions"]:
        out.append(
            f"session {s['id']}  {one_line(s['title'] or '(untitled)', 50)}  {s['tool']}, "
            f"{one_line(s['author'], 30)}, {short_time(s['started_at'])} — {s['how']}"
        )
        for t in s["turns"]:
            mark = f"  <- wrote line {ranges(t['wrote'])}" if t["wrote"] else ""
            out.append(f"    turn {t['n']} {t['role']}: {one_line(t['text'], 70)}{mark}")
    if r["memories"]:
        out.append("memories:")
        for m in r["memories"]:
            out.append(
                f"  {m['id']}  [{m['type']}] {one_line(m['content'], 70)}  "
                f"({one_line(m['author'], 24)}, {short_time(m['created_at'])}) — {m['how']}"
            )
    return out


def ranges(nums: list[int]) -> str:
    ordered = sorted(set(nums))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(parts)
