"""What Claude Code's hooks run: `ctx hook claude-session-start|claude-session-end`.

Rules for code inside someone else's session: it must never slow the agent down and never
break it. So this module is the whole hot path and imports only the standard library (no
typer, no pygit2, no store): it finds the project by walking up to `.git`, and

- SessionStart prints the brief precomputed in `.contextfs/local/cache/brief.out`
  (`ctx/core/brief_cache.py`); a stale or missing cache is rebuilt in the background;
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

import _signal  # the C module: `signal` wraps it in enums, which cost start-up time
import os
import sys
import time

from ctx.core import brief_cache

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from typing import Any

#: Seconds each hook may take, from the moment ctx's code runs. Past it: nothing, exit 0.
BUDGETS = {
    "claude-session-start": 0.3,
    "claude-session-end": 0.3,
    "gemini-session-start": 0.3,
    "gemini-session-end": 0.3,
    "codex-session-start": 0.3,
    "codex-session-end": 0.3,
    "cursor-session-start": 0.3,
    "cursor-session-end": 0.3,
    "qwen-session-start": 0.3,
    "qwen-session-end": 0.3,
    "copilot-session-start": 0.3,
    "copilot-session-end": 0.3,
}
LOG_NAME = "hooks.log"
LOG_MAX_BYTES = 256 * 1024
STDIN_MAX = 1024 * 1024
EVENT_ARG_MAX = 100_000  # bytes of event JSON handed to the worker on its command line
DEFAULT_BUDGET = (
    4000  # characters of brief; the same default as ctx.integrations.brief.DEFAULT_BUDGET
)


class HookTimeout(BaseException):
    """The time budget ran out (a BaseException so no `except Exception` swallows it)."""


# -- the project, without pygit2 ---------------------------------------------------------


class Place:
    """Where the agent runs: the project root (main worktree), its worktree and git dir."""

    def __init__(self, root: str, worktree: str, gitdir: str) -> None:
        self.root = root
        self.worktree = worktree
        self.gitdir = gitdir

    @property
    def branch(self) -> str | None:
        """The checked-out branch, from the worktree's HEAD (None when detached)."""
        try:
            with open(os.path.join(self.gitdir, "HEAD"), "rb") as fh:
                head = fh.read(4096).decode("utf-8", "replace").strip()
        except OSError:
            return None
        prefix = "ref: refs/heads/"
        return head[len(prefix) :] if head.startswith(prefix) else None


def _read_small(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(65536).decode("utf-8", "replace").strip()
    except OSError:
        return None


def find_place(start: str | os.PathLike[str]) -> Place | None:
    """The ctx project containing ``start``, as `ctx.core.gitinfo` would find it (a linked worktree
    belongs to its main worktree's project), or None when there is no ctx store."""
    d = os.path.realpath(start)
    while True:
        dotgit = os.path.join(d, ".git")
        if os.path.isdir(dotgit):
            root, gitdir = d, dotgit
            break
        if os.path.isfile(dotgit):
            line = _read_small(dotgit) or ""
            if not line.startswith("gitdir:"):
                return None
            gitdir = os.path.realpath(os.path.join(d, line[len("gitdir:") :].strip()))
            root = d
            common = _read_small(os.path.join(gitdir, "commondir"))
            if common:
                common_dir = os.path.realpath(os.path.join(gitdir, common))
                if os.path.basename(common_dir) == ".git":
                    root = os.path.dirname(common_dir)
            break
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent
    if not os.path.isfile(os.path.join(root, ".contextfs", "config.toml")):
        return None
    return Place(root, d, gitdir)


# -- the log -------------------------------------------------------------------------------


def log_path(root: str | os.PathLike[str] | None) -> str:
    """The project's log; the user's when there is no project (or its store is gone: a
    background job must not recreate a deleted project's directories)."""
    if root is not None and os.path.isdir(os.path.join(os.fspath(root), ".contextfs")):
        return os.path.join(os.fspath(root), ".contextfs", "local", LOG_NAME)
    from ctx.core.paths import data_dir

    return os.path.join(data_dir(), LOG_NAME)


def log(root: str | os.PathLike[str] | None, hook: str, message: str) -> str | None:
    """Append one entry (continuation lines indented) to the hooks log; never raises.

    The log is bounded (one rotated copy, ``hooks.log.1``) and private to the user (0600):
    it may quote paths and error messages."""
    try:
        path = log_path(root)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            if os.stat(path).st_size > LOG_MAX_BYTES:
                os.replace(path, path + ".1")
        except FileNotFoundError:
            pass
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        body = "\n  ".join(message.rstrip().splitlines() or [""])
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)  # never through a planted symlink
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


def read_log(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The entries of one hooks log (rotated copy first), oldest first, terminal-safe text:
    ``{"time", "hook", "message", "detail": [continuation lines], "log": path}``."""
    entries: list[dict[str, Any]] = []
    for p in (os.fspath(path) + ".1", os.fspath(path)):
        try:
            with open(p, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
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


def read_event() -> bytes:
    """The hook's input as Claude Code sent it (empty for a terminal or nothing)."""
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        return b""
    try:
        return stdin.buffer.read(STDIN_MAX)
    except (OSError, ValueError):
        return b""


def event_field(raw: bytes, key: str) -> str | None:
    """One string field of the event JSON. The common case — the key once, no backslash
    anywhere — is read directly; anything else goes through the json module."""
    text = raw.decode("utf-8", "replace")
    needle = f'"{key}"'
    at = text.find(needle)
    if at >= 0 and "\\" not in text and text.find(needle, at + 1) < 0:
        rest = text[at + len(needle) :].lstrip()
        if rest.startswith(":"):
            rest = rest[1:].lstrip()
            if rest.startswith('"'):
                end = rest.find('"', 1)
                if end > 0:
                    return rest[1:end]
    import json

    try:
        data = json.loads(text or "{}")
    except ValueError:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _where(raw: bytes) -> str:
    return (
        event_field(raw, "cwd")
        or os.environ.get("CLAUDE_PROJECT_DIR")
        or os.environ.get("CURSOR_PROJECT_DIR")  # Cursor's events carry no cwd
        or os.getcwd()
    )


def session_start(place: Place, raw: bytes) -> bytes:
    """The SessionStart answer (empty: say nothing), from the cache only."""
    from ctx.integrations import auto_import_start as auto_import

    auto_import.start(place.root, "session start")  # a stat; opt-in, detached, rate-limited
    budget = brief_cache.budget_from_env(DEFAULT_BUDGET)
    key, out = brief_cache.read_raw(place.root)
    if key is None or out is None:
        brief_cache.refresh_in_background(place.root, place.worktree)
        log(place.root, "claude-session-start", "no brief cached yet: building it for next time")
        return b""
    token = brief_cache.clone_token(place.root)
    if not brief_cache.is_ours(key, token):
        brief_cache.refresh_in_background(place.root, place.worktree)
        log(place.root, "claude-session-start", "the cached brief was not built here: not printed")
        return b""
    if not brief_cache.is_fresh(place.root, key, place.branch, budget, token):
        brief_cache.refresh_in_background(place.root, place.worktree)
    if out and not brief_cache.well_formed(out):
        log(place.root, "claude-session-start", "the cached brief is not ctx's: not printed")
        brief_cache.refresh_in_background(place.root, place.worktree)
        return b""
    return out


def session_end(place: Place, raw: bytes, name: str = "claude-session-end") -> bytes:
    """Start the import in a detached worker; the agent's exit is not held up by it."""
    if len(raw) > EVENT_ARG_MAX:
        log(place.root, name, f"event of {len(raw)} bytes: too large, ignored")
        return b""
    event = raw.decode("utf-8", "replace")
    args = [name, event, place.worktree]
    worker = "ctx.integrations.hook_worker"
    after = _agent_pid() if name.startswith("claude") else None
    if not brief_cache.spawn_detached(worker, args, after_pid=after):
        log(place.root, name, "could not start the import worker")
    return b""


def gemini_session_end(place: Place, raw: bytes) -> bytes:
    return session_end(place, raw, "gemini-session-end")


def codex_session_end(place: Place, raw: bytes) -> bytes:
    return session_end(place, raw, "codex-session-end")


def cursor_session_start(place: Place, raw: bytes) -> bytes:
    """Cursor reads a top-level ``additional_context`` from a sessionStart hook."""
    out = session_start(place, raw)  # checked by brief_cache.well_formed: one JSON string
    if not out:
        return b""
    brief = out[len(brief_cache.ANSWER_PREFIX) : -len(brief_cache.ANSWER_SUFFIX)]
    return b'{"additional_context": "' + brief + b'"}\n'


def cursor_session_end(place: Place, raw: bytes) -> bytes:
    return session_end(place, raw, "cursor-session-end")


def qwen_session_end(place: Place, raw: bytes) -> bytes:
    return session_end(place, raw, "qwen-session-end")


def copilot_session_start(place: Place, raw: bytes) -> bytes:
    """Copilot CLI reads a top-level ``additionalContext`` from a sessionStart hook."""
    out = session_start(place, raw)  # checked by brief_cache.well_formed: one JSON string
    if not out:
        return b""
    brief = out[len(brief_cache.ANSWER_PREFIX) : -len(brief_cache.ANSWER_SUFFIX)]
    return b'{"additionalContext": "' + brief + b'"}\n'


def copilot_session_end(place: Place, raw: bytes) -> bytes:
    return session_end(place, raw, "copilot-session-end")


def _agent_pid() -> int | None:
    """The Claude Code process that runs this hook (the nearest ancestor, up to three levels,
    whose command line names claude; Claude Code runs hooks through `sh -c`), so the import
    starts only once it has exited. None when not run by Claude Code."""
    if not os.environ.get("CLAUDE_PROJECT_DIR"):
        return None
    pid = os.getppid()
    for _ in range(3):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read(4096)
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read(4096).decode("ascii", "replace")
        except OSError:
            return None
        if b"claude" in cmdline.lower():
            return pid
        try:
            pid = int(stat.rsplit(")", 1)[1].split()[1])  # after "(comm)": state, ppid
        except (ValueError, IndexError):
            return None
        if pid <= 1:
            return None
    return None


HOOKS = {
    "claude-session-start": session_start,
    "claude-session-end": session_end,
    "gemini-session-start": session_start,  # Gemini CLI takes the same JSON answer
    "gemini-session-end": gemini_session_end,
    "codex-session-start": session_start,  # Codex CLI takes the same JSON answer
    "codex-session-end": codex_session_end,
    "cursor-session-start": cursor_session_start,
    "cursor-session-end": cursor_session_end,
    "qwen-session-start": session_start,  # Qwen Code takes the same JSON answer
    "qwen-session-end": qwen_session_end,
    "copilot-session-start": copilot_session_start,
    "copilot-session-end": copilot_session_end,
}


def _on_alarm(signum: int, frame: Any) -> None:
    raise HookTimeout


def run(name: str) -> int:
    """Run hook ``name`` within its budget; always returns 0 (fail open)."""
    body = HOOKS.get(name)
    if body is None:
        return 0
    budget = BUDGETS[name]
    started = time.monotonic()
    root: str | None = None
    out = b""
    try:
        _signal.signal(_signal.SIGALRM, _on_alarm)
        _signal.setitimer(_signal.ITIMER_REAL, budget)
        try:
            raw = read_event()
            place = find_place(_where(raw))
            if place is not None:
                root = place.root
                out = body(place, raw)
        finally:
            _signal.setitimer(_signal.ITIMER_REAL, 0)
    except HookTimeout:
        out = b""
        log(root, name, f"gave up after {budget * 1000:.0f} ms (its time budget); said nothing")
    except Exception as exc:
        import traceback

        out = b""
        took = (time.monotonic() - started) * 1000
        log(
            root,
            name,
            f"failed after {took:.0f} ms, said nothing: {type(exc).__name__}: {exc}\n"
            + traceback.format_exc(),
        )
    if out:
        try:
            sys.stdout.buffer.write(out)
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
    return 0
