"""`ctx import --all-agents` in the background, after an agent's SessionStart hook or a git
merge, when the project or user config says ``import.all_agents = true``.

Why: agents delete old transcripts, and nobody remembers to import them. The hooks already
run at the right moments, but they must never wait: :func:`start` costs the hook one
``stat`` (and, at most once per :data:`INTERVAL_S`, a stamp write and a detached spawn), and
the setting itself is read by the detached :func:`main`, which takes a lock so two imports
never run at once, has a time budget, and reports to the hooks log (`ctx hooks log`). Every
failure is logged and swallowed: the agent and git never see it.

Consent: the project's config comes with every pull, so a teammate's commit can turn the
setting on for everyone. What it imports then is private (kept on this machine, searchable by
its user); it is shared like any session only when the user's own config says
``all_agents = true`` too. Nobody's conversations are published by somebody else's commit.

The hook's hot path (:func:`start`) is in ``auto_import_start``: standard library only, and
not importing the hook runtime that this worker logs through.
"""

from __future__ import annotations

import os
import sys
import time

from ctx.integrations.auto_import_start import INTERVAL_S, STAMP, due, start
from ctx.integrations.auto_import_start import local_dir as _local

__all__ = ["INTERVAL_S", "STAMP", "due", "enabled", "main", "run_import", "start"]
BUDGET_S = 600
LOCK = "auto-import.lock"
LOG_NAME = "auto-import"


def enabled(config: object) -> bool:
    get = getattr(config, "get", None)
    return bool(get("import", "all_agents", False)) if get else False


def _on_alarm(signum: int, frame: object) -> None:
    from ctx.integrations.hook_entry import HookTimeout

    raise HookTimeout


def run_import(root: str, trigger: str) -> str | None:
    """Import every agent's history into ``root``'s store if the setting is on; what to log."""
    from ctx.capture.agent_history import import_all
    from ctx.core.models import ImportSummary
    from ctx.store.project import Project

    project = Project.open(root, require_store=False)
    if not project.exists or not enabled(project.config):
        return None  # off (the default): nothing to say, nothing done
    private = bool(project.config.get("sessions", "default_private", False))
    consented = project.config.user_says("import", "all_agents") is True
    if not consented:
        private = True  # only the project's file asked: kept here, published by no one but you
    summary = ImportSummary("all-agents")
    read = import_all(project, private, summary)
    created = sum(1 for _, r in summary.results if r.created)
    turns = sum(r.added_turns for _, r in summary.results)
    per = ", ".join(f"{agent} {n}" for agent, n in read.items()) or "no agent files"
    lines = [f"after {trigger}: {created} new session(s), {turns} new turn(s) (read {per})"]
    if created and not consented:
        from ctx.core.paths import user_config_file

        lines.append(
            "imported as private (kept on this machine): the project's config asks for every "
            "agent's history, and only you can decide to share yours: set all_agents = true "
            f"under [import] in {user_config_file()}"
        )
    lines += [f"warning: {p}" for p in summary.problems]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """``main([ROOT, TRIGGER])``: the detached worker (started by :func:`start`)."""
    import fcntl
    import signal

    from ctx.integrations.hook_entry import HookTimeout, log

    root = argv[0] if argv else "."
    trigger = argv[1] if len(argv) > 1 else "hook"
    started = time.monotonic()
    try:
        os.nice(10)  # background work: the agent and the user come first
    except OSError:
        pass
    try:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(os.path.join(_local(root), LOCK), flags, 0o600)
    except OSError as exc:
        log(root, LOG_NAME, f"after {trigger}: cannot open the lock ({exc}); nothing imported")
        return 0
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(root, LOG_NAME, f"after {trigger}: another import is running; skipped")
            return 0
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(BUDGET_S)
        try:
            said = run_import(root, trigger)
        finally:
            signal.alarm(0)
        if said:
            log(root, LOG_NAME, f"{said} in {time.monotonic() - started:.1f} s")
    except HookTimeout:
        log(root, LOG_NAME, f"after {trigger}: gave up after {BUDGET_S} s (its time budget)")
    except Exception as exc:
        import traceback

        log(
            root,
            LOG_NAME,
            f"after {trigger}: failed: {type(exc).__name__}: {exc}\n" + traceback.format_exc(),
        )
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
