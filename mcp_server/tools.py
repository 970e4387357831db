"""What each MCP tool does, on top of the headless core (no `mcp` import here).

Every handler takes the open project and checked arguments and returns a `ToolOutput`:
a JSON-able dict (the structured result) and the text the model reads. Failures are
`CtxError`s; the server turns them into `isError` results and keeps running.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from mcp_server import schemas
from mcp_server.args import check_arguments

if TYPE_CHECKING:
    from ctx.core.models import Session
    from ctx.store.project import Project

HIT_TEXT_CHARS = 600  # hit text beyond the snippet; `recall`/`get_session` give the rest
SESSION_META_KEYS = (
    "id",
    "tool",
    "title",
    "status",
    "started_at",
    "ended_at",
    "branch",
    "commit",
    "author",
    "turn_count",
    "tags",
    "private",
    "external_id",
    "cwd",
)


@dataclass
class ToolOutput:
    data: dict[str, Any]
    text: str | None = None  # default: the data as JSON
    notices: list[str] = field(default_factory=list)

    def render(self) -> str:
        if self.text is not None:
            return (
                self.text
                if not self.notices
                else self.text + "\n\n" + "\n".join(f"Note: {n}" for n in self.notices)
            )
        return json.dumps(self.data, ensure_ascii=False, default=str)


class ProjectHandle:
    """The project the server serves, reopened lazily and refreshed before every call, so
    writes by other processes (the CLI, a git pull) and a later `ctx init` are seen at once."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._project: Project | None = None

    def get(self) -> Project:
        from ctx.store.project import Project

        if self._project is None:
            self._project = Project.open(self.path, require_store=False)
        project = self._project
        if not project.exists:
            raise CtxError(
                f"no ctx store in {project.root} yet",
                f"run `ctx init` in {project.root} first (then try again; no restart needed)",
                code="no_store",
            )
        project.require_store()
        project.refresh()
        project.refresh_git()
        return project


# -- helpers -------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[: limit - 1] + "…", True)


def _since(value: str | None, option: str) -> Any:
    if not value:
        return None
    from ctx.core.timeutil import parse_since

    return parse_since(value, option=f"'{option}'")


def _iso(ts: float) -> str | None:
    if not ts:
        return None
    from datetime import datetime, timezone

    from ctx.core.timeutil import iso

    return iso(datetime.fromtimestamp(ts, timezone.utc))


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, [], "")}


def session_summary(s: Session) -> dict[str, Any]:
    d = s.to_dict(with_turns=False)
    return {k: d.get(k) for k in SESSION_META_KEYS}


# -- handlers ------------------------------------------------------------------------------


def search(project: Project, a: dict[str, Any]) -> ToolOutput:
    try:
        from ctx.search.service import search as run_search
    except ImportError as exc:
        raise CtxError(
            f"search is not available in this ctx build ({exc})",
            "use list_sessions / get_session / context meanwhile",
            code="unavailable",
        ) from None
    types = a["type"] if isinstance(a["type"], list) else [a["type"]] if a["type"] else None
    tags = a["tag"] if isinstance(a["tag"], list) else [a["tag"]] if a["tag"] else None
    result = run_search(  # brings the index up to date with the store first
        project,
        a["query"],
        mode=a["mode"],
        limit=a["limit"],
        types=types,
        tags=tags,
        since=_since(a["since"], "since"),
        until=_since(a["until"], "until"),
        session=a["session"],
        tool=a["tool"],
        branch=a["branch"],
        author=a["author"],
        kind=a["kind"],
    )
    hits = []
    for h in result.hits:
        text, cut = _clip(h.text, HIT_TEXT_CHARS)
        hit = {
            "kind": h.kind,
            "id": h.id,
            "score": round(float(h.score), 4),
            "relevance": round(float(h.relevance), 4),
            "type": h.memory_type,
            "tags": h.tags,
            "session_id": h.session_id,
            "turn": h.turn_n,
            "turn_id": h.turn_ext_id,
            "role": h.role,
            "session_title": h.title if h.kind == "turn" else None,
            "tool": h.tool,
            "snippet": h.snippet,
            "text": text,
            "text_truncated": cut or None,
            "when": _iso(h.ts),
            "author": h.author,
            "branch": h.branch,
        }
        hits.append(_compact(hit))
    data: dict[str, Any] = {
        "query": a["query"],
        "mode": result.mode,
        "count": len(hits),
        "hits": hits,
    }
    if result.notice:
        data["notice"] = result.notice
    return ToolOutput(data)


def remember(project: Project, a: dict[str, Any]) -> ToolOutput:
    m = project.add_memory(
        a["content"],
        a["type"],
        a["tags"] or [],
        source_session=a["source_session"],
        source_turn=a["source_turn"],
        cites=a.get("cites") or None,
        supersedes=a.get("supersedes"),
    )
    from ctx.search.similar import similar_to_new

    similar = [s.to_dict() for s in similar_to_new(project, m)]
    return ToolOutput({"memory": m.to_dict(), "similar": similar})


def recall(project: Project, a: dict[str, Any]) -> ToolOutput:
    ident = a["id"].strip()
    if ident.startswith("s-"):
        raise CtxError(
            f"'{ident}' is a session id, not a memory id",
            "read sessions with get_session",
            code="invalid_arguments",
        )
    return ToolOutput({"memory": project.get_memory(ident).to_dict()})


def list_sessions(project: Project, a: dict[str, Any]) -> ToolOutput:
    sessions = project.list_sessions(
        tool=a["tool"], since=_since(a["since"], "since"), branch=a["branch"]
    )
    lo, n = a["offset"], a["limit"]
    page = sessions[lo : lo + n]
    nxt = lo + n if lo + n < len(sessions) else None
    data = {
        "total": len(sessions),
        "offset": lo,
        "count": len(page),
        "next_offset": nxt,
        "sessions": [session_summary(s) for s in page],
    }
    return ToolOutput(data)


def get_session(project: Project, a: dict[str, Any]) -> ToolOutput:
    s = project.get_session(a["id"])
    turns = s.turns or []
    total = len(turns)
    start = a["start"]
    if start < 0:
        start = max(0, total + start)
    budget = a["max_chars"]
    per_turn = max(1000, budget // 4)
    out: list[dict[str, Any]] = []
    used = 0
    end = start
    for t in turns[start : start + a["limit"]]:
        if out and used >= budget:
            break
        room = max(200, min(per_turn, budget - used))
        text, cut = _clip(t.text, room)
        used += len(text)
        item = {"n": t.n, "role": t.role, "ts": t.ts, "id": t.id, "text": text}
        if cut:
            item["truncated"] = True
            item["chars"] = len(t.text)
        out.append(_compact(item) | {"text": text})
        end = t.n + 1
    data: dict[str, Any] = {
        "session": session_summary(s),
        "turn_count": total,
        "start": start,
        "end": end,
        "next_start": end if end < total else None,
        "turns": out,
    }
    if start >= total and total:
        data["notice"] = f"start {start} is past the last turn ({total - 1})"
    return ToolOutput(data)


def context(project: Project, a: dict[str, Any]) -> ToolOutput:
    from ctx.integrations.brief import build_brief

    brief = build_brief(project, branch=a["branch"], budget_chars=a["chars"])
    return ToolOutput(brief.to_dict(), text=brief.text)


def forget(project: Project, a: dict[str, Any]) -> ToolOutput:
    ident = a["id"].strip()
    if ident.startswith("m-"):
        full = project.get_memory(ident).id
    elif ident.startswith("s-"):
        full = project.resolve_session_id(ident)
    else:
        raise CtxError(
            f"'{ident}' is not a memory (m-...) or session (s-...) id",
            "give the full id as search or list_sessions returned it",
            code="invalid_arguments",
        )
    if full != ident:
        raise CtxError(
            f"'{ident}' is only a prefix of {full}",
            "forget needs the full id, so nothing is deleted by accident",
            code="invalid_arguments",
        )
    done = project.forget(full)
    return ToolOutput({"forgotten": done.kind, "id": done.id, "note": done.note})


def resume_session(project: Project, a: dict[str, Any]) -> ToolOutput:
    from ctx.handoff.resume import resume

    plan = resume(project, a["id"].strip(), agent=a.get("agent"), cwd=project.root)
    data = plan.to_dict()
    text = (
        f"Rebuilt {plan.source} for {plan.agent} ({plan.messages} messages). To continue it, "
        f"run in {project.root}: {data['command']}  (or `ctx wrap {data['command']}` to capture "
        "the continuation)."
    )
    if plan.note:
        text += f" Note: {plan.note}."
    return ToolOutput(data, text)


def why(project: Project, a: dict[str, Any]) -> ToolOutput:
    from ctx.codelinks.why import why as run_why

    result = run_why(project, a["target"], cwd=project.git.worktree)
    return ToolOutput(result.to_dict())


def log(project: Project, a: dict[str, Any]) -> ToolOutput:
    from ctx.codelinks.history import filter_entries
    from ctx.codelinks.log_cache import history  # kept between calls (log_cache.py)
    from ctx.codelinks.why import repo_relative

    paths = [repo_relative(project, p, project.git.worktree) for p in a.get("paths") or []]
    entries = filter_entries(
        project, history(project), paths, author=a.get("author"), kind_type=a.get("type")
    )
    entries.reverse()
    limit = int(a.get("limit") or 50)
    return ToolOutput({"entries": [e.to_dict() for e in entries[:limit]], "total": len(entries)})


HANDLERS: dict[str, Callable[[Project, dict[str, Any]], ToolOutput]] = {
    "search": search,
    "remember": remember,
    "recall": recall,
    "list_sessions": list_sessions,
    "get_session": get_session,
    "context": context,
    "forget": forget,
    "resume_session": resume_session,
    "why": why,
    "log": log,
}


def call_tool(handle: ProjectHandle, name: str, arguments: Any) -> ToolOutput:
    """Check the arguments, open/refresh the project, run the tool. Raises CtxError."""
    spec = schemas.BY_NAME.get(name)
    if spec is None:
        raise CtxError(
            f"unknown tool '{name}'",
            "the tools are: " + ", ".join(schemas.BY_NAME),
            code="unknown_tool",
        )
    args, notices = check_arguments(spec.input_schema, arguments)
    out = HANDLERS[name](handle.get(), args)
    if notices:
        out.notices = notices + out.notices
        out.data["notices"] = out.notices
    return out
