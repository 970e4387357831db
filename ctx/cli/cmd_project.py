"""`ctx init`, `ctx status`, `ctx doctor`."""

from __future__ import annotations

import typer

from ctx.cli.common import JSON_OPT, emit_json, open_project


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("status")(status)
    app.command("doctor")(doctor)


def init(as_json: bool = JSON_OPT) -> None:
    """Create .contextfs/ at the repository root (safe to run again)."""
    project = open_project(require_store=False)
    joined = project.exists  # a store that came with the clone: a teammate setting up
    result = project.init()
    if joined:  # its first `ctx why` should not be the one that walks a file's history
        from ctx.codelinks.why_warm import warm_in_background

        warm_in_background(project.root, project.git.worktree, setup=True)
    if as_json:
        emit_json(
            {
                "root": str(result.root),
                "store": str(result.store),
                "created": result.created,
                "mended": result.mended,
            }
        )
        return
    for path in result.mended:
        print(f"{path}: put back the lines that keep this clone's files out of git; commit it")
    if result.created:
        print(f"Initialized ctx store in {result.store}")
        print("Commit it with your code:  git add .contextfs && git commit -m 'Add ctx store'")
    else:
        print(f"ctx store already initialized in {result.store}")


def status(as_json: bool = JSON_OPT) -> None:
    """Where the store is, what it holds, what is not yet committed, index and model state."""
    from ctx.cli.status_show import show_status

    show_status(as_json)


def doctor(as_json: bool = JSON_OPT) -> None:
    """Check the environment and say how to fix each problem."""
    from ctx.cli.common import state
    from ctx.health.doctor import run_checks, summary_exit

    checks = run_checks(state.cwd)
    if as_json:
        emit_json({"checks": [c.to_dict() for c in checks], "ok": summary_exit(checks) == 0})
    else:
        marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
        for c in checks:
            print(f"[{marks[c.status]}] {c.name:16} {c.detail}")
            if c.fix and c.status != "ok":
                print(f"       {'':16} fix: {c.fix}")
    code = summary_exit(checks)
    if code:
        raise typer.Exit(code)
