"""An OpenCode plugin for ctx: the project brief in the system prompt, and every session stored
in ``.contextfs/`` when it goes idle (``ctx hooks install --agent opencode``).

Why: OpenCode has no hook files; its extension point is a plugin, a JS module in
``.opencode/plugin/`` (project) that Bun loads at start-up. The plugin only shells out to ctx
(``ctx hook claude-session-start`` for the brief, which prints the same JSON it gives Claude
Code; ``ctx import opencode --session ID`` on ``session.idle``), so the logic stays in ctx.
The file carries a marker line; uninstall removes only a file that has it.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from ctx.integrations.hook_settings import ctx_command, remove_owned_file, write_owned_file

if TYPE_CHECKING:
    from ctx.store.project import Project

MARKER = "// ctx-opencode-plugin v1 (written by `ctx hooks install --agent opencode`)"
PLUGIN_NAME = "ctx.js"

_TEMPLATE = """__MARKER__
// The project brief goes into the system prompt; each session is stored in .contextfs/
// once OpenCode reports it idle (importing again adds nothing).
// Remove it with: ctx hooks uninstall --agent opencode
export const CtxPlugin = async ({ $, directory }) => {
  const ctx = __ARGV__;
  let brief = null;
  return {
    event: async ({ event }) => {
      const id = event?.properties?.sessionID;
      if (event?.type === "session.idle" && typeof id === "string") {
        await $`${ctx} import opencode --session ${id}`.cwd(directory).quiet().nothrow();
      }
    },
    "experimental.chat.system.transform": async (_input, output) => {
      if (brief === null) {
        const input = new Response(JSON.stringify({ cwd: directory }));
        const r = await $`${ctx} hook claude-session-start < ${input}`
          .cwd(directory).quiet().nothrow();
        try {
          brief = JSON.parse(r.stdout.toString()).hookSpecificOutput.additionalContext || "";
        } catch {
          brief = "";
        }
      }
      if (brief) output.system.push(brief);
    },
  };
};
"""


def plugin_path(project: Project) -> Path:
    return project.root / ".opencode" / "plugin" / PLUGIN_NAME


def render(command: str) -> str:
    """The plugin's source with ctx's command line (a JSON array: Bun quotes each part)."""
    argv = shlex.split(command)
    return _TEMPLATE.replace("__MARKER__", MARKER).replace("__ARGV__", json.dumps(argv))


def install(project: Project, command: str | None = None) -> list[str]:
    path = plugin_path(project)
    advice = "move it away, or leave OpenCode's plugin as it is; nothing was changed"
    how = write_owned_file(path, render(command or ctx_command()), MARKER, advice)
    if how == "already":
        return [f"{_rel(project, path)}: already installed"]
    return [f"{_rel(project, path)}: {how} the OpenCode plugin"]


def uninstall(project: Project) -> list[str]:
    if not remove_owned_file(plugin_path(project), MARKER):
        return []
    return [f"{_rel(project, plugin_path(project))}: removed the OpenCode plugin"]


def _rel(project: Project, path: Path) -> str:
    try:
        return str(path.relative_to(project.root))
    except ValueError:
        return str(path)
