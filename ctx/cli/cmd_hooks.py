"""`ctx hooks install|uninstall|status` (git hooks; Claude Code hooks with --claude) and the
hidden `ctx hooks run HOOK` that the installed git hooks call."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import typer

from ctx.cli.common import JSON_OPT, emit_json, open_project
from ctx.core.errors import CtxError

hooks_app = typer.Typer(
    help="Git hooks (secret check before commit; index refresh and lost-edit report after "
    "pull) and, with --claude or --agent NAME, the AI agents' session hooks.",
    no_args_is_help=True,
)

CLAUDE_MODULE = "ctx.integrations.claude_hooks"


def register(app: typer.Typer) -> None:
    app.add_typer(hooks_app, name="hooks")


def _claude() -> Any | None:
    """The Claude Code hooks module, when this ctx has it."""
    if importlib.util.find_spec(CLAUDE_MODULE) is None:
        return None
    return importlib.import_module(CLAUDE_MODULE)


def _print(lines: list[str], as_json: bool, key: str = "done") -> None:
    if as_json:
        emit_json({key: lines})
    else:
        for line in lines:
            print(line)


@hooks_app.command("install")
def install(
    claude: bool = typer.Option(False, "--claude", help="Also install the Claude Code hooks."),
    gemini: bool = typer.Option(
        False, "--gemini", help="Also install the Gemini CLI hooks (.gemini/settings.json)."
    ),
    local: bool = typer.Option(
        False,
        "--local",
        help="Claude Code hooks in .claude/settings.local.json (this machine only), "
        "not the committed .claude/settings.json.",
    ),
    agent: str | None = typer.Option(
        None,
        "--agent",
        help="Also install an agent's integration: codex, copilot, cursor, gemini, qwen (hooks), "
        "opencode (a plugin); aider has none: prints how to capture it instead.",
    ),
    session_trailer: bool = typer.Option(
        False,
        "--session-trailer",
        help="Also add a `Ctx-Session: s-…` trailer to commits made inside a `ctx wrap` "
        "session (prepare-commit-msg and commit-msg hooks), so `ctx why` finds the session "
        "after a rebase or squash.",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Install the git hooks (existing hooks are kept as .legacy and still run)."""
    from ctx.integrations.git_hooks import install as install_git

    if local and not claude:
        raise CtxError(
            "--local is for the Claude Code hooks", "use `ctx hooks install --claude --local`"
        )
    project = open_project(require_store=False)
    done = install_git(project, session_trailer=session_trailer)
    if project.exists:  # the hooks keep ctx why's caches current from now on: warm them now
        from ctx.codelinks.why_warm import warm_in_background

        warm_in_background(project.root, project.git.worktree, setup=True)
    if claude:
        mod = _claude()
        done += (
            mod.install_claude_hooks(project, local=local)
            if mod
            else ["Claude Code hooks: not available yet"]
        )
    if gemini:
        from ctx.integrations.gemini_hooks import install_gemini_hooks

        done += install_gemini_hooks(project)
    if agent is not None and agent in NO_HOOKS:
        from ctx.integrations.no_hooks import mcp_instructions

        done += mcp_instructions(agent)
    elif agent is not None:
        done += _agent_module(agent).install(project)
    if (gemini or (agent is not None and agent not in NO_HOOKS)) and project.exists:
        # their session-start hooks print the precomputed brief (ctx/core/brief_cache.py): build it
        from ctx.integrations.claude_hooks import refresh_brief_cache

        try:
            refresh_brief_cache(project)
        except CtxError as err:
            done.append(f"note: the session-start brief could not be built: {err.message}")
    _print(done, as_json)


AGENT_MODULES = {
    "opencode": "ctx.integrations.opencode_plugin",
    "codex": "ctx.integrations.codex_hooks",
    "cursor": "ctx.integrations.cursor_hooks",
    "gemini": "ctx.integrations.gemini_hooks",
    "qwen": "ctx.integrations.qwen_hooks",
    "copilot": "ctx.integrations.copilot_hooks",
}
#: agents with no hooks ctx can use: `--agent NAME` prints how to register `ctx mcp` instead
NO_HOOKS = ("aider",)


def _agent_module(agent: str) -> Any:
    """The integration module of ``--agent NAME`` (claude has its own --claude)."""
    if agent == "claude":
        raise CtxError("Claude Code has its own flag", "use --claude")
    if agent not in AGENT_MODULES:
        raise CtxError(
            f"no hooks for agent '{agent}'",
            f"known: {', '.join([*AGENT_MODULES, *NO_HOOKS])} (and --claude)",
            exit_code=2,
        )
    return importlib.import_module(AGENT_MODULES[agent])


@hooks_app.command("uninstall")
def uninstall(
    claude: bool = typer.Option(False, "--claude", help="Also remove the Claude Code hooks."),
    gemini: bool = typer.Option(False, "--gemini", help="Also remove the Gemini CLI hooks."),
    agent: str | None = typer.Option(
        None,
        "--agent",
        help="Also remove an agent's integration: codex, copilot, cursor, gemini, qwen, opencode.",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Remove ctx's git hooks and put back the hooks that were there before."""
    from ctx.integrations.git_hooks import uninstall as uninstall_git

    project = open_project(require_store=False)
    done = uninstall_git(project)
    if claude:
        mod = _claude()
        done += (
            mod.uninstall_claude_hooks(project) if mod else ["Claude Code hooks: not available yet"]
        )
    if gemini:
        from ctx.integrations.gemini_hooks import uninstall_gemini_hooks

        done += uninstall_gemini_hooks(project)
    if agent is not None and agent in NO_HOOKS:
        done.append(f"{agent}: ctx installs nothing for it, nothing to remove")
    elif agent is not None:
        done += _agent_module(agent).uninstall(project)
    _print(done, as_json)


@hooks_app.command("status")
def status(as_json: bool = JSON_OPT) -> None:
    """Which hooks are installed, and whether they can run."""
    from ctx.integrations.git_hooks import hook_status

    project = open_project(require_store=False)
    checks = hook_status(project)
    mod = _claude()
    if mod is not None:
        checks += mod.claude_hook_status(project)
    from ctx.integrations.codex_hooks import codex_hook_status

    checks += codex_hook_status(project)
    if as_json:
        emit_json({"checks": [c.to_dict() for c in checks]})
        return
    for c in checks:
        print(f"[{c.status:4}] {c.name:14} {c.detail}")
        if c.fix and c.status != "ok":
            print(f"       {'':14} fix: {c.fix}")


@hooks_app.command(
    "run",
    hidden=True,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def run(
    hook: str = typer.Argument(..., help="pre-commit | post-* | prepare-commit-msg | commit-msg"),
    args: list[str] | None = typer.Argument(None),
) -> None:
    """Called by the installed git hooks (not for people)."""
    from ctx.cli.common import state
    from ctx.integrations.git_hook_run import run_hook

    code = run_hook(hook, list(args or []), state.cwd)
    sys.stdout.flush()
    if code:
        raise typer.Exit(code)


@hooks_app.command("log")
def log_(
    lines: int = typer.Option(20, "--lines", "-n", min=1, help="The last N entries."),
    as_json: bool = JSON_OPT,
) -> None:
    """What the Claude Code hooks did: imports, and every failure or timeout (each hook fails
    open, so this is where you see them)."""
    from ctx.cli.common import state
    from ctx.integrations.hook_entry import find_place, log_path, read_log

    place = find_place(state.cwd or ".")
    paths = [log_path(place.root)] if place else []
    paths.append(log_path(None))  # hooks that ran outside any project they could find
    entries = [e for p in paths for e in read_log(p)]
    entries.sort(key=lambda e: e["time"])
    entries = entries[-lines:]
    if as_json:
        emit_json({"logs": [str(p) for p in paths], "entries": entries})
        return
    if not entries:
        print("no hook activity logged yet (" + ", ".join(str(p) for p in paths) + ")")
        return
    from ctx.cli.common import one_line

    for e in entries:
        print(f"{e['time']}  {e['hook']}: {one_line(e['message'], 200)}")
        for extra in e["detail"]:
            print(f"    {one_line(extra, 200)}")
