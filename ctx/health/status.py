"""`ctx status` as data (the CLI, MCP server and TUI all show it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ctx.store.layout import FORMAT_VERSION

if TYPE_CHECKING:
    from ctx.store.project import Project


def index_state(project: Project) -> dict[str, Any]:
    try:
        from ctx.search.freshness import index_status
    except ImportError:
        exists = project.layout.index_db.exists()
        return {"state": "present" if exists else "not built", "detail": ""}
    return index_status(project)


def model_state(project: Project) -> dict[str, Any]:
    cfg = project.config
    path = cfg.embed_model_path
    if path is not None:
        ok = path.exists()
        return {
            "name": cfg.embed_model,
            "path": str(path),
            "available": ok,
            "detail": f"{cfg.embed_model} from {path}" + ("" if ok else " (MISSING: keyword-only)"),
        }
    from ctx.search.model_check import check_model

    chk = check_model(cfg)
    return {
        "name": cfg.embed_model,
        "path": None,
        "available": chk.status == "ok",
        "detail": chk.detail,
    }


def sync_state(project: Project, uncommitted: list[str] | None = None) -> dict[str, Any] | None:
    """What is not yet shared / arrived since the last sync (ctx/sync/status.py)."""
    try:
        from ctx.sync.status import sync_status
    except ImportError:
        return None
    try:
        return sync_status(project, uncommitted=uncommitted)
    except Exception as exc:  # git trouble must not hide the rest of the status
        return {"error": str(exc)}


def refused_ids(project: Project) -> None:
    """Forgotten keys that are not ids (a forged log line): named with the line and commit, so
    a pull through the background git hooks, which has nobody to tell, is reported here."""
    try:
        from ctx.sync.forgotten import invalid_forgotten
    except ImportError:
        return
    found = invalid_forgotten(project)
    project.problems.extend(p for p in found if p not in project.problems)


def project_status(project: Project) -> dict[str, Any]:
    started = project.start_uncommitted()  # git looks at the files while the state loads
    counts = project.counts()
    refused_ids(project)
    try:
        unc = project.uncommitted(started)
    except Exception as exc:  # git status failing must not hide the rest
        unc = [f"(git status failed: {exc})"]
    return {
        "root": str(project.root),
        "store": str(project.store_dir),
        "format": FORMAT_VERSION,
        "replica": project.replica,
        "branch": project.git.branch,
        "head": project.git.head,
        "counts": counts,
        "open_sessions": [s for s in project._open_ids()],
        "uncommitted": unc,
        "index": index_state(project),
        "model": model_state(project),
        "problems": project.warnings() + project.session_dir_problems(),
        "sync": sync_state(project, unc),
        "agents_not_stored": agents_state(project),
    }


def agents_state(project: Project) -> dict[str, int] | None:
    """Agent sessions of this repository on this machine that the store does not hold yet."""
    from ctx.capture.agent_history import not_stored

    try:
        return not_stored(project)
    except Exception:  # an unreadable agent directory must not hide the status
        return None
