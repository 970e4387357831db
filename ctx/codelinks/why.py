"""`ctx why FILE[:LINE[-LINE]]`: the sessions, turns and decisions behind lines of code.

git answers who and when; the conversation answers why. The lines are blamed (renames and moves
followed), their commits are linked to sessions — by a `Ctx-Session:` trailer, by being the HEAD a
session ended on, or by being authored during a session that edited the file — and inside those
sessions the tool call whose new text holds the line is the turn that wrote it. Memories come from
those sessions or mention the file; decisions rank first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.codelinks.blame import BlameLine
from ctx.codelinks.blame_cache import blame_file
from ctx.codelinks.target import parse_target, relative_path
from ctx.codelinks.trailer_cache import TRAILER as TRAILER  # (ctx log reads it from here)
from ctx.codelinks.trailer_cache import read_trailers
from ctx.core.errors import CtxError
from ctx.core.ids import is_session_id
from ctx.store.touched import new_lines, refers_to, touches

if TYPE_CHECKING:
    from ctx.codelinks.why_inputs import Inputs, MemoryRow, SessionRow
    from ctx.core.models import Session
    from ctx.store.project import Project


BEFORE = 120  # seconds a commit may precede a session's first record (clock skew)
AFTER = 900  # seconds after a session's last record that its commit may come
_TYPE_RANK = {"decision": 0, "procedure": 1, "fact": 2, "preference": 3, "episode": 4}


@dataclass
class CommitInfo:
    sha: str
    author: str
    date: str
    summary: str
    lines: list[int] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)


@dataclass
class TurnRef:
    session_id: str
    n: int
    role: str
    text: str
    wrote: list[int] = field(default_factory=list)  # lines of the range this turn's call wrote


@dataclass
class SessionLink:
    id: str
    title: str
    tool: str
    author: str
    started_at: str
    how: str  # "trailer" | "ended on the commit" | "edited the file during the commit" | "touched"
    turns: list[TurnRef] = field(default_factory=list)


@dataclass
class MemoryLink:
    id: str
    type: str
    content: str
    author: str
    created_at: str
    how: str  # "from a linked session" | "mentions the file"


@dataclass
class WhyResult:
    path: str
    start: int | None
    end: int | None
    commits: list[CommitInfo] = field(default_factory=list)
    sessions: list[SessionLink] = field(default_factory=list)
    memories: list[MemoryLink] = field(default_factory=list)
    uncommitted_lines: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """As `dataclasses.asdict` gives it, by hand: asdict deep-copies every line number of
        every commit and took longer than the rest of `ctx why` on a big file."""
        return {
            "path": self.path,
            "start": self.start,
            "end": self.end,
            "commits": [
                {**vars(c), "lines": list(c.lines), "sessions": list(c.sessions)}
                for c in self.commits
            ],
            "sessions": [
                {**vars(s), "turns": [{**vars(t), "wrote": list(t.wrote)} for t in s.turns]}
                for s in self.sessions
            ],
            "memories": [dict(vars(m)) for m in self.memories],
            "uncommitted_lines": list(self.uncommitted_lines),
        }


def why(project: Project, spec: str, *, cwd: Path | None = None) -> WhyResult:
    raw, start, end = parse_target(spec)
    rel = repo_relative(project, raw, cwd or Path.cwd())
    lines = blame_file(project, rel, start, end)
    from ctx.codelinks.why_inputs import from_project

    return explain(from_project(project), project.git.worktree, rel, start, end, lines)


def explain(
    inputs: Inputs,
    worktree: Path,
    rel: str,
    start: int | None,
    end: int | None,
    lines: list[BlameLine],
) -> WhyResult:
    """The answer from the blamed lines and what the store holds (loaded, or kept: see
    ctx/codelinks/why_inputs.py): the same answer either way."""
    result = WhyResult(rel, start, end)
    by_sha: dict[str, CommitInfo] = {}
    for bl in lines:
        if bl.uncommitted:
            result.uncommitted_lines.append(bl.line)
            continue
        info = by_sha.get(bl.commit)
        if info is None:
            when = datetime.fromtimestamp(bl.author_time, tz=timezone.utc)
            info = CommitInfo(bl.commit, bl.author, when.strftime("%Y-%m-%dT%H:%M:%SZ"), bl.summary)
            by_sha[bl.commit] = info
            result.commits.append(info)
        info.lines.append(bl.line)
    cache = inputs.root / ".contextfs" / "local" / "cache" / "trailers.json"
    named = trailers(worktree, list(by_sha), cache)
    sessions = inputs.sessions
    files = inputs.files
    touched = {
        s.id for s in sessions if any(refers_to(p, rel) for p, _a, _t in files.get(s.id, []))
    }
    edited = {
        s.id
        for s in sessions
        if any(refers_to(p, rel) and a != "read" for p, a, _t in files.get(s.id, []))
    }
    links: dict[str, str] = {}
    by_id = {s.id: s for s in sessions}
    alias = _aliases(sessions)
    ends = {s.commit_end: s.id for s in sessions if s.commit_end and s.commit_end != s.commit}
    windows = _Windows([by_id[sid] for sid in edited])
    for sha, info in by_sha.items():
        found: list[tuple[str, str]] = [
            (sid if sid in by_id else alias.get(sid, sid), "trailer")
            for sid in sorted(named.get(sha, ()))
        ]
        if sha in ends:
            found.append((ends[sha], "ended on the commit"))
        found += [
            (sid, "edited the file before the commit") for sid in windows.at(_epoch(info.date))
        ]
        for sid, how in found:
            if sid not in by_id:
                continue  # a trailer naming a session this clone does not have
            if sid not in info.sessions:
                info.sessions.append(sid)
            links.setdefault(sid, how)
    if not links:  # nothing tied to these commits: the sessions that worked on the file
        recent = sorted(touched, key=lambda sid: by_id[sid].started_at or "", reverse=True)
        for sid in recent[:5]:
            links[sid] = "touched the file"
    # what wrote_line() asks, once per line instead of once per line and call
    needles = [(bl.line, t) for bl in lines if len(t := bl.text.strip()) >= 3] if links else []
    for sid, how in sorted(links.items(), key=lambda kv: _rank(kv[1], by_id[kv[0]])):
        s = by_id[sid]
        link = SessionLink(s.id, s.title, s.tool, s.author, s.started_at, how)
        if len(result.sessions) < 10:  # the turns of the strongest links
            link.turns = _turns(inputs, s.id, rel, needles, private=s.private)
        result.sessions.append(link)
    result.memories = _memories(inputs.memories, rel, set(links))
    return result


def repo_relative(project: Project, raw: str, cwd: Path) -> str:
    rel = relative_path(raw, cwd, project.git.worktree, project.root)
    if rel is None:
        raise CtxError(f"{raw} is outside this repository", "give a file inside it", exit_code=2)
    return rel


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


class _Windows:
    """Sessions by time window, for "which sessions were running when this commit was made"."""

    def __init__(self, sessions: list[SessionRow]) -> None:
        spans = []
        for s in sessions:
            if s.started_at:
                lo = _epoch(s.started_at) - BEFORE
                spans.append((lo, max(lo, _epoch(s.ended_at or s.started_at) + AFTER), s.id))
        spans.sort()
        self.starts = [lo for lo, _hi, _sid in spans]
        self.spans = spans
        self.longest = max((hi - lo for lo, hi, _sid in spans), default=0.0)

    def at(self, when: float) -> list[str]:
        import bisect

        i = bisect.bisect_right(self.starts, when)
        j = bisect.bisect_left(self.starts, when - self.longest)
        return [sid for lo, hi, sid in self.spans[j:i] if lo <= when <= hi]


def _rank(how: str, s: SessionRow) -> tuple[int, str]:
    order = ["trailer", "ended on the commit", "edited the file before the commit"]
    return (order.index(how) if how in order else len(order), s.started_at or "")


def _aliases(sessions: list[SessionRow]) -> dict[str, str]:
    """As :func:`session_aliases`, from the capture ids kept with each session."""
    out: dict[str, str] = {}
    for s in sessions:
        for cid in s.capture_ids:
            if is_session_id(cid) and cid != s.id:
                out.setdefault(cid, s.id)
    return out


def session_aliases(sessions: list[Session]) -> dict[str, str]:
    """capture id -> the id the session is stored under, for trailers written during capture.
    A session's own id always wins over an alias (pulled meta could claim any id)."""
    out: dict[str, str] = {}
    for s in sessions:
        from ctx.store.sessions import CAPTURE_IDS

        ids = s.meta.get(CAPTURE_IDS) if isinstance(s.meta, dict) else None
        for cid in ids if isinstance(ids, list) else ():
            if isinstance(cid, str) and is_session_id(cid) and cid != s.id:
                out.setdefault(cid, s.id)
    return out


def trailers(root: Path, shas: list[str], cache: Path | None = None) -> dict[str, set[str]]:
    """The session ids in the Ctx-Session trailers of these commits: read from `cache` (a
    commit's message never changes), the commits not in it from git in one call."""
    if not shas:
        return {}
    return read_trailers(root, shas, cache)


def _turns(
    inputs: Inputs, sid: str, rel: str, needles: list[tuple[int, str]], *, private: bool = False
) -> list[TurnRef]:
    try:
        turns = inputs.turns(sid, private)
    except Exception:  # unreadable: the link still shows
        return []
    refs: dict[int, TurnRef] = {}
    for touch in touches(turns):
        if not refers_to(touch.path, rel) or touch.action == "read":
            continue
        turn = turns[touch.turn] if touch.turn < len(turns) else None
        if turn is None:
            continue
        ref = refs.setdefault(touch.turn, TurnRef(sid, touch.turn, turn.role, turn.text[:300]))
        have = new_lines(touch)
        if have:
            seen = set(ref.wrote)
            for n, text in needles:
                if text in have and n not in seen:
                    ref.wrote.append(n)
                    seen.add(n)
    out = sorted(refs.values(), key=lambda r: (not r.wrote, r.n))
    if out:  # the request that led to the first edit: the user turn before it
        first = min(r.n for r in out)
        asked = next((t for t in reversed(turns[:first]) if t.role == "user"), None)
        if asked is not None:
            out.insert(0, TurnRef(sid, asked.n, "user", asked.text[:300]))
    return out[:6]


def _memories(memories: list[MemoryRow], rel: str, sessions: set[str]) -> list[MemoryLink]:
    out: list[tuple[tuple[int, int, str], MemoryLink]] = []
    base = rel.rsplit("/", 1)[-1]
    for m in memories:
        how = None
        if m.source_session in sessions:
            how = "from a linked session"
        elif rel in m.content or (len(base) > 4 and base in m.content):
            how = "mentions the file"
        if how:
            link = MemoryLink(m.id, m.type, m.content, m.author, m.created_at, how)
            key = (_TYPE_RANK.get(m.type, 9), 0 if how.startswith("from") else 1, m.created_at)
            out.append((key, link))
    out.sort(key=lambda kv: (kv[0][0], kv[0][1], _neg(kv[0][2])))
    return [m for _, m in out[:20]]


def _neg(iso: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in iso)  # newest first within a rank
