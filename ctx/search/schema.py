"""Schema of the search index: named migrations applied in order and recorded in a table.

The index is derived data. An index written by a newer ctx (it records a migration this
version does not know) or a file that is not a readable database is deleted and rebuilt
rather than repaired: the store in `.contextfs/` is the truth and re-indexing is cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import apsw

from ctx.search.buildlock import build_lock, is_damage
from ctx.search.db import Opened, connect, remove_db_files

# Porter stemming over unicode61: "painted" finds "painting"; remove_diacritics folds
# accents so "cafe" finds "café". Separators stay unicode61's (so `parse_jwt_header` and
# `src/auth/keys.py` become token sequences matched as phrases); CamelCase parts and CJK
# bigrams go into the second column, `extra` (see ctx.search.text). The third, `context`,
# holds the tail of the previous turn: a reply is found by the words of its question.
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"


def m001_initial(conn: apsw.Connection) -> None:
    """Documents, their tags, the FTS5 table over them and the chunk table for vectors."""
    conn.execute(
        f"""
        create table meta(key text primary key, value text);
        create table docs(
            rowid integer primary key,
            doc_id text not null unique,
            kind text not null,
            fingerprint text not null,
            ts real not null,
            memory_type text,
            session_id text,
            turn_n integer,
            turn_ext_id text,
            role text,
            tool text,
            branch text,
            author text,
            title text,
            embedded integer not null default 0,
            tags text not null default '[]',
            -- big columns last: filters joined per FTS match read only the record's head
            text text not null,
            extra text not null,
            context text not null default ''
        );
        create index docs_session on docs(session_id, turn_n);
        create index docs_ts on docs(ts);
        create index docs_kind on docs(kind, memory_type);
        create index docs_pending on docs(embedded) where embedded = 0;
        create table doc_tags(
            tag text not null,
            doc_rowid integer not null,
            primary key(tag, doc_rowid)
        ) without rowid;
        create index doc_tags_doc on doc_tags(doc_rowid);
        create virtual table fts using fts5(
            text, extra, context, content='docs', content_rowid='rowid',
            tokenize='{FTS_TOKENIZE}'
        );
        create table chunks(
            rowid integer primary key,
            doc_rowid integer not null,
            ord integer not null,
            start integer not null,
            end integer not null
        );
        create index chunks_doc on chunks(doc_rowid);
        """
    )


def m002_filter_indexes(conn: apsw.Connection) -> None:
    """Index the exact-match filters, so `--tool`/`--branch`/`--author` never scan the docs."""
    conn.execute(
        """
        create index docs_tool on docs(tool);
        create index docs_branch on docs(branch);
        create index docs_author on docs(author);
        """
    )


MIGRATIONS: list[Callable[[apsw.Connection], None]] = [m001_initial, m002_filter_indexes]


class NeedsRebuild(Exception):
    """The file must be thrown away (newer schema, or not a database we can read)."""


def _applied(conn: apsw.Connection) -> list[str]:
    conn.execute(
        "create table if not exists schema_migrations(name text primary key, applied_at real)"
    )
    return [r[0] for r in conn.execute("select name from schema_migrations order by rowid")]


def migrate(conn: apsw.Connection) -> list[str]:
    """Apply missing migrations; return the names applied now. Raises NeedsRebuild."""
    known = [m.__name__ for m in MIGRATIONS]
    with conn:
        done = _applied(conn)
        unknown = [n for n in done if n not in known]
        if unknown:
            raise NeedsRebuild(f"index written by a newer ctx (migration {unknown[0]})")
        applied = []
        for fn in MIGRATIONS:
            if fn.__name__ in done:
                continue
            fn(conn)
            conn.execute(
                "insert into schema_migrations(name, applied_at) values(?, ?)",
                (fn.__name__, time.time()),
            )
            applied.append(fn.__name__)
    return applied


def _usable(opened: Opened) -> bool:
    """Every migration applied and the tables readable: nothing to write (no lock needed)."""
    try:
        names = [r[0] for r in opened.conn.execute("select name from schema_migrations")]
        opened.conn.execute("select count(*) from meta").fetchall()
        opened.conn.execute("select rowid from docs limit 1").fetchall()
    except apsw.Error:
        return False
    return set(names) == {m.__name__ for m in MIGRATIONS}


def open_index_db(path: Path) -> tuple[Opened, str | None]:
    """Open and migrate the index at ``path``; rebuild it from scratch if unusable.

    Returns the connection and, when the old file was thrown away, the reason. An index
    that is already complete opens without the builder lock; creating, migrating or
    throwing away the file happens under it, so two processes never race on the schema.
    """
    if path.exists():
        try:
            opened = connect(path)
        except apsw.Error:
            opened = None
        if opened is not None:
            if _usable(opened):
                return opened, None
            opened.conn.close()
    with build_lock(path):
        return _open_locked(path)


def _open_locked(path: Path) -> tuple[Opened, str | None]:
    reason: str | None = None
    for _attempt in range(2):
        opened = None
        try:
            opened = connect(path)
            migrate(opened.conn)
            # Touch every table we rely on: a damaged schema page fails here, not mid-search.
            opened.conn.execute("select count(*) from meta").fetchall()
            opened.conn.execute("select rowid from docs limit 1").fetchall()
            return opened, reason
        except Exception as exc:
            # A half-written schema (a table missing after a crash mid-migration), garbled
            # pages, a file that is not a database, a newer ctx's index: start over.
            if not (isinstance(exc, NeedsRebuild) or is_damage(exc)):
                if opened is not None:
                    opened.conn.close()
                raise
            if opened is not None:
                opened.conn.close()
            reason = f"search index was rebuilt: {exc}"
            remove_db_files(path)
    raise RuntimeError(f"cannot create the search index at {path}")  # pragma: no cover
