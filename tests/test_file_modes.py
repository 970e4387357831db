"""Private and machine-local data is readable by its owner only (issue 11, item 4): created
0600 / 0700 whatever the umask, and tightened on the next write when an older ctx left it
world-readable. Committed files keep normal modes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctx.core import paths
from ctx.store.project import Project
from ctx.sync import conflicts
from tests.helpers import run_ctx


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The usual umask (022): files would come out 0644 unless ctx asks for less."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    r = run_ctx(capsys, *args)
    assert r.code == 0, r
    return r.out


def test_local_and_private_files_are_created_owner_only(
    store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ctx.store.base.CACHE_MIN_LINES", 1)  # write the load cache at once
    local = store / ".contextfs" / "local"
    ok(capsys, "memory", "add", "shared note")
    ok(capsys, "memory", "add", "--private", "private note")
    sid = ok(capsys, "capture", "--title", "open one").split()[0]
    journal = local / "active" / f"{sid}.jsonl"
    assert mode(journal) == 0o600 and mode(journal.parent) == 0o700
    ok(capsys, "append", "hello")
    ok(capsys, "complete")
    priv = store / "priv.jsonl"
    priv.write_text('{"role":"user","text":"private transcript"}\n')
    ok(capsys, "import", "jsonl", "--private", str(priv))
    ok(capsys, "index", "--keyword-only")
    ok(capsys, "sync")  # no remote: commits locally, writes local/sync/last.json
    p = Project.open(store)
    conflicts.record(
        p, [conflicts.LostEdit("memory", "m-aaaaaaaaaaaa", "content", 1, 2, "here", "x")]
    )
    private_files = [
        local / "replica.json",
        local / "write.lock",
        local / "private" / "state.log",
        local / "cache" / "state.bin",
        local / "sync" / "last.json",
        local / "sync" / "lost-edits.jsonl",
        *(local / "private" / "sessions").rglob("*.jsonl"),
        local / "index.db",
        *local.glob("index.db-*"),
        paths.registry_file(),
    ]
    assert len([f for f in private_files if f.name.endswith(".jsonl")]) >= 2
    for f in private_files:
        assert f.exists(), f
        assert mode(f) == 0o600, (f, oct(mode(f)))
    for d in [local, *(d for d in local.rglob("*") if d.is_dir()), paths.data_dir()]:
        assert mode(d) == 0o700, (d, oct(mode(d)))
    # committed files keep normal modes
    committed = [
        store / ".contextfs" / "config.toml",
        p.own_log,
        *(store / ".contextfs" / "sessions").rglob("*.jsonl"),
    ]
    assert len(committed) >= 3
    for f in committed:
        assert mode(f) == 0o644, (f, oct(mode(f)))


def test_world_readable_files_of_an_older_ctx_are_tightened_on_the_next_write(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local = store / ".contextfs" / "local"
    ok(capsys, "memory", "add", "--private", "private note")
    ok(capsys, "index", "--keyword-only")
    loose = [
        local / "private" / "state.log",
        local / "replica.json",
        local / "write.lock",
        local / "index.db",
        paths.registry_file(),
    ]
    for f in loose:
        f.chmod(0o644)
    for d in (local, local / "private"):
        d.chmod(0o755)
    (local / "index.db").unlink()  # an index an older ctx made for everyone
    (local / "index.db").write_bytes(b"")
    (local / "index.db").chmod(0o644)
    from ctx.search.service import close_all

    close_all()  # a new process opens the index
    ok(capsys, "memory", "add", "--private", "another private note")
    ok(capsys, "index", "--keyword-only")
    Project.open(store).init()  # registers again: the registry is rewritten
    paths.registry_file().chmod(0o644)
    from ctx.store import registry

    registry.register(store / "elsewhere")
    for f in loose:
        assert mode(f) == 0o600, (f, oct(mode(f)))
    for d in (local, local / "private"):
        assert mode(d) == 0o700, (d, oct(mode(d)))


def test_export_with_private_data_is_owner_only(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ok(capsys, "memory", "add", "--private", "private note")
    out = tmp_path / "all.jsonl"
    out.write_text("")
    out.chmod(0o644)  # an earlier export: tightened when overwritten with private data
    run_ctx(capsys, "export", "--include-private", "-o", str(out))
    assert "private note" in out.read_text() and mode(out) == 0o600
    shared = tmp_path / "shared.jsonl"
    run_ctx(capsys, "export", "-o", str(shared))
    assert "private note" not in shared.read_text() and mode(shared) == 0o644


def test_embedding_cache_is_owner_only(tmp_path: Path) -> None:
    from ctx.search.embed import EmbeddingCache

    cache = EmbeddingCache()
    cache.put_many([(EmbeddingCache.key("m", "private text"), b"\0" * 16)])
    assert mode(cache.path) == 0o600 and mode(cache.path.parent) == 0o700
    for side in cache.path.parent.glob("vectors.sqlite-*"):
        assert mode(side) == 0o600, side
    cache.path.chmod(0o644)
    EmbeddingCache(cache.path)
    assert mode(cache.path) == 0o600


def test_terminal_recordings_are_owner_only(store: Path) -> None:
    from ctx.capture.asciicast import journal_to_cast
    from ctx.capture.journal import JournalWriter

    rec_dir = Project.open(store).layout.recordings_dir
    journal = rec_dir / "s-aaaaaaaaaaaa.journal"
    w = JournalWriter(journal, command=["sh"], fsync_interval=0)
    w.on_start(80, 24)
    w.on_output(b"typed secret\r\n", 0.1)
    w.finish(exit_code=0)
    cast = rec_dir / "s-aaaaaaaaaaaa.cast"
    journal_to_cast(journal, cast)
    assert mode(journal) == 0o600 and mode(cast) == 0o600
    assert mode(rec_dir) == 0o700 and mode(rec_dir.parent) == 0o700
