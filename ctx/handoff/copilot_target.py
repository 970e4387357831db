"""The GitHub Copilot CLI resume target (checked against 1.0.102).

The CLI keeps each session as ``~/.copilot/session-state/<uuid>/events.jsonl`` with a
``workspace.yaml`` beside it; `copilot --resume=<uuid>` replays the ``user.message`` /
``assistant.message`` events of that log into the model's context (checked: the first request
after the resume carries them) and appends its own events below, leaving earlier lines as
they are — so the marker rides on each rebuilt event, top level, as in the other targets.
"""

from __future__ import annotations

import json
from typing import Any

from ctx.capture.adapters import RESUME_MARKER
from ctx.handoff.built import Built, Rebuild, _write, target, write_private


def _yaml(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value, ensure_ascii=False)


@target
def build_copilot(r: Rebuild) -> Built:
    from ctx.capture.adapters.copilot import copilot_home

    sid, messages, cwd, branch = r.sid, r.messages, r.cwd, r.branch
    folder = copilot_home(r.home) / "session-state" / sid
    path = folder / "events.jsonl"
    command = ["copilot", f"--resume={sid}"]
    if path.exists():  # rebuilt before (perhaps continued since): keep it
        return Built("copilot", sid, path, command)
    start = r.start
    context: dict[str, Any] = {"cwd": str(cwd)}
    if branch:
        context["branch"] = branch
    records: list[dict[str, Any]] = []
    parent: str | None = None

    def add(kind: str, data: dict[str, Any], ts: str) -> None:
        nonlocal parent
        eid = r.turn_id(len(records))
        rec = {"type": kind, "data": data, "id": eid, "timestamp": ts, "parentId": parent}
        records.append({**rec, RESUME_MARKER: r.ctx_session})
        parent = eid

    add(
        "session.start",
        {
            "sessionId": sid,
            "version": 1,
            "producer": "ctx-resume",
            "copilotVersion": "0.0.0",  # required; no release of the CLI wrote these lines
            "startTime": start,
            "context": context,
        },
        start,
    )
    for n, m in enumerate(messages):
        ts = m.ts or start
        if m.role == "user":
            add("user.message", {"content": m.text}, ts)
        else:
            mid = r.turn_id(f"message/{n}")
            add("assistant.message", {"messageId": mid, "content": m.text, "toolRequests": []}, ts)
    end = messages[-1].ts if messages and messages[-1].ts else start
    lines = [f"id: {sid}", f"cwd: {_yaml(str(cwd))}"]
    if branch:
        lines.append(f"branch: {_yaml(branch)}")
    if r.title:
        lines += [f"name: {_yaml(r.title)}", "user_named: true"]
    lines += [f"created_at: {start}", f"updated_at: {end}"]
    folder.mkdir(parents=True, exist_ok=True)
    yaml = folder / "workspace.yaml"
    if not yaml.exists():
        write_private(yaml, "\n".join(lines) + "\n", exclusive=True)
    _write(path, records)
    return Built("copilot", sid, path, command)
