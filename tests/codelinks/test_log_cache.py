"""`ctx log`'s kept history (ctx/codelinks/log_cache.py): a kept answer is the answer computed
afresh, whatever happened since (new commits, a store commit, a rewritten HEAD, an edit of a
store file in place), and a forged or linked cache file is a miss that touches nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.codelinks.test_why import _session
from tests.sync.conftest import ctx_in, ctx_run, git, make_team

CACHE = Path(".contextfs/local/cache")
KEPT = ("log-history.json", "log-trailers.json", "why-inputs.json")
ASKS = (("log",), ("log", "--json"), ("log", "app.py", "--json"), ("log", "--type", "fact"))


def _answers(repo: Path) -> list[str]:
    return [ctx_in(repo, *args) for args in ASKS]


def _fresh(repo: Path) -> list[str]:
    """The answers with nothing kept (the caches removed first)."""
    for name in KEPT:
        (repo / CACHE / name).unlink(missing_ok=True)
    return _answers(repo)


def _repo(tmp_path: Path) -> Path:
    """A memory and a session committed, a commit whose trailer names the session (which
    touched another file: only the trailer links it to app.py), and an uncommitted memory."""
    repo = make_team(tmp_path).clone("ada")
    ctx_in(repo, "memory", "add", "-t", "decision", "app.py prints a greeting")
    sid = _session(repo, tmp_path, "other.py", "y = 1\n", "helper")
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"app\n\nCtx-Session: {sid}")
    ctx_in(repo, "memory", "add", "-t", "fact", "uncommitted note")
    assert sid in {e["id"] for e in json.loads(ctx_in(repo, "log", "app.py", "--json"))}
    return repo


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def test_a_kept_history_answers_as_a_fresh_one_through_every_change(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    first = _fresh(repo)
    assert (repo / CACHE / "log-history.json").is_file()
    assert _answers(repo) == first  # kept
    assert "uncommitted note" in first[0] and "(working tree)" in first[0]

    # code commits on top: walked on from the kept HEAD
    (repo / "app.py").write_text("print('hello')\n")
    git(repo, "commit", "-qm", "code only", "app.py")
    kept = _answers(repo)
    assert json.loads((repo / CACHE / "log-history.json").read_text().splitlines()[1])[
        "head"
    ] == _head(repo)
    assert kept == _fresh(repo)

    # a commit that changes the store: replayed on top, the working tree's entries move on
    git(repo, "add", ".contextfs")
    git(repo, "commit", "-qm", "context")
    kept = _answers(repo)
    assert kept == _fresh(repo)
    assert "(working tree)" not in kept[0]

    # HEAD rewritten (not on top of the kept one): replayed from the start
    git(repo, "reset", "-q", "--hard", "HEAD~2")
    ctx_in(repo, "memory", "list")  # loading the store writes the journal's changes back
    kept = _answers(repo)
    assert kept == _fresh(repo)
    assert "code only" not in git(repo, "log").stdout

    # a store file edited in place (same folder, same name): never the kept answer
    ctx_in(repo, "memory", "add", "-t", "fact", "another note")
    before = _answers(repo)
    log = next((repo / ".contextfs" / "state").glob("*.log"))
    with log.open("ab") as fh:  # a line that is no update: ignored by a fresh replay
        fh.write(b"\n")
    assert _answers(repo) == _fresh(repo) == before
    ctx_in(repo, "memory", "add", "-t", "fact", "a third note")
    assert "a third note" in _answers(repo)[0]


def test_the_kept_answer_is_served_without_replaying(tmp_path: Path) -> None:
    """A hit reads the file (the summary changed in it shows), so the tests above compare a
    kept answer, not one computed again."""
    repo = _repo(tmp_path)
    _fresh(repo)
    file = repo / CACHE / "log-history.json"
    key, body = file.read_text().splitlines()
    data = json.loads(body)
    data["committed"][0][7] = "kept summary"
    file.write_text(f"{key}\n{json.dumps(data)}\n")
    assert "kept summary" in ctx_in(repo, "log")
    trailers = repo / CACHE / "log-trailers.json"
    kept = json.loads(trailers.read_text())
    assert [len(ids) for ids in kept["keys"].values()] == [1]
    kept["keys"] = {k: [] for k in kept["keys"]}  # the trailer search's answer is read, too
    trailers.write_text(json.dumps(kept))
    linked = json.loads(ctx_in(repo, "log", "app.py", "--json"))
    assert [e["kind"] for e in linked] == ["memory"]  # the session was linked by its trailer


def test_a_forged_cache_is_a_miss(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    want = _fresh(repo)
    file = repo / CACHE / "log-history.json"
    key, body = file.read_text().splitlines()
    good = json.loads(body)

    def forged(change: object) -> None:
        data = json.loads(json.dumps(good))
        change(data)  # type: ignore[operator]
        file.write_text(f"{key}\n{json.dumps(data)}\n")
        assert _answers(repo) == want

    forged(lambda d: d["committed"][0].__setitem__(5, "../../etc/passwd"))  # not an id
    forged(lambda d: d["committed"][0].__setitem__(4, "\x1b[31mmemory"))  # not a kind
    forged(lambda d: d["committed"][0].__setitem__(0, "HEAD"))  # not a commit id
    forged(lambda d: d["committed"][0].__setitem__(2, "yesterday"))  # not a date
    forged(lambda d: d["committed"][0].__setitem__(8, [1]))  # fields not strings
    forged(lambda d: d["work"].append(d["committed"][0]))  # a commit in the working tree
    forged(lambda d: d.__setitem__("count", -1))
    forged(lambda d: d.__setitem__("head", "0" * 39))
    forged(lambda d: d["known"].__setitem__("x", [1, 2, 3, 4, True, "0" * 40]))
    forged(lambda d: d.__setitem__("committed", {"a": 1}))
    forged(lambda d: d.__setitem__("known", ["not", "a", "map"]))
    forged(lambda d: d.__setitem__("work", 7))
    forged(lambda d: d.__delitem__("tree"))
    for text in ("", "{}", "not json\n", f"{key}\n[1, 2]\n", f"{key}\n" + "[" * 100_000):
        file.write_text(text)
        assert _answers(repo) == want
    trailers = repo / CACHE / "log-trailers.json"
    trailers.write_text(json.dumps({"v": 1, "keys": {"k": ["../x"], "j": "s-aaaaaaaaaaaa"}}))
    assert _answers(repo) == want


def test_a_linked_cache_is_never_followed(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    want = _fresh(repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in KEPT:
        target = outside / name
        target.write_text((repo / CACHE / name).read_text())  # a copy of the real thing
        (repo / CACHE / name).unlink()
        (repo / CACHE / name).symlink_to(target)
    stamps = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in outside.iterdir()}
    assert _answers(repo) == want
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in outside.iterdir()} == stamps

    # the whole cache folder a link: refused like any link in the store, nothing written
    for name in KEPT:
        (repo / CACHE / name).unlink()
    cache = repo / CACHE
    os.rename(cache, tmp_path / "old-cache")
    cache.symlink_to(outside, target_is_directory=True)
    for args in ASKS:
        code, _out, err = ctx_run(repo, *args)
        assert code == 1 and "symbolic link" in err
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in outside.iterdir()} == stamps


def test_an_entry_as_json_has_every_field_in_order() -> None:
    """`--json` and the MCP tool print to_dict (written out by hand for speed)."""
    from dataclasses import asdict

    from ctx.codelinks.history import LogEntry

    e = LogEntry("a" * 40, "Ada", "2026-01-01T00:00:00Z", "", "memory", "m-x", "edited", "s", ["t"])
    assert list(e.to_dict().items()) == list(asdict(e).items())
