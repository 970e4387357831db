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

from ctx.integrations.hook_settings import (
    ctx_command,
    install_grouped,
    machine_note,
    marker_matcher,
    nothing_to_remove,
    strip_hooks,
    uninstall_from,
)

if TYPE_CHECKING:
    from ctx.store.project import Project

MARKER = "hook gemini-session-"
#: event -> (hook subcommand, timeout in milliseconds)
HOOKS = {
    "SessionStart": ("gemini-session-start", 15_000),
    "SessionEnd": ("gemini-session-end", 60_000),
}
_is_ours = marker_matcher(MARKER)


def settings_path(project: Project) -> Path:
    return project.root / ".gemini" / "settings.json"


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
    base = command or ctx_command()
    done, _, changed = install_grouped(path, rel, hooks_wanted, base, _is_ours_for)
    return done + machine_note(rel, base) if changed else done


def _is_ours_for(hook: Any, sub: str) -> bool:
    return isinstance(hook, dict) and f"hook {sub}" in str(hook.get("command") or "")


def uninstall_gemini_hooks(project: Project) -> list[str]:
    """Remove exactly the hooks install added; other settings and hooks stay."""
    return uninstall_settings_hooks(project, settings_path(project), _is_ours)


def uninstall_settings_hooks(
    project: Project, path: Path, is_ours: Callable[[Any], bool]
) -> list[str]:
    rel = str(path.relative_to(project.root))
    done = uninstall_from(path, rel, lambda data: strip_hooks(data, is_ours, rel))
    return done or nothing_to_remove(rel)


install = install_gemini_hooks  # `ctx hooks install --agent gemini`
uninstall = uninstall_gemini_hooks
