"""Running the user's own `git` (so remotes, credentials, SSH/HTTPS and config behave as they
do for git itself) and a few questions about the repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ctx.core.errors import CtxError

STORE = ".contextfs"
#: machine-local store files, unstaged after every `git add` of the store whatever the (pulled,
#: so anyone's) `.contextfs/.gitignore` says (`git reset -- NEVER_STAGED`: an exclude pathspec
#: fails where they are ignored)
NEVER_STAGED = (f"{STORE}/local", f":(glob){STORE}/index.db*")
EXTRA_ENV: dict[str, str] = {}  # set by ctx sync while it drives git (tells our hooks)


def run(
    cwd: Path, *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run git; on failure raise a CtxError carrying git's own last words."""
    env = os.environ.copy()
    env["GIT_MERGE_AUTOEDIT"] = "no"  # never open an editor for a merge message
    env.pop("GIT_LITERAL_PATHSPECS", None)  # (it would turn NEVER_STAGED into plain paths)
    env.update(EXTRA_ENV)
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise CtxError("the git command is not on PATH", "install git", code="no_git") from None
    except subprocess.TimeoutExpired:
        raise CtxError(
            f"git {args[0]} did not finish in {timeout:.0f} s", "check the network and retry"
        ) from None
    if check and proc.returncode != 0:
        raise GitFailed(args, proc)
    return proc


class GitFailed(CtxError):
    def __init__(self, args: tuple[str, ...], proc: subprocess.CompletedProcess[str]) -> None:
        verbatim = (proc.stderr or proc.stdout or "").strip("\n")
        said = [line.strip() for line in verbatim.splitlines() if line.strip()]
        said = [line for line in said if not line.startswith("hint:")]
        last = said[-1] if said else f"exit {proc.returncode}"
        if args and args[0] in ("add", "commit"):
            # nothing was committed: never tell the user it is safe
            advice = "nothing was committed; fix what git says above, then run `ctx sync` again"
        else:
            advice = "fix what git says above, then run `ctx sync` again"
        super().__init__(
            f"git {args[0] if args else ''} failed: {last}",
            advice,
            code="git_failed",
            detail=verbatim,
        )
        self.proc = proc


def out(cwd: Path, *args: str) -> str | None:
    """git's stdout stripped, or None when the command fails (a question with no answer)."""
    proc = run(cwd, *args, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def head(cwd: Path) -> str | None:
    return out(cwd, "rev-parse", "--verify", "-q", "HEAD")


def upstream(cwd: Path) -> str | None:
    """The branch's upstream, e.g. `origin/main`, or None."""
    return out(cwd, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")


def merge_base(cwd: Path, a: str, b: str) -> str | None:
    return out(cwd, "merge-base", a, b)


def is_ancestor(cwd: Path, a: str, b: str) -> bool:
    return run(cwd, "merge-base", "--is-ancestor", a, b, check=False).returncode == 0


def remotes(cwd: Path) -> list[str]:
    return (out(cwd, "remote") or "").split()


def unmerged(cwd: Path) -> list[str]:
    """Paths git left in conflict (empty in a healthy repository)."""
    return [p for p in (out(cwd, "diff", "--name-only", "--diff-filter=U") or "").splitlines() if p]


def git_path(cwd: Path, name: str) -> Path:
    """`git rev-parse --git-path NAME`: the common dir for hooks, honours core.hooksPath."""
    got = out(cwd, "rev-parse", "--git-path", name)
    if got is None:
        raise CtxError(
            f"not a git repository: {cwd}", "run this inside a git working tree", code="no_repo"
        )
    p = Path(got)
    return (p if p.is_absolute() else cwd / p).resolve()


def blob(cwd: Path, spec: str) -> bytes | None:
    """The bytes of `git show SPEC` (e.g. `:2:path`, `HEAD:path`), or None."""
    proc = subprocess.run(
        ["git", "show", spec], cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL
    )
    return proc.stdout if proc.returncode == 0 else None


BUSY = ("rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD")


def in_progress(cwd: Path) -> str | None:
    """The git operation this repository is in the middle of (rebase, merge, ...), or None."""
    for name in BUSY:
        got = out(cwd, "rev-parse", "--git-path", name)
        if got is not None:
            p = Path(got)
            if (p if p.is_absolute() else cwd / p).exists():
                return {
                    "rebase-merge": "rebase",
                    "rebase-apply": "rebase",
                    "MERGE_HEAD": "merge",
                    "CHERRY_PICK_HEAD": "cherry-pick",
                    "REVERT_HEAD": "revert",
                }[name]
    return None


def way_out(what: str) -> str:
    """The one command that leaves an interrupted git operation."""
    return f"git {what} --abort"
