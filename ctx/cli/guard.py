"""The one place that turns a failure into a one-line message and an exit code.

Shared by the typer CLI (`ctx.cli.app`) and the commands that start without it (the
`ctx wrap` fast path in `ctx.cli.cmd_wrap`), so both say the same thing for the same error.
It imports nothing of typer: the fast path would pay for it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

from ctx.core.errors import EXIT_INTERNAL, CtxError


def report_error(err: CtxError, as_json: bool) -> int:
    """Print ``err`` as one line (JSON with --json) and return its exit code."""
    from ctx.cli.output import json_safe, sanitize
    from ctx.privacy import redact

    # a message may quote user input (an id, a tag, a path): never a secret on stderr
    err = CtxError(  # a plain copy: subclasses (GitFailed) take other arguments
        redact(err.message),
        err.advice,
        exit_code=err.exit_code,
        code=err.code,
        detail=redact(err.detail) if err.detail else "",
    )
    if as_json:
        sys.stderr.write(json_safe(json.dumps(err.to_dict(), ensure_ascii=False)) + "\n")
    else:
        advice = f" — {err.advice}" if err.advice else ""
        if err.detail:  # e.g. git's own message, as git wrote it
            sys.stderr.write(sanitize(err.detail.rstrip("\n")) + "\n")
        sys.stderr.write(sanitize(f"ctx: error: {err.message}{advice}") + "\n")
    return err.exit_code


def check_args_are_text(args: list[str]) -> None:
    """Invalid UTF-8 on the command line arrives as lone surrogates: refuse it, store nothing."""
    for i, a in enumerate(args, 1):
        try:
            a.encode("utf-8")
        except UnicodeEncodeError:
            raise CtxError(
                f"argument {i} is not UTF-8 text",
                "pass text in UTF-8 (check the terminal's or the script's encoding)",
                exit_code=2,
                code="not_text",
            ) from None


def run_guarded(
    body: Callable[[], int],
    as_json: bool,
    translate: Callable[[Exception], int | None] | None = None,
) -> int:
    """Run ``body``; map every failure to a message and an exit code. ``translate`` gets the
    front-end's own exceptions (typer's Exit, click's usage errors) first."""
    try:
        return body()
    except CtxError as err:
        return report_error(err, as_json)
    except KeyboardInterrupt:
        sys.stderr.write("ctx: interrupted\n")
        return 130
    except BrokenPipeError:
        # `ctx ... | head`: the reader went away; not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        code = translate(exc) if translate is not None else None
        if code is not None:
            return code
        from ctx.core.oserrors import resource_error

        if os.environ.get("CTX_DEBUG"):
            raise
        # a full disk, a size limit, a read-only file system: the user's to fix, not a bug
        internal = resource_error(exc) or CtxError(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug in ctx; rerun with CTX_DEBUG=1 for the traceback and report it",
            exit_code=EXIT_INTERNAL,
            code="internal",
        )
        return report_error(internal, as_json)
