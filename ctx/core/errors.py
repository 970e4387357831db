"""The one error type of ctx.

Every failure a user can act on is a :class:`CtxError` carrying a one-line message and the
advice that fixes it; the CLI's single handler turns it into an exit code and one line on
stderr (or a JSON object with ``--json``). Anything else that escapes is an internal error.
"""

from __future__ import annotations

from dataclasses import dataclass

# Exit codes, stable and documented in docs/guide.md.
EXIT_OK = 0
EXIT_USER = 1  # the user can fix it: bad argument, unknown id, no store yet, ...
EXIT_INTERNAL = 70  # a bug in ctx (EX_SOFTWARE)
EXIT_NOT_FOUND_CMD = 127  # `ctx wrap` of a command that does not exist


@dataclass
class CtxError(Exception):
    """A failure the user can act on."""

    message: str
    advice: str = ""
    exit_code: int = EXIT_USER
    code: str = "error"  # short machine-readable kind, e.g. "not_found", "no_store"
    detail: str = ""  # another program's own words (git's stderr), shown verbatim before the line

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message if not self.advice else f"{self.message} ({self.advice})"

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {
            "error": self.code,
            "message": self.message,
            "advice": self.advice,
            "exit_code": self.exit_code,
        }
        if self.detail:
            d["detail"] = self.detail
        return d


def not_found(kind: str, ident: str, advice: str = "") -> CtxError:
    return CtxError(
        f"no {kind} matches '{ident}'",
        advice or f"list them with `ctx {'sessions' if kind == 'session' else 'memory'} list`",
        code="not_found",
    )
