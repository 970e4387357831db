"""`ctx wrap` itself, and its fast path: a plain `ctx wrap [OPTIONS] CMD...` runs without
typer.

`ctx wrap` is timed against `script` as a whole command (docs/benchmarks.md): typer and the
whole CLI cost ~0.07 s before the program could start. ``ctx.launch`` hands a command line
that starts with ``wrap`` to :func:`fast_main`, which parses wrap's own options; anything else
(--help, an unknown option, global options before ``wrap``) goes to typer (ctx/cli/cmd_wrap.py),
which calls the same :func:`run`.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from ctx.cli import common


def run(
    argv: list[str],
    *,
    tool: str | None = None,
    title: str | None = None,
    private: bool = False,
    record_input: bool | None = None,
    quiet: bool = False,
) -> int:
    """The command itself, without typer (the fast path below calls it too)."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        from ctx.core.errors import CtxError

        raise CtxError(
            "no command to run", "usage: ctx wrap [OPTIONS] [--] CMD [ARGS...]", exit_code=2
        )
    from ctx.capture.pty_proxy import resolve_command
    from ctx.capture.wrap import wrap as run_wrap

    resolve_command(argv, None, str(common.state.cwd) if common.state.cwd else None)  # 127 first
    project = common.open_project()
    common.warn_identity(project)
    sys.stdout.flush()
    sys.stderr.flush()
    outcome = run_wrap(
        project,
        argv,
        tool=tool,
        title=title,
        private=private,
        record_input=record_input,
        cwd=common.state.cwd,
    )
    for note in outcome.notes:
        common.warn(note)
    if outcome.session is not None and not outcome.session.private:
        common.warn_large(project, [outcome.session.id])
    if not (quiet or common.state.quiet) and outcome.session is not None:
        s = outcome.session
        if s.status == "failed":
            sys.stderr.write(
                f"ctx: {argv[0]} exited {outcome.exit_code} before any conversation: kept on "
                f"this machine only as {s.id} (`ctx sessions list --all`)\n"
            )
            return outcome.exit_code
        where = "private, " if s.private else ""
        sys.stderr.write(
            f"ctx: session {s.id} ({where}{common.plural(s.turn_count, 'turn')}, {s.tool}) "
            f"— `ctx sessions show {s.id}`\n"
        )
    return outcome.exit_code


# ---- the fast path ------------------------------------------------------------------------

_FLAGS = {"--private": ("private", True), "--record-input": ("record_input", True)}
_FLAGS |= {"--no-record-input": ("record_input", False), "-q": ("quiet", True)}
_FLAGS |= {"--quiet": ("quiet", True)}
_VALUES = {"--tool": "tool", "--title": "title"}


def parse_fast(args: list[str]) -> dict[str, Any] | None:
    """The keyword arguments of :func:`run` for ``args`` (after ``wrap``), or None when the
    command line needs typer."""
    opts: dict[str, Any] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--" or not a.startswith("-") or a == "-":
            opts["argv"] = args[i:]
            return opts if len(args[i:]) > (a == "--") else None
        if a in _FLAGS:
            key, flag = _FLAGS[a]
            opts[key] = flag
        elif a in _VALUES and i + 1 < len(args):
            opts[_VALUES[a]] = args[i + 1]
            i += 1
        elif a.split("=", 1)[0] in _VALUES and "=" in a:
            name, text = a.split("=", 1)
            opts[_VALUES[name]] = text
        else:
            return None
        i += 1
    return None


def fast_main(args: list[str]) -> int | None:
    """``ctx wrap ...`` without typer, or None to let typer handle this command line."""
    from ctx.cli.guard import check_args_are_text, run_guarded

    opts = parse_fast(args)
    if opts is None:
        return None
    # No cyclic garbage collection in this short process: ctx's copy loop makes no cycles
    # (plain bytes, freed as they are written), and collections during start-up and the
    # background imports cost ~10% of a short run's CPU.
    collecting = gc.isenabled()
    gc.disable()
    common.state.cwd = None
    common.state.quiet = False

    def body() -> int:
        check_args_are_text(args)
        return run(**opts)

    try:
        return run_guarded(body, as_json=False)
    finally:
        if collecting:  # called in a longer-lived process (tests)
            gc.enable()
