"""Edit text in the user's editor, as `git commit` does ($VISUAL, $EDITOR, else vi)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from ctx.core.errors import CtxError


def editor_command() -> str:
    return (
        os.environ.get("CTX_EDITOR") or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    )


def edit_text(text: str, suffix: str = ".md") -> str | None:
    """The edited text, or None when it did not change. Empty text aborts (like git)."""
    if not sys.stdin.isatty():
        raise CtxError(
            "nothing to change and no terminal for an editor",
            "pass --content TEXT (or `-` for stdin), --type, --tags, --tag or --untag",
            exit_code=2,
            code="usage",
        )
    fd, name = tempfile.mkstemp(prefix="ctx-edit-", suffix=suffix)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        editor = editor_command()
        # the editor is a shell command line, as for git (EDITOR="code --wait" works)
        proc = subprocess.run(["sh", "-c", f'{editor} "$1"', editor, name])
        if proc.returncode != 0:
            raise CtxError(
                f"the editor ({editor}) exited with status {proc.returncode}; nothing changed",
                "fix $VISUAL/$EDITOR, or pass --content",
            )
        try:
            with open(name, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise CtxError(f"cannot read the edited text: {exc.strerror}", "try again") from None
    finally:
        try:
            os.unlink(name)
        except OSError:
            pass
    from ctx.cli.common import decode_text

    new = decode_text(raw, "the edited text").rstrip("\n")
    if not new.strip():
        raise CtxError("empty text: nothing changed", "to remove the memory, use `ctx memory rm`")
    return None if new == text.rstrip("\n") else new
