"""The `ctx` executable's entry point.

Hook calls (`ctx hook claude-session-start|claude-session-end`) run inside an AI tool's
start-up and exit, so they skip the command-line framework: they go straight to the
stdlib-only `ctx.integrations.hook_entry`. A plain `ctx wrap [OPTIONS] CMD...` skips it too
(`ctx.cli.wrap_run.fast_main`): the wrapped program starts sooner, and the command is timed
against `script`. A plain `ctx why` is answered by `ctx.cli.fast_why`, without typer (from its
answer cache when asked before), a plain `ctx status` by `ctx.cli.fast_status`. Everything else
is the typer CLI (`ctx.cli.app`).
"""

from __future__ import annotations

import gc
import sys

FAST_HOOKS = (
    "claude-session-start",
    "claude-session-end",
    "gemini-session-start",
    "gemini-session-end",
    "codex-session-start",
    "codex-session-end",
    "cursor-session-start",
    "cursor-session-end",
    "qwen-session-start",
    "qwen-session-end",
    "copilot-session-start",
    "copilot-session-end",
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    # Start-up allocates hundreds of thousands of long-lived objects (modules, classes), and
    # the default thresholds run a full collection over all of them again and again (~10% of
    # a short command's CPU). Rarer collections still reclaim cycles in long-lived commands.
    gc.set_threshold(20_000, 10, 10)
    if "why" in args:  # without typer, from the answer cache when asked before (fast_why.py)
        from ctx.cli.fast_why import run as fast_why

        answered = fast_why(args)
        if answered is not None:
            if argv is None:
                sys.exit(answered)
            return answered
    if "status" in args:  # without typer (fast_status.py): the start-up bar's command
        from ctx.cli.fast_status import run as fast_status

        code = fast_status(args)
        if code is not None:
            if argv is None:
                sys.exit(code)
            return code
    if len(args) == 2 and args[0] == "hook" and args[1] in FAST_HOOKS:
        from ctx.integrations.hook_entry import run

        code = run(args[1])
        if argv is None:
            sys.exit(code)
        return code
    if args and args[0] == "wrap":
        from ctx.cli.wrap_run import fast_main
        from ctx.codelinks.why_keep import before_write
        from ctx.core import after_write

        after_write.register(before_write)  # as ctx.cli.app.main does (why_keep.py)

        fast = fast_main(args[1:])
        if fast is not None:
            if argv is None:
                _exit_now(fast)
            return fast
    from ctx.cli.app import main as cli_main

    return cli_main(argv)


def _exit_now(code: int) -> None:
    """Leave without the interpreter's tear-down (~30 ms once wrap has loaded the store, pyte
    and pycrdt): by now every file ctx wrote is written and closed, and the background work
    (the recording's conversion) runs in its own detached process; only the standard streams
    may still hold buffered text."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: nothing more can be said
            pass
    os._exit(code)
