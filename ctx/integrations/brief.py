"""A compact project brief for the start of AI work (MCP `context`, SessionStart hook, TUI).

Why a brief and not a search: at the start of a session there is no query yet, and the hook
that injects it must be fast (no embedding model, no index). So the brief ranks what the
store already holds — typed memories and recent sessions — by type, branch and recency,
and fits them into a character budget, most relevant first.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ctx.core.timeutil import now, to_unix

if TYPE_CHECKING:
    from ctx.core.models import Memory, Session
    from ctx.store.project import Project

DEFAULT_BUDGET = 4000
MIN_BUDGET = 200
MAX_BUDGET = 50_000
#: Order of sections and the weight of each memory type (episodes are summaries: least).
TYPE_WEIGHTS = {"decision": 1.0, "fact": 0.9, "procedure": 0.85, "preference": 0.8, "episode": 0.6}
SECTION_TITLES = {
    "decision": "Decisions",
    "fact": "Facts",
    "procedure": "Procedures",
    "preference": "Preferences",
    "episode": "Episodes",
}
HALF_LIFE_DAYS = 30.0
FOOT_MCP = (
    "More: the ctx MCP tools `search`, `recall`, `get_session` (or `ctx search QUERY`). "
    "Store durable learnings with `remember`."
)
FOOT_SHELL = (
    "More: run `ctx search QUERY`, `ctx memory show ID` or `ctx sessions show ID` in a shell. "
    'Store durable learnings with `ctx memory add -t decision "TEXT"`.'
)
MAX_SESSIONS = 5
MAX_CANDIDATES = 400  # memories considered for the brief (the best-ranked; no budget fits more)
MEMORY_CHARS = 300  # one memory line at most (the rest is a `recall` away)
MIN_LINE = 40  # a budget with less room left than this is full
SESSION_SHARE = 0.3  # of the budget kept for recent sessions while memories are placed


@dataclass
class BriefItem:
    kind: str  # "memory" | "session"
    id: str
    label: str  # memory type, or the session's tool
    line: str  # the rendered line, as it appears in the text
    branch: str | None = None
    when: str = ""  # ISO time: memory updated_at / session started_at
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Brief:
    text: str
    items: list[BriefItem] = field(default_factory=list)
    branch: str | None = None
    budget_chars: int = DEFAULT_BUDGET
    omitted: int = 0  # candidates that did not fit the budget
    total_memories: int = 0
    total_sessions: int = 0

    @property
    def empty(self) -> bool:
        return not self.items

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "branch": self.branch,
            "budget_chars": self.budget_chars,
            "chars": len(self.text),
            "omitted": self.omitted,
            "total_memories": self.total_memories,
            "total_sessions": self.total_sessions,
            "items": [i.to_dict() for i in self.items],
        }


def _one_line(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _age_factor(iso: str | None) -> float:
    ts = to_unix(iso)
    if not ts:
        return 0.5
    days = max(0.0, (now().timestamp() - ts) / 86400)
    return 0.5 + 0.5 * math.exp(-days * math.log(2) / HALF_LIFE_DAYS)


def _branch_factor(item_branch: str | None, branch: str | None) -> float:
    if branch and item_branch == branch:
        return 1.5
    return 1.0


def memory_score(m: Memory, branch: str | None) -> float:
    """Type weight × branch bonus × recency (half-life 30 days, never below half)."""
    return (
        TYPE_WEIGHTS.get(m.type, 0.5)
        * _branch_factor(m.branch, branch)
        * _age_factor(m.updated_at or m.created_at)
    )


def _memory_line(m: Memory, branch: str | None) -> str:
    tags = " " + " ".join(f"#{t}" for t in m.tags) if m.tags else ""
    where = f", branch {m.branch}" if m.branch and m.branch != branch else ""
    meta = f" ({(m.author or '?').split('<')[0].strip() or '?'}, {m.updated_at[:10]}{where})"
    st = m.stale or {}
    if st.get("status") == "stale":
        shas = ", ".join(str(c.get("commit", ""))[:8] for c in (st.get("commits") or [])[:3])
        meta += f" — may be stale: cited code changed since{' (' + shas + ')' if shas else ''}"
    return f"- [{m.id}] {_one_line(m.content, MEMORY_CHARS)}{tags}{meta}"


def _session_line(s: Session) -> str:
    title = _one_line(s.title or "(untitled)", 90)
    br = f", branch {s.branch}" if s.branch else ""
    when = s.started_at[:16].replace("T", " ")
    return f"- [{s.id}] {when} {s.tool}: {title} ({s.turn_count} turns{br})"


def _mark_stale(project: Project, memories: list[Memory], branch: str | None) -> None:
    """Staleness of the best-ranked memories that cite code (git calls, cached per HEAD): the
    brief is built off the hook's path (ctx/core/brief_cache.py), so the hook never pays for it."""
    from ctx.codelinks.staleness import annotate

    cited = sorted((m for m in memories if m.cites), key=lambda m: -memory_score(m, branch))
    annotate(project, cited[:MAX_CANDIDATES])


def build_brief(
    project: Project,
    branch: str | None = None,
    budget_chars: int = DEFAULT_BUDGET,
    *,
    mcp: bool = True,
) -> Brief:
    """The most relevant memories and recent sessions for ``branch`` (default: the checked-out
    branch), rendered as text of at most ``budget_chars`` characters.

    ``mcp``: whether the reader has ctx's MCP tools (the MCP `context` tool: yes; a Claude
    session without a registered ctx server: no), so the closing line names tools it has."""
    budget = max(MIN_BUDGET, min(int(budget_chars), MAX_BUDGET))
    branch = branch or project.git.branch
    # a superseded memory is left out: what replaces it is there
    memories = [m for m in project.list_memories() if not m.superseded_by]
    _mark_stale(project, memories, branch)
    sessions = project.list_sessions(include_open=False, include_failed=False)
    mem_items = sorted(
        (
            BriefItem(
                "memory",
                m.id,
                m.type,
                _memory_line(m, branch),
                m.branch,
                m.updated_at or m.created_at,
                memory_score(m, branch),
            )
            for m in memories
        ),
        key=lambda i: (-i.score, i.id),
    )
    # Sessions: the current branch first, then the rest; newest first within each.
    ordered = [s for s in sessions if branch and s.branch == branch] + [
        s for s in sessions if not (branch and s.branch == branch)
    ]
    ses_items = [
        BriefItem("session", s.id, s.tool, _session_line(s), s.branch, s.started_at)
        for s in ordered[:MAX_SESSIONS]
    ]
    head = f"# ctx project context ({project.root.name}" + (
        f", branch {branch})" if branch else ")"
    )
    foot = FOOT_MCP if mcp else FOOT_SHELL
    candidates = mem_items[:MAX_CANDIDATES] + ses_items
    sections = {
        t: [i for i in candidates if i.kind == "memory" and i.label == t] for t in SECTION_TITLES
    }
    chosen_ids: set[int] = set()

    def render(ids: set[int]) -> str:
        lines = [head]
        for mtype, title in SECTION_TITLES.items():
            sec = [i.line for i in sections[mtype] if id(i) in ids]
            if sec:
                lines += ["", f"{title}:", *sec]
        sec = [i.line for i in ses_items if id(i) in ids]
        if sec:
            lines += ["", "Recent sessions:", *sec]
        if not candidates:
            lines += ["", "No memories or sessions stored for this project yet."]
        more = len(mem_items) + len(ses_items) - len(ids)
        if more:
            lines += ["", f"({more} more not shown: search for them.)"]
        return "\n".join([*lines, "", foot])

    def take(items: list[BriefItem], limit: int) -> None:
        size = len(render(chosen_ids))
        for it in items:
            if limit - size < MIN_LINE:
                return
            if id(it) in chosen_ids or len(it.line) >= limit - size:
                continue
            grown = len(render(chosen_ids | {id(it)}))
            if grown <= limit:
                chosen_ids.add(id(it))
                size = grown

    # Memories first up to (1 - SESSION_SHARE) of the budget, then sessions, then memories.
    take(mem_items[:MAX_CANDIDATES], int(budget * (1 - SESSION_SHARE)) if ses_items else budget)
    take(ses_items, budget)
    take(mem_items[:MAX_CANDIDATES], budget)
    text = render(chosen_ids)
    if len(text) > budget:  # only when the budget is tiny: cut, and say so
        text = text[: budget - 1] + "…"
    chosen = [i for i in candidates if id(i) in chosen_ids]
    omitted = len(mem_items) + len(ses_items) - len(chosen)
    return Brief(
        text=text,
        items=chosen,
        branch=branch,
        budget_chars=budget,
        omitted=omitted,
        total_memories=len(memories),
        total_sessions=len(sessions),
    )
