"""ctx/store/confine.py: the one gate every path made from store content goes through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ctx.core.errors import CtxError
from ctx.core.ids import is_part_name, is_session_id
from ctx.store import confine
from ctx.store.locking import atomic_write, file_lock


@pytest.fixture
def store(tmp_path: Path) -> Path:
    s = tmp_path / "repo" / ".contextfs"
    (s / "sessions").mkdir(parents=True)
    (s / "local").mkdir()
    return s


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    o = tmp_path / "outside"
    o.mkdir()
    (o / "file").write_text("outside\n")
    return o


def test_child_takes_only_grammar_names_under_its_base(store: Path) -> None:
    base = store / "sessions"
    assert confine.child(store, base, "s-abcdefgh2345", is_session_id) == base / "s-abcdefgh2345"
    for bad in ("/etc", "../../x", "s-abcdefgh2345/../../x", "s-ABCDEFGH2345", "", None, 3):
        assert confine.child(store, base, bad, is_session_id) is None, bad


def test_link_in_finds_a_link_at_any_level(store: Path, outside: Path) -> None:
    (store / "sessions" / "s-aaaaaaaaaaaa").symlink_to(outside)
    deep = store / "sessions" / "s-aaaaaaaaaaaa" / "000.jsonl"
    assert confine.link_in(store, deep) == store / "sessions" / "s-aaaaaaaaaaaa"
    assert confine.link_in(store, store / "sessions" / "s-bbbbbbbbbbbb") is None
    assert confine.link_in(store, outside / "file") == outside / "file"  # not inside at all
    assert confine.link_in(store, store / ".." / "x") is not None


def test_a_linked_store_is_refused_as_a_whole(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / ".contextfs").symlink_to(outside)
    with pytest.raises(CtxError) as err:
        confine.check_structure(root, root / ".contextfs")
    assert err.value.code == "store_symlink" and err.value.exit_code == 1
    assert "remove the symlink .contextfs" in err.value.advice


def test_structure_links_are_all_named_with_their_fix(store: Path, outside: Path) -> None:
    root = store.parent
    os.rmdir(store / "local")
    (store / "local").symlink_to(outside)
    (store / "index.db-wal").symlink_to(outside / "file")
    with pytest.raises(CtxError) as err:
        confine.check_structure(root, store)
    assert (
        ".contextfs/local" in err.value.message and ".contextfs/index.db-wal" in err.value.message
    )
    assert "remove the symlink .contextfs/local; ctx recreates it" in err.value.advice


def test_entries_skip_links_and_bad_names(store: Path, outside: Path) -> None:
    base = store / "sessions"
    (base / "s-aaaaaaaaaaaa").mkdir()
    (base / "s-bbbbbbbbbbbb").symlink_to(outside)
    (base / "not-an-id").mkdir()
    (base / ".gitkeep").write_text("")
    good, bad = confine.entries(store, base, is_session_id, lambda n: n.startswith("."))
    assert good == ["s-aaaaaaaaaaaa"]
    reasons = {p.name: r for p, r in bad}
    assert (
        "symbolic link" in reasons["s-bbbbbbbbbbbb"] and "not a valid name" in reasons["not-an-id"]
    )
    os.rmdir(store / "local")
    (store / "local").symlink_to(outside)
    assert confine.entries(store, store / "local" / "x", is_part_name, lambda n: False)[0] == []


def test_writes_never_go_through_a_link(store: Path, outside: Path) -> None:
    target = outside / "file"
    link = store / "local" / "private.log"
    link.symlink_to(target)
    with pytest.raises(CtxError):
        confine.open_append(link, private=True)
    lock = store / "local" / "write.lock"
    lock.symlink_to(target)
    with pytest.raises(CtxError), file_lock(lock):
        pass
    # a planted temporary file of atomic_write is removed, never written through
    dest = store / "local" / "replica.json"
    (store / "local" / f".replica.json.{os.getpid()}.tmp").symlink_to(target)
    atomic_write(dest, b"{}", private=True)
    assert target.read_text() == "outside\n" and dest.read_bytes() == b"{}"
    # the rename replaces a link at the destination instead of writing through it
    cur = store / "local" / "current-session"
    cur.symlink_to(target)
    atomic_write(cur, b"s-x\n", private=True)
    assert not cur.is_symlink() and target.read_text() == "outside\n"
    with pytest.raises(OSError):
        confine.read_bytes(link)


def test_shown_escapes_what_a_terminal_would_obey() -> None:
    assert confine.shown("\x1b[2J\u202eevil") == "'\\x1b[2J\\u202eevil'"
    assert len(confine.shown("x" * 500)) == 80
