"""The OpenCode resume target: the rebuilt session goes in through OpenCode's own importer.

OpenCode (checked against 1.18.33) keeps sessions in one SQLite database whose schema it
migrates itself, so ctx never writes it: it hands `opencode import <file>` the same JSON that
`opencode export <id>` prints (``{"info": session, "messages": [{"info", "parts"}]}``), run
in the project directory (the importer files the session under the directory it runs in).
OpenCode drops keys its schema does not know, except a text part's free-form ``metadata``:
the marker lives there, as ``{"ctxResumedFrom": {"session": id}}``. Ids follow OpenCode's
own shape (``msg_`` + 12 hex of time × 4096 + counter, ascending; ``ses_`` descending), so
the earlier turns sort before the continuation. The rebuilt user messages name the model
OpenCode continues with (it takes the last user message's): the user's own default, found
as OpenCode finds it (``model`` of the project's or the user's config, else the last model
used), or a placeholder that `opencode run` refuses until the user picks a model
(``--model``; the TUI asks).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from ctx.capture.adapters import RESUME_MARKER
from ctx.core.errors import CtxError
from ctx.handoff.built import Built, Rebuild, target
from ctx.handoff.conversation import Message

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MASK48 = (1 << 48) - 1
#: The model named when the user's default cannot be found.
PLACEHOLDER_MODEL = {"providerID": "ctx-resume", "modelID": "earlier-conversation"}
_CONFIG_NAMES = ("config.json", "opencode.json", "opencode.jsonc")
_IMPORT_TIMEOUT_S = 120


def opencode_id(prefix: str, ms: int, counter: int, seed: str, *, descending: bool = False) -> str:
    """An id shaped like OpenCode's (``Identifier.create``): 6 bytes of time, 14 base62."""
    n = ms * 0x1000 + counter
    n = (~n if descending else n) & _MASK48
    digest = hashlib.sha256(seed.encode()).digest()
    return f"{prefix}_{n:012x}" + "".join(_B62[b % 62] for b in digest[:14])


def _times(messages: list[Message]) -> list[int]:
    """Epoch ms per message: the recorded times, strictly increasing and in the past."""
    from ctx.core.timeutil import parse_iso

    now = int(time.time() * 1000)
    out: list[int] = []
    for n, m in enumerate(messages):
        ms: int | None = None
        if m.ts:
            try:
                ms = int(parse_iso(m.ts).timestamp() * 1000)
            except ValueError:
                ms = None
        cap = now - 1000 - (len(messages) - n)  # a clock ahead of ours is pulled back
        ms = min(ms if ms is not None else cap, cap)
        out.append(max(ms, out[-1] + 1) if out else ms)
    return out


def _jsonc(path: Path) -> dict[str, Any]:
    """A JSON-with-comments file (comments, trailing commas) as a dict; {} when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':  # a string, escapes included, copied as it is
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c == "," and text[i + 1 :].lstrip()[:1] in ("}", "]"):
            i += 1  # a trailing comma
        else:
            out.append(c)
            i += 1
    try:
        value = json.loads("".join(out))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _split_model(value: Any) -> dict[str, str] | None:
    if isinstance(value, str) and "/" in value.strip("/"):
        provider, model = value.split("/", 1)
        return {"providerID": provider, "modelID": model}
    return None


def default_model(cwd: Path, home: Path | None = None) -> dict[str, str] | None:
    """The model OpenCode would start a new session with, as far as files say: ``model`` of
    $OPENCODE_CONFIG, the project's opencode.json(c) or the user's config, else the first
    of the recently used models (OpenCode's own order)."""
    env = os.environ
    if home is not None:
        config_home, state_home = Path(home) / ".config", Path(home) / ".local" / "state"
    else:
        config_home = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        state_home = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    files = [Path(env["OPENCODE_CONFIG"])] if env.get("OPENCODE_CONFIG") else []
    files += [cwd / name for name in ("opencode.jsonc", "opencode.json")]
    files += [config_home / "opencode" / name for name in reversed(_CONFIG_NAMES)]
    for path in files:
        found = _split_model(_jsonc(path).get("model"))
        if found:
            return found
    recent = _jsonc(state_home / "opencode" / "model.json").get("recent")
    for item in recent if isinstance(recent, list) else []:
        if isinstance(item, dict):
            p, m = item.get("providerID"), item.get("modelID")
            if isinstance(p, str) and isinstance(m, str) and p and m:
                return {"providerID": p, "modelID": m}
    return None


def export_document(
    sid: str,
    ctx_session: str,
    title: str,
    messages: list[Message],
    cwd: Path,
    model: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The `opencode export` shape of the rebuilt session (OpenCode's id: ``sid``)."""
    model = model or dict(PLACEHOLDER_MODEL)
    times = _times(messages)
    # ids from the clock of now, not of the turns: OpenCode's ids keep 48 bits of ms × 4096
    # (they wrap every ~2 years), and the continuation's ids must sort after these
    id_base = int(time.time() * 1000) - 60_000 - len(messages)
    out: list[dict[str, Any]] = []
    parent: str | None = None
    for n, (m, ms) in enumerate(zip(messages, times, strict=True)):
        mid = opencode_id("msg", id_base + n, 1, f"{sid}/{n}")
        info: dict[str, Any] = {"id": mid, "sessionID": sid, "role": m.role, "agent": "build"}
        if m.role == "user":
            info.update(time={"created": ms}, model=dict(model))
        else:
            info.update(
                time={"created": ms, "completed": ms},
                parentID=parent or mid,
                mode="build",
                path={"cwd": str(cwd), "root": str(cwd)},
                cost=0,
                tokens={"input": 0, "output": 0, "reasoning": 0, "cache": {"read": 0, "write": 0}},
                finish="stop",
                **model,
            )
        part = {
            "id": opencode_id("prt", id_base + n, 1, f"{sid}/{n}/text"),
            "sessionID": sid,
            "messageID": mid,
            "type": "text",
            "text": m.text,
            # OpenCode hands a text part's metadata to the AI SDK as provider metadata, which
            # takes objects only: {"<provider>": {...}}; a key no provider owns is ignored
            "metadata": {RESUME_MARKER: {"session": ctx_session}},
        }
        out.append({"info": info, "parts": [part]})
        if m.role == "user":
            parent = mid
    start = times[0] if times else int(time.time() * 1000)
    session = {
        "id": sid,
        "slug": "ctx-resume",
        "projectID": "global",  # the importer sets the project and directory it runs in
        "directory": str(cwd),
        "title": title or f"Resumed {ctx_session}",
        "version": "",
        "time": {"created": start, "updated": times[-1] if times else start},
    }
    return {"info": session, "messages": out}


def session_id_for(rebuilt: str, messages: list[Message]) -> str:
    """OpenCode's id for the rebuilt session: stable for the same content (see rebuilt_id)."""
    times = _times(messages)
    return opencode_id("ses", times[0] if times else 0, 1, rebuilt, descending=True)


def _known(sid: str, data_dir: Path) -> bool:
    from ctx.capture.adapters.opencode import find_sessions

    try:
        return any(s.id == sid for s in find_sessions(data_dir=data_dir, include_subagents=True))
    except Exception:  # an unreadable database: let OpenCode's importer say what is wrong
        return False


def import_session(doc: dict[str, Any], cwd: Path, home: Path | None = None) -> None:
    """Run `opencode import` on ``doc`` in ``cwd`` (OpenCode takes its directory from $PWD)."""
    exe = shutil.which("opencode")
    if exe is None:
        raise CtxError(
            "cannot rebuild the session for OpenCode: `opencode` is not on PATH",
            "install OpenCode (it imports the rebuilt session itself), or pick another --agent",
            code="agent_missing",
        )
    env = dict(os.environ, PWD=str(cwd))
    if home is not None:
        env.update(HOME=str(home), XDG_DATA_HOME=str(Path(home) / ".local" / "share"))
    fd, tmp = tempfile.mkstemp(prefix="ctx-resume-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False)
        try:
            proc = subprocess.run(
                [exe, "import", "--pure", tmp],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=_IMPORT_TIMEOUT_S,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CtxError(f"`opencode import` did not run ({exc})", code="agent_failed") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    if proc.returncode != 0 or "Imported session" not in proc.stdout:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise CtxError(
            f"`opencode import` refused the rebuilt session (exit {proc.returncode}): "
            + (detail[-1][:300] if detail else "no output"),
            "check `opencode --version`; ctx writes the export format of OpenCode 1.18",
            code="agent_failed",
        )


@target
def build_opencode(r: Rebuild) -> Built:
    from ctx.capture.adapters.opencode import DB_NAME, opencode_data_dir

    sid = session_id_for(r.sid, r.messages)
    note: str | None = None
    data_dir = opencode_data_dir(r.home)
    if not _known(sid, data_dir):  # imported before (perhaps continued since): keep it
        model = default_model(r.cwd, r.home)
        doc = export_document(sid, r.ctx_session, r.title, r.messages, r.cwd, model)
        import_session(doc, r.cwd, r.home)
        if model is None:
            note = (
                "OpenCode's default model is in no config file: pick one in the TUI, or pass "
                "`--model PROVIDER/MODEL` to `opencode run`"
            )
    return Built("opencode", sid, data_dir / DB_NAME, ["opencode", "--session", sid], note)
