"""`ctx why FILE[:LINE[-LINE]]` answered from the answer cache before the CLI framework, git
library or store load (ctx/codelinks/answer_cache.py): a repeated question costs the start of
Python and a few hundred stat calls, not the ~0.3 s CPU of opening the store.

Only the plain forms are taken here (`[-C DIR] [-q] [--no-pager] why TARGET [--json]`). A question
not cached is answered here too (the same functions as `ctx.cli.cmd_why`, saved for next time),
still without typer; anything else — other options, an error to report, an interrupted capture to
recover — returns None before anything is printed, and the full command runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def parse(args: list[str]) -> tuple[Path | None, str, bool, bool] | None:
    """(-C directory, target, --json, --no-pager) of a plain `ctx why`, else None."""
    from ctx.cli.fast_args import leading_options

    lead = leading_options(args, "why")
    if lead is None:
        return None
    directory, flags, i = lead
    no_pager = "--no-pager" in flags
    rest = args[i + 1 :]
    if not rest:
        return None
    as_json = "--json" in rest
    targets = [a for a in rest if a != "--json"]
    if len(targets) != 1 or len(rest) - len(targets) > 1 or targets[0].startswith("-"):
        return None
    try:
        for a in args:
            a.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return directory, targets[0], as_json, no_pager


def run(args: list[str]) -> int | None:
    """The exit code when the answer came from the cache; None: run the full command."""
    parsed = parse(args)
    if parsed is None:
        return None
    directory, target, as_json, no_pager = parsed
    try:
        if directory is not None:
            if not directory.is_dir():
                return None  # the full command says what is wrong with it
            cwd = directory.resolve()
        else:
            cwd = Path.cwd()
        from ctx.codelinks.answer_cache import lookup

        data = lookup(cwd, target)
        if data is None:
            from ctx.cli.progress import show_slow_blames

            show_slow_blames()
            data = _answer(cwd, target)
        if data is None:
            return None
        from ctx.cli.output import json_text

        if as_json:
            text = json_text(data) + "\n"
        else:
            from ctx.cli.why_text import render_why

            text = "".join(line + "\n" for line in render_why(data))
    except KeyboardInterrupt:
        sys.stderr.write("ctx: interrupted\n")
        return 130
    except Exception:  # nothing printed yet: the full command answers (and reports)
        if os.environ.get("CTX_DEBUG"):
            raise
        return None
    return _write(text, paged=not no_pager)


def _answer(cwd: Path, target: str) -> dict[str, Any] | None:
    """Not cached: the answer computed here all the same (and saved), without the CLI
    framework, and without loading the store when it has not changed since the last answer.
    None when the full command has more to do or say: a capture to recover (it warns), or any
    error (it reports it as every command does)."""
    from ctx.codelinks.answer_cache import answer, answer_from_kept, start_blame
    from ctx.codelinks.answer_key import needs_recovery
    from ctx.codelinks.blame_cache import discard_started
    from ctx.core.errors import CtxError

    try:
        start_blame(cwd, target)  # nothing cached: git blames while the rest is done
        data = answer_from_kept(cwd, target)  # the store unchanged since it was last loaded
        if data is not None:
            return data
        from ctx.store.project import Project

        project = Project.open(cwd)
        if needs_recovery(project.layout.active_dir):
            return None
        return answer(project, target, cwd)
    except CtxError:
        return None
    finally:
        discard_started()


def _write(text: str, *, paged: bool) -> int:
    """As the CLI prints: control characters escaped, paged when long on a terminal; an
    interrupt or a closed pipe (`ctx why … | head`) ends it as everywhere (ctx.cli.guard)."""
    from ctx.cli.guard import run_guarded
    from ctx.cli.output import SafeStream
    from ctx.cli.output import paged as pager

    def show() -> int:
        real = sys.stdout
        try:
            sys.stdout = SafeStream(real)
            with pager(paged):
                sys.stdout.write(text)
        finally:
            sys.stdout.flush()
            sys.stdout = real
        return 0

    return run_guarded(show, as_json=False)
    return 0
