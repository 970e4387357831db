"""Sessions: manual capture (start / append / complete), import, list, show (mixed into Project)."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

from ctx.core.errors import CtxError
from ctx.core.ids import SESSION_PREFIX, derived_id, is_session_id, new_id
from ctx.core.models import ROLES, ImportResult, Session, TranscriptHeader, TranscriptTurn, Turn
from ctx.core.shapes import text, text_or_none, texts, whole
from ctx.core.timeutil import normalize_iso, now_iso, parse_iso
from ctx.store import confine
from ctx.store import transcripts as tx
from ctx.store.base import ProjectBase
from ctx.store.layout import FORMAT_VERSION
from ctx.store.locking import atomic_write
from ctx.store.memories import clean_tags, tags_to_store
from ctx.store.redaction import clean_record, clean_value, local_paths, redact_text
from ctx.store.state import StateDoc

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
#: meta key: the ids a session was captured under when it was stored under another (a wrapped
#: tool's own session id decides the stored id at the end); `Ctx-Session:` commit trailers
#: written during the capture name those ids, and `ctx why` maps them back
CAPTURE_IDS = "capture_ids"


def check_role(role: str) -> str:
    r = (role or "").strip().lower()
    if r not in ROLES:
        raise CtxError(
            f"invalid role '{role}'", f"use one of: {', '.join(ROLES)}", code="invalid_role"
        )
    return r


def clean_turn_id(ext_id: object, root: Path | str | None) -> str | None:
    """A turn's external id as it is stored (redacted like any other field)."""
    return clean_value(str(ext_id), root) if ext_id is not None else None


def _clean_turn(t: TranscriptTurn | Turn, n: int, root: Path | str | None) -> Turn:
    role = t.role if t.role in ROLES else "assistant"
    return Turn(
        n=n,
        role=role,
        text=local_paths(redact_text(t.text or ""), root),
        ts=normalize_iso(t.ts),
        id=clean_turn_id(t.id, root),
        meta=clean_value(t.meta, root) if t.meta else {},
    )


def to_session(sid: str, rec: dict[str, Any], private: bool) -> Session:
    """The record as a Session; a field of the wrong type (pulled: anything) as if missing."""
    cmd = rec.get("command")
    return Session(
        id=sid,
        tool=text(rec.get("tool")) or "unknown",
        title=text(rec.get("title")),
        status=text(rec.get("status")) or "complete",
        started_at=text(rec.get("started_at")),
        ended_at=text_or_none(rec.get("ended_at")),
        cwd=text_or_none(rec.get("cwd")),
        branch=text_or_none(rec.get("branch")),
        commit=text_or_none(rec.get("commit")),
        commit_end=text_or_none(rec.get("commit_end")),
        author=text(rec.get("author")),
        command=texts(cmd) if isinstance(cmd, list) else None,
        exit_status=whole(rec.get("exit_status")),
        external_id=text_or_none(rec.get("external_id")),
        tags=texts(rec.get("tags")),
        private=private,
        turn_count=max(0, whole(rec.get("turn_count"), 0) or 0),
        meta=_plain_numbers(rec["meta"]) if isinstance(rec.get("meta"), dict) else {},
    )


def _plain_numbers(value: Any) -> Any:
    """JSON values as written: the CRDT hands whole numbers back as floats (3 -> 3.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    return value


def _bad_id(sid: object) -> CtxError:
    return CtxError(
        f"{confine.shown(sid)} is not a session id",
        "session ids are `s-` and 12 characters a-z, 2-7 (docs/format.md)",
        code="invalid_id",
    )


def _journal_name(name: str) -> bool:
    return is_session_id(name[:-6])


def _not_journal(name: str) -> bool:
    return name.startswith(".") or not name.endswith(".jsonl")


def _not_session(name: str) -> bool:
    return name.startswith(".")


class SessionOps(ProjectBase):
    # ---- paths: every one checked (ctx/store/confine.py) ------------------------------------
    def journal_path(self, sid: str) -> Path:
        if not is_session_id(sid):
            raise _bad_id(sid)
        return self.layout.active_dir / f"{sid}.jsonl"

    def _session_path(self, sid: str, private: bool) -> Path:
        """The folder of a session, to write into or remove: a valid id, nothing linked."""
        if not is_session_id(sid):
            raise _bad_id(sid)
        path = self.layout.session_dir(sid, private)
        link = confine.link_in(self.layout.store, path)
        if link is not None:
            raise CtxError(
                f"{confine.where(self.root, link)} is a symbolic link; ctx never follows it",
                f"remove the symlink {link.relative_to(self.root)}",
                code="store_symlink",
            )
        return path

    def _readable_dir(self, sid: str, private: bool) -> Path | None:
        """The folder of a session to read from, or None (invalid id, or a link: skipped)."""
        if not is_session_id(sid):
            return None
        path = self.layout.session_dir(sid, private)
        return path if confine.link_in(self.layout.store, path) is None else None

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
        if not is_session_id(sid):
            raise _bad_id(sid)
        header: dict[str, Any] = {
            "type": "session",
            "format": FORMAT_VERSION,
            "id": sid,
            "tool": tool,
            "title": title or "",
            "status": "open",
            "started_at": now_iso(),
            "cwd": self.relative_cwd(cwd or os.getcwd()),
            "branch": self.git.branch,
            "commit": self.git.head,
            "author": self.git.author,
            "command": list(command) if command else None,
            "external_id": external_id,
            "private": private,
            "meta": meta or {},
        }
        header = clean_record(header, self.root)
        if owner_pid:
            header["owner_pid"] = owner_pid
            header["owner_clone"] = owner_clone(self.root, sid)  # (recovery: ctx/store/recovery.py)
        journal = self.journal_path(sid)
        try:
            tx.journal_append(journal, {k: v for k, v in header.items() if v is not None})
        except OSError:  # disk full...: no empty open session left to list forever
            journal.unlink(missing_ok=True)
            raise
        if make_current:
            mark = f"{sid}\n{current_mark(self.root, sid)}\n"
            atomic_write(self.layout.current_file, mark.encode(), private=True)
        # read back from the journal just written: not get_session, which lists every session
        rec, private = self._session_record(sid, "open")
        return to_session(sid, rec, private)

    def _current(self) -> str:
        """The session `ctx capture` made current in this clone, or "": a file a commit forced
        under local/ (and left on disk) lacks the clone's mark, and is not followed if a link."""
        file = self.layout.current_file
        if confine.link_in(self.layout.store, file) is not None:
            return ""
        try:
            parts = confine.read_bytes(file).decode("utf-8", "replace").split()
        except OSError:
            return ""
        if len(parts) != 2 or parts[1] != current_mark(self.root, parts[0]):
            return ""
        return parts[0]

    def current_session_id(self) -> str:
        sid = self._current()
        if not is_session_id(sid) or not self.journal_path(sid).exists():
            raise CtxError(
                "no session is being captured",
                "start one with `ctx capture`, or pass --session ID",
                code="no_session",
            )
        return sid

    def _open_id(self, ident: str | None) -> str:
        if not ident:
            return self.current_session_id()
        path = self.journal_path(ident) if is_session_id(ident) else None
        if path and confine.link_in(self.layout.store, path) is None and _regular_file(path):
            return ident  # a whole id of an open session: no need to list every session
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
                self.root,
            )
            tx.journal_append(path, tx.turn_record(turn))
            return turn

        return self.with_lock(add)

    def discard_open_session(self, session_id: str) -> None:
        """Drop an open session without writing anything (its command could not be started)."""
        self.journal_path(session_id).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            if self._current() == session_id:
                self.layout.current_file.unlink()

    def update_open_session(self, session_id: str, **fields: Any) -> None:
        """Add facts learned during capture (the tool's own session id, ...) to the journal."""
        clean = clean_record({k: v for k, v in fields.items() if v is not None}, self.root)
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
            [_clean_turn(t, i, self.root) for i, t in enumerate(turns)]
            if turns is not None
            else journal.turns
        )
        target = final_id or head.get("final_id")
        head.pop("final_id", None)
        if target is not None and not is_session_id(target):
            self.problems.append(
                confine.refusal(
                    self.root,
                    path,
                    f"final id {confine.shown(target)} is not a session id, ignored",
                )
            )
            target = None
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
            head["title"] = title
        if updates:
            head.update(updates)
        if not head.get("title"):
            head["title"] = _title_from(final_turns)
        private = bool(head.pop("private", False))
        head.pop("owner_pid", None)
        head.pop("owner_clone", None)
        head["type"] = "session"
        head["format"] = FORMAT_VERSION
        out = sid
        if isinstance(target, str) and target and target != sid:
            out = self._complete_into(target, sid, head, final_turns, private)
            if out != sid:
                self._note_capture_id(out, sid)
        else:
            self._write_session(sid, head, final_turns, private, part=0)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            if self._current() == sid:
                self.layout.current_file.unlink()
        # where it was written, not get_session (which lists every session)
        found = self._existing_location(out) if out != sid else None
        rec, stored_private = self._session_record(
            out, "private" if (found[1] if found else private) else "shared"
        )
        return to_session(out, rec, stored_private)

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

    def _note_capture_id(self, sid: str, capture_id: str) -> None:
        """Remember on the stored session the id it was captured under (see CAPTURE_IDS)."""
        where = self._existing_location(sid)
        if where is None:
            return
        rec, private = self._session_record(sid, "private" if where[1] else "shared")
        meta = _plain_numbers(dict(rec.get("meta") or {}))
        ids = [i for i in meta.get(CAPTURE_IDS) or [] if isinstance(i, str)]
        if capture_id not in ids:
            meta[CAPTURE_IDS] = [*ids, capture_id]
            self._set_summary(sid, private, {"meta": meta})

    def _write_session(
        self,
        sid: str,
        head: dict[str, Any],
        turns: list[Turn],
        private: bool,
        part: int,
        tags: list[str] | None = None,
    ) -> None:
        sdir = self._session_path(sid, private)
        head = clean_record(head, self.root)  # every field: titles, meta, command, ids, paths
        if part == 0:
            head0 = {k: v for k, v in head.items() if v is not None}
            try:
                tx.write_part(sdir, 0, head0, turns, private=private)
            except OSError:  # disk full...: no empty session directory left behind
                with contextlib.suppress(OSError):
                    sdir.rmdir()
                raise
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
                private=private,
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
        if not is_session_id(sid):
            raise _bad_id(sid)
        if any(doc.is_forgotten(sid) for doc, _ in self.docs()):
            return ImportResult(None, False, 0, note="forgotten")
        existing = self._existing_location(sid)
        if existing is None:
            clean = [_clean_turn(t, i, self.root) for i, t in enumerate(turns)]
            head = {
                "type": "session",
                "format": FORMAT_VERSION,
                "id": sid,
                "tool": header.tool,
                "title": header.title or _title_from(clean),
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
                "command": header.command or None,
                "exit_status": header.exit_status,
                "external_id": header.external_id,
                "turn_count": len(clean),
                "parts": 1,
                "meta": _machine_meta(header.meta) or None,
            }
            self._write_session(sid, head, clean, private, part=0)
            return ImportResult(self.get_session(sid, with_turns=False), True, len(clean))
        sdir, is_private = existing
        have = tx.read_transcript(sdir, self.root)
        known_ids = {t.id for t in have.turns if t.id}
        stored_ids = [clean_turn_id(t.id, self.root) for t in turns]  # ids are stored redacted
        if turns and all(stored_ids) and known_ids and len(set(stored_ids)) == len(turns):
            new = [t for t, i in zip(turns, stored_ids, strict=True) if i not in known_ids]
        else:
            new = list(turns[len(have.turns) :])
        refresh = self._header_refresh(sid, "private" if is_private else "shared", header)
        if not new:
            if refresh:
                self._set_summary(sid, is_private, refresh)
            return ImportResult(self.get_session(sid, with_turns=False), False, 0)
        start = len(have.turns)
        clean = [_clean_turn(t, start + i, self.root) for i, t in enumerate(new)]
        head = {
            "turn_count": start + len(clean),
            "parts": have.parts + 1,
            "ended_at": refresh.get("ended_at") or normalize_iso(header.ended_at) or clean[-1].ts,
        }
        self._write_session(sid, head, clean, is_private, part=have.parts)
        if "meta" in refresh:
            self._set_summary(sid, is_private, {"meta": refresh["meta"]})
        return ImportResult(self.get_session(sid, with_turns=False), False, len(clean))

    def _header_refresh(self, sid: str, where: str, header: TranscriptHeader) -> dict[str, Any]:
        """What a re-import of a longer or completed transcript changes in the stored header:
        a later ``ended_at``, and the importer's ``meta`` (e.g. ``truncated_tail`` gone once
        the file is whole). Transcript files are written once, so the new values go on the
        session's CRDT summary, which readers lay over the part-000 header."""
        rec, _private = self._session_record(sid, where)
        out: dict[str, Any] = {}
        ended = normalize_iso(header.ended_at)
        if ended and ended > str(rec.get("ended_at") or ""):
            out["ended_at"] = ended
        if header.meta:  # a capture completing into an import has none: keep what is there
            meta = clean_value(header.meta, self.root)
            if _plain_numbers(meta) != _plain_numbers(rec.get("meta") or {}):
                out["meta"] = meta
        return out

    def _set_summary(self, sid: str, private: bool, fields: dict[str, Any]) -> None:
        def put(doc: StateDoc) -> None:
            rec = doc.sessions.get(sid)
            if rec is not None:
                doc.set_fields(rec, fields)

        self.mutate(private, put)

    def _existing_location(self, sid: str) -> tuple[Path, bool] | None:
        for private in (False, True):
            sdir = self._session_path(sid, private)  # a link here refuses the write
            if (sdir / tx.PART_FMT.format(0)).exists():
                return sdir, private
        return None

    # ---- reading ---------------------------------------------------------------------------
    def _open_ids(self) -> list[str]:
        lay = self.layout
        good, refused = confine.entries(lay.store, lay.active_dir, _journal_name, _not_journal)
        self._refuse(refused)
        return [n[:-6] for n in good]

    def _all_ids(self) -> dict[str, str]:
        """id -> where: 'shared' | 'private' | 'open'."""
        out: dict[str, str] = {}
        forgotten = {str(k) for doc, _ in self.docs() for k in list(doc.forgotten.keys())}
        for where, base in (
            ("shared", self.layout.sessions_dir),
            ("private", self.layout.private_sessions_dir),
        ):
            good, refused = confine.entries(self.layout.store, base, is_session_id, _not_session)
            self._refuse(refused)
            for name in good:
                # a directory without its transcript (a stray directory, a deleted
                # 000.jsonl) is no session: see session_dir_problems
                part0 = os.path.join(base, name, tx.PART_FMT.format(0))
                mode = _lmode(part0)  # one lstat per session: 1,000 of them in ctx status
                if stat.S_ISLNK(mode):
                    self._refuse([(Path(part0), "a symbolic link, not followed")])
                elif name not in forgotten and stat.S_ISREG(mode):
                    out[name] = where
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
                with os.scandir(base) as it:  # (the entry's type without a stat of its own)
                    dirs = sorted(e.name for e in it if e.is_dir(follow_symlinks=False))
            except FileNotFoundError:
                continue
            doc = self.private if private else self.shared
            for n in dirs:
                path = os.path.join(base, n)
                if n in forgotten:
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
        sdir = self._readable_dir(sid, private)
        header = (tx.read_header(sdir) if sdir else None) or {}
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
                sdir = self._readable_dir(sid, private)
                t = tx.read_transcript(sdir, self.root) if sdir else tx.Transcript({})
                if t.newer_format is not None:
                    bad = next(p for p in t.problems if p.line == 1 and "format" in p.message)
                    raise CtxError(
                        f"{bad.path}: {bad.message.split(';')[0]}",
                        "upgrade ctx (pip install -U contextfs-cli); nothing was changed",
                        code="newer_format",
                    )
                self.problems.extend(t.problems)
                session.turns = t.turns
            session.turn_count = len(session.turns)
        return session

    def iter_session_turns(self, sid: str, private: bool = False) -> list[Turn]:
        sdir = self._readable_dir(sid, private)
        if sdir is None:
            return []
        t = tx.read_transcript(sdir, self.root)
        self.problems.extend(p for p in t.problems if p not in self.problems)
        return t.turns

    def list_sessions(
        self,
        tool: str | None = None,
        since: datetime | None = None,
        branch: str | None = None,
        *,
        include_open: bool = True,
        include_failed: bool = True,
        limit: int | None = None,
    ) -> list[Session]:
        """Newest first. ``include_failed=False`` leaves out runs that failed before any
        conversation (status ``failed``, kept on this machine only; see ctx.capture.wrap)."""
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
            if not include_failed and s.status == "failed":
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
                doc.set_fields(rec, {"title": clean_value(title, self.root)})
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
            sdir = self._readable_dir(sid, p)  # never a link, never outside the store
            if sdir is not None:
                shutil.rmtree(sdir, ignore_errors=True)
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


def _machine_meta(meta: dict[str, Any] | None) -> dict[str, Any]:
    """An imported header's meta without machine-local paths: the transcript's path (in the
    user's home, with the encoded project path in it) is kept as its file name only."""
    out = dict(meta or {})
    src = out.pop("source_path", None)
    if src:
        out.setdefault("source_file", Path(str(src)).name)
    return out


def _title_from(turns: list[Turn]) -> str:
    from ctx.store.titles import title_from

    return title_from(turns)


def _regular_file(path: Path) -> bool:
    """A regular file, not a link to one (links in the store are never followed)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _lmode(path: str) -> int:
    """The file type bits of `path` itself (0 when it is missing or unreadable)."""
    try:
        return os.lstat(path).st_mode
    except (OSError, ValueError):
        return 0


def current_mark(root: Path, sid: str) -> str:
    """What `local/current-session` carries beside the id: the clone's key over it."""
    from ctx.core.machine_key import tag

    return tag(root, "current-session", sid)


def owner_clone(root: Path, sid: str) -> str:
    """Which clone a capture belongs to (ctx/core/machine_key.py): a journal with an owner is
    recovered only by the clone that started it, never one a commit forced under local/."""
    from ctx.core.machine_key import tag

    return tag(root, "journal", sid)
