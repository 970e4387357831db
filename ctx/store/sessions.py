"""Sessions: manual capture (start / append / complete), import, list, show (mixed into Project)."""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from ctx.errors import CtxError
from ctx.ids import SESSION_PREFIX, derived_id, new_id
from ctx.models import ROLES, ImportResult, Session, TranscriptHeader, TranscriptTurn, Turn
from ctx.store import transcripts as tx
from ctx.store.base import ProjectBase
from ctx.store.layout import FORMAT_VERSION
from ctx.store.memories import clean_tags, tags_to_store
from ctx.store.redaction import redact_data, redact_text
from ctx.store.state import StateDoc
from ctx.timeutil import normalize_iso, now_iso, parse_iso

SUMMARY_KEYS = (
    "tool",
    "title",
    "status",
    "started_at",
    "ended_at",
    "branch",
    "commit",
    "commit_end",
    "author",
    "turn_count",
    "external_id",
    "exit_status",
    "parts",
)
HEADER_KEYS = (*SUMMARY_KEYS, "cwd", "command", "meta")


def check_role(role: str) -> str:
    r = (role or "").strip().lower()
    if r not in ROLES:
        raise CtxError(
            f"invalid role '{role}'", f"use one of: {', '.join(ROLES)}", code="invalid_role"
        )
    return r


def _clean_turn(t: TranscriptTurn | Turn, n: int) -> Turn:
    role = t.role if t.role in ROLES else "assistant"
    return Turn(
        n=n,
        role=role,
        text=redact_text(t.text or ""),
        ts=normalize_iso(t.ts),
        id=str(t.id) if t.id is not None else None,
        meta=redact_data(t.meta) if t.meta else {},
    )


def to_session(sid: str, rec: dict[str, Any], private: bool) -> Session:
    tc = rec.get("turn_count")
    es = rec.get("exit_status")
    cmd = rec.get("command")
    return Session(
        id=sid,
        tool=str(rec.get("tool") or "unknown"),
        title=str(rec.get("title") or ""),
        status=str(rec.get("status") or "complete"),
        started_at=str(rec.get("started_at") or ""),
        ended_at=rec.get("ended_at"),
        cwd=rec.get("cwd"),
        branch=rec.get("branch"),
        commit=rec.get("commit"),
        commit_end=rec.get("commit_end"),
        author=str(rec.get("author") or ""),
        command=list(cmd) if isinstance(cmd, list) else None,
        exit_status=int(es) if isinstance(es, (int, float)) else None,
        external_id=rec.get("external_id"),
        tags=list(rec.get("tags") or []),
        private=private,
        turn_count=int(tc) if isinstance(tc, (int, float)) else 0,
        meta=dict(rec["meta"]) if isinstance(rec.get("meta"), dict) else {},
    )


class SessionOps(ProjectBase):
    # ---- manual capture --------------------------------------------------------------------
    def journal_path(self, sid: str) -> Path:
        return self.layout.active_dir / f"{sid}.jsonl"

    def start_session(
        self,
        tool: str = "manual",
        title: str | None = None,
        *,
        private: bool | None = None,
        command: list[str] | None = None,
        cwd: str | Path | None = None,
        external_id: str | None = None,
        meta: dict[str, Any] | None = None,
        owner_pid: int | None = None,
        make_current: bool = True,
        session_id: str | None = None,
    ) -> Session:
        self.require_store()
        if private is None:
            private = bool(self.config.get("sessions", "default_private", False))
        sid = session_id or new_id(SESSION_PREFIX)
        header: dict[str, Any] = {
            "type": "session",
            "format": FORMAT_VERSION,
            "id": sid,
            "tool": tool,
            "title": redact_text(title) if title else "",
            "status": "open",
            "started_at": now_iso(),
            "cwd": self.relative_cwd(cwd or os.getcwd()),
            "branch": self.git.branch,
            "commit": self.git.head,
            "author": self.git.author,
            "command": redact_data(list(command)) if command else None,
            "external_id": external_id,
            "private": private,
            "meta": redact_data(meta or {}),
        }
        if owner_pid:
            header["owner_pid"] = owner_pid
        tx.journal_append(
            self.journal_path(sid), {k: v for k, v in header.items() if v is not None}
        )
        if make_current:
            self.layout.current_file.parent.mkdir(parents=True, exist_ok=True)
            self.layout.current_file.write_text(sid + "\n")
        return self.get_session(sid, with_turns=False)

    def current_session_id(self) -> str:
        try:
            sid = self.layout.current_file.read_text().strip()
        except OSError:
            sid = ""
        if not sid or not self.journal_path(sid).exists():
            raise CtxError(
                "no session is being captured",
                "start one with `ctx capture`, or pass --session ID",
                code="no_session",
            )
        return sid

    def _open_id(self, ident: str | None) -> str:
        if not ident:
            return self.current_session_id()
        sid = self.resolve_session_id(ident)
        if not self.journal_path(sid).exists():
            raise CtxError(
                f"session {sid} is already complete",
                "start a new one with `ctx capture`",
                code="not_open",
            )
        return sid

    def append_turn(
        self,
        text: str,
        role: str = "user",
        *,
        session_id: str | None = None,
        ts: str | None = None,
        ext_id: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Turn:
        role = check_role(role)
        sid = self._open_id(session_id)
        path = self.journal_path(sid)

        def add() -> Turn:
            n = len(tx.read_journal(path).turns)
            turn = _clean_turn(
                TranscriptTurn(
                    role=role, text=text, ts=ts or now_iso(), id=ext_id, meta=meta or {}
                ),
                n,
            )
            tx.journal_append(path, tx.turn_record(turn))
            return turn

        return self.with_lock(add)

    def discard_open_session(self, session_id: str) -> None:
        """Drop an open session without writing anything (its command could not be started)."""
        self.journal_path(session_id).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            if self.layout.current_file.read_text().strip() == session_id:
                self.layout.current_file.unlink()

    def update_open_session(self, session_id: str, **fields: Any) -> None:
        """Add facts learned during capture (the tool's own session id, ...) to the journal."""
        clean = {k: redact_data(v) for k, v in fields.items() if v is not None}
        tx.journal_append(self.journal_path(session_id), {"type": "header-update", **clean})

    def complete_session(
        self,
        session_id: str | None = None,
        *,
        exit_status: int | None = None,
        status: str = "complete",
        turns: list[TranscriptTurn] | None = None,
        title: str | None = None,
        updates: dict[str, Any] | None = None,
        final_id: str | None = None,
    ) -> Session:
        """Write the open session's transcript (part 000) once and drop its journal.

        ``final_id`` (or a ``final_id`` field recorded earlier with :meth:`update_open_session`)
        is the id to store the session under instead of the journal's own: a capture that
        learns the tool's session id completes under the id an import of that session gets,
        so capture and import never duplicate it (see :meth:`_complete_into`).
        """
        sid = self._open_id(session_id)
        path = self.journal_path(sid)
        journal = tx.read_journal(path, self.root)
        self.problems.extend(journal.problems)
        head = dict(journal.header)
        if not head:
            head = {"type": "session", "id": sid, "tool": "unknown", "started_at": now_iso()}
        final_turns = (
            [_clean_turn(t, i) for i, t in enumerate(turns)] if turns is not None else journal.turns
        )
        target = final_id or head.get("final_id")
        head.pop("final_id", None)
        try:
            self.refresh_git()
        except CtxError:
            pass
        head.update(
            {
                "status": status,
                "ended_at": now_iso(),
                "commit_end": self.git.head,
                "turn_count": len(final_turns),
                "parts": 1,
            }
        )
        if exit_status is not None:
            head["exit_status"] = exit_status
        if title:
            head["title"] = redact_text(title)
        if updates:
            head.update(redact_data(updates))
        if not head.get("title"):
            head["title"] = _title_from(final_turns)
        private = bool(head.pop("private", False))
        head.pop("owner_pid", None)
        head["type"] = "session"
        head["format"] = FORMAT_VERSION
        out = sid
        if isinstance(target, str) and target and target != sid:
            out = self._complete_into(target, sid, head, final_turns, private)
        else:
            self._write_session(sid, head, final_turns, private, part=0)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            if self.layout.current_file.read_text().strip() == sid:
                self.layout.current_file.unlink()
        return self.get_session(out, with_turns=False)

    def _complete_into(
        self, target: str, sid: str, head: dict[str, Any], turns: list[Turn], private: bool
    ) -> str:
        """Store a completed capture under ``target``; returns the id it was stored under.

        - ``target`` is new: part 000 is written under it.
        - ``target`` exists (imported earlier, a hook got there first, or an earlier capture of
          a resumed session): only the turns it lacks are added, as a new part
          (:meth:`import_session`, incremental by turn id).
        - ``target`` was forgotten (``ctx forget``): it is not brought back; the capture
          keeps the journal's own id.
        """
        if any(doc.is_forgotten(target) for doc, _ in self.docs()):
            self._write_session(sid, head, turns, private, part=0)
            return sid
        if self._existing_location(target) is None:
            head["id"] = target
            self._write_session(target, head, turns, private, part=0)
            return target
        header = TranscriptHeader(
            tool=str(head.get("tool") or "unknown"),
            external_id=head.get("external_id"),
            ended_at=head.get("ended_at"),
        )
        as_import = [TranscriptTurn(t.role, t.text, t.ts, t.id, t.meta) for t in turns]
        self.import_session(header, as_import, private=private, session_id=target)
        # What only the capture knows (an import has no exit status) goes on the summary.
        known = {k: head[k] for k in ("exit_status", "commit_end") if head.get(k) is not None}
        if known:
            _sdir, where = self._existing_location(target) or (None, private)

            def put(doc: StateDoc) -> None:
                rec = doc.sessions.get(target)
                if rec is not None:
                    doc.set_fields(rec, known)

            self.mutate(where, put)
        return target

    def _write_session(
        self,
        sid: str,
        head: dict[str, Any],
        turns: list[Turn],
        private: bool,
        part: int,
        tags: list[str] | None = None,
    ) -> None:
        sdir = self.layout.session_dir(sid, private)
        if part == 0:
            tx.write_part(sdir, 0, {k: v for k, v in head.items() if v is not None}, turns)
        else:
            first = turns[0].n if turns else head.get("turn_count", 0)
            tx.write_part(
                sdir,
                part,
                {
                    "type": "part",
                    "session": sid,
                    "part": part,
                    "first_turn": first,
                    "written_at": now_iso(),
                },
                turns,
            )
        summary = {k: head.get(k) for k in SUMMARY_KEYS}
        tags = clean_tags(tags or head.get("tags") or [])

        def put(doc: StateDoc) -> None:
            rec = doc.sessions.get(sid)
            if rec is None:
                doc.put_record(doc.sessions, sid, summary, tags)
            else:
                doc.set_fields(
                    rec, {k: v for k, v in summary.items() if v is not None and k != "title"}
                )

        self.mutate(private, put)

    # ---- import ----------------------------------------------------------------------------
    def import_session(
        self,
        header: TranscriptHeader,
        turns: list[TranscriptTurn],
        *,
        private: bool = False,
        session_id: str | None = None,
    ) -> ImportResult:
        """Idempotent and incremental: a re-import adds nothing, a longer transcript of the
        same session adds only the new turns (in a new part file)."""
        self.require_store()
        if session_id is None:
            if not header.external_id:
                raise CtxError("an imported session needs an id", "give the header an `id`")
            session_id = derived_id(SESSION_PREFIX, header.tool, str(header.external_id))
        sid = session_id
        if any(doc.is_forgotten(sid) for doc, _ in self.docs()):
            return ImportResult(None, False, 0, note="forgotten")
        existing = self._existing_location(sid)
        if existing is None:
            clean = [_clean_turn(t, i) for i, t in enumerate(turns)]
            head = {
                "type": "session",
                "format": FORMAT_VERSION,
                "id": sid,
                "tool": header.tool,
                "title": redact_text(header.title) if header.title else _title_from(clean),
                "status": "complete",
                "started_at": normalize_iso(header.started_at)
                or (clean[0].ts if clean and clean[0].ts else now_iso()),
                "ended_at": normalize_iso(header.ended_at) or (clean[-1].ts if clean else None),
                "cwd": header.cwd
                if header.cwd and not os.path.isabs(header.cwd)
                else self.relative_cwd(header.cwd)
                if header.cwd
                else None,
                "branch": header.branch,
                "author": self.git.author,
                "command": redact_data(header.command) if header.command else None,
                "exit_status": header.exit_status,
                "external_id": header.external_id,
                "turn_count": len(clean),
                "parts": 1,
                "meta": redact_data(header.meta) if header.meta else None,
            }
            self._write_session(sid, head, clean, private, part=0)
            return ImportResult(self.get_session(sid, with_turns=False), True, len(clean))
        sdir, is_private = existing
        have = tx.read_transcript(sdir, self.root)
        known_ids = {t.id for t in have.turns if t.id}
        if turns and all(t.id for t in turns) and known_ids:
            new = [t for t in turns if t.id not in known_ids]
        else:
            new = list(turns[len(have.turns) :])
        if not new:
            return ImportResult(self.get_session(sid, with_turns=False), False, 0)
        start = len(have.turns)
        clean = [_clean_turn(t, start + i) for i, t in enumerate(new)]
        head = {
            "turn_count": start + len(clean),
            "parts": have.parts + 1,
            "ended_at": normalize_iso(header.ended_at) or clean[-1].ts,
        }
        self._write_session(sid, head, clean, is_private, part=have.parts)
        return ImportResult(self.get_session(sid, with_turns=False), False, len(clean))

    def _existing_location(self, sid: str) -> tuple[Path, bool] | None:
        for private in (False, True):
            sdir = self.layout.session_dir(sid, private)
            if (sdir / tx.PART_FMT.format(0)).exists():
                return sdir, private
        return None

    # ---- reading ---------------------------------------------------------------------------
    def _open_ids(self) -> list[str]:
        try:
            return sorted(
                n[:-6] for n in os.listdir(self.layout.active_dir) if n.endswith(".jsonl")
            )
        except FileNotFoundError:
            return []

    def _all_ids(self) -> dict[str, str]:
        """id -> where: 'shared' | 'private' | 'open'."""
        out: dict[str, str] = {}
        forgotten = {str(k) for doc, _ in self.docs() for k in list(doc.forgotten.keys())}
        for where, base in (
            ("shared", self.layout.sessions_dir),
            ("private", self.layout.private_sessions_dir),
        ):
            try:
                names = os.listdir(base)
            except FileNotFoundError:
                continue
            for n in names:
                # a directory without its transcript (a stray directory, a deleted
                # 000.jsonl) is no session: see session_dir_problems
                if (
                    n.startswith(SESSION_PREFIX)
                    and n not in forgotten
                    and os.path.isfile(os.path.join(base, n, tx.PART_FMT.format(0)))
                ):
                    out[n] = where
        for sid in self._open_ids():
            out.setdefault(sid, "open")
        return out

    def session_dir_problems(self) -> list[str]:
        """Directories under sessions/ that are not sessions, and sessions whose transcript
        is gone (for `ctx status` and `ctx doctor`; listing, export and search skip them)."""
        out: list[str] = []
        forgotten = {str(k) for doc, _ in self.docs() for k in list(doc.forgotten.keys())}
        for private, base in (
            (False, self.layout.sessions_dir),
            (True, self.layout.private_sessions_dir),
        ):
            try:
                names = sorted(os.listdir(base))
            except FileNotFoundError:
                continue
            doc = self.private if private else self.shared
            for n in names:
                path = os.path.join(base, n)
                if n in forgotten or not os.path.isdir(path) or os.path.islink(path):
                    continue
                if os.path.isfile(os.path.join(path, tx.PART_FMT.format(0))):
                    continue
                shown = self._display(Path(path))
                if doc.session(n) is not None:
                    out.append(f"{shown}: transcript 000.jsonl is missing; session not listed")
                else:
                    out.append(f"{shown}: holds no session transcript; ignored (not a session)")
        return out

    def resolve_session_id(self, ident: str) -> str:
        ident = (ident or "").strip()
        ids = self._all_ids()
        if ident in ids:
            return ident
        want = ident if ident.startswith(SESSION_PREFIX) else SESSION_PREFIX + ident
        matches = [s for s in ids if s.startswith(want)] if len(ident) >= 4 else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise CtxError(
                f"'{ident}' matches {len(matches)} sessions",
                "give more characters of the id: " + ", ".join(matches[:5]),
                code="ambiguous",
            )
        raise CtxError(
            f"no session matches '{ident}'", "list them with `ctx sessions list`", code="not_found"
        )

    def _session_record(self, sid: str, where: str) -> tuple[dict[str, Any], bool]:
        if where == "open":
            j = tx.read_journal(self.journal_path(sid), self.root)
            rec = dict(j.header)
            rec["turn_count"] = len(j.turns)
            rec["status"] = "open"
            return rec, bool(rec.get("private"))
        private = where == "private"
        doc = self.private if private else self.shared
        crdt = doc.session(sid)
        header = tx.read_header(self.layout.session_dir(sid, private)) or {}
        rec = {**header, **(crdt or {})}
        if crdt is None:
            rec["tags"] = []
        return rec, private

    def get_session(self, ident: str, *, with_turns: bool = True) -> Session:
        sid = self.resolve_session_id(ident)
        where = self._all_ids().get(sid, "shared")
        rec, private = self._session_record(sid, where)
        session = to_session(sid, rec, private)
        if with_turns:
            if where == "open":
                session.turns = tx.read_journal(self.journal_path(sid)).turns
            else:
                t = tx.read_transcript(self.layout.session_dir(sid, private), self.root)
                self.problems.extend(t.problems)
                session.turns = t.turns
            session.turn_count = len(session.turns)
        return session

    def iter_session_turns(self, sid: str, private: bool = False) -> list[Turn]:
        return tx.read_transcript(self.layout.session_dir(sid, private), self.root).turns

    def list_sessions(
        self,
        tool: str | None = None,
        since: datetime | None = None,
        branch: str | None = None,
        *,
        include_open: bool = True,
        limit: int | None = None,
    ) -> list[Session]:
        out: list[Session] = []
        # the CRDT summaries are enough for a listing: no transcript file is opened unless a
        # session has no summary (e.g. its state line was unreadable)
        summaries = {False: self.shared.all_sessions(), True: self.private.all_sessions()}
        for sid, where in self._all_ids().items():
            if where == "open" and not include_open:
                continue
            private = where == "private"
            rec = summaries[private].get(sid) if where != "open" else None
            if rec is None:
                rec, private = self._session_record(sid, where)
            s = to_session(sid, rec, private)
            if tool and s.tool != tool:
                continue
            if branch and s.branch != branch:
                continue
            if since and s.started_at:
                try:
                    if parse_iso(s.started_at) < since:
                        continue
                except ValueError:
                    pass
            out.append(s)
        out.sort(key=lambda s: (s.started_at, s.id), reverse=True)
        return out[:limit] if limit else out

    def edit_session(
        self,
        ident: str,
        *,
        title: str | None = None,
        add_tags: list[str] | tuple[str, ...] = (),
        remove_tags: list[str] | tuple[str, ...] = (),
    ) -> Session:
        sid = self.resolve_session_id(ident)
        where = self._all_ids()[sid]
        if where == "open":
            raise CtxError(f"session {sid} is still open", "complete it first with `ctx complete`")
        private = where == "private"
        rec_all, _ = self._session_record(sid, where)
        add = tags_to_store(list(add_tags))
        remove = clean_tags(list(remove_tags))

        def edit(doc: StateDoc) -> None:
            rec = doc.sessions.get(sid)
            if rec is None:
                doc.put_record(doc.sessions, sid, {k: rec_all.get(k) for k in SUMMARY_KEYS}, [])
                rec = doc.sessions[sid]
            if title is not None:
                doc.set_fields(rec, {"title": redact_text(title)})
            doc.edit_tags(rec, add, remove)

        self.mutate(private, edit)
        return self.get_session(sid, with_turns=False)

    def forget_session(self, ident: str) -> Session:
        sid = self.resolve_session_id(ident)
        where = self._all_ids()[sid]
        session = self.get_session(sid, with_turns=False)
        private = where == "private"
        self.journal_path(sid).unlink(missing_ok=True)
        for p in (False, True):
            shutil.rmtree(self.layout.session_dir(sid, p), ignore_errors=True)
        for suffix in (".cast", ".jsonl", ".journal"):
            (self.layout.recordings_dir / f"{sid}{suffix}").unlink(missing_ok=True)
        for extra in self.layout.recordings_dir.glob(f"{sid}.*.cast"):  # later runs (resumed)
            extra.unlink(missing_ok=True)

        def rm(doc: StateDoc) -> None:
            if sid in doc.sessions:
                del doc.sessions[sid]
            doc.forgotten[sid] = now_iso()

        self.mutate(private, rm)
        return session


def _title_from(turns: list[Turn]) -> str:
    for t in turns:
        if t.role == "user" and t.text.strip():
            line = t.text.strip().splitlines()[0]
            return line[:80] + ("…" if len(line) > 80 else "")
    return ""
