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

_GLOBAL_FLAGS = ("-q", "--quiet", "--no-pager")


def parse(args: list[str]) -> tuple[Path | None, bool, bool, bool] | None:
    """(-C directory, --json, --quiet, --no-pager) of a plain `ctx status`, else None."""
    directory: Path | None = None
    seen: set[str] = set()
    i = 0
    while i < len(args) and args[i] != "status":
        a = args[i]
        if a == "-C" and i + 1 < len(args) and directory is None:
            directory = Path(args[i + 1])
            i += 2
            continue
        if a not in _GLOBAL_FLAGS:
            return None
        seen.add(a)
        i += 1
    rest = args[i + 1 :]
    if i >= len(args) or rest not in ([], ["--json"]):
        return None
    try:
        for a in args:
            a.encode("utf-8")
    except UnicodeEncodeError:
        return None  # the full command says so
    quiet = bool(seen & {"-q", "--quiet"})
    return directory, rest == ["--json"], quiet, "--no-pager" in seen


def run(args: list[str]) -> int | None:
    """The exit code of `ctx status` run here; None: not a plain form, run the full command."""
    parsed = parse(args)
    if parsed is None:
        return None
    directory, as_json, quiet, no_pager = parsed
    from ctx.cli import common
    from ctx.cli.guard import run_guarded
    from ctx.cli.output import SafeStream, paged, set_color
    from ctx.codelinks.why_keep import before_write
    from ctx.core import after_write
    from ctx.core.errors import CtxError

    after_write.register(before_write)  # as ctx.cli.app.main does (a recovery writes)

    def body() -> int:
        if directory is not None and not directory.is_dir():  # as ctx.cli.app.root says it
            raise CtxError(
                f"no such directory: {directory}",
                "give an existing directory to -C",
                exit_code=2,
                code="usage",
            )
        set_color(None)
        common.state.cwd = directory
        common.state.quiet = quiet
        common.state.identity_warned = False
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
