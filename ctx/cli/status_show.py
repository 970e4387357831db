"""`ctx status` as printed: shared by the typer command (ctx.cli.cmd_project) and the fast
path that runs it without typer (ctx.cli.fast_status), so both print the same bytes."""

from __future__ import annotations

from typing import Any

from ctx.cli.common import emit_json, open_project, report_problems


def show_status(as_json: bool) -> None:
    from ctx.health.status import project_status

    project = open_project()
    st = project_status(project)
    if as_json:
        emit_json(st)
    else:
        for line in status_lines(st):
            print(line)
    report_problems(project)


def status_lines(st: dict[str, Any]) -> list[str]:
    c = st["counts"]
    out = [
        f"project   {st['root']}",
        f"store     {st['store']} (format {st['format']}, replica {st['replica']})",
        f"branch    {st['branch'] or '(detached)'} at {(st['head'] or '-')[:10]}",
        f"contents  {c['memories']} memories ({c['private_memories']} private), "
        f"{c['sessions']} sessions, {c['open_sessions']} open",
    ]
    idx = st["index"]
    out.append(f"index     {idx['state']}" + (f" ({idx['detail']})" if idx.get("detail") else ""))
    out.append(f"model     {st['model']['detail']}")
    unc = st["uncommitted"]
    if unc:
        out.append(f"not committed ({len(unc)}):")
        out += [f"  {p}" for p in unc[:10]]
        if len(unc) > 10:
            out.append(f"  … and {len(unc) - 10} more")
        out.append("  commit them:  git add .contextfs && git commit -m 'ctx: update context'")
    else:
        out.append("committed  everything in .contextfs/ is committed")
    waiting = {a: n for a, n in (st.get("agents_not_stored") or {}).items() if n}
    if waiting:
        listed = ", ".join(f"{n} {a}" for a, n in waiting.items())
        out.append(f"agents    {listed} session(s) on this machine not in the store yet")
        out.append("  keep them (agents delete old transcripts):  ctx import --all-agents")
    if st.get("sync") and "error" not in st["sync"]:
        from ctx.sync.status import lines as sync_lines

        out += list(sync_lines(st["sync"]))
    return out
