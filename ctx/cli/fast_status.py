"""`ctx status` without the command-line framework: the start-up bar (DESIGN.md §5: under
0.3 s) is measured on this command, and typer with click is about a sixth of it.

Only the plain forms are taken here (`[-C DIR] [-q] [--no-pager] status [--json]`); anything
else returns None and the typer command runs. What runs is the typer command's own body
(ctx.cli.status_show) under the same error handler (ctx.cli.guard), with stdout escaped and
paged as the CLI does, so both print the same bytes and exit with the same code.
"""

from __future__ import annotations

import sys
from pathlib import Path


def parse(args: list[str]) -> tuple[Path | None, bool, bool, bool] | None:
    """(-C directory, --json, --quiet, --no-pager) of a plain `ctx status`, else None."""
    from ctx.cli.fast_args import leading_options

    lead = leading_options(args, "status")
    if lead is None:
        return None
    directory, flags, i = lead
    rest = args[i + 1 :]
    if rest not in ([], ["--json"]):
        return None
    try:
        for a in args:
            a.encode("utf-8")
    except UnicodeEncodeError:
        return None  # the full command says so
    quiet = bool(flags & {"-q", "--quiet"})
    return directory, rest == ["--json"], quiet, "--no-pager" in flags


def run(args: list[str]) -> int | None:
    """The exit code of `ctx status` run here; None: not a plain form, run the full command."""
    parsed = parse(args)
    if parsed is None:
        return None
    directory, as_json, quiet, no_pager = parsed
    from ctx.cli import common
    from ctx.cli.guard import run_guarded
    from ctx.cli.output import SafeStream, paged
    from ctx.codelinks.why_keep import before_write
    from ctx.core import after_write

    after_write.register(before_write)  # as ctx.cli.app.main does (a recovery writes)

    def body() -> int:
        common.apply_global_options(directory, quiet, None)  # as ctx.cli.app.root does
        from ctx.cli.status_show import show_status

        real = sys.stdout
        sys.stdout = SafeStream(real)
        try:
            with paged(not no_pager):
                show_status(as_json)
        finally:
            sys.stdout.flush()
            sys.stdout = real
        return 0

    return run_guarded(body, as_json)
