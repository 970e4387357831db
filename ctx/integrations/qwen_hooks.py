"""Qwen Code hooks in the project's `.qwen/settings.json`: install and remove.

Qwen Code (checked against 0.24.4, a Gemini CLI fork) runs the same `hooks.<Event>[].hooks[]`
command entries as Gemini CLI (timeout in milliseconds), passes the event as JSON on stdin
(`session_id`, `transcript_path` = its chat JSONL under `~/.qwen/projects/<dir>/chats/`, `cwd`,
`hook_event_name`, ...) and puts a SessionStart hook's `hookSpecificOutput.additionalContext`
into the model's request. SessionStart runs `ctx hook qwen-session-start` (the brief);
SessionEnd runs `ctx hook qwen-session-end` (a detached worker imports the chat, as `ctx import
qwen` does). Qwen Code 0.24.4 fires SessionEnd when an interactive session ends (exit, /clear),
not after `qwen -p`: there `ctx wrap qwen` or `ctx import qwen` stores the session.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ctx.integrations.gemini_hooks import install_settings_hooks, uninstall_settings_hooks
from ctx.integrations.hook_settings import marker_matcher

if TYPE_CHECKING:
    from ctx.store.project import Project

MARKER = "hook qwen-session-"
#: event -> (hook subcommand, timeout in milliseconds; Qwen cancels SessionEnd after 30 s)
HOOKS = {
    "SessionStart": ("qwen-session-start", 15_000),
    "SessionEnd": ("qwen-session-end", 30_000),
}


def settings_path(project: Project) -> Path:
    return project.root / ".qwen" / "settings.json"


_is_ours = marker_matcher(MARKER)


def install(project: Project, command: str | None = None) -> list[str]:
    return install_settings_hooks(project, settings_path(project), HOOKS, command)


def uninstall(project: Project) -> list[str]:
    return uninstall_settings_hooks(project, settings_path(project), _is_ours)
