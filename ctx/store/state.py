"""The mutable state as a pycrdt document: memories, session summaries, tags, deletions.

Root maps:
  memories   id -> Map(type, content, tags: Map(tag -> True), author, branch, commit,
                       created_at, updated_at, source_session, source_turn,
                       cites: Map(cite -> True), supersedes,
                       "superseded_by/<memory id>": True for each memory replacing it)
  sessions   id -> Map(summary fields of the transcript + the editable title and tags)
  forgotten  id -> ISO time: ids deleted for good, so no clone or re-import revives them

Each field of a record is its own map entry, so concurrent edits of different fields both
survive; concurrent edits of one field resolve last-writer-wins by the CRDT's deterministic
order; a deleted record takes concurrent edits of it along (delete wins). Tags are a map so
that concurrent additions and removals of different tags all survive.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pycrdt import Doc, Map

TAGS = "tags"
SET_FIELDS = (TAGS, "cites")  # maps of key -> True, read as sorted lists
# One flag entry per replacing memory, directly in the record: two clones that supersede the
# same memory at once each add their own key (a nested map created twice would keep only one).
SUPERSEDED_BY = "superseded_by"


class StateDoc:
    def __init__(self) -> None:
        # pycrdt (and anyio under it) is imported with the first document, not with the
        # store: `ctx wrap` starts the program before it needs one
        from pycrdt import Doc, Map

        self.doc: Doc = Doc()
        self.memories: Map = self.doc.get("memories", type=Map)
        self.sessions: Map = self.doc.get("sessions", type=Map)
        self.forgotten: Map = self.doc.get("forgotten", type=Map)

    def apply(self, update: bytes) -> str | None:
        """Apply one update; return an error message instead of raising (pyo3 panics too)."""
        try:
            self.doc.apply_update(update)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            return f"update could not be applied ({type(exc).__name__}), skipped"
        return None

    @contextlib.contextmanager
    def change(self) -> Iterator[list[bytes]]:
        """Make changes in one transaction; the yielded list receives the transaction's own
        update (`get_update(state_before)` would also carry the whole delete set, so every
        log line would grow with the store's history)."""
        out: list[bytes] = []
        got: list[bytes] = []
        sub = self.doc.observe(lambda event: got.append(bytes(event.update)))
        try:
            with self.doc.transaction():
                yield out
        finally:
            self.doc.unobserve(sub)
        out.append(got[0] if got else b"\x00\x00")

    def full_update(self) -> bytes:
        return self.doc.get_update()

    # ---- reading -------------------------------------------------------------------------
    def memory_ids(self) -> list[str]:
        return list(self.memories.keys())

    def memory(self, mid: str) -> dict[str, Any] | None:
        rec = self.memories.get(mid)
        return _plain(rec) if rec is not None else None

    def all_memories(self) -> dict[str, dict[str, Any]]:
        return _all(self.memories)

    def session(self, sid: str) -> dict[str, Any] | None:
        rec = self.sessions.get(sid)
        return _plain(rec) if rec is not None else None

    def all_sessions(self) -> dict[str, dict[str, Any]]:
        return _all(self.sessions)

    def is_forgotten(self, ident: str) -> bool:
        return ident in self.forgotten

    # ---- writing (call inside change()) --------------------------------------------------
    def put_record(self, root: Map, rid: str, fields: dict[str, Any], tags: list[str]) -> None:
        from pycrdt import Map

        rec = Map({k: v for k, v in fields.items() if v is not None})
        root[rid] = rec
        rec[TAGS] = Map({t: True for t in tags})

    @staticmethod
    def set_fields(rec: Map, fields: dict[str, Any]) -> None:
        for k, v in fields.items():
            if v is None:
                if k in rec:
                    del rec[k]
            elif rec.get(k) != v:
                rec[k] = v

    @staticmethod
    def edit_tags(rec: Map, add: list[str], remove: list[str], key: str = TAGS) -> None:
        from pycrdt import Map

        tags = rec.get(key)
        if not isinstance(tags, Map):
            tags = Map({})
            rec[key] = tags
        for t in remove:
            if t in tags:
                del tags[t]
        for t in add:
            if t not in tags:
                tags[t] = True


def _all(root: Map) -> dict[str, dict[str, Any]]:
    """Every record of a root map. pycrdt serialises a map to JSON in Rust, about three times
    faster than converting record by record in Python (it matters at 10,000 sessions)."""
    try:
        data = json.loads(str(root))
    except ValueError:  # pragma: no cover - fall back to the slow, exact path
        return {k: _plain(v) for k, v in root.items()}
    return {k: _plain(v) for k, v in data.items() if isinstance(v, dict)}


def _plain(rec: Any) -> dict[str, Any]:
    d: dict[str, Any]
    if isinstance(rec, dict):
        d = dict(rec)
    else:
        from pycrdt import Map

        if not isinstance(rec, Map):
            return {}
        d = rec.to_py() or {}
    for key in SET_FIELDS:
        tags = d.get(key)
        if key == TAGS or key in d:
            d[key] = sorted(tags.keys()) if isinstance(tags, dict) else []
    flags = [k for k in d if k.startswith(SUPERSEDED_BY + "/")]
    if flags:
        d[SUPERSEDED_BY] = sorted(k.partition("/")[2] for k in flags)
        for k in flags:
            del d[k]
    return d
