"""Gemini CLI hooks in the project's `.gemini/settings.json`: install and remove.

Gemini CLI (checked against 0.61.0) runs `hooks.<Event>[].hooks[]` entries of type `command`
from the workspace settings when the folder is trusted, passing the event as JSON on stdin
(`session_id`, `transcript_path`, `cwd`, `hook_event_name`, ...) and reading
`hookSpecificOutput.additionalContext` from a SessionStart hook's stdout; `timeout` is in
milliseconds. Like the Claude Code hooks: SessionStart runs `ctx hook gemini-session-start`
(the project brief), SessionEnd runs `ctx hook gemini-session-end` (imports the chat file).
Our entries carry the `hook gemini-session-` marker, so install is idempotent, other hooks are
left alone, and uninstall removes exactly what install added.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from ctx.integrations.claude_hooks import _load, _machine_path, _save, ctx_command, strip_hooks

if TYPE_CHECKING:
    from ctx.store.project import Project

MARKER = "hook gemini-session-"
#: event -> (hook subcommand, timeout in milliseconds)
HOOKS = {
    "SessionStart": ("gemini-session-start", 15_000),
    "SessionEnd": ("gemini-session-end", 60_000),
}


def settings_path(project: Project) -> Path:
    return project.root / ".gemini" / "settings.json"


def _is_ours(hook: Any, sub: str | None = None) -> bool:
    if not isinstance(hook, dict):
        return False
    cmd = str(hook.get("command") or "")
    return MARKER in cmd and (sub is None or f"hook {sub}" in cmd)


def install_gemini_hooks(project: Project, *, command: str | None = None) -> list[str]:
    """Add (or update) the SessionStart and SessionEnd hooks; returns what was done."""
    return install_settings_hooks(project, settings_path(project), HOOKS, command)


def install_settings_hooks(
    project: Project,
    path: Path,
    hooks_wanted: dict[str, tuple[str, int]],
    command: str | None = None,
) -> list[str]:
    """Our hooks in a settings file of Gemini CLI's shape (Qwen Code shares it)."""
    rel = path.relative_to(project.root)
    data = _load(path)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise CtxError(f'{path}: "hooks" is not an object', "fix the file; nothing was changed")
    base = command or ctx_command()
    done: list[str] = []
    changed = False
    for event, (sub, timeout) in hooks_wanted.items():
        want = {"type": "command", "command": f"{base} hook {sub}", "timeout": timeout}
        groups = hooks.get(event)
        if not isinstance(groups, list):
            groups = hooks[event] = []
        mine = [
            (g, h)
            for g in groups
            if isinstance(g, dict) and isinstance(g.get("hooks"), list)
            for h in g["hooks"]
            if _is_ours_for(h, sub)
        ]
        if len(mine) == 1 and mine[0][1] == want:
            done.append(f"{rel}: {event} hook already installed")
            continue
        for g, h in mine:
            g["hooks"].remove(h)
        groups[:] = [g for g in groups if not (isinstance(g, dict) and g.get("hooks") == [])]
        groups.append({"hooks": [want]})
        changed = True
        done.append(f"{rel}: {'updated' if mine else 'added'} {event} hook ({want['command']})")
    if changed:
        _save(path, data)
        if _machine_path(base):
            done.append(
                f"{rel}: note: the hooks run ctx from a path of this machine "
                "(CTX_HOOK_COMMAND chooses the command)"
            )
    return done


def _is_ours_for(hook: Any, sub: str) -> bool:
    return isinstance(hook, dict) and f"hook {sub}" in str(hook.get("command") or "")


def uninstall_gemini_hooks(project: Project) -> list[str]:
    """Remove exactly the hooks install added; other settings and hooks stay."""
    return uninstall_settings_hooks(project, settings_path(project), _is_ours)


def uninstall_settings_hooks(
    project: Project, path: Path, is_ours: Callable[[Any], bool]
) -> list[str]:
    rel = path.relative_to(project.root)
    if not path.exists():
        return [f"{rel}: no ctx hooks installed, nothing to remove"]
    data = _load(path)
    done = strip_hooks(data, is_ours, str(rel))
    if not done:
        return [f"{rel}: no ctx hooks installed, nothing to remove"]
    if data:
        _save(path, data)
    else:
        path.unlink()
        done.append(f"{rel}: removed the file (it held nothing else)")
        try:
            path.parent.rmdir()  # only when empty: the folder may hold commands, ...
        except OSError:
            pass
    return done


install = install_gemini_hooks  # `ctx hooks install --agent gemini`
uninstall = uninstall_gemini_hooks
