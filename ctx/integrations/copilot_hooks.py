"""GitHub Copilot CLI hooks: `.github/hooks/ctx.json`, a file of ctx's own.

Copilot CLI (checked against 1.0.102) loads every `.github/hooks/*.json` of a trusted folder
(`{"version": 1, "hooks": {"<event>": [{"type": "command", "bash": ..., "timeoutSec": N}]}}`).
With camelCase event names the event arrives as camelCase JSON on stdin: `sessionStart`
(`sessionId`, `timestamp`, `cwd`, `source`, `initialPrompt`) may print `{"additionalContext":
"..."}`, which goes into the model's request; `sessionEnd` (`sessionId`, `cwd`, `reason`) names
no file, so the worker imports the session by id from Copilot's own session store, as `ctx
import copilot --session ID` does. The file is ctx's alone (other hooks live in other files of
that folder): install writes it, uninstall deletes it, and a file of that name that ctx did
not write is never touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ctx.core.errors import CtxError

if TYPE_CHECKING:
    from ctx.store.project import Project

MARKER = "hook copilot-session-"
FILE_NAME = "ctx.json"
#: event -> (hook subcommand, timeout in seconds)
HOOKS = {"sessionStart": ("copilot-session-start", 15), "sessionEnd": ("copilot-session-end", 30)}


def hooks_path(project: Project) -> Path:
    return project.root / ".github" / "hooks" / FILE_NAME


def render(command: str) -> str:
    hooks = {
        event: [{"type": "command", "bash": f"{command} hook {sub}", "timeoutSec": timeout}]
        for event, (sub, timeout) in HOOKS.items()
    }
    return json.dumps({"version": 1, "hooks": hooks}, indent=2) + "\n"


def _ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install(project: Project, command: str | None = None) -> list[str]:
    from ctx.integrations.claude_hooks import _machine_path, ctx_command

    path = hooks_path(project)
    rel = path.relative_to(project.root)
    if path.is_symlink() or (path.exists() and not _ours(path)):
        raise CtxError(
            f"{path} exists and was not written by ctx",
            "move it away (Copilot reads every .github/hooks/*.json); nothing was changed",
        )
    base = command or ctx_command()
    text = render(base)
    if path.exists() and path.read_text(encoding="utf-8", errors="replace") == text:
        return [f"{rel}: sessionStart and sessionEnd hooks already installed"]
    existed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    done = [f"{rel}: {'updated' if existed else 'added'} the sessionStart and sessionEnd hooks"]
    if _machine_path(base):
        done.append(
            f"{rel}: note: the hooks run ctx from a path of this machine "
            "(CTX_HOOK_COMMAND chooses the command)"
        )
    done.append("note: Copilot CLI runs a repository's hooks only in a folder you trusted")
    return done


def uninstall(project: Project) -> list[str]:
    path = hooks_path(project)
    rel = path.relative_to(project.root)
    if path.is_symlink() or not path.exists() or not _ours(path):
        return [f"{rel}: no ctx hooks installed, nothing to remove"]
    path.unlink()
    for d in (path.parent, path.parent.parent):
        try:
            d.rmdir()  # only when empty
        except OSError:
            break
    return [f"{rel}: removed the Copilot CLI hooks"]
