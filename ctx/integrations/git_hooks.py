"""Installing ctx's git hooks the careful way (pre-commit's manner).

- Each hook we write carries the marker `ctx-managed-hook`, so we only ever touch our own.
- A hook that was there before is renamed `<hook>.legacy` and our hook runs it first;
  uninstall puts it back.
- The hooks directory is the one git uses: `git rev-parse --git-path hooks` honours
  `core.hooksPath` and, in a linked worktree, resolves to the common git dir.
- The hooks run ctx through the Python that installed them (`<python> -m ctx`), so they work
  without ctx on PATH; if that Python is gone they do nothing (and say so before a commit).
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ctx.core.errors import CtxError
from ctx.sync import gitrun

if TYPE_CHECKING:
    from ctx.core.checks import Check
    from ctx.store.project import Project

HOOKS = ("pre-commit", "post-commit", "post-merge", "post-checkout", "post-rewrite")
#: opt-in (`ctx hooks install --session-trailer`): a `Ctx-Session:` trailer on commits made
#: inside a `ctx wrap` session; commit-msg covers messages written in the editor, which are
#: still empty when prepare-commit-msg runs
TRAILER_HOOKS = ("prepare-commit-msg", "commit-msg")
MARKER = "ctx-managed-hook"
TEMPLATE = "ctx-hook.sh"


def template_path() -> Path:
    """The template in an installed wheel (ctx/_hooks) or a source checkout (hooks/)."""
    package = Path(__file__).resolve().parent.parent  # ctx/
    for hooks in (package / "_hooks", package.parent / "hooks"):
        cand = hooks / "git" / TEMPLATE
        if cand.exists():
            return cand
    raise CtxError(
        "the git hook template is missing from this ctx installation",
        "reinstall ctx (pip install --force-reinstall contextfs-cli)",
        code="no_template",
    )


def hooks_dir(project: Project) -> Path:
    return gitrun.git_path(project.git.worktree, "hooks")


def _quote(text: str) -> str:
    return text.replace("'", "'\"'\"'")


def render(hook: str, python: str | None = None) -> str:
    from ctx.core.safe_launch import MAIN

    text = template_path().read_text()  # (MAIN has no ", $ or `: it sits inside "…" there)
    text = text.replace("@HOOK@", hook).replace("@MAIN@", MAIN)
    return text.replace("@PYTHON@", _quote(python or sys.executable))


def is_ours(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return MARKER.encode() in fh.read(4096)
    except OSError:
        return False


def _write_executable(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.ctx-tmp")
    tmp.write_text(text)
    mode = tmp.stat().st_mode
    tmp.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(tmp, path)


def trailer_installed(project: Project) -> bool:
    hdir = hooks_dir(project)
    return all(is_ours(hdir / h) for h in TRAILER_HOOKS)


def install(project: Project, session_trailer: bool = False) -> list[str]:
    """Write our five hooks (and the trailer hooks when asked, or kept when already there);
    keep any other hook as `.legacy`. Returns what was done."""
    hdir = hooks_dir(project)
    hdir.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    wanted: tuple[str, ...] = HOOKS
    if session_trailer or any(is_ours(hdir / h) for h in TRAILER_HOOKS):
        wanted = (*HOOKS, *TRAILER_HOOKS)
    for hook in wanted:
        path = hdir / hook
        legacy = hdir / f"{hook}.legacy"
        want = render(hook)
        if path.exists() and not is_ours(path):
            if legacy.exists():
                done.append(
                    f"{path}: skipped: not ours, and {legacy.name} exists too "
                    "(merge them by hand, then run this again)"
                )
                continue
            os.replace(path, legacy)
            done.append(f"{path}: kept the existing hook as {legacy.name} (it still runs)")
        if path.exists() and path.read_text() == want:
            done.append(f"{path}: already installed")
            continue
        updated = path.exists()
        _write_executable(path, want)
        done.append(f"{path}: {'updated' if updated else 'installed'}")
    return done


def outdated(hdir: Path) -> list[str]:
    """Our hooks in `hdir` whose text is not what this ctx writes for the Python they run
    (a hook from an older ctx)."""
    found = []
    for hook in (*HOOKS, *TRAILER_HOOKS):
        path = hdir / hook
        if not is_ours(path):
            continue
        python = _python_of(path)
        try:
            if python is not None and path.read_text() != render(hook, python):
                found.append(hook)
        except (OSError, CtxError):
            continue
    return found


def refresh_outdated(cwd: Path) -> list[str]:
    """Rewrite our hooks that an older ctx wrote, for the same Python, from the background part
    of a hook: hooks before v2 ran `python -m ctx` in the repository, which imports a `ctx/`
    folder a pulled commit could put there (ctx/core/safe_launch.py). A user who upgraded ctx
    is covered after one hook run, without running `ctx hooks install` again."""
    from ctx.sync import gitrun

    try:
        hdir = gitrun.git_path(cwd, "hooks")
        stale = outdated(hdir)
        for hook in stale:
            python = _python_of(hdir / hook)
            if python == sys.executable:  # (a hook for another Python: `ctx doctor` says so)
                _write_executable(hdir / hook, render(hook, python))
    except (OSError, CtxError):
        return []
    return stale


def uninstall(project: Project) -> list[str]:
    """Remove our hooks, put back the ones we had set aside; never touch anyone else's."""
    hdir = hooks_dir(project)
    done: list[str] = []
    for hook in (*HOOKS, *TRAILER_HOOKS):
        path = hdir / hook
        legacy = hdir / f"{hook}.legacy"
        if path.exists() and not is_ours(path):
            if hook in HOOKS:
                done.append(f"{path}: not a ctx hook, left alone")
            continue
        if path.exists():
            path.unlink()
            done.append(f"{path}: removed")
        if legacy.exists():
            os.replace(legacy, path)
            done.append(f"{path}: restored the hook that was there before ctx")
    if not done:
        done.append(f"{hdir}: no ctx hooks installed, nothing to remove")
    return done


def hook_status(project: object) -> list[Check]:
    """Doctor checks: which of our hooks are installed, and can they run."""
    from ctx.core.checks import Check

    try:
        hdir = hooks_dir(project)  # type: ignore[arg-type]
    except CtxError as err:
        return [Check("git-hooks", "warn", err.message, err.advice)]
    ours = [h for h in HOOKS if is_ours(hdir / h)]
    fix = "run `ctx hooks install`"
    if not ours:
        return [
            Check(
                "git-hooks",
                "warn",
                f"ctx git hooks not installed in {hdir} (optional: secret check before commit, "
                "index refresh and lost-edit report after pull)",
                fix,
            )
        ]
    missing = [h for h in HOOKS if h not in ours]
    stale = [h for h in ours if _python_of(hdir / h) not in (None, sys.executable)]
    broken = [
        h for h in ours if (p := _python_of(hdir / h)) is not None and not os.access(p, os.X_OK)
    ]
    if broken:
        return [
            Check(
                "git-hooks", "fail", f"hooks call a Python that is gone: {', '.join(broken)}", fix
            )
        ]
    if missing:
        return [Check("git-hooks", "warn", f"ctx git hooks missing: {', '.join(missing)}", fix)]
    old = outdated(hdir)
    if old:
        return [
            Check(
                "git-hooks",
                "warn",
                f"ctx git hooks from an older ctx: {', '.join(old)} (they run `python -m ctx` in "
                "the repository, which would import a `ctx/` folder a commit put there)",
                fix,
            )
        ]
    detail = f"ctx git hooks installed in {hdir}"
    if all(is_ours(hdir / h) for h in TRAILER_HOOKS):
        detail += "; Ctx-Session trailers on"
    if stale:
        detail += f" (they run {_python_of(hdir / stale[0])}, not this Python)"
    return [Check("git-hooks", "ok", detail)]


def _python_of(path: Path) -> str | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith("CTX_PYTHON='"):
                return line[len("CTX_PYTHON='") : -1].replace("'\"'\"'", "'")
    except OSError:
        return None
    return None
