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

from ctx.integrations.hook_settings import (
    ctx_command,
    machine_note,
    nothing_to_remove,
    remove_owned_file,
    write_owned_file,
)

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


def install(project: Project, command: str | None = None) -> list[str]:
    path = hooks_path(project)
    rel = path.relative_to(project.root)
    base = command or ctx_command()
    advice = "move it away (Copilot reads every .github/hooks/*.json); nothing was changed"
    how = write_owned_file(path, render(base), MARKER, advice)
    if how == "already":
        return [f"{rel}: sessionStart and sessionEnd hooks already installed"]
    done = [f"{rel}: {how} the sessionStart and sessionEnd hooks", *machine_note(rel, base)]
    done.append("note: Copilot CLI runs a repository's hooks only in a folder you trusted")
    return done


def uninstall(project: Project) -> list[str]:
    path = hooks_path(project)
    rel = path.relative_to(project.root)
    if not remove_owned_file(path, MARKER):
        return nothing_to_remove(rel)
    return [f"{rel}: removed the Copilot CLI hooks"]
