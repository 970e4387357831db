"""`ctx import claude|aider|codex|gemini|qwen|opencode|cursor|copilot`: history not captured by
`ctx wrap`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ctx.core.errors import CtxError
from ctx.core.gitinfo import worktrees
from ctx.core.models import TranscriptHeader, TranscriptTurn

if TYPE_CHECKING:
    from ctx.core.models import ImportSummary
    from ctx.store.project import Project

_T = TypeVar("_T")


def _machine_local(header: TranscriptHeader, project: Project) -> TranscriptHeader:
    """Keep home-directory paths out of committed files."""
    src = header.meta.pop("source_path", None)
    if src:
        header.meta["source_file"] = Path(str(src)).name
    if header.cwd:
        header.cwd = project.relative_cwd(header.cwd)
    return header


def _add(
    project: Project,
    summary: ImportSummary,
    label: str,
    header: TranscriptHeader,
    turns: list[TranscriptTurn],
    private: bool,
) -> None:
    header = _machine_local(header, project)
    if not turns:
        summary.problems.append(f"{label}: no conversation turns, skipped")
        return
    res = project.import_transcript(header, turns, source_key=label, private=private)
    summary.results.append((label, res))


def _skipped(summary: ImportSummary, f: Path, header: TranscriptHeader) -> None:
    """Lines the adapter could not read (not JSON, too deep, not a record it knows the
    shape of), each as path:line."""
    for n in header.meta.get("malformed_lines") or []:
        summary.skipped_lines.append(f"{f}:{n}: not a readable record")


def _files(path: Path, pattern: str) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob(pattern))
    if path.is_file():
        return [path]
    raise CtxError(f"no such file or directory: {path}", "give a transcript file or a directory")


def _select(
    found: list[Path], all_: bool, session: str | None, tool: str, matches: Callable[[Path], bool]
) -> list[Path]:
    """--all, or --session ID (an error when nothing matches), or a clear usage error."""
    if session:
        files = [p for p in found if matches(p)]
        if not files:
            raise CtxError(
                f"no {tool} transcript with session id '{session}' for this project",
                "check the id, or pass the transcript's path",
                code="not_found",
            )
        return files
    if all_:
        return found
    raise CtxError(
        f"which {tool} sessions?",
        "use --all (every session of this project), --session ID, or a path",
        exit_code=2,
    )


@dataclass(frozen=True)
class _Request:
    """One `ctx import AGENT` call: what every agent's import takes."""

    project: Project
    path: Path | None
    all_: bool
    session: str | None
    private: bool
    summary: ImportSummary


#: `import_X(project, path, all_, session, private, summary)`: the agents' public imports
Importer = Callable[["Project", "Path | None", bool, "str | None", bool, "ImportSummary"], None]


def _importer(fn: Callable[[_Request], None]) -> Importer:
    """The public signature around an import of one `_Request`."""

    def run(
        project: Project,
        path: Path | None,
        all_: bool,
        session: str | None,
        private: bool,
        summary: ImportSummary,
    ) -> None:
        fn(_Request(project, path, all_, session, private, summary))

    run.__name__ = run.__qualname__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


@dataclass(frozen=True)
class _FileAgent:
    """An agent that keeps one transcript file per session, found from the project's folder."""

    name: str  # as messages name it
    pattern: str  # its files below a directory given as PATH
    find: Callable[[Path], list[Path]]  # this folder's session files
    parse: Callable[[Path], tuple[TranscriptHeader, list[TranscriptTurn]]]
    matches: Callable[[Path, str], bool]  # --session ID picks this file
    keep: Callable[[Path], bool] = lambda f: True  # a file found under PATH is a session
    main_root: bool = True  # in a linked worktree, also the main checkout's sessions
    report_skipped: bool = False  # list the lines the adapter could not read


def _import_files(agent_of: Callable[[], _FileAgent], r: _Request) -> None:
    agent = agent_of()  # imports its adapter only now
    project, path, session = r.project, r.path, r.session
    if path is not None:
        files = [f for f in _files(path, agent.pattern) if agent.keep(f)]
    else:
        found = agent.find(project.git.worktree)
        if agent.main_root and project.git.worktree != project.root:
            found += [p for p in agent.find(project.root) if p not in found]
        want = session or ""
        files = _select(found, r.all_, session, agent.name, lambda p: agent.matches(p, want))
    _import_each(
        r, files, agent.parse,
        where=lambda f: f, label=lambda f, _: f.name, report_skipped=agent.report_skipped,
    )  # fmt: skip


def _import_each(
    r: _Request,
    items: Iterable[_T],
    parse: Callable[[_T], tuple[TranscriptHeader, list[TranscriptTurn]]],
    *,
    where: Callable[[_T], Path],
    label: Callable[[_T, TranscriptHeader], str],
    report_skipped: bool = False,
) -> None:
    """Parse and add each session; an unreadable one is a problem of the summary, not the end
    of the import."""
    for item in items:
        try:
            header, turns = parse(item)
        except OSError as exc:
            r.summary.problems.append(f"{where(item)}: unreadable ({exc.strerror})")
            continue
        if report_skipped:
            _skipped(r.summary, where(item), header)
        _add(r.project, r.summary, label(item, header), header, turns, r.private)


def _claude() -> _FileAgent:
    from ctx.capture.adapters.claude import find_transcripts, parse_claude_transcript

    return _FileAgent(
        "Claude Code",
        "*.jsonl",
        find_transcripts,
        parse_claude_transcript,
        lambda p, want: p.stem.startswith(want),
        keep=lambda f: not f.name.startswith("agent-"),  # a subagent's, not a session
        report_skipped=True,
    )


def _codex() -> _FileAgent:
    from ctx.capture.adapters.codex import find_rollouts, parse_codex_rollout

    return _FileAgent(
        "Codex",
        "**/rollout-*.jsonl",
        lambda root: find_rollouts(cwd=root),
        parse_codex_rollout,
        lambda p, want: want in p.name,
        main_root=False,
        report_skipped=True,
    )


def _gemini() -> _FileAgent:
    from ctx.capture.adapters.gemini import find_sessions, parse_gemini_session

    return _FileAgent(
        "Gemini CLI",
        "**/session-*.json*",
        find_sessions,
        parse_gemini_session,
        lambda p, want: _session_matches(p, want, parse_gemini_session),
        keep=_chat_file,
    )


def _qwen() -> _FileAgent:
    from ctx.capture.adapters.qwen import find_sessions, parse_qwen_session

    return _FileAgent(
        "Qwen Code",
        "**/*.jsonl",
        find_sessions,
        parse_qwen_session,
        lambda p, want: _session_matches(p, want, parse_qwen_session),
        keep=_chat_file,
    )


def _chat_file(f: Path) -> bool:
    """Only the chat files themselves: not the CLI's `.unreadable-*` / `.tmp-*` leftovers."""
    return f.suffix in (".json", ".jsonl")


@_importer
def import_claude(r: _Request) -> None:
    _import_files(_claude, r)


@_importer
def import_codex(r: _Request) -> None:
    _import_files(_codex, r)


def import_aider(
    project: Project, path: Path | None, private: bool, summary: ImportSummary
) -> None:
    from ctx.capture.adapters.aider import history_path, looks_like_history, parse_aider_history

    hist = path or history_path(project.git.worktree)
    if not hist.is_file():
        raise CtxError(
            f"no aider history at {hist}", "run aider in this repository first, or pass the file"
        )
    if not looks_like_history(hist.read_bytes()):
        raise CtxError(
            f"{hist} is not an aider chat history (no '# aider chat started at' or '#### ' line)",
            "give aider's .aider.chat.history.md (or leave PATH out to use this repository's)",
            code="not_aider_history",
        )
    for header, turns in parse_aider_history(hist):
        _add(
            project,
            summary,
            f"{hist.name}@{header.meta.get('byte_offset', 0)}",
            header,
            turns,
            private,
        )


def import_gemini_qwen(
    project: Project,
    source: str,
    path: Path | None,
    all_: bool,
    session: str | None,
    private: bool,
    summary: ImportSummary,
) -> None:
    """Gemini CLI and Qwen Code: one chat file per session, in a per-project folder."""
    agent = _gemini if source == "gemini" else _qwen
    _import_files(agent, _Request(project, path, all_, session, private, summary))


def _session_matches(path: Path, want: str, parse: Callable[..., Any]) -> bool:
    """--session: the tool's session id or a prefix of it (Gemini names files by 8 chars)."""
    if not want:
        return False
    if path.stem.startswith(want) or want[:8] in path.stem:
        header, _ = parse(path)
        return str(header.external_id or "").startswith(want)
    return False


@_importer
def import_opencode(r: _Request) -> None:
    """OpenCode keeps every project in one database: PATH (its data directory, database or
    legacy ``storage`` directory) only says where to look; sessions are this repository's."""
    from ctx.capture.adapters.opencode import find_sessions, parse_opencode_session

    if r.path is not None and not r.path.exists():
        raise CtxError(f"no such file or directory: {r.path}", "give OpenCode's data directory")
    found = find_sessions(_dirs(r.project), data_dir=r.path)
    advice = "check the id (`opencode session list`), or pass OpenCode's data directory"
    names = ("opencode", "OpenCode", "OpenCode session", advice)
    _import_db_sessions(r, found, names, parse_opencode_session)


@_importer
def import_cursor(r: _Request) -> None:
    """Cursor chats of this repository's workspaces: the editor's (PATH: Cursor's ``User``
    directory) and the Cursor CLI's (PATH: its ``~/.cursor`` directory, which has ``chats/``)."""
    from ctx.capture.adapters.cursor import find_chats, parse_cursor_chat
    from ctx.capture.adapters.cursor_cli import (
        CursorCliChat,
        find_cli_chats,
        parse_cursor_cli_chat,
    )

    path = r.path
    if path is not None and not path.is_dir():
        raise CtxError(f"no such directory: {path}", "give Cursor's User directory")
    dirs = _dirs(r.project)
    cli_root = path if path is not None and (path / "chats").is_dir() else None
    found: list[Any] = [] if cli_root is not None else find_chats(dirs, user_dir=path)
    if path is None or cli_root is not None:
        found += find_cli_chats(dirs, root=cli_root)

    def parse(chat: Any) -> tuple[TranscriptHeader, list[TranscriptTurn]]:
        if isinstance(chat, CursorCliChat):
            return parse_cursor_cli_chat(chat)
        return parse_cursor_chat(chat)

    advice = "check the id, or pass Cursor's User directory (or the CLI's ~/.cursor)"
    _import_db_sessions(r, found, ("cursor", "Cursor", "Cursor chat", advice), parse)


def _import_db_sessions(
    r: _Request,
    found: list[Any],
    names: tuple[str, str, str, str],
    parse: Callable[[Any], tuple[TranscriptHeader, list[TranscriptTurn]]],
) -> None:
    """Agents that keep every project in one database (OpenCode, Cursor): pick this
    repository's sessions by --session prefix or --all, parse each, add it."""
    tool, name, what, advice = names
    session = r.session
    if session:
        found = [s for s in found if s.id.startswith(session)]
        if not found:
            raise CtxError(
                f"no {what} with id '{session}' for this project", advice, code="not_found"
            )
    elif r.path is None and not r.all_:
        _select([], r.all_, session, name, bool)
    for s in found:
        try:
            header, turns = parse(s)
        except (OSError, sqlite3.Error) as exc:
            r.summary.problems.append(f"{tool} {s.id}: unreadable ({exc})")
            continue
        _add(r.project, r.summary, f"{tool}:{s.id}", header, turns, r.private)


@_importer
def import_copilot(r: _Request) -> None:
    """Copilot CLI sessions and VS Code Copilot Chat sessions of this repository. PATH: a
    session log or chat file, or a directory holding them (``~/.copilot``, VS Code's User)."""
    from ctx.capture.adapters.copilot import (
        ChatFile,
        find_chat_sessions,
        find_cli_sessions,
        parse_copilot_cli_session,
        parse_vscode_chat,
    )

    path, session, dirs = r.path, r.session, _dirs(r.project)
    cli: list[Path] = []
    chats: list[ChatFile] = []
    if path is not None and path.is_file():
        if path.parent.name == "chatSessions":
            chats = [ChatFile(path, None)]
        else:
            cli = [path]
    elif path is not None and not path.is_dir():
        raise CtxError(f"no such file or directory: {path}", "give a Copilot session or folder")
    else:
        cli = find_cli_sessions(dirs, root=path)
        chats = find_chat_sessions(dirs, user_dirs=[path] if path is not None else None)
    if session:
        cli = [p for p in cli if session in str(p)]
        chats = [c for c in chats if c.path.stem.startswith(session)]
        if not cli and not chats:
            raise CtxError(
                f"no Copilot session with id '{session}' for this project",
                "check the id, or pass the session's file",
                code="not_found",
            )
    elif path is None and not r.all_:
        _select([], r.all_, session, "Copilot", bool)
    _import_each(
        r, cli, parse_copilot_cli_session,
        where=lambda f: f, label=lambda _, h: f"copilot:{h.external_id}",
    )  # fmt: skip
    _import_each(
        r, chats, parse_vscode_chat,
        where=lambda c: c.path, label=lambda _, h: f"copilot-vscode:{h.external_id}",
    )  # fmt: skip


def import_tool(
    project: Project,
    source: str,
    path: Path | None,
    *,
    all_: bool,
    session: str | None,
    private: bool,
    summary: ImportSummary,
) -> None:
    if source in _IMPORTERS:
        _IMPORTERS[source](project, path, all_, session, private, summary)
    elif source in ("gemini", "qwen"):
        import_gemini_qwen(project, source, path, all_, session, private, summary)
    elif source == "aider":
        import_aider(project, path, private, summary)
    else:  # pragma: no cover - the CLI checks the source first
        raise CtxError(f"unknown import source '{source}'")


_IMPORTERS: dict[str, Importer] = {
    "claude": import_claude,
    "codex": import_codex,
    "copilot": import_copilot,
    "cursor": import_cursor,
    "opencode": import_opencode,
}


def _dirs(project: Project) -> list[str]:
    return [str(w) for w in worktrees(project.root, project.git.worktree)]
