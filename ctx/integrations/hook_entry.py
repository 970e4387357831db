"""What Claude Code's hooks run: `ctx hook claude-session-start|claude-session-end`.

Rules for code inside someone else's session: it must never slow the agent down and never
break it. So this module is the whole hot path and imports only the standard library (no
typer, no pygit2, no store): it finds the project by walking up to `.git`, and

- SessionStart prints the brief precomputed in `.contextfs/local/cache/brief.json`
  (`ctx/brief_cache.py`); a stale or missing cache is rebuilt in the background;
- SessionEnd hands the event to a detached worker (`ctx/integrations/hook_worker.py`) that
  imports the transcript after Claude Code has gone, and returns at once.

Each hook has a hard time budget (:data:`BUDGETS`, a timer signal). On any error or timeout it
fails open — prints nothing, exits 0 — and says what happened in the hooks log
(`.contextfs/local/hooks.log`, or the user's data directory when no project was found), which
`ctx hooks log` shows. Claude Code passes the event as JSON on stdin (`session_id`,
`transcript_path`, `cwd`, `hook_event_name`, ...); the SessionStart answer is JSON on stdout:
`{"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "..."}}`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from ctx import brief_cache

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from typing import Any

#: Seconds each hook may take, from the moment ctx's code runs. Past it: nothing, exit 0.
BUDGETS = {"claude-session-start": 0.3, "claude-session-end": 0.3}
#: The event fields the SessionEnd worker is given (the rest is not needed).
EVENT_KEYS = ("session_id", "transcript_path", "cwd", "hook_event_name", "reason", "source")
LOG_NAME = "hooks.log"
LOG_MAX_BYTES = 256 * 1024
STDIN_MAX = 1024 * 1024
DEFAULT_BUDGET = 4000  # characters of brief; the same default as ctx.brief.DEFAULT_BUDGET


class HookTimeout(BaseException):
    """The time budget ran out (a BaseException so no `except Exception` swallows it)."""


# -- the project, without pygit2 ---------------------------------------------------------


class Place:
    """Where the agent runs: the project root (main worktree), its worktree and git dir."""

    def __init__(self, root: Path, worktree: Path, gitdir: Path) -> None:
        self.root = root
        self.worktree = worktree
        self.gitdir = gitdir

    @property
    def branch(self) -> str | None:
        """The checked-out branch, from the worktree's HEAD (None when detached)."""
        try:
            head = (self.gitdir / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        prefix = "ref: refs/heads/"
        return head[len(prefix) :] if head.startswith(prefix) else None


def find_place(start: str | os.PathLike[str]) -> Place | None:
    """The ctx project containing ``start``, as `ctx.gitinfo` would find it (a linked worktree
    belongs to its main worktree's project), or None when there is no ctx store."""
    here = Path(os.path.realpath(start))
    for d in (here, *here.parents):
        dotgit = d / ".git"
        if dotgit.is_dir():
            root, gitdir = d, dotgit
            break
        if dotgit.is_file():
            try:
                line = dotgit.read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                return None
            if not line.startswith("gitdir:"):
                return None
            gitdir = Path(os.path.realpath(d / line[len("gitdir:") :].strip()))
            root = d
            try:
                common = (gitdir / "commondir").read_text(encoding="utf-8").strip()
                common_dir = Path(os.path.realpath(gitdir / common))
                if common_dir.name == ".git":
                    root = common_dir.parent
            except OSError:
                pass
            break
    else:
        return None
    if not (root / ".contextfs" / "config.toml").is_file():
        return None
    return Place(root, d, gitdir)


# -- the log -------------------------------------------------------------------------------


def log_path(root: Path | None) -> Path:
    if root is not None:
        return root / ".contextfs" / "local" / LOG_NAME
    from ctx.paths import data_dir

    return data_dir() / LOG_NAME


def log(root: Path | None, hook: str, message: str) -> Path | None:
    """Append one entry (continuation lines indented) to the hooks log; never raises.

    The log is bounded (one rotated copy, ``hooks.log.1``) and private to the user (0600):
    it may quote paths and error messages."""
    try:
        path = log_path(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if path.stat().st_size > LOG_MAX_BYTES:
                os.replace(path, path.with_name(LOG_NAME + ".1"))
        except FileNotFoundError:
            pass
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        body = "\n  ".join(message.rstrip().splitlines() or [""])
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, f"{stamp} {hook}: {body}\n".encode("utf-8", errors="replace"))
        finally:
            os.close(fd)
    except Exception:
        return None
    return path


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def read_log(path: Path) -> list[dict[str, Any]]:
    """The entries of one hooks log (rotated copy first), oldest first, terminal-safe text:
    ``{"time", "hook", "message", "detail": [continuation lines], "log": path}``."""
    entries: list[dict[str, Any]] = []
    for p in (path.with_name(path.name + ".1"), path):
        try:
            text = p.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("  ") and entries:
                entries[-1]["detail"].append(_printable(line.strip()))
                continue
            stamp, _, rest = line.partition(" ")
            hook, _, message = rest.partition(": ")
            entries.append(
                {
                    "time": _printable(stamp),
                    "hook": _printable(hook),
                    "message": _printable(message),
                    "detail": [],
                    "log": str(p),
                }
            )
    return entries


# -- the hooks -----------------------------------------------------------------------------


def read_event() -> dict[str, Any]:
    """The hook's JSON input, or {} when there is none (a terminal, garbage, nothing)."""
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        return {}
    try:
        raw = stdin.buffer.read(STDIN_MAX)
        data = json.loads(raw.decode("utf-8", errors="replace") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _where(event: dict[str, Any]) -> str:
    cwd = event.get("cwd")
    if isinstance(cwd, str) and cwd:
        return cwd
    return os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()


def session_start(place: Place, event: dict[str, Any]) -> str:
    """The SessionStart answer (empty: say nothing), from the cache only."""
    budget = brief_cache.budget_from_env(DEFAULT_BUDGET)
    data = brief_cache.read_cache(place.root)
    if data is None:
        brief_cache.refresh_in_background(place.root, place.worktree)
        log(place.root, "claude-session-start", "no brief cached yet: building it for next time")
        return ""
    if not brief_cache.is_fresh(place.root, data, place.branch, budget):
        brief_cache.refresh_in_background(place.root, place.worktree)
    text = str(data.get("text") or "")
    if not text:
        return ""
    out = {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}}
    return json.dumps(out, ensure_ascii=False) + "\n"


def session_end(place: Place, event: dict[str, Any]) -> str:
    """Start the import in a detached worker; Claude Code's exit is not held up by it."""
    payload = {k: event[k] for k in EVENT_KEYS if isinstance(event.get(k), str)}
    payload.setdefault("cwd", str(place.worktree))
    args = ["-m", "ctx.integrations.hook_worker", "claude-session-end", json.dumps(payload)]
    if not brief_cache.spawn_detached(args, cwd=place.root):
        log(place.root, "claude-session-end", "could not start the import worker")
    return ""


HOOKS = {"claude-session-start": session_start, "claude-session-end": session_end}


def _on_alarm(signum: int, frame: Any) -> None:
    raise HookTimeout


def run(name: str) -> int:
    """Run hook ``name`` within its budget; always returns 0 (fail open)."""
    body = HOOKS.get(name)
    if body is None:
        return 0
    budget = BUDGETS[name]
    started = time.monotonic()
    root: Path | None = None
    out = ""
    try:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            event = read_event()
            place = find_place(_where(event))
            if place is not None:
                root = place.root
                out = body(place, event)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except HookTimeout:
        out = ""
        log(root, name, f"gave up after {budget * 1000:.0f} ms (its time budget); said nothing")
    except Exception as exc:
        import traceback

        out = ""
        took = (time.monotonic() - started) * 1000
        log(
            root,
            name,
            f"failed after {took:.0f} ms, said nothing: {type(exc).__name__}: {exc}\n"
            + traceback.format_exc(),
        )
    if out:
        try:
            sys.stdout.write(out)
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
    return 0
