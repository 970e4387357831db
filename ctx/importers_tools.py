"""`ctx import claude|aider|codex|gemini|qwen`: history that was not captured with `ctx wrap`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.errors import CtxError
from ctx.models import TranscriptHeader, TranscriptTurn

if TYPE_CHECKING:
    from ctx.importers import ImportSummary
    from ctx.store.project import Project


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


def import_claude(
    project: Project,
    path: Path | None,
    all_: bool,
    session: str | None,
    private: bool,
    summary: ImportSummary,
) -> None:
    from ctx.capture.adapters.claude import find_transcripts, parse_claude_transcript

    if path is not None:
        files = _files(path, "*.jsonl")
    else:
        found = find_transcripts(project.git.worktree)
        if project.git.worktree != project.root:
            found += find_transcripts(project.root)
        files = _select(
            found, all_, session, "Claude Code", lambda p: p.stem.startswith(session or "")
        )
    for f in files:
        if f.name.startswith("agent-"):
            continue
        try:
            header, turns = parse_claude_transcript(f)
        except OSError as exc:
            summary.problems.append(f"{f}: unreadable ({exc.strerror})")
            continue
        _skipped(summary, f, header)
        _add(project, summary, f.name, header, turns, private)


def import_aider(
    project: Project, path: Path | None, private: bool, summary: ImportSummary
) -> None:
    from ctx.capture.adapters.aider import history_path, parse_aider_history

    hist = path or history_path(project.git.worktree)
    if not hist.is_file():
        raise CtxError(
            f"no aider history at {hist}", "run aider in this repository first, or pass the file"
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


def import_codex(
    project: Project,
    path: Path | None,
    all_: bool,
    session: str | None,
    private: bool,
    summary: ImportSummary,
) -> None:
    from ctx.capture.adapters.codex import find_rollouts, parse_codex_rollout

    if path is not None:
        files = _files(path, "**/rollout-*.jsonl")
    else:
        found = find_rollouts(cwd=project.git.worktree)
        files = _select(found, all_, session, "Codex", lambda p: (session or "") in p.name)
    for f in files:
        header, turns = parse_codex_rollout(f)
        _skipped(summary, f, header)
        _add(project, summary, f.name, header, turns, private)


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
    if source == "gemini":
        from ctx.capture.adapters.gemini import find_sessions, parse_gemini_session

        parse, name, pattern = parse_gemini_session, "Gemini CLI", "**/session-*.json*"
    else:
        from ctx.capture.adapters.qwen import find_sessions, parse_qwen_session

        parse, name, pattern = parse_qwen_session, "Qwen Code", "**/*.jsonl"
    if path is not None:
        # only the chat files themselves: not the CLI's `.unreadable-*` / `.tmp-*` leftovers
        files = [f for f in _files(path, pattern) if f.suffix in (".json", ".jsonl")]
    else:
        found = find_sessions(project.git.worktree)
        if project.git.worktree != project.root:
            found += [p for p in find_sessions(project.root) if p not in found]
        want = session or ""
        files = _select(found, all_, session, name, lambda p: _session_matches(p, want, parse))
    for f in files:
        try:
            header, turns = parse(f)
        except OSError as exc:
            summary.problems.append(f"{f}: unreadable ({exc.strerror})")
            continue
        _add(project, summary, f.name, header, turns, private)


def _session_matches(path: Path, want: str, parse: Callable[..., Any]) -> bool:
    """--session: the tool's session id or a prefix of it (Gemini names files by 8 chars)."""
    if not want:
        return False
    if path.stem.startswith(want) or want[:8] in path.stem:
        header, _ = parse(path)
        return str(header.external_id or "").startswith(want)
    return False


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
    if source == "claude":
        import_claude(project, path, all_, session, private, summary)
    elif source == "aider":
        import_aider(project, path, private, summary)
    elif source == "codex":
        import_codex(project, path, all_, session, private, summary)
    elif source in ("gemini", "qwen"):
        import_gemini_qwen(project, source, path, all_, session, private, summary)
    else:  # pragma: no cover - the CLI checks the source first
        raise CtxError(f"unknown import source '{source}'")
