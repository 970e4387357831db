"""A write to the store, while `ctx why` is being asked, keeps its inputs current in the
writing process (ctx/codelinks/why_keep.py): the next question is answered without loading
the store, as the store would answer it. Anything that changed the store besides that write
(git rewriting a log, another writer's journal entry, a new session folder) means nothing is
kept; a question not asked lately, or a link where the caches live, costs the write nothing
and reaches nothing outside `.contextfs/`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ctx.codelinks import why_inputs, why_keep
from ctx.codelinks.answer_key import store_digest
from ctx.core import after_write
from ctx.core.gitfiles import locate
from tests.codelinks.test_answer_cache import fast, setup
from tests.codelinks.test_why_inputs import forget_answers, kept, light_answer, read_kept
from tests.sync.conftest import ctx_in

CACHE = Path(".contextfs") / "local" / "cache"


def current(repo: Path) -> why_inputs.Inputs | None:
    """The kept inputs when they are valid for the store as it is now, else None."""
    info = locate(repo.resolve())
    assert info is not None
    store = store_digest(info.root)
    assert store is not None
    return why_inputs.load(info.root, why_inputs.inputs_key(info, store))


def memory_ids(repo: Path) -> set[str]:
    return {m[0] for m in read_kept(repo)["memories"]}


def full_answer(repo: Path, *question: str) -> str:
    """What `ctx why` prints with the store loaded (no kept inputs, no cached answer)."""
    kept(repo).unlink()
    forget_answers(repo)
    return ctx_in(repo, "why", *question)


def test_a_write_while_why_is_asked_keeps_its_inputs_for_the_next_question(
    tmp_path: Path,
) -> None:
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "why", "app.py")  # asked: the inputs are kept
    for kind, text in (("decision", "app.py says bye last"), ("fact", "app.py prints twice")):
        new = ctx_in(repo, "memory", "add", "-t", kind, text).strip().split()[-1]
        assert current(repo) is not None  # the write kept them, no `ctx why` in between
        assert new in memory_ids(repo)
    forget_answers(repo)
    code, loaded, answer = light_answer(repo, "app.py:2")
    assert (code, loaded) == (0, [])  # answered without loading the store (or git's library)
    assert "app.py prints twice" in answer
    assert answer == full_answer(repo, "app.py:2")  # what the loaded store says


def test_a_forget_and_a_captured_session_keep_them_too(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)
    mid = ctx_in(repo, "memory", "add", "-t", "fact", "to be forgotten").strip().split()[-1]
    ctx_in(repo, "why", "app.py")
    assert mid in memory_ids(repo)
    ctx_in(repo, "forget", "-y", mid)
    assert current(repo) is not None and mid not in memory_ids(repo)
    before = {s[0] for s in read_kept(repo)["sessions"]}
    ctx_in(repo, "wrap", "-q", "--", "true")
    assert current(repo) is not None
    assert len({s[0] for s in read_kept(repo)["sessions"]} - before) == 1


def test_nothing_is_kept_when_why_was_not_asked_lately(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "why", "app.py")
    old = os.stat(kept(repo)).st_mtime_ns
    hour_ago = os.stat(repo / CACHE / "why").st_mtime - 3600
    os.utime(repo / CACHE / "why", (hour_ago, hour_ago))
    new = ctx_in(repo, "memory", "add", "-t", "fact", "nobody asks").strip().split()[-1]
    assert current(repo) is None and os.stat(kept(repo)).st_mtime_ns == old
    forget_answers(repo)
    assert fast(repo, "app.py") is not None  # the store loaded, the inputs kept again
    assert current(repo) is not None and new in memory_ids(repo)


def test_kept_inputs_past_the_size_bound_are_left_to_the_warmer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "why", "app.py")
    monkeypatch.setattr(why_keep, "MAX_BYTES", 100)
    ctx_in(repo, "memory", "add", "-t", "fact", "too big to keep here")
    assert current(repo) is None


def _log_rewritten(repo: Path) -> None:
    """As git checks a log out: the same bytes in a new file."""
    logs = sorted((repo / ".contextfs" / "state").glob("*.log"))
    assert logs
    for log in logs:
        data = log.read_bytes()
        log.unlink()
        log.write_bytes(data)


def _foreign_journal_entry(repo: Path) -> None:
    pending = repo / ".contextfs" / "local" / "pending"
    pending.mkdir(parents=True, exist_ok=True)
    (pending / "0000000000000-other-writer.upd").write_bytes(b"\x00\x00")


def _session_folder_added(repo: Path) -> None:
    (repo / ".contextfs" / "sessions" / "s-zzzzzzzzzzzz").mkdir(parents=True)


@pytest.fixture
def meddle() -> Iterator[Callable[[Callable[[Path], None]], None]]:
    """Register a hook that changes the store by another hand while a write is under way
    (after the writer took its rows, before it keeps)."""
    hooks: list[after_write.Hook] = []

    def use(change: Callable[[Path], None]) -> None:
        def hook(root: Path) -> None:
            change(root)
            return None

        ctx_in(Path.cwd(), "--version")  # the CLI registers `ctx why`'s hook first
        after_write.register(hook)
        hooks.append(hook)

    yield use
    for h in hooks:
        after_write.unregister(h)


@pytest.mark.parametrize(
    "change",
    [_log_rewritten, _foreign_journal_entry, _session_folder_added],
    ids=lambda f: f.__name__.strip("_"),
)
def test_a_store_changed_by_another_hand_during_the_write_keeps_nothing(
    tmp_path: Path,
    meddle: Callable[[Callable[[Path], None]], None],
    change: Callable[[Path], None],
) -> None:
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "memory", "add", "-t", "fact", "first, so this clone's log exists")
    ctx_in(repo, "why", "app.py")
    ctx_in(repo, "memory", "add", "-t", "fact", "written alone")
    assert current(repo) is not None  # kept by that write
    meddle(change)
    ctx_in(repo, "memory", "add", "-t", "fact", "written while another hand works")
    assert current(repo) is None  # the next question loads the store


def test_only_this_write_allows_its_own_log_grown_in_place() -> None:
    own = {"state/r.log"}

    def row(rel: str, ino: int, size: int) -> str:
        return f"{rel}\0{0o100000}\0{ino}\0{size}\0{size * 10}\n"

    base = [row("config.toml", 1, 5), row("state/r.log", 2, 100)]
    assert why_keep.only_this_write(base, [base[0], row("state/r.log", 2, 180)], own, set())
    assert not why_keep.only_this_write(base, [base[0], row("state/r.log", 3, 180)], own, set())
    assert not why_keep.only_this_write(base, [base[0], row("state/r.log", 2, 50)], own, set())
    assert not why_keep.only_this_write(base, [row("config.toml", 1, 6), base[1]], own, set())
    entry = row("local/pending/e1", 9, 10)
    assert why_keep.only_this_write(base, [*base, entry], own, {"e1"})
    assert not why_keep.only_this_write(base, [*base, entry], own, set())
    assert why_keep.only_this_write([*base, entry], base, own, set())  # settled


def test_a_linked_answers_folder_is_never_touched_through(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "why", "app.py")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    shutil.rmtree(repo / CACHE / "why")
    (repo / CACHE / "why").symlink_to(outside, target_is_directory=True)
    os.utime(outside, (1_000_000, 1_000_000))
    before = os.stat(outside).st_mtime_ns
    assert fast(repo, "app.py:1") is not None
    ctx_in(repo, "memory", "add", "-t", "fact", "with a link in the cache")
    assert os.stat(outside).st_mtime_ns == before
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]
