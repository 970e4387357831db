"""Pulled content is hostile: a teammate's commit must not make ctx delete, read or write
anything outside `.contextfs/` (issue 11). Each test forges what a hostile commit can carry
(a CRDT log built with pycrdt as an attacker would, symlinks), pushes it to a real bare
remote, and lets the victim's clone meet it through `ctx sync`, a plain `git pull` with the
hooks installed, `ctx gc`, `ctx index` and the data layer of `ctx browse`. A victim folder
outside the repository must stay exactly as it was, and the user must be told (the file and
the commit that carried it)."""

from __future__ import annotations

import io
import json
import os
import stat
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from pycrdt import Doc, Map

from ctx.core.errors import CtxError
from ctx.store import crdt_log
from ctx.store.project import Project
from ctx.tui.data import Store
from tests.helpers import Result
from tests.sync.conftest import Team, git
from tests.sync.test_hooks import git_env, no_ctx_env

SECRET = "VICTIM-SECRET-TEXT"
MALLORY = "mallorymallory23"  # the attacker's replica id (any valid one)


def run(cwd: Path, *args: str) -> Result:
    """`ctx -C CWD ARGS` in this process, with its exit code, stdout and stderr."""
    from ctx.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["-C", str(cwd), *args])
    return Result(code, out.getvalue(), err.getvalue())


def snapshot(root: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry under `root` (not following links): its mode and content or link target."""
    out: dict[str, tuple[int, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                data: bytes | str = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                data = p.read_bytes()
            else:
                data = ""
            out[str(p.relative_to(root))] = (st.st_mode, data)
    return out


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A folder outside every clone, with a transcript-shaped file ctx would gladly read."""
    v = tmp_path / "victim"
    (v / "inner").mkdir(parents=True)
    header = '{"type":"session","format":1,"id":"s-aaaaaaaaaaaa","tool":"x","title":"stolen"}'
    turn = '{"type":"turn","n":0,"role":"user","text":"' + SECRET + '"}'
    (v / "000.jsonl").write_text(header + "\n" + turn + "\n")
    (v / "precious.txt").write_text("do not touch\n")
    (v / "inner" / "file.txt").write_text("nested\n")
    return v


def forged_log(forgotten: list[str], memories: dict[str, str] | None = None) -> bytes:
    """A state log an attacker writes by hand: one update per line, valid checksums."""
    lines = [crdt_log.header_line(MALLORY)]
    for key in forgotten:
        d = Doc()
        f = d.get("forgotten", type=Map)
        with d.transaction():
            f[key] = "2026-01-01T00:00:00.000Z"
        lines.append(crdt_log.encode_line(d.get_update()))
    for mid, text in (memories or {}).items():
        d = Doc()
        m = d.get("memories", type=Map)
        with d.transaction():
            m[mid] = Map({"type": "fact", "content": text})
        lines.append(crdt_log.encode_line(d.get_update()))
    return b"".join(lines)


def push_from(clone: Path, message: str) -> str:
    git(clone, "add", "-A", "-f", ".contextfs")
    git(clone, "commit", "-q", "-m", message)
    git(clone, "push", "-q", "origin", "HEAD:main")
    return git(clone, "rev-parse", "--short", "HEAD").stdout.strip()


def everything_runs(clone: Path, *, refused: bool = False) -> str:
    """sync, gc, index, status and the TUI's data layer; their combined messages."""
    said = []
    for args in (("sync",), ("gc",), ("index",), ("status",)):
        r = run(clone, *args)
        assert r.code in ((0, 1) if refused else (0,)), (args, r)
        assert SECRET not in r.out, (args, r.out)
        said.append(r.out + r.err)
    r = run(clone, "search", "--json", "--mode", "keyword", SECRET)
    assert r.code in ((0, 1) if refused else (0,)), r
    assert r.code == 1 or json.loads(r.out)["hits"] == []
    said.append(r.err)
    try:
        store = Store.open(clone)
    except CtxError as exc:
        assert refused, exc
        said.append(str(exc))
    else:
        rows = store.session_rows()
        assert all(r.title != "stolen" for r in rows)
        for r in rows:
            assert SECRET not in " ".join(t.text for t in store.session(r.id).turns or [])
    return "\n".join(said)


# ---- forgotten ids that are paths --------------------------------------------------------------


def hostile_forgets(victim: Path) -> list[str]:
    return [
        str(victim),  # absolute
        "../../../victim",  # from .contextfs/sessions/ up to the temp folder
        "s-aaaaaaaaaaaa/../../../../victim",  # an id with slashes
        "../../../victim/inner",
        "\x1b[31mred\x1b[0m",  # terminal escapes: shown escaped
    ]


def plant_forgets(team: Team, victim: Path) -> tuple[Path, str]:
    mallory = team.clone("mallory")
    log = mallory / ".contextfs" / "state" / f"{MALLORY}.log"
    log.write_bytes(forged_log(hostile_forgets(victim)))
    return log, push_from(mallory, "harmless looking commit")


def test_forgotten_paths_delete_nothing_through_ctx_sync(team: Team, victim: Path) -> None:
    alice = team.clone("alice")
    run(alice, "memory", "add", "alice was here")
    before = snapshot(victim)
    log, sha = plant_forgets(team, victim)
    said = everything_runs(alice)
    assert snapshot(victim) == before
    assert (alice / ".contextfs" / "state" / f"{MALLORY}.log").exists()  # it did arrive
    rel = f".contextfs/state/{log.name}"
    assert f"{rel}:2:" in said and sha in said and "not a memory or session id" in said
    assert repr(str(victim))[:40] in said  # shown (a long value is cut with "…")
    assert "\x1b" not in said and "\\x1b[31mred" in said  # escaped, never sent raw


def test_forgotten_paths_delete_nothing_through_git_pull_with_hooks(
    team: Team, victim: Path
) -> None:
    alice = team.clone("alice")
    assert run(alice, "hooks", "install").code == 0
    before = snapshot(victim)
    log, sha = plant_forgets(team, victim)
    env = {**no_ctx_env(), "CTX_HOOKS_FOREGROUND": "1"}
    proc = git_env(alice, "pull", "-q", "--no-rebase", env=env)
    assert proc.returncode == 0, proc.stderr
    assert (alice / ".contextfs" / "state" / log.name).exists()
    assert snapshot(victim) == before
    assert f".contextfs/state/{log.name}:2:" in proc.stderr and sha in proc.stderr
    assert "Traceback" not in proc.stderr
    # a pull through the detached hooks has nobody to tell: `ctx status` says it
    r = run(alice, "status")
    assert r.code == 0 and snapshot(victim) == before
    assert f".contextfs/state/{log.name}:2:" in r.err and sha in r.err
    doctor = run(alice, "doctor")
    assert "unreadable record" in doctor.out and log.name in doctor.out, doctor


# ---- symlinks committed under .contextfs/ ------------------------------------------------------


def test_a_linked_session_folder_or_part_is_not_read_indexed_or_removed(
    team: Team, victim: Path, tmp_path: Path
) -> None:
    alice = team.clone("alice")
    run(alice, "memory", "add", "alice was here")
    run(alice, "sync")
    mallory = team.clone("mallory")
    sessions = mallory / ".contextfs" / "sessions"
    for sid in ("s-aaaaaaaaaaaa", "s-dddddddddddd"):
        (sessions / sid).symlink_to(victim)  # a whole session folder
    for sid in ("s-bbbbbbbbbbbb", "s-eeeeeeeeeeee"):
        (sessions / sid).mkdir()
        (sessions / sid / "000.jsonl").symlink_to(victim / "000.jsonl")  # one part
    log = mallory / ".contextfs" / "state" / f"{MALLORY}.log"
    log.write_bytes(forged_log(["s-aaaaaaaaaaaa", "s-bbbbbbbbbbbb"]))  # "forget" two of them
    sha = push_from(mallory, "add sessions")
    before = snapshot(victim)
    said = everything_runs(alice)
    assert snapshot(victim) == before
    assert ".contextfs/sessions/s-dddddddddddd" in said and "symbolic link" in said
    assert ".contextfs/sessions/s-eeeeeeeeeeee/000.jsonl" in said
    assert sha in said and "remove the symlink: git rm .contextfs/sessions/s-dddddddddddd" in said
    doctor = run(alice, "doctor")
    for name in ("s-aaaaaaaaaaaa", "s-dddddddddddd", "s-eeeeeeeeeeee/000.jsonl"):
        assert f".contextfs/sessions/{name}" in doctor.out + doctor.err, doctor
    # a fresh clone, hooks installed before the pull brings them
    bob = tmp_path / "bob"
    git(tmp_path, "clone", "-q", "-n", str(team.remote), "bob")
    assert run(bob, "hooks", "install").code in (0, 1)
    env = {**no_ctx_env(), "CTX_HOOKS_FOREGROUND": "1"}
    proc = git_env(bob, "checkout", "-q", "main", env=env)
    assert proc.returncode == 0, proc.stderr
    everything_runs(bob)
    assert snapshot(victim) == before


@pytest.mark.parametrize("where", ["local", "state", "local/private"])
def test_a_linked_store_folder_is_refused_not_followed(
    team: Team, victim: Path, tmp_path: Path, where: str
) -> None:
    mallory = team.clone("mallory")
    store = mallory / ".contextfs"
    target = victim / "inner"
    if where == "state":
        git(mallory, "rm", "-q", "-r", ".contextfs/state")
    (store / where).parent.mkdir(parents=True, exist_ok=True)
    (store / where).symlink_to(target)
    sha = push_from(mallory, f"link {where}")
    before = snapshot(victim)
    bob = team.clone("bob")
    assert (bob / ".contextfs" / where).is_symlink()
    said = everything_runs(bob, refused=True)
    for args in (("memory", "add", "a note"), ("capture", "--title", "x")):
        r = run(bob, *args)
        assert r.code == 1 and f".contextfs/{where}" in r.err, r
        assert "remove the symlink" in r.err
    assert snapshot(victim) == before
    assert f".contextfs/{where}" in said and "remove the symlink" in said
    if where == "state":
        assert sha in said  # committed: the commit that added it is named
    # doctor names it with the fix
    r = run(bob, "doctor")
    assert f".contextfs/{where}" in r.out + r.err and "remove the symlink" in r.out + r.err
    assert snapshot(victim) == before


@pytest.mark.parametrize("how", ["ctx sync", "git pull"])
def test_a_pull_that_brings_a_linked_local_folder_stops_there(
    team: Team, victim: Path, how: str
) -> None:
    """git itself replaces the clone's local/ by the link (ignored files are expendable to
    git); ctx must then stop, not write its records through it."""
    alice = team.clone("alice")
    assert run(alice, "memory", "add", "alice's note").code == 0
    assert run(alice, "hooks", "install").code == 0
    mallory = team.clone("mallory")
    (mallory / ".contextfs" / "local").symlink_to(victim / "inner")
    push_from(mallory, "link local")
    before = snapshot(victim)
    if how == "ctx sync":
        r = run(alice, "sync")
        assert r.code == 1 and ".contextfs/local" in r.err and "remove the symlink" in r.err, r
    else:
        env = {**no_ctx_env(), "CTX_HOOKS_FOREGROUND": "1"}
        proc = git_env(alice, "pull", "-q", "--no-rebase", env=env)
        assert proc.returncode == 0 and ".contextfs/local" in proc.stderr, proc.stderr
    assert (alice / ".contextfs" / "local").is_symlink()
    everything_runs(alice, refused=True)
    assert snapshot(victim) == before


def test_a_linked_own_state_log_is_never_written_through(team: Team, victim: Path) -> None:
    alice = team.clone("alice")
    assert run(alice, "memory", "add", "alice's first note").code == 0
    run(alice, "sync")
    own = Project.open(alice).own_log
    mallory = team.clone("mallory")
    theirs = mallory / ".contextfs" / "state" / own.name
    theirs.unlink()
    theirs.symlink_to(victim / "precious.txt")  # alice's own log, redirected
    other = mallory / ".contextfs" / "state" / f"{MALLORY}.log"
    other.symlink_to(victim / "000.jsonl")  # and a log that reads a file outside
    sha = push_from(mallory, "tidy logs")
    before = snapshot(victim)
    synced = run(alice, "sync")  # a fast-forward brings the links; ctx may stop right there
    assert synced.code == 0 or ("symbolic link" in synced.err and own.name in synced.err), synced
    assert snapshot(victim) == before
    assert own.is_symlink()
    r = run(alice, "memory", "add", "a second note")
    assert r.code == 1 and "symbolic link" in r.err and own.name in r.err, r
    said = everything_runs(alice, refused=True)
    assert snapshot(victim) == before
    assert f".contextfs/state/{other.name}" in said and sha in said


def test_pulled_files_under_local_are_not_trusted(team: Team, victim: Path) -> None:
    """local/ is gitignored, but a commit can force-add files there: a journal whose name or
    final id is a path must not become one."""
    mallory = team.clone("mallory")
    active = mallory / ".contextfs" / "local" / "active"
    active.mkdir(parents=True)
    head = '{"type":"session","id":"s-cccccccccccc","owner_pid":999999999,"final_id":"../../x"}'
    (active / "s-cccccccccccc.jsonl").write_text(head + "\n")
    (active / "...jsonl").write_text(head + "\n")
    push_from(mallory, "journals")
    bob = team.clone("bob")
    before = snapshot(victim)
    r = run(bob, "sessions", "list")  # tracked machine-local files: the store is refused
    assert r.code not in (0, 70) and "git tracks machine-local ctx files" in r.err, r
    git(bob, "rm", "-r", "-q", "--cached", "--", ".contextfs/local")
    git(bob, "commit", "-qm", "untrack")  # only untracked: the journals stay on disk
    r = run(bob, "sessions", "list")  # refused until they are deleted (.git/ctx-planted)
    assert r.code not in (0, 70) and "are still in this checkout" in r.err, r
    (bob / ".git" / "ctx-planted").unlink()  # as if ctx had never seen them tracked
    r = run(bob, "sessions", "list")  # then each journal is checked on its own
    assert r.code == 0, r
    assert not (bob / "x").exists() and not (bob / ".contextfs" / "000.jsonl").exists()
    assert not list((bob / ".contextfs").glob("*.jsonl"))
    assert snapshot(victim) == before


# ---- ids from imported records -----------------------------------------------------------------


def test_an_export_with_path_ids_imports_nothing_outside(
    team: Team, victim: Path, tmp_path: Path
) -> None:
    alice = team.clone("alice")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"kind":"ctx-export","version":1,"format":1}\n'
        f'{{"kind":"session","id":"../../../victim/new","tool":"x"}}\n'
        f'{{"kind":"turn","session_id":"../../../victim/new","role":"user","text":"hi"}}\n'
        f'{{"kind":"memory","id":"{victim}","content":"x","type":"fact"}}\n'
    )
    before = snapshot(victim)
    r = run(alice, "import", "jsonl", str(bad))
    assert r.code in (0, 1) and r.code != 70, r
    assert "is not a session id" in r.err and "is not a memory id" in r.err
    assert snapshot(victim) == before
    assert not (tmp_path / "victim" / "new").exists()


# ---- config ------------------------------------------------------------------------------------


def test_a_pulled_config_never_names_the_model_folder(
    team: Team, victim: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`.contextfs/config.toml` comes with every pull: a folder on this machine is not the
    project's to name, nor is recording what its user types, so `embedding.model_path` and
    `capture.record_input` there are ignored (said once per command); the user's own setting
    still counts."""
    mallory = team.clone("mallory")
    (victim / "model.onnx").write_bytes(b"not a model")
    cfg = mallory / ".contextfs" / "config.toml"
    extra = f'\n[embedding]\nmodel_path = "{victim}"\n\n[capture]\nrecord_input = true\n'
    cfg.write_text(cfg.read_text() + extra)
    push_from(mallory, "a faster model")
    bob = team.clone("bob")
    r = run(bob, "status", "--json")
    assert r.code == 0, r
    model = json.loads(r.out)["model"]
    assert model["path"] != str(victim) and str(victim) not in model["detail"]
    assert "embedding.model_path is ignored in the project's file" in r.err
    assert "capture.record_input is ignored in the project's file" in r.err
    assert Project.open(bob).config.get("capture", "record_input") is False  # what wrap reads
    own = team.base / "own-model"
    own.mkdir()
    monkeypatch.setenv("CTX_EMBED_MODEL_PATH", str(own))
    r = run(bob, "status", "--json")
    assert json.loads(r.out)["model"]["path"] == str(own)
