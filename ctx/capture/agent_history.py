"""Every agent's history of this project on this machine: what exists, what is not yet stored.

Why: agents delete their own transcripts (Claude Code after 30 days by default, set by
`cleanupPeriodDays`), so ctx keeps what they drop. `ctx import --all-agents` imports every
supported agent's sessions for every worktree of this repository; importing again adds nothing.
`ctx status` counts what is on this machine and not in the store yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ctx.core.gitinfo import worktrees
from ctx.core.ids import SESSION_PREFIX, derived_id

if TYPE_CHECKING:
    from ctx.core.models import ImportSummary
    from ctx.store.project import Project

AGENTS = ("claude", "codex", "aider", "gemini", "qwen", "opencode", "cursor", "copilot")


@dataclass
class AgentFiles:
    agent: str
    files: list[Path] = field(default_factory=list)


def discover(project: Project) -> list[AgentFiles]:
    from ctx.capture.adapters.aider import history_path
    from ctx.capture.adapters.claude import find_transcripts
    from ctx.capture.adapters.codex import find_rollouts
    from ctx.capture.adapters.gemini import find_sessions as gemini_sessions
    from ctx.capture.adapters.qwen import find_sessions as qwen_sessions

    found = {a: AgentFiles(a) for a in AGENTS}
    found["opencode"].files = _opencode_sources(project)
    found["cursor"].files = _cursor_sources(project)
    found["copilot"].files = _copilot_sources(project)
    for wt in worktrees(project.root, project.git.worktree):
        for p in find_transcripts(wt):
            if not p.name.startswith("agent-") and p not in found["claude"].files:
                found["claude"].files.append(p)
        for p in find_rollouts(cwd=wt):
            if p not in found["codex"].files:
                found["codex"].files.append(p)
        for agent, finder in (("gemini", gemini_sessions), ("qwen", qwen_sessions)):
            for p in finder(wt):
                if p not in found[agent].files:
                    found[agent].files.append(p)
        hist = history_path(wt)
        if hist.is_file() and hist not in found["aider"].files:
            found["aider"].files.append(hist)
    return [found[a] for a in AGENTS]


def not_stored(project: Project) -> dict[str, int]:
    """Per agent: sessions on this machine that the store does not hold (nor forgot).

    Claude, Codex and Qwen Code name their files by session id, Gemini CLI puts it on the first
    line, so no file has to be parsed whole; an aider
    history holds many sessions and is counted by parsing it (it is small)."""
    from ctx.capture.adapters.codex import _id_from_name

    groups = discover(project)
    if not any(group.files for group in groups):  # nothing here: no need to list the store
        return {group.agent: 0 for group in groups}
    known = set(project._all_ids())
    known |= {str(k) for doc, _ in project.docs() for k in list(doc.forgotten.keys())}
    counts: dict[str, int] = {}
    for group in groups:
        n = 0
        for f in group.files:
            if group.agent == "claude":
                n += derived_id(SESSION_PREFIX, "claude", f.stem) not in known
            elif group.agent == "codex":
                n += derived_id(SESSION_PREFIX, "codex", _id_from_name(f)) not in known
            elif group.agent == "qwen":
                n += derived_id(SESSION_PREFIX, "qwen", f.stem) not in known
            elif group.agent == "gemini":
                n += _gemini_missing(f, known)
            elif group.agent == "copilot":
                n += _copilot_id(f) not in known
            elif group.agent == "cursor":
                n += sum(
                    derived_id(SESSION_PREFIX, "cursor", i) not in known
                    for i in _cursor_ids(f, project)
                )
            elif group.agent == "opencode":
                n += sum(
                    derived_id(SESSION_PREFIX, "opencode", i) not in known
                    for i in _oc_ids(f, project)
                )
            else:
                n += _aider_missing(f, known)
        counts[group.agent] = n
    return counts


def _gemini_missing(path: Path, known: set[str]) -> int:
    """Gemini names files by 8 characters of the id: the full id is on the first line."""
    import json

    try:
        with open(path, "rb") as fh:
            first = json.loads(fh.readline(1_000_000) or b"{}")
    except (OSError, ValueError):
        first = None
    sid = first.get("sessionId") if isinstance(first, dict) else None
    if not isinstance(sid, str):  # the older single-object file, or damaged: parse it
        from ctx.capture.adapters.gemini import parse_gemini_session

        try:
            header, turns = parse_gemini_session(path)
        except OSError:
            return 0
        if not turns:
            return 0
        sid = str(header.external_id)
    return int(derived_id(SESSION_PREFIX, "gemini", sid) not in known)


def _opencode_sources(project: Project) -> list[Path]:
    """OpenCode's data directory, once, when it holds a session of this repository (one
    database serves every project, so the directory is the unit that is read)."""
    from ctx.capture.adapters.opencode import opencode_data_dir

    root = opencode_data_dir()
    return [root] if _oc_ids(root, project) else []


def _oc_ids(root: Path, project: Project) -> list[str]:
    if not root.exists():  # (before importing sqlite3: no cost for an agent never used)
        return []
    import sqlite3

    from ctx.capture.adapters.opencode import find_sessions

    try:
        return [s.id for s in find_sessions(_dirs(project), data_dir=root)]
    except (OSError, sqlite3.Error):  # a locked or damaged database must not stop `ctx status`
        return []


def _copilot_sources(project: Project) -> list[Path]:
    """Copilot CLI session logs and VS Code Copilot Chat files of this repository's folders."""
    from ctx.capture.adapters.copilot import find_chat_sessions, find_cli_sessions

    dirs = _dirs(project)
    try:
        return find_cli_sessions(dirs) + [c.path for c in find_chat_sessions(dirs)]
    except OSError:
        return []


def _copilot_id(path: Path) -> str:
    """The stored id of a Copilot file (named by its session id, so nothing is parsed)."""
    if path.parent.name == "chatSessions":
        return derived_id(SESSION_PREFIX, "copilot-vscode", path.stem)
    ext = path.parent.name if path.name == "events.jsonl" else path.stem
    return derived_id(SESSION_PREFIX, "copilot", ext)


def _cursor_sources(project: Project) -> list[Path]:
    """Cursor's User directory and the Cursor CLI's ``~/.cursor``, each once, when it holds
    chats of this repository."""
    from ctx.capture.adapters.cursor import cursor_user_dir
    from ctx.capture.adapters.cursor_cli import cursor_cli_dir

    return [r for r in (cursor_user_dir(), cursor_cli_dir()) if _cursor_ids(r, project)]


def _cursor_ids(root: Path, project: Project) -> list[str]:
    if not root.is_dir():  # (before importing sqlite3: no cost for an agent never used)
        return []
    import sqlite3

    from ctx.capture.adapters.cursor import find_chats
    from ctx.capture.adapters.cursor_cli import find_cli_chats

    dirs = [str(w) for w in worktrees(project.root, project.git.worktree)]
    try:
        if (root / "chats").is_dir():  # the CLI's directory
            return [c.id for c in find_cli_chats(dirs, root=root)]
        return [c.id for c in find_chats(dirs, user_dir=root)]
    except (OSError, sqlite3.Error):
        return []


def _aider_missing(path: Path, known: set[str]) -> int:
    from ctx.capture.adapters.aider import parse_aider_history

    n = 0
    try:
        for header, turns in parse_aider_history(path):
            key = f"{path.name}@{header.meta.get('byte_offset', 0)}"
            sid = (
                derived_id(SESSION_PREFIX, header.tool, str(header.external_id))
                if header.external_id
                else derived_id(SESSION_PREFIX, header.tool, key)
            )
            n += bool(turns) and sid not in known
    except OSError:
        return 0
    return n


def import_all(project: Project, private: bool, summary: ImportSummary) -> dict[str, int]:
    """Import every agent's sessions of this repository; per agent, how many files were read."""
    from ctx.capture.import_agents import import_tool

    read: dict[str, int] = {}
    for group in discover(project):
        read[group.agent] = len(group.files)
        for f in group.files:
            import_tool(
                project, group.agent, f, all_=False, session=None, private=private, summary=summary
            )
    return read


def _dirs(project: Project) -> list[str]:
    return [str(w) for w in worktrees(project.root, project.git.worktree)]
