"""Environment checks for `ctx doctor`: each says what is wrong and how to fix it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ctx.core import paths
from ctx.core.checks import Check
from ctx.core.config import Config, load_config
from ctx.core.errors import CtxError
from ctx.search.model_check import check_model


def check_python() -> Check:
    v = sys.version_info
    ok = v >= (3, 10)
    return Check(
        "python",
        "ok" if ok else "fail",
        f"Python {v.major}.{v.minor}.{v.micro} at {sys.executable}",
        "" if ok else "install Python 3.10 or newer",
    )


def check_git() -> Check:
    exe = shutil.which("git")
    if not exe:
        return Check("git", "fail", "the git command is not on PATH", "install git")
    return Check("git", "ok", f"git at {exe}")


def check_sqlite() -> list[Check]:
    out: list[Check] = []
    try:
        import apsw

        con = apsw.Connection(":memory:")
        opts = {r[0] for r in con.execute("pragma compile_options")}
        fts = any("FTS5" in o for o in opts)
        out.append(
            Check(
                "sqlite",
                "ok" if fts else "fail",
                f"apsw {apsw.apsw_version()} with SQLite {apsw.sqlite_lib_version()}"
                + ("" if fts else " without FTS5"),
                "" if fts else "reinstall apsw from wheels (pip install --force-reinstall apsw)",
            )
        )
        try:
            import sqlite_vec

            con.enable_load_extension(True)
            con.load_extension(sqlite_vec.loadable_path())
            (ver,) = con.execute("select vec_version()").fetchone()  # type: ignore[misc]
            out.append(Check("sqlite-vec", "ok", f"sqlite-vec {ver} loads"))
        except Exception as exc:
            out.append(
                Check(
                    "sqlite-vec",
                    "warn",
                    f"the vector extension does not load ({exc}); search is keyword-only",
                    "pip install --force-reinstall sqlite-vec",
                )
            )
    except ImportError as exc:
        out.append(Check("sqlite", "fail", f"apsw is missing ({exc})", "pip install apsw"))
    return out


def check_dirs() -> Check:
    bad = []
    for d in (paths.config_dir(), paths.cache_dir(), paths.data_dir()):
        try:
            d.mkdir(parents=True, exist_ok=True)
            probe = d / ".ctx-write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            bad.append(f"{d} ({exc.strerror})")
    if bad:
        return Check(
            "user-dirs",
            "fail",
            "not writable: " + ", ".join(bad),
            "fix permissions or set CTX_*_DIR",
        )
    return Check("user-dirs", "ok", f"config {paths.config_dir()}, cache {paths.cache_dir()}")


def run_checks(start: Path | None) -> list[Check]:
    from ctx.store.project import Project

    checks = [check_python(), check_git()]
    project: Project | None = None
    cfg: Config | None = None
    try:
        project = Project.open(start, require_store=False)
        checks.append(Check("repository", "ok", f"project root {project.root}"))
    except CtxError as err:
        checks.append(Check("repository", "fail", err.message, err.advice))
    if project is not None:
        if not project.exists:
            checks.append(
                Check(  # nothing is broken: this repository just has no store yet
                    "store",
                    "warn",
                    f"no .contextfs/ in {project.root} yet",
                    "run `ctx init` here to keep this repository's context",
                )
            )
        else:
            try:
                project.require_store()
                project.refresh()
                project.counts()  # lists sessions: linked or misnamed entries are reported
                from ctx.health.status import refused_ids

                refused_ids(project)  # forgotten keys that are not ids, with line and commit
                probs = project.problems
                checks.append(
                    Check(
                        "store",
                        "ok" if not probs else "warn",
                        f"{project.store_dir}"
                        + (
                            f"; {len(probs)} unreadable record(s), skipped: {probs[0]}"
                            if probs
                            else ""
                        ),
                        "" if not probs else "the rest of the store is fine; see docs/format.md",
                    )
                )
                strays = project.session_dir_problems()
                if strays:
                    checks.append(
                        Check(
                            "sessions",
                            "warn",
                            f"{len(strays)} director{'y' if len(strays) == 1 else 'ies'}"
                            f" under sessions/ not read as sessions: {strays[0]}",
                            "remove stray directories; restore a missing transcript from git",
                        )
                    )
            except CtxError as err:
                checks.append(Check("store", "fail", err.message, err.advice))
            checks.extend(_git_state(project))
        try:
            cfg = project.config
        except CtxError as err:
            checks.append(Check("config", "fail", err.message, err.advice))
        if os.path.lexists(project.store_dir):
            checks.append(check_links(project.root, project.store_dir))
            checks.append(check_ignores(project.store_dir))
        checks.extend(_hook_checks(project))
    checks.extend(check_sqlite())
    if cfg is None:
        try:
            cfg = load_config(None)
        except CtxError as err:
            checks.append(Check("config", "fail", err.message, err.advice))
    if cfg is not None:
        checks.append(check_model(cfg))
    checks.append(check_dirs())
    return checks


def _git_state(project: object) -> list[Check]:
    """An interrupted rebase or merge (a killed `git pull`, a conflict left open)."""
    from ctx.store.pending import git_busy

    root = getattr(project, "root", None)
    if root is None:
        return []
    busy = git_busy(root)
    if busy is None:
        return [Check("git state", "ok", "no merge or rebase in progress")]
    from ctx.sync.status import _OP, in_progress_advice

    what = "rebase" if busy.startswith("rebase") else _OP.get(busy, busy)
    return [
        Check("git state", "warn", f"git is in the middle of a {what}", in_progress_advice(what))
    ]


def check_ignores(store: Path) -> Check:
    """The store's `.gitignore` (it comes with every pull) still keeps local files out."""
    from ctx.store.layout import ignore_gaps

    path = store / ".gitignore"
    try:
        text = path.read_text(encoding="utf-8", errors="replace") if not path.is_symlink() else ""
    except OSError:
        text = ""
    gaps = ignore_gaps(text)
    if not gaps:
        return Check("store-ignores", "ok", f"{path.name} keeps index.db and local/ out of git")
    return Check(
        "store-ignores",
        "warn",
        f"{path} lacks or negates what keeps this clone's files out of git: {', '.join(gaps)} "
        "(local/ stays ignored by its own .gitignore; the pre-commit hook refuses them)",
        "`ctx init` puts the lines back; commit the file",
    )


def check_links(root: Path, store: Path) -> Check:
    """Symlinks under .contextfs/ (a commit can carry them): ctx never follows them; each is
    named with its fix."""
    from ctx.store import confine

    links = confine.all_links(store)
    if not links:
        return Check("store-links", "ok", "no symbolic links under .contextfs/")
    committed = dict(confine.structure_links(root, store))
    fixes = []
    for link in links:
        in_local = "local" in link.relative_to(store).parts[:1] or link.name.startswith("index.db")
        fixes.append(confine.link_advice(root, link, committed.get(link, not in_local)))
    names = ", ".join(str(p.relative_to(root)) for p in links)
    return Check(
        "store-links",
        "fail",
        f"symbolic link(s) in the store, never followed by ctx: {names}",
        "; ".join(fixes),
    )


def _hook_checks(project: object) -> list[Check]:
    try:
        from ctx.integrations.git_hooks import hook_status
    except ImportError:
        return []
    return hook_status(project)


def summary_exit(checks: list[Check]) -> int:
    return 1 if any(c.status == "fail" for c in checks) else 0


def environ_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
