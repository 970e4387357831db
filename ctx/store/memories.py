"""Typed memories: add, list, show, edit, remove (mixed into Project)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ctx.core.errors import CtxError
from ctx.core.ids import MEMORY_PREFIX, is_memory_id, new_id
from ctx.core.models import MEMORY_TYPES, Memory
from ctx.core.shapes import text, text_or_none, texts, whole
from ctx.core.timeutil import now_iso, parse_iso
from ctx.store.base import ProjectBase
from ctx.store.cites import clean_stored, normalise
from ctx.store.redaction import local_paths, redact_text
from ctx.store.state import SUPERSEDED_BY, StateDoc

_TAG_RE = re.compile(r"^[\w][\w.:/+-]*$", re.UNICODE)
MAX_CONTENT = 1_000_000  # characters; a memory is a note, not a dump


def check_type(mtype: str) -> str:
    t = (mtype or "").strip().lower()
    if t not in MEMORY_TYPES:
        raise CtxError(
            f"invalid memory type '{mtype}'",
            f"use one of: {', '.join(MEMORY_TYPES)}",
            code="invalid_type",
        )
    return t


def clean_tags(tags: list[str] | tuple[str, ...] | None) -> list[str]:
    out: list[str] = []
    for raw in tags or ():
        for tag in str(raw).split(","):
            tag = tag.strip().lstrip("#")
            if not tag:
                continue
            if not _TAG_RE.match(tag):
                raise CtxError(
                    f"invalid tag '{tag}'",
                    "tags are words: letters, digits and . _ - : / + (no spaces)",
                    code="invalid_tag",
                )
            if tag not in out:
                out.append(tag)
    return out


def tags_to_store(tags: list[str] | tuple[str, ...] | None) -> list[str]:
    """Tags about to be written: content is redacted, but a redacted tag would be useless,
    so a tag that looks like a secret is refused instead (tags are committed as they are)."""
    out = clean_tags(tags)
    if out:
        from ctx.privacy import find_secrets

        for tag in out:
            found = find_secrets(tag)
            if found:
                raise CtxError(
                    f"tag '{tag[:4]}…' looks like a secret ({found[0].rule}); nothing was stored",
                    "tags are committed in clear: keep secrets out of them",
                    code="secret_tag",
                )
    return out


def _content(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise CtxError("a memory needs some content", "pass the text, or `-` to read stdin")
    if len(text) > MAX_CONTENT:
        raise CtxError(
            f"memory content is {len(text):,} characters, more than {MAX_CONTENT:,}",
            "store long material as a session (`ctx import jsonl`) and link a short memory to it",
        )
    return redact_text(text)


def to_memory(mid: str, rec: dict[str, Any], private: bool) -> Memory:
    """The record as a Memory; a field of the wrong type (pulled: anything) as if missing."""
    sup = rec.get("supersedes")
    created = text(rec.get("created_at"))
    return Memory(
        id=mid,
        type=text(rec.get("type")) or "fact",
        content=text(rec.get("content")),
        tags=texts(rec.get("tags")),
        author=text(rec.get("author")),
        branch=text_or_none(rec.get("branch")),
        commit=text_or_none(rec.get("commit")),
        created_at=created,
        updated_at=text(rec.get("updated_at")) or created,
        source_session=text_or_none(rec.get("source_session")),
        source_turn=whole(rec.get("source_turn")),
        private=private,
        cites=clean_stored(rec.get("cites")),
        supersedes=sup if isinstance(sup, str) and is_memory_id(sup) else None,
        superseded_by=[
            s for s in rec.get("superseded_by") or [] if isinstance(s, str) and is_memory_id(s)
        ],
    )


class MemoryOps(ProjectBase):
    def add_memory(
        self,
        content: str,
        type: str = "fact",
        tags: list[str] | tuple[str, ...] | None = None,
        *,
        source_session: str | None = None,
        source_turn: int | None = None,
        private: bool = False,
        memory_id: str | None = None,
        created_at: str | None = None,
        author: str | None = None,
        cites: list[str] | tuple[str, ...] | None = None,
        supersedes: str | None = None,
    ) -> Memory:
        mtype = check_type(type)
        text = local_paths(_content(content), self.root)
        tag_list = tags_to_store(tags)
        if source_session is not None and not source_session.strip():
            raise CtxError(
                "--session must not be empty",
                "name the source session by id or prefix, or leave --session out",
                exit_code=2,
                code="usage",
            )
        if source_session:
            source_session = self.resolve_session_id(source_session)  # type: ignore[attr-defined]
        if source_turn is not None and not source_session:
            raise CtxError("--turn needs --session", "name the session the turn belongs to")
        if cites is None and source_session:
            from ctx.store.touched import session_cites

            cites = session_cites(self, source_session)  # type: ignore[arg-type]
        cite_list: list[str] = []
        for raw in cites or ():
            c = normalise(raw, self.root)
            if c not in cite_list:
                cite_list.append(c)
        old_id: str | None = None
        old_private = False
        if supersedes:
            old_id, _old, old_private = self._find_memory(supersedes)
        mid = memory_id or new_id(MEMORY_PREFIX)
        ts = now_iso()
        fields = {
            "type": mtype,
            "content": text,
            "author": author or self.git.author,
            "branch": self.git.branch,
            "commit": self.git.head,
            "created_at": created_at or ts,
            "updated_at": ts,
            "source_session": source_session,
            "source_turn": source_turn,
            "supersedes": old_id,
        }

        def put(doc: StateDoc) -> None:
            doc.put_record(doc.memories, mid, fields, tag_list)
            # made with the record (even empty): a map created later in two clones at once
            # would keep only one clone's cites
            from pycrdt import Map

            doc.memories[mid]["cites"] = Map({c: True for c in cite_list})
            if old_id and old_private == private:
                mark(doc)

        def mark(doc: StateDoc) -> None:
            rec = doc.memories.get(old_id) if old_id else None
            if rec is not None:
                rec[f"{SUPERSEDED_BY}/{mid}"] = True

        self.mutate(private, put)
        # a private memory never writes its id into the shared log
        if old_id and old_private != private and not private:
            self.mutate(old_private, mark)
        return self.get_memory(mid)

    def _find_memory(self, ident: str) -> tuple[str, dict[str, Any], bool]:
        ident = (ident or "").strip()
        matches: list[tuple[str, dict[str, Any], bool]] = []
        for doc, private in self.docs():
            rec = doc.memory(ident)
            if rec is not None:
                return ident, rec, private
        want = ident if ident.startswith(MEMORY_PREFIX) else MEMORY_PREFIX + ident
        if len(ident) >= 4:
            for doc, private in self.docs():
                for mid in doc.memory_ids():
                    if mid.startswith(want):
                        rec = doc.memory(mid)
                        if rec is not None:
                            matches.append((mid, rec, private))
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise CtxError(
                f"'{ident}' matches {len(matches)} memories",
                "give more characters of the id: " + ", ".join(m[0] for m in matches[:5]),
                code="ambiguous",
            )
        raise CtxError(
            f"no memory matches '{ident}'",
            "list them with `ctx memory list`",
            code="not_found",
        )

    def get_memory(self, ident: str) -> Memory:
        mid, rec, private = self._find_memory(ident)
        return to_memory(mid, rec, private)

    def has_memory(self, mid: str) -> bool:
        return any(doc.memory(mid) is not None for doc, _ in self.docs())

    def list_memories(
        self,
        type: str | None = None,
        tag: str | list[str] | None = None,
        since: datetime | None = None,
        *,
        include_private: bool = True,
    ) -> list[Memory]:
        want_type = check_type(type) if type else None
        want_tags = clean_tags([tag] if isinstance(tag, str) else tag) if tag else []
        out: list[Memory] = []
        for doc, private in self.docs():
            if private and not include_private:
                continue
            for mid, rec in doc.all_memories().items():
                m = to_memory(mid, rec, private)
                if want_type and m.type != want_type:
                    continue
                if want_tags and not all(t in m.tags for t in want_tags):
                    continue
                if since and m.created_at and parse_iso(m.created_at) < since:
                    continue
                out.append(m)
        out.sort(key=lambda m: (m.created_at, m.id), reverse=True)
        return out

    def edit_memory(
        self,
        ident: str,
        *,
        content: str | None = None,
        type: str | None = None,
        tags: list[str] | None = None,
        add_tags: list[str] | tuple[str, ...] = (),
        remove_tags: list[str] | tuple[str, ...] = (),
        add_cites: list[str] | tuple[str, ...] = (),
        remove_cites: list[str] | tuple[str, ...] = (),
        reanchor: bool = False,
    ) -> Memory:
        mid, _rec, private = self._find_memory(ident)
        cite_add = [normalise(c, self.root) for c in add_cites]
        cite_rm = [normalise(c, self.root) for c in remove_cites]
        fields: dict[str, Any] = {}
        if content is not None:
            fields["content"] = local_paths(_content(content), self.root)
        if type is not None:
            fields["type"] = check_type(type)
        if reanchor and self.git.head:  # reviewed: still true as of HEAD
            fields["commit"] = self.git.head
        new_tags = tags_to_store(tags) if tags is not None else None
        add = tags_to_store(list(add_tags))
        remove = clean_tags(list(remove_tags))
        if not fields and new_tags is None and not add and not remove and not cite_add + cite_rm:
            raise CtxError(
                "nothing to change", "pass --content, --type, --tags, --tag, --untag or --cite"
            )

        def edit(doc: StateDoc) -> None:
            rec = doc.memories.get(mid)
            if rec is None:  # removed by another process meanwhile
                raise CtxError(f"memory {mid} was removed meanwhile", code="not_found")
            if new_tags is not None:
                current = set(doc.memory(mid)["tags"])  # type: ignore[index]
                doc.edit_tags(
                    rec,
                    [t for t in new_tags if t not in current],
                    [t for t in current if t not in new_tags],
                )
            doc.edit_tags(rec, add, remove)
            if cite_add or cite_rm:
                doc.edit_tags(rec, cite_add, cite_rm, key="cites")
            doc.set_fields(rec, {**fields, "updated_at": now_iso()})

        self.mutate(private, edit)
        return self.get_memory(mid)

    def remove_memory(self, ident: str, *, forget: bool = False) -> Memory:
        mid, rec, private = self._find_memory(ident)
        memory = to_memory(mid, rec, private)

        def rm(doc: StateDoc) -> None:
            if mid in doc.memories:
                del doc.memories[mid]
            if forget:
                doc.forgotten[mid] = now_iso()

        self.mutate(private, rm)
        return memory
