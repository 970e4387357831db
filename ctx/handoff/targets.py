"""Writers of the agents' own session files, as the real CLIs write them today.

Claude Code (checked against 2.1.330): `~/.claude/projects/<encoded cwd>/<uuid>.jsonl`, one JSON
record per line, `user` / `assistant` records chained by `parentUuid`, plus a `summary` record
that names the session in `claude --resume`'s picker.
Codex CLI (rollout format of codex-rs, as tests/adapters/fixtures/codex holds it):
`~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl`, `{"timestamp", "type", "payload"}`
lines: `session_meta` first, then `response_item` messages and the matching `event_msg` lines.
Gemini CLI (checked against 0.61.0): `~/.gemini/tmp/<project slug>/chats/session-<time>-<id8>
.jsonl`, a metadata line then one record per message (`user` / `gemini`); `gemini --resume
<uuid>` finds it among this project's chats by the session id inside.
Qwen Code (checked against 0.24.4): `~/.qwen/projects/<encoded cwd>/chats/<uuid>.jsonl`, records
chained by `parentUuid` with Gemini-style `message.parts`; `qwen --resume <uuid>`.
OpenCode: through its own `opencode import` (ctx/handoff/opencode_target.py); Copilot CLI:
ctx/handoff/copilot_target.py.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ctx.capture.adapters import RESUME_MARKER
from ctx.core.timeutil import now_iso
from ctx.handoff.built import Built, Rebuild, _write, target


@target
def build_claude(r: Rebuild) -> Built:
    from ctx.capture.adapters.claude import claude_projects_dir, encode_project_dir

    sid = r.sid
    records: list[dict[str, Any]] = []
    parent: str | None = None
    for n, m in enumerate(r.messages):
        rid = r.turn_id(n)
        rec: dict[str, Any] = {
            "parentUuid": parent,
            "isSidechain": False,
            "userType": "external",
            "cwd": str(r.cwd),
            "sessionId": sid,
            "gitBranch": r.branch or "",
            "type": m.role,
            "uuid": rid,
            "timestamp": m.ts or now_iso(),
            RESUME_MARKER: r.ctx_session,
        }
        if m.role == "user":
            rec["message"] = {"role": "user", "content": m.text}
        else:
            rec["message"] = {
                "id": f"msg_ctx_{rid.replace('-', '')[:24]}",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": m.text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }
        records.append(rec)
        parent = rid
    if r.title:
        records.append(
            {
                "type": "summary",
                "summary": r.title,
                "leafUuid": parent,
                RESUME_MARKER: r.ctx_session,
            }
        )
    path = claude_projects_dir(r.home) / encode_project_dir(r.cwd) / f"{sid}.jsonl"
    _write(path, records)
    return Built("claude", sid, path, ["claude", "--resume", sid])


# ---- Codex CLI --------------------------------------------------------------------------------
@target
def build_codex(r: Rebuild) -> Built:
    from ctx.capture.adapters.codex import codex_home

    sid = r.sid
    start = r.start
    when = _parse(start)
    meta: dict[str, Any] = {
        "id": sid,
        "timestamp": start,
        "cwd": str(r.cwd),
        "originator": "ctx_resume",
        "cli_version": "",
        "source": "cli",
        # Codex refuses to resume a thread under another provider than the configured one
        "model_provider": _codex_provider(codex_home(r.home)),
    }
    if r.branch:
        meta["git"] = {"branch": r.branch}
    records: list[dict[str, Any]] = [_env(start, "session_meta", meta, r.ctx_session)]
    for m in r.messages:
        ts = m.ts or start
        kind = "input_text" if m.role == "user" else "output_text"
        item = {"type": "message", "role": m.role, "content": [{"type": kind, "text": m.text}]}
        records.append(_env(ts, "response_item", item, r.ctx_session))
        event = (
            {"type": "user_message", "message": m.text, "images": []}
            if m.role == "user"
            else {"type": "agent_message", "message": m.text}
        )
        records.append(_env(ts, "event_msg", event, r.ctx_session))
    if r.title:
        name = {"type": "thread_name_updated", "thread_id": sid, "thread_name": r.title}
        records.append(_env(start, "event_msg", name, r.ctx_session))
    root = codex_home(r.home) / "sessions"
    existing = sorted(root.glob(f"*/*/*/rollout-*-{sid}.jsonl")) if root.is_dir() else []
    if existing:  # rebuilt before (perhaps continued since): keep it
        return Built("codex", sid, existing[0], ["codex", "resume", sid])
    day = root / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}"
    path = day / f"rollout-{when:%Y-%m-%dT%H-%M-%S}-{sid}.jsonl"
    _write(path, records)
    return Built("codex", sid, path, ["codex", "resume", sid])


# ---- Gemini CLI -------------------------------------------------------------------------------
@target
def build_gemini(r: Rebuild) -> Built:
    from ctx.capture.adapters.gemini import ensure_project_dir, project_hash

    sid = r.sid
    chats = ensure_project_dir(r.cwd, r.home) / "chats"
    existing = sorted(chats.glob(f"session-*-{sid[:8]}.jsonl")) if chats.is_dir() else []
    command = ["gemini", "--resume", sid]
    if existing:  # rebuilt before (perhaps continued since): keep it
        return Built("gemini", sid, existing[0], command)
    start = r.start
    head: dict[str, Any] = {
        "sessionId": sid,
        "projectHash": project_hash(r.cwd),
        "startTime": start,
        "lastUpdated": (r.messages[-1].ts or start) if r.messages else start,
        "kind": "main",
    }
    if r.title:
        head["summary"] = r.title
    records: list[dict[str, Any]] = [head]
    for n, m in enumerate(r.messages):
        rec: dict[str, Any] = {
            "id": r.turn_id(n),
            "timestamp": m.ts or start,
            "type": "user" if m.role == "user" else "gemini",
            "content": [{"text": m.text}] if m.role == "user" else m.text,
            RESUME_MARKER: r.ctx_session,
        }
        records.append(rec)
    when = datetime.now(timezone.utc)
    path = chats / f"session-{when:%Y-%m-%dT%H-%M}-{sid[:8]}.jsonl"
    _write(path, records)
    return Built("gemini", sid, path, command)


# ---- Qwen Code --------------------------------------------------------------------------------
@target
def build_qwen(r: Rebuild) -> Built:
    from ctx.capture.adapters.qwen import encode_project_dir, qwen_home

    sid = r.sid
    records: list[dict[str, Any]] = []
    parent: str | None = None
    start = r.start
    for n, m in enumerate(r.messages):
        rid = r.turn_id(n)
        rec: dict[str, Any] = {
            "uuid": rid,
            "parentUuid": parent,
            "sessionId": sid,
            "timestamp": m.ts or start,
            "type": m.role,
            "cwd": str(r.cwd),
            "version": "",
            "message": {
                "role": "user" if m.role == "user" else "model",
                "parts": [{"text": m.text}],
            },
            RESUME_MARKER: r.ctx_session,
        }
        if r.branch:
            rec["gitBranch"] = r.branch
        records.append(rec)
        parent = rid
    if r.title:
        records.append(
            {
                "uuid": r.turn_id("title"),
                "parentUuid": parent,
                "sessionId": sid,
                "timestamp": start,
                "type": "system",
                "subtype": "custom_title",
                "cwd": str(r.cwd),
                "systemPayload": {"customTitle": r.title, "titleSource": "manual"},
                RESUME_MARKER: r.ctx_session,
            }
        )
    path = qwen_home(r.home) / "projects" / encode_project_dir(r.cwd) / "chats" / f"{sid}.jsonl"
    _write(path, records)
    return Built("qwen", sid, path, ["qwen", "--resume", sid])


def _codex_provider(codex_dir: Path) -> str:
    """The `model_provider` of the user's Codex config (Codex's own default: openai)."""
    from ctx.core.config import read_toml

    try:
        value = read_toml(codex_dir / "config.toml").get("model_provider")
    except Exception:  # an unreadable config: Codex itself will say what is wrong
        value = None
    return value if isinstance(value, str) and value else "openai"


def _env(ts: str, kind: str, payload: dict[str, Any], ctx_session: str) -> dict[str, Any]:
    return {"timestamp": ts, "type": kind, "payload": payload, RESUME_MARKER: ctx_session}


def _parse(ts: str) -> datetime:
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return datetime.now(timezone.utc)


def build_opencode(*args: Any, **kwargs: Any) -> Built:
    from ctx.handoff.opencode_target import build_opencode as build

    built: Built = build(*args, **kwargs)
    return built


def build_copilot(*args: Any, **kwargs: Any) -> Built:
    from ctx.handoff.copilot_target import build_copilot as build

    built: Built = build(*args, **kwargs)
    return built


BUILDERS = {
    "claude": build_claude,
    "codex": build_codex,
    "gemini": build_gemini,
    "qwen": build_qwen,
    "opencode": build_opencode,
    "copilot": build_copilot,
}
