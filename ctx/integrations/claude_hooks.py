"""Claude Code hooks in the project's `.claude/settings.json`: install, remove, check.

Two hooks, both calling back into ctx (the hot path is `ctx/integrations/hook_entry.py`):
SessionStart runs `ctx hook claude-session-start` and injects the precomputed project brief
(`ctx/core/brief_cache.py`) as `hookSpecificOutput.additionalContext`; SessionEnd runs
`ctx hook claude-session-end`, which starts the import of the finished transcript in the
background and returns. The SessionEnd hook is `"async": true`: Claude Code starts it and exits
without waiting for it (a version without async hooks runs it in the foreground: ~0.1 s more
at exit, nothing lost). Our entries are recognised by the `hook claude-session-` marker in
their command, so install is idempotent, other hooks are left alone, and uninstall removes
exactly what install added.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from ctx.integrations.hook_settings import (
    ctx_command,
    install_grouped,
    load,
    machine_path,
    marker_matcher,
    strip_hooks,
    uninstall_from,
)

if TYPE_CHECKING:
    from ctx.core.checks import Check
    from ctx.store.project import Project

MARKER = "hook claude-session-"
#: event -> (hook subcommand, timeout in seconds). Both hooks return within their own budget
#: (hook_entry.BUDGETS: a fraction of a second); Claude Code's timeout is only a backstop.
HOOKS = {
    "SessionStart": ("claude-session-start", 5),
    "SessionEnd": ("claude-session-end", 5),
}
#: Hooks Claude Code runs in the background (`"async": true`): its exit does not wait for them.
#: SessionStart cannot be one: its output is the brief Claude Code reads before the first turn.
ASYNC = {"SessionEnd"}


def settings_path(project: Project, local: bool = False) -> Path:
    """`.claude/settings.json` is shared with the team (committed); `settings.local.json` is
    this machine's (Claude Code reads both)."""
    return project.root / ".claude" / ("settings.local.json" if local else "settings.json")


_is_ours = marker_matcher(MARKER)


def _groups(hooks: dict[str, Any], event: str) -> list[Any]:
    groups = hooks.get(event)
    return groups if isinstance(groups, list) else []


def _our_commands(data: dict[str, Any], event: str, sub: str) -> list[str]:
    hooks = data.get("hooks") if isinstance(data.get("hooks"), dict) else {}
    assert isinstance(hooks, dict)
    return [
        str(h.get("command"))
        for g in _groups(hooks, event)
        if isinstance(g, dict)
        for h in (g.get("hooks") or [])
        if _is_ours(h, sub)
    ]


def install_claude_hooks(
    project: Project, *, command: str | None = None, local: bool = False
) -> list[str]:
    """Add (or update) the SessionStart and SessionEnd hooks; returns what was done."""
    path = settings_path(project, local)
    rel = path.relative_to(project.root)
    base = command or ctx_command()
    done, _, changed = install_grouped(path, rel, HOOKS, base, _is_ours, frozenset(ASYNC))
    if project.exists:
        try:
            refresh_brief_cache(project)  # so the very next session has its brief
        except CtxError as err:
            done.append(f"note: the session-start brief could not be built: {err.message}")
    if local:
        done += _keep_out_of_git(project, path)
    elif changed and machine_path(base):
        done.append(
            f"{rel}: note: the hooks run ctx from a path of this machine; teammates using this "
            "file need ctx at the same path (`--local` keeps the hooks to yourself, "
            "CTX_HOOK_COMMAND chooses the command)"
        )
    return done


def refresh_brief_cache(project: Project) -> None:
    """Build the brief the SessionStart hook prints, now (see ctx/core/brief_cache.py)."""
    from ctx.core import brief_cache
    from ctx.integrations.brief import DEFAULT_BUDGET, build_brief

    stamp = brief_cache.fingerprint(project.root)  # before reading: a write meanwhile shows
    budget = brief_cache.budget_from_env(DEFAULT_BUDGET)
    brief = build_brief(project, budget_chars=budget, mcp=ctx_mcp_registered(project))
    text = "" if brief.empty else brief.text
    brief_cache.write_cache(
        project.root, text=text, branch=project.git.branch, budget=budget, print_=stamp
    )


def _runs_ctx_mcp(server: Any) -> bool:
    """A Claude MCP server entry whose command line runs `ctx mcp` (any path to ctx, or
    `python -m ctx mcp`, or a wrapper such as `uvx --from contextfs-cli ctx mcp`)."""
    if not isinstance(server, dict):
        return False
    cmd = server.get("command")
    args = server.get("args")
    words: list[str] = []
    if isinstance(cmd, str):
        try:
            words += shlex.split(cmd)
        except ValueError:
            words.append(cmd)
    if isinstance(args, list):
        words += [a for a in args if isinstance(a, str)]
    for i, word in enumerate(words):
        if os.path.basename(word) == "ctx" and "mcp" in words[i + 1 :]:
            return True
    return False


def _servers(data: Any) -> list[Any]:
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    return list(servers.values()) if isinstance(servers, dict) else []


def ctx_mcp_registered(project: Project, home: Path | None = None) -> bool:
    """Does Claude Code in this project have a ctx MCP server? (project `.mcp.json`, the
    user's `~/.claude.json`: user scope and this project's local scope)."""
    candidates: list[Any] = []
    for path in (project.root / ".mcp.json", project.git.worktree / ".mcp.json"):
        try:
            candidates += _servers(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
    config_dir = os.environ.get("CLAUDE_CONFIG_DIR")
    user_files = [Path(config_dir) / ".claude.json"] if config_dir and home is None else []
    user_files.append((home or Path.home()) / ".claude.json")
    roots = {str(project.root), str(project.git.worktree)}
    for path in user_files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        candidates += _servers(data)
        projects = data.get("projects") if isinstance(data, dict) else None
        if isinstance(projects, dict):
            for key, entry in projects.items():
                if any(key == r or key.startswith(r + os.sep) for r in roots):
                    candidates += _servers(entry)
    return any(_runs_ctx_mcp(s) for s in candidates)


def _keep_out_of_git(project: Project, path: Path) -> list[str]:
    """A machine-local settings file must never be committed: exclude it in this clone."""
    import pygit2

    rel = path.relative_to(project.root).as_posix()
    try:
        repo = pygit2.Repository(str(project.root))
        if repo.path_is_ignored(rel):
            return []
        gitdir = Path(repo.path)
        common = gitdir / "commondir"  # a linked worktree: git reads the main info/exclude
        if common.is_file():
            gitdir = (gitdir / common.read_text(encoding="utf-8").strip()).resolve()
        from ctx.core.gitfiles import add_exclude

        add_exclude(gitdir, f"/{rel}")
    except (pygit2.GitError, OSError) as exc:
        return [f"{rel}: note: could not exclude it from git ({exc}); do not commit it"]
    return [f"{rel}: excluded from git in this clone (.git/info/exclude)"]


def uninstall_claude_hooks(project: Project) -> list[str]:
    """Remove exactly the hooks install added, from the shared and the local settings;
    other settings and hooks stay."""
    done: list[str] = []
    for local in (False, True):
        path = settings_path(project, local)
        if path.exists():
            done += _uninstall_from(project, path)
    if not done:
        rel = settings_path(project).relative_to(project.root)
        return [f"{rel}: no ctx hooks installed, nothing to remove"]
    return done


def _uninstall_from(project: Project, path: Path) -> list[str]:
    """What was removed from this file; empty when it held none of our hooks."""
    rel = str(path.relative_to(project.root))
    return uninstall_from(path, rel, lambda data: strip_hooks(data, _is_ours, rel))


def claude_hook_status(project: Project) -> list[Check]:
    """Doctor checks: are the hooks installed, and can their command run?"""
    from ctx.core.checks import Check

    found: dict[str, list[str]] = {event: [] for event in HOOKS}
    where: list[str] = []
    for local in (False, True):
        path = settings_path(project, local)
        try:
            data = load(path)
        except CtxError as err:
            return [Check("claude-hooks", "warn", err.message, err.advice)]
        mine = {event: _our_commands(data, event, sub) for event, (sub, _) in HOOKS.items()}
        if any(mine.values()):
            where.append(str(path.relative_to(project.root)))
        for event, cmds in mine.items():
            found[event] += cmds
    if not any(found.values()):
        return [
            Check(
                "claude-hooks",
                "ok",
                "Claude Code hooks not installed (optional)",
                "`ctx hooks install --claude` injects project context at session start and "
                "imports transcripts at session end",
            )
        ]
    missing = [e for e, cmds in found.items() if not cmds]
    if missing:
        return [
            Check(
                "claude-hooks",
                "warn",
                f"Claude Code hooks incomplete: no {', '.join(missing)} hook in "
                f"{' or '.join(where)}",
                "run `ctx hooks install --claude` again",
            )
        ]
    problems = []
    for cmds in found.values():
        for cmd in cmds:
            try:
                exe = shlex.split(cmd)[0]
            except (ValueError, IndexError):
                problems.append(f"cannot parse command {cmd!r}")
                continue
            if not (shutil.which(exe) or (os.path.isabs(exe) and os.access(exe, os.X_OK))):
                problems.append(f"{exe} is not an executable on PATH")
    if problems:
        return [
            Check(
                "claude-hooks",
                "warn",
                f"Claude Code hooks installed but {'; '.join(sorted(set(problems)))}",
                "put ctx on PATH or rerun `ctx hooks install --claude` from the right environment",
            )
        ]
    checks = [
        Check(
            "claude-hooks",
            "ok",
            f"Claude Code SessionStart and SessionEnd hooks in {' and '.join(where)}",
        )
    ]
    return checks + _recent_failures(project)


def _recent_failures(project: Project) -> list[Check]:
    """The hooks fail open (silently, for Claude Code's sake): say here when one did lately."""
    from ctx.core.checks import Check
    from ctx.integrations.hook_entry import log_path, read_log

    recent = read_log(log_path(project.root))[-20:]
    bad = [e for e in recent if e["message"].startswith(("failed", "import failed", "gave up"))]
    if not bad:
        return []
    last = bad[-1]
    return [
        Check(
            "claude-hooks-log",
            "warn",
            f"{len(bad)} of the last {len(recent)} hook runs failed; last at {last['time']}: "
            f"{last['hook']}: {last['message'][:160]}",
            "see `ctx hooks log` for the details (the hooks fail open: Claude was not affected)",
        )
    ]
