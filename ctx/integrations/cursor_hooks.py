"""Cursor hooks in the project's `.cursor/hooks.json`: install and remove.

Format (Cursor 1.7+ hooks, https://cursor.com/docs/agent/hooks; payloads as captured from the
Cursor CLI `agent` 2026.02.13 by entireio/cli's Cursor integration): ``{"version": 1, "hooks":
{"<event>": [{"command": "..."}]}}`` with camelCase events and flat entries (no groups). Each
hook gets JSON on stdin with `conversation_id`, `generation_id`, `hook_event_name`,
`cursor_version`, `workspace_roots`, `transcript_path` (null in the CLI), and for
sessionStart/sessionEnd `session_id` (= the conversation id); sessionEnd adds `reason`,
`duration_ms`, `final_status`. A sessionStart hook may print ``{"additional_context": "..."}``,
which Cursor adds to the conversation. Both the editor and the CLI fire sessionStart and
sessionEnd (beforeSubmitPrompt and stop do not fire in `agent -p`), so ctx uses those two:
sessionStart runs `ctx hook cursor-session-start` (the brief), sessionEnd runs `ctx hook
cursor-session-end` (a detached worker imports the conversation as `ctx import cursor
--session ID` would). Our entries carry the `hook cursor-session-` marker: install is
idempotent, other hooks and keys stay, uninstall removes exactly what install added.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.integrations.hook_settings import (
    ctx_command,
    install_flat,
    machine_note,
    marker_matcher,
    nothing_to_remove,
    strip_flat,
    uninstall_from,
)

if TYPE_CHECKING:
    from ctx.store.project import Project

MARKER = "hook cursor-session-"
HOOKS = {"sessionStart": "cursor-session-start", "sessionEnd": "cursor-session-end"}
_is_ours = marker_matcher(MARKER)


def hooks_path(project: Project) -> Path:
    return project.root / ".cursor" / "hooks.json"


def install(project: Project, command: str | None = None) -> list[str]:
    """Add (or update) the sessionStart and sessionEnd hooks; returns what was done."""
    path = hooks_path(project)
    rel = path.relative_to(project.root)
    base = command or ctx_command()
    done, changed = install_flat(path, rel, HOOKS, base, _is_ours)
    return done + machine_note(rel, base) if changed else done


def _keep(data: dict[str, Any]) -> bool:
    """Keep the file while it holds other hooks or keys (an empty `hooks` and `version` are
    ours)."""
    return bool(data.get("hooks")) or bool(set(data) - {"version", "hooks"})


def uninstall(project: Project) -> list[str]:
    """Remove exactly the hooks install added; other hooks and keys stay."""
    path = hooks_path(project)
    rel = str(path.relative_to(project.root))
    done = uninstall_from(path, rel, lambda data: strip_flat(data, _is_ours, rel), _keep)
    return done or nothing_to_remove(rel)
