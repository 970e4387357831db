"""`ctx init`, `ctx status`, `ctx doctor`."""

from __future__ import annotations

import typer

from ctx.cli.common import JSON_OPT, emit_json, open_project, report_problems


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
        emit_json({"root": str(result.root), "store": str(result.store), "created": result.created})
        return
    if result.created:
        print(f"Initialized ctx store in {result.store}")
        print("Commit it with your code:  git add .contextfs && git commit -m 'Add ctx store'")
    else:
        print(f"ctx store already initialized in {result.store}")


def status(as_json: bool = JSON_OPT) -> None:
    """Where the store is, what it holds, what is not yet committed, index and model state."""
    from ctx.health.status import project_status

    project = open_project()
    st = project_status(project)
    if as_json:
        emit_json(st)
    else:
        c = st["counts"]
        print(f"project   {st['root']}")
        print(f"store     {st['store']} (format {st['format']}, replica {st['replica']})")
        print(f"branch    {st['branch'] or '(detached)'} at {(st['head'] or '-')[:10]}")
        print(
            f"contents  {c['memories']} memories ({c['private_memories']} private), "
            f"{c['sessions']} sessions, {c['open_sessions']} open"
        )
        idx = st["index"]
        print(f"index     {idx['state']}" + (f" ({idx['detail']})" if idx.get("detail") else ""))
        print(f"model     {st['model']['detail']}")
        unc = st["uncommitted"]
        if unc:
            print(f"not committed ({len(unc)}):")
            for p in unc[:10]:
                print(f"  {p}")
            if len(unc) > 10:
                print(f"  … and {len(unc) - 10} more")
            print("  commit them:  git add .contextfs && git commit -m 'ctx: update context'")
        else:
            print("committed  everything in .contextfs/ is committed")
        waiting = {a: n for a, n in (st.get("agents_not_stored") or {}).items() if n}
        if waiting:
            listed = ", ".join(f"{n} {a}" for a, n in waiting.items())
            print(f"agents    {listed} session(s) on this machine not in the store yet")
            print("  keep them (agents delete old transcripts):  ctx import --all-agents")
        if st.get("sync") and "error" not in st["sync"]:
            from ctx.sync.status import lines as sync_lines

            for line in sync_lines(st["sync"]):
                print(line)
    report_problems(project)


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
