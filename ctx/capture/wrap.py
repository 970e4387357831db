"""`ctx wrap`: run a tool in a pseudo-terminal and keep the conversation as a session.

The pieces exist on their own (the pty proxy, the crash-safe journal, the tool adapters, the
terminal renderer, the store); this module wires them in the one order that keeps every
promise of DESIGN.md §3.4–3.6:

1. Resolve the command first: a missing one is exit 127 and NOTHING is created.
2. Note what finds the tool's own transcript afterwards (start time; aider's history size),
   in the journal's header, so a recovery after a kill can use it too.
3. Open the session (``owner_pid`` = this process, ``capture = "wrap"``) and run the proxy
   with the journal as its sink: output is on disk as the user sees it (during a burst, at
   most 256 KB behind the screen; caught up whenever the output pauses).
4. Build the turns: the tool's own transcript when it wrote one during the run (Claude Code,
   aider, Codex), else the terminal rendered into clean text.
5. Complete the session. When the tool's session id is known the session is stored under the
   id ``ctx import`` derives from it, so importing it later (or a Claude Code hook) adds no
   duplicate and a resumed run adds only its new turns as a new part.
6. Convert the journal into a replayable asciicast (machine-local) or delete it.

If ctx is killed at any point after 3, the next ctx command finds the open session whose owner
is dead and calls :func:`recover_wrapped` (registered in ``FINISHERS["wrap"]``), which does
4–6 from what the journal holds.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from ctx.core.ids import SESSION_PREFIX, derived_id, new_id
from ctx.store.recovery import FINISHERS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ctx.capture.pty_proxy import ProxyResult
    from ctx.core.models import Session, TranscriptHeader, TranscriptTurn
    from ctx.store.project import Project

#: Session status of a run that failed before any conversation (see failed_without_conversation).
FAILED = "failed"
#: Exported to the wrapped command: the id of the session being captured (what the optional
#: `prepare-commit-msg` hook writes as a `Ctx-Session:` trailer; see
#: ctx/integrations/git_hook_run.py).
SESSION_ENV = "CTX_SESSION"
#: Tools whose own transcript is preferred to the terminal text.
TOOL_ADAPTERS = ("claude", "aider", "codex", "gemini", "qwen", "opencode", "copilot")
#: A tool transcript counts as this run's when one of its turns is this close to the run.
WINDOW_SLACK_S = 5.0
#: A recording bigger than this is converted to asciicast after ctx exits, in the
#: background (JSON-escaping 100 MB takes about a second; the user should not wait for it).
BACKGROUND_CAST_BYTES = 16 << 20


@dataclass
class WrapOutcome:
    """What ``ctx wrap`` did: the stored session (None if it could not be stored), the
    child's exit code (ctx exits with it), the adapter used, and notes for the user."""

    session: Session | None
    exit_code: int
    adapter: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Harvest:
    """The turns of one run and what was learned about the tool's session."""

    turns: list[TranscriptTurn]
    source: str  # "claude transcript", "terminal", ...
    external_id: str | None = None
    final_id: str | None = None
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def adapter_for(argv: Sequence[str], tool: str | None = None) -> str:
    """``--tool`` if given, else the command's name: claude, aider, codex, gemini, qwen, or
    generic."""
    name = (tool or os.path.basename(str(argv[0]) if argv else "")).strip().lower()
    return name if name in TOOL_ADAPTERS else "generic"


def journal_path(project: Project, sid: str) -> Path:
    return project.layout.recordings_dir / f"{sid}.journal"


def wrap(
    project: Project,
    argv: Sequence[str],
    *,
    tool: str | None = None,
    title: str | None = None,
    private: bool = False,
    record_input: bool | None = None,
    stdin_fd: int | None = 0,
    stdout_fd: int | None = 1,
    cwd: str | os.PathLike[str] | None = None,
) -> WrapOutcome:
    """Run ``argv`` transparently in a pty and store what happened as a session.

    Raises CtxError (exit 127 / 126) before creating anything when the command cannot be run.
    After the child has run, a failure to store the session does not raise: it becomes a note
    (the session stays open and the next ctx command recovers it) and the child's exit code
    is still returned.
    """
    from ctx.capture.journal import JournalWriter
    from ctx.capture.pty_proxy import NullSink, resolve_command, run_proxied
    from ctx.capture.spawn import plan_io
    from ctx.core.oserrors import resource_error
    from ctx.store.redaction import redact_data, redact_text

    argv = [str(a) for a in argv]
    workdir = os.path.abspath(cwd or os.getcwd())
    resolve_command(argv, None, workdir)
    project.require_store()
    if record_input is None:
        record_input = bool(project.config.get("capture", "record_input", False))
    adapter = adapter_for(argv, tool)
    name = adapter if adapter != "generic" else (tool or os.path.basename(argv[0]) or "unknown")
    probe = _probe(adapter, argv, workdir)
    probe["record_input"] = record_input
    probe["io"] = plan_io(stdin_fd, stdout_fd).describe()  # how the renderer reads the output
    sid = new_id(SESSION_PREFIX)
    journal = journal_path(project, sid)

    def unrecorded(exc: OSError) -> WrapOutcome:
        """Cannot record (disk full, read-only...): the command still runs, untouched."""
        with contextlib.suppress(OSError, CtxError):
            project.discard_open_session(sid)
        result = run_proxied(
            argv, sink=NullSink(), stdin_fd=stdin_fd, stdout_fd=stdout_fd, cwd=workdir
        )
        why = resource_error(exc) or CtxError(str(exc))
        return WrapOutcome(None, result.exit_code, adapter, [f"not recorded: {why.message}"])

    try:
        project.start_session(
            name,
            title,
            private=True if private else None,
            command=argv,
            cwd=workdir,
            meta={"capture": "wrap", "adapter": adapter},
            owner_pid=os.getpid(),
            make_current=False,
            session_id=sid,
        )
        project.update_open_session(sid, capture="wrap")
    except OSError as exc:
        return unrecorded(exc)
    writer = JournalWriter(
        journal,
        command=redact_data(argv),
        title=redact_text(title) if title else None,
        meta={"session": sid, **probe},
    )
    try:
        result = run_proxied(
            argv,
            sink=writer,
            stdin_fd=stdin_fd,
            stdout_fd=stdout_fd,
            env={**os.environ, SESSION_ENV: sid},  # the commit trailer hook names it
            cwd=workdir,
            record_input=record_input,
            on_idle=lambda: _prewarm(adapter),
        )
    except CtxError:  # the command could not be started after all: leave nothing behind
        writer.discard()
        project.discard_open_session(sid)
        raise
    except OSError as exc:
        if writer.fd >= 0 or writer.bytes_written:
            writer.close()  # the child ran: the journal stays, the next command recovers it
            raise
        writer.discard()  # the journal could not be created: the child has not run yet
        return unrecorded(exc)
    except BaseException:
        writer.close()  # the journal stays; the next ctx command recovers the session
        raise
    writer.finish(result)
    notes = [f"the terminal recording stopped early: {writer.error}"] if writer.error else []
    try:
        session = _complete(project, sid, result, probe, journal, title, notes)
    except Exception as exc:  # the child ran: its exit status must still come through
        notes.append(
            f"could not store the session ({type(exc).__name__}: {exc}); "
            "the next ctx command recovers it"
        )
        session = None
    return WrapOutcome(session, result.exit_code, adapter, notes)


def _prewarm(adapter: str) -> None:
    """Load what turning the run into turns and storing it needs (the terminal renderer and
    pyte, or the tool's adapter; pycrdt, the secret rules) in a background thread while the
    program runs, so the user waits for none of it before the program starts or after it
    exits. Started the first time the program's output pauses (an agent waiting for its
    user): during a stream of output the thread would take the interpreter lock from the copy
    loop (`ctx wrap -- cat` of 100 MB: ~0.1 s slower); a program that never pauses has them
    loaded after it exits. Best effort: an import error surfaces later, where the module is
    used. Never before the program runs: no fork of ctx (the pty session's helper) may happen
    while this thread holds an import lock."""
    import threading

    def load() -> None:
        import importlib

        with contextlib.suppress(Exception):
            # storing the session: the CRDT document and the secret rules
            importlib.import_module("ctx.store.state").StateDoc()
            importlib.import_module("ctx.privacy.secrets").warm()
            importlib.import_module("ctx.capture.asciicast")
            if adapter in TOOL_ADAPTERS:
                importlib.import_module(f"ctx.capture.adapters.{adapter}")
            else:
                importlib.import_module("ctx.capture.terminal_render")
                from ctx.capture import terminal_screen

                terminal_screen.screen_class()  # imports pyte and builds the screen class
                terminal_screen.stream_class()

    with contextlib.suppress(RuntimeError):  # no thread to be had: load them after the run
        threading.Thread(target=load, name="ctx-prewarm", daemon=True).start()


def _complete(
    project: Project,
    sid: str,
    result: ProxyResult,
    probe: dict[str, Any],
    journal: Path,
    title: str | None,
    notes: list[str],
) -> Session:
    found = _harvest(probe, journal, until=time.time(), verify=False)
    notes.extend(found.notes)
    meta: dict[str, Any] = {
        "capture": "wrap",
        "adapter": probe["adapter"],
        "source": found.source,
        "terminal": {"cols": result.cols, "rows": result.rows},
        "duration_s": round(result.duration, 3),
        **found.meta,
    }
    if result.signal:
        meta["signal"] = result.signal
    updates: dict[str, Any] = {"meta": meta}
    if found.external_id:
        updates["external_id"] = found.external_id
    failed = failed_without_conversation(result.exit_code, found.turns)
    if failed:  # nothing was said: keep it on this machine, out of everyone's session list
        updates["private"] = True
    session = project.complete_session(
        sid,
        exit_status=result.exit_code,
        status=FAILED if failed else "complete",
        turns=found.turns,
        title=None if title else found.title,
        updates=updates,
        final_id=found.final_id,
    )
    notes.extend(
        _keep_recording(project, journal, session.id, bool(probe.get("record_input")), verify=False)
    )
    return session


def failed_without_conversation(exit_code: int, turns: list[TranscriptTurn]) -> bool:
    """A run that failed or was aborted before anyone said anything (a typo in a flag, a
    missing API key, Ctrl-C at start-up): only the tool's own output, no user turn. Such a run
    is stored private with status ``failed``: kept in the local recording and listed by
    ``ctx sessions list --all``, never committed."""
    return exit_code != 0 and not any(t.role == "user" and t.text.strip() for t in turns)


# ---- before the run: what finds the tool's transcript afterwards -----------------------------


def _probe(adapter: str, argv: Sequence[str], cwd: str) -> dict[str, Any]:
    probe: dict[str, Any] = {"adapter": adapter, "cwd": cwd, "started": time.time()}
    if adapter == "aider":
        hist = _aider_history(argv, cwd)
        probe["aider_history"] = str(hist)
        probe["aider_offset"] = hist.stat().st_size if hist.is_file() else 0
    return probe


def _aider_history(argv: Sequence[str], cwd: str) -> Path:
    """aider's history file: its ``--chat-history-file`` argument, else where aider puts it."""
    from ctx.capture.adapters.aider import history_path

    for i, arg in enumerate(argv[1:], start=1):
        if arg == "--chat-history-file" and i + 1 < len(argv):
            return Path(cwd, argv[i + 1])
        if arg.startswith("--chat-history-file="):
            return Path(cwd, arg.split("=", 1)[1])
    return history_path(cwd)


# ---- after the run: the turns ----------------------------------------------------------------


def _harvest(
    probe: dict[str, Any], journal: Path, until: float | None, verify: bool = True
) -> _Harvest:
    """The tool's own transcript of this run if there is one, else the rendered terminal."""
    adapter = str(probe.get("adapter") or "generic")
    notes: list[str] = []
    if adapter in TOOL_ADAPTERS:
        try:
            found = _tool_transcript(adapter, probe, until, journal)
        except Exception as exc:  # a format change must not lose the session
            found = None
            notes.append(f"could not read {adapter}'s own transcript ({exc})")
        if found is not None:
            header, turns = found
            return _from_tool(header, turns, notes)
        if not notes:
            notes.append(
                f"{adapter} wrote no transcript during this run (did it exit before any "
                "prompt?); the session holds the terminal text instead"
            )
    from ctx.capture.terminal_render import transcript_from_journal

    recording = f"local/recordings/{journal.stem}.cast"  # where the full stream stays
    turns = (
        transcript_from_journal(journal, recording=recording, verify=verify)
        if journal.exists()
        else []
    )
    return _Harvest(turns, "terminal", notes=notes)


def _from_tool(header: TranscriptHeader, turns: list[TranscriptTurn], notes: list[str]) -> _Harvest:
    hm = header.meta
    meta: dict[str, Any] = {}
    if hm.get("model"):
        meta["model"] = hm["model"]
    for key in (
        "claude_version",
        "aider_version",
        "codex_version",
        "qwen_version",
        "opencode_version",
        "copilot_version",
    ):
        if hm.get(key):
            meta["tool_version"] = hm[key]
    if header.branch:
        meta["tool_branch"] = header.branch  # the branch the tool itself saw (gitBranch)
    if hm.get("source_path"):
        meta["source_file"] = Path(str(hm["source_path"])).name  # never a home path
    if hm.get("continues"):
        meta["continues"] = hm["continues"]  # a `ctx resume` continuation: the session it extends
    ext = str(header.external_id) if header.external_id else None
    return _Harvest(
        turns,
        f"{header.tool} transcript",
        external_id=ext,
        final_id=derived_id(SESSION_PREFIX, header.tool, ext) if ext else None,
        title=header.title,
        meta=meta,
        notes=notes,
    )


def _tool_transcript(
    adapter: str, probe: dict[str, Any], until: float | None, journal: Path | None = None
) -> tuple[TranscriptHeader, list[TranscriptTurn]] | None:
    started = float(probe.get("started") or 0.0)
    cwd = str(probe.get("cwd") or os.getcwd())
    if adapter == "aider":
        from ctx.capture.adapters.aider import history_since

        path = probe.get("aider_history")
        if not path:
            return None
        header, turns, _ = history_since(path, int(probe.get("aider_offset") or 0))
        return (header, turns) if turns else None
    if adapter == "opencode":
        from ctx.capture.adapters.opencode import find_sessions, parse_opencode_session

        files: list[Any] = find_sessions(cwd, since=started - WINDOW_SLACK_S)
        parse: Any = parse_opencode_session
    elif adapter == "copilot":
        from ctx.capture.adapters.copilot import find_cli_sessions, parse_copilot_cli_session

        lo = started - WINDOW_SLACK_S
        files = [p for p in find_cli_sessions(cwd) if p.stat().st_mtime >= lo]
        parse = parse_copilot_cli_session
    elif adapter == "claude":
        from ctx.capture.adapters.claude import find_transcripts, parse_claude_transcript

        files = find_transcripts(cwd, since=started)
        parse = parse_claude_transcript
    elif adapter in ("gemini", "qwen"):
        files, parse = _gemini_qwen_files(adapter, cwd, started)
    else:
        from ctx.capture.adapters.codex import find_rollouts, parse_codex_rollout

        files = find_rollouts(since=started, cwd=cwd)
        parse = parse_codex_rollout
    # A file only touched during the run (Claude Code adds titles to older sessions at
    # start-up) has no turn from the run and is passed over. Of the rest, usually one, the
    # conversation this run's terminal displayed wins (two wraps in one directory at once).
    found: list[tuple[TranscriptHeader, list[TranscriptTurn]]] = []
    during: list[list[TranscriptTurn]] = []
    for path in files:
        header, turns = parse(path)
        ours = _turns_in(turns, started, until)
        if ours:
            found.append((header, turns))
            during.append(ours)
    if not found:
        return None
    from ctx.capture.transcript_choice import best_index

    return found[best_index(during, journal)]


def _gemini_qwen_files(adapter: str, cwd: str, started: float) -> tuple[list[Path], Any]:
    if adapter == "gemini":
        from ctx.capture.adapters.gemini import find_sessions, parse_gemini_session

        return find_sessions(cwd, since=started), parse_gemini_session
    from ctx.capture.adapters.qwen import find_sessions as qwen_sessions
    from ctx.capture.adapters.qwen import parse_qwen_session

    return qwen_sessions(cwd, since=started), parse_qwen_session


def _turns_in(
    turns: list[TranscriptTurn], started: float, until: float | None
) -> list[TranscriptTurn]:
    from ctx.core.timeutil import parse_iso

    lo = started - WINDOW_SLACK_S
    hi = (until if until is not None else time.time()) + WINDOW_SLACK_S
    inside = []
    for t in turns:
        if not t.ts:
            continue
        with contextlib.suppress(ValueError):
            if lo <= parse_iso(t.ts).timestamp() <= hi:
                inside.append(t)
    return inside


# ---- the recording -----------------------------------------------------------------------------


def _keep_recording(
    project: Project, journal: Path, sid: str, include_input: bool, verify: bool = True
) -> list[str]:
    """Replace the journal by ``<sid>.cast`` (``capture.keep_recordings``) or delete it.

    ``verify=False``: the journal was just closed by this process, so its checksums need no
    second reading (a recovered one is checked)."""
    if not journal.exists():
        return []
    if project.config.get("capture", "keep_recordings", True):
        from ctx.capture.asciicast import journal_to_cast

        cast = journal.with_name(f"{sid}.cast")
        n = 2
        while cast.exists():  # a resumed session: one recording per run
            cast = journal.with_name(f"{sid}.{n}.cast")
            n += 1
        if not verify and _cast_in_background(journal, cast, include_input):
            return []
        try:
            journal_to_cast(journal, cast, include_input=include_input, verify=verify)
        except (OSError, CtxError) as exc:
            return [f"could not write the recording {cast.name} ({exc}); kept {journal.name}"]
    journal.unlink(missing_ok=True)
    return []


def _cast_in_background(journal: Path, cast: Path, include_input: bool) -> bool:
    """Convert a huge journal after ctx exits; until then it waits as ``<id>.journal``
    (the full stream too, and what ``ctx forget`` deletes)."""
    import subprocess
    import sys

    pending = cast.with_suffix(".journal")
    try:
        if journal.stat().st_size <= BACKGROUND_CAST_BYTES:
            return False
        if pending != journal:
            os.replace(journal, pending)
        from ctx.core.safe_launch import module_main

        argv = [sys.executable, "-c", module_main("ctx.capture.asciicast"), str(pending), str(cast)]
        subprocess.Popen(
            [*argv, *([] if include_input else ["--no-input"])],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except OSError:
        if pending != journal and pending.exists():
            with contextlib.suppress(OSError):
                os.replace(pending, journal)
        return False
    return True


# ---- recovery after a kill -------------------------------------------------------------------


def _journal_summary(journal: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The journal's header and exit records (the exit is None if the run never finished)."""
    from ctx.capture.journal import JournalDamaged, iter_records, json_object

    header: dict[str, Any] = {}
    exit_rec: dict[str, Any] | None = None
    with contextlib.suppress(JournalDamaged):
        for code, _, payload in iter_records(journal):
            if code == "h":
                header = json_object(payload)
            elif code == "x":
                exit_rec = json_object(payload)
    return header, exit_rec


def recover_wrapped(
    project: Project, sid: str, header: dict[str, Any]
) -> list[TranscriptTurn] | None:
    """Finisher for ``capture = "wrap"`` sessions whose ctx died: turns from the tool's own
    transcript (by time window) or the rendered journal; facts go to the open session's
    journal so that ``complete_session`` stores it under the right id."""
    journal = journal_path(project, sid)
    if not journal.exists():
        return None
    head, exit_rec = _journal_summary(journal)
    raw = head.get("meta")
    probe: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    probe.setdefault("adapter", (header.get("meta") or {}).get("adapter", "generic"))
    found = _harvest(probe, journal, until=None)
    meta = dict(header.get("meta") or {})
    meta.update(
        {
            "source": found.source,
            "terminal": {"cols": head.get("width"), "rows": head.get("height")},
            **found.meta,
        }
    )
    fields: dict[str, Any] = {"meta": meta}
    if exit_rec and isinstance(exit_rec.get("exit_code"), int):
        fields["exit_status"] = exit_rec["exit_code"]
    if found.external_id:
        fields["external_id"] = found.external_id
        fields["final_id"] = found.final_id
    if found.title and not header.get("title"):
        fields["title"] = found.title
    project.update_open_session(sid, **fields)
    stored = sid
    if found.final_id and not any(doc.is_forgotten(found.final_id) for doc, _ in project.docs()):
        stored = found.final_id
    _keep_recording(project, journal, stored, bool(probe.get("record_input")))
    return found.turns


FINISHERS["wrap"] = recover_wrapped
