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

from ctx.core.errors import CtxError
from ctx.integrations.claude_hooks import _load, _machine_path, _save, ctx_command

if TYPE_CHECKING:
    from ctx.store.project import Project

MARKER = "hook cursor-session-"
HOOKS = {"sessionStart": "cursor-session-start", "sessionEnd": "cursor-session-end"}


def hooks_path(project: Project) -> Path:
    return project.root / ".cursor" / "hooks.json"


def _is_ours(entry: Any, sub: str | None = None) -> bool:
    if not isinstance(entry, dict):
        return False
    cmd = str(entry.get("command") or "")
    return MARKER in cmd and (sub is None or f"hook {sub}" in cmd)


def install(project: Project, command: str | None = None) -> list[str]:
    """Add (or update) the sessionStart and sessionEnd hooks; returns what was done."""
    path = hooks_path(project)
    rel = path.relative_to(project.root)
    data = _load(path)
    data.setdefault("version", 1)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise CtxError(f'{path}: "hooks" is not an object', "fix the file; nothing was changed")
    base = command or ctx_command()
    done: list[str] = []
    changed = False
    for event, sub in HOOKS.items():
        want = {"command": f"{base} hook {sub}"}
        entries = hooks.get(event)
        if not isinstance(entries, list):
            entries = hooks[event] = []
        mine = [e for e in entries if _is_ours(e, sub)]
        if mine == [want]:
            done.append(f"{rel}: {event} hook already installed")
            continue
        entries[:] = [e for e in entries if not _is_ours(e, sub)]
        entries.append(want)
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


def uninstall(project: Project) -> list[str]:
    """Remove exactly the hooks install added; other hooks and keys stay."""
    path = hooks_path(project)
    rel = path.relative_to(project.root)
    nothing = [f"{rel}: no ctx hooks installed, nothing to remove"]
    if not path.exists():
        return nothing
    data = _load(path)
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return nothing
    done: list[str] = []
    for event in list(hooks):
        entries = hooks[event]
        if isinstance(entries, list) and any(_is_ours(e) for e in entries):
            hooks[event] = [e for e in entries if not _is_ours(e)]
            done.append(f"{rel}: removed {event} hook")
            if not hooks[event]:
                del hooks[event]
    if not done:
        return nothing
    if hooks or set(data) - {"version", "hooks"}:
        _save(path, data)
    else:
        path.unlink()
        done.append(f"{rel}: removed the file (it held nothing else)")
        try:
            path.parent.rmdir()  # only when empty: .cursor/ may hold rules, mcp.json, ...
        except OSError:
            pass
    return done
