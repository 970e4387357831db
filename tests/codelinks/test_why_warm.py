"""The background warmer of `ctx why`'s caches (ctx/codelinks/why_warm.py): after a store
write or a pull, the files with context have their blame cached at HEAD and the store's inputs
are kept, so the next question is answered without the store, a git library or a full blame —
and its answer is the one a cold `ctx why` gives."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ctx.codelinks import blame_cache, why_inputs, why_warm
from ctx.codelinks.answer_key import store_digest
from ctx.core.gitfiles import locate
from ctx.store import confine
from ctx.store.project import Project
from tests.codelinks.test_answer_cache import fast, setup
from tests.codelinks.test_why import _session
from tests.helpers import git_shim
from tests.sync.conftest import ctx_in, git, make_team

CACHE = Path(".contextfs") / "local" / "cache"


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def warmed(repo: Path, path: str) -> bool:
    """The file's blame cached at HEAD, and the inputs kept for the store as it is."""
    project = Project.open(repo)
    cached = blame_cache.load(project, path)
    info = locate(repo.resolve())
    store = store_digest(repo) if info is not None else None
    if cached is None or cached[0] != head(repo) or info is None or store is None:
        return False
    return why_inputs.load(info.root, why_inputs.inputs_key(info, store)) is not None


def wait_warm(repo: Path, path: str) -> None:
    deadline = time.monotonic() + 60
    while not warmed(repo, path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert warmed(repo, path), "the background warmer did not run"
    time.sleep(0.3)  # (its process exits after writing)


@contextlib.contextmanager
def warmers_held(repo: Path) -> Iterator[None]:
    """Waits for a warmer at work to finish, then keeps any other from starting (each skips a
    held lock): a background process writing the caches while a test moves them aside made
    `rmtree` fail with 'Directory not empty' on a loaded CI host."""
    (repo / CACHE).mkdir(parents=True, exist_ok=True)
    fd = confine.open_lock(repo / CACHE / "why-warm.lock")
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                assert time.monotonic() < deadline, "a background warmer held its lock for 2 min"
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


def cold_answer(repo: Path, *args: str) -> str:
    """`ctx why` with none of its caches: the truth to compare with. The caches are put back
    as they were, entry by entry (the lock file stays: it is held meanwhile)."""
    cache = repo / CACHE
    saved = repo.parent / "caches-saved"
    keep = {"why-warm.lock"}

    def clear() -> None:
        for entry in cache.iterdir():
            if entry.name in keep:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    with warmers_held(repo):
        shutil.copytree(cache, saved, ignore=lambda _d, names: [n for n in names if n in keep])
        shutil.rmtree(cache / "blame", ignore_errors=True)
        shutil.rmtree(cache / "why", ignore_errors=True)
        for name in ("why-inputs.json", "trailers.json"):
            (cache / name).unlink(missing_ok=True)
        before = os.environ.get(why_warm.WARM_ENV)
        os.environ[why_warm.WARM_ENV] = "0"  # the cold question starts no warmer of its own
        try:
            out = ctx_in(repo, "why", *args)
        finally:
            if before is None:
                os.environ.pop(why_warm.WARM_ENV, None)
            else:
                os.environ[why_warm.WARM_ENV] = before
        clear()
        shutil.copytree(saved, cache, dirs_exist_ok=True)
        shutil.rmtree(saved)
    return out


def answered_light(repo: Path, target: str) -> str:
    """The fast path's answer in a fresh process, which must load neither the store (pycrdt)
    nor a git library, nor run `git blame`."""
    probe = (
        "import io, sys, contextlib, subprocess\n"
        "ran = []\n"
        "class Spy(subprocess.Popen):\n"  # every child: run() and a blame started early
        "    def __init__(self, argv, *a, **k):\n"
        "        ran.append(list(argv)[:2])\n"
        "        super().__init__(argv, *a, **k)\n"
        "subprocess.Popen = Spy\n"
        "from ctx.cli.fast_why import run\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = run(['-C', {str(repo)!r}, 'why', {target!r}])\n"
        "loaded = [m for m in ('pycrdt', 'pygit2', 'typer') if m in sys.modules]\n"
        "print(code, loaded, [r for r in ran if r[1:] == ['blame']])\n"
        "sys.stdout.write(out.getvalue())\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True
    )
    first, _, rest = r.stdout.partition("\n")
    assert first == "0 [] []", first
    return rest


def test_a_store_write_warms_the_files_with_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, sid = setup(tmp_path)
    ctx_in(repo, "why", "app.py")  # ctx why used here: its inputs are kept
    (repo / "app.py").write_text("print('hi')\nprint('bye')\nprint('later')\n")
    git(repo, "commit", "-qam", "later")  # the blame cache is one commit behind
    assert not warmed(repo, "app.py")
    monkeypatch.setenv(why_warm.WARM_ENV, "1")
    other = _session(repo, tmp_path, "app.py", "print('later')\n", "second")  # a store write
    wait_warm(repo, "app.py")
    out = answered_light(repo, "app.py")
    assert out == cold_answer(repo, "app.py")
    assert sid in out and other in out


def test_a_pull_warms_through_the_post_merge_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = make_team(tmp_path)
    alice, bob = team.clone("alice"), team.clone("bob")
    _session(alice, tmp_path, "app.py", "print('hi')\n", "writer")
    (alice / "app.py").write_text("print('hi')\n")
    git(alice, "add", "-A")
    git(alice, "commit", "-qm", "app")
    git(alice, "push", "-q")
    git(bob, "pull", "-q")
    ctx_in(bob, "hooks", "install")
    ctx_in(bob, "why", "app.py")  # bob uses ctx why: inputs kept, blame cached
    (alice / "app.py").write_text("print('hi')\nprint('from alice')\n")
    git(alice, "commit", "-qam", "more")
    git(alice, "push", "-q")
    monkeypatch.setenv(why_warm.WARM_ENV, "1")
    git(bob, "pull", "-q", "--no-rebase")  # the detached post-merge hook warms
    wait_warm(bob, "app.py")
    assert answered_light(bob, "app.py:2") == cold_answer(bob, "app.py:2")


def test_only_files_with_context_are_warmed_and_at_most_the_limit(tmp_path: Path) -> None:
    repo, _sid = setup(tmp_path)
    for name in ("b.py", "c.py", "untouched.py"):
        (repo / name).write_text(f"# {name}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more files")
    _session(repo, tmp_path, "b.py", "# b.py\n", "b-writer")
    # pulled content is hostile: paths outside the repository are never blamed
    _session(repo, tmp_path, "../../../etc/passwd", "x\n", "climber")
    ctx_in(repo, "memory", "add", "c.py holds c", "--cite", "c.py:1")
    ctx_in(repo, "why", "app.py")
    project = Project.open(repo)
    inputs = why_warm.keep_inputs(project)
    assert inputs is not None
    files = why_warm.files_with_context(project, inputs)
    assert set(files) == {"app.py", "b.py", "c.py"}  # edited by sessions, cited by a memory
    assert why_warm.warm(project, limit=1) == [files[0]]
    assert why_warm.warm(project) == files
    assert blame_cache.load(project, "untouched.py") is None  # a never-seen file stays cold
    names = {p.name for p in (repo / CACHE / "blame").iterdir()}
    assert len([n for n in names if n.endswith(".json")]) == 3
    # one warmer at a time: a second one while the first holds the lock does nothing
    fd = confine.open_lock(repo / CACHE / "why-warm.lock")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert why_warm.warm(project) is None
    finally:
        os.close(fd)
    assert json.loads(fast(repo, "b.py", "--json") or "{}")["path"] == "b.py"


def test_a_ctx_sync_that_pulled_warms_without_hooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = make_team(tmp_path)
    alice, bob = team.clone("alice"), team.clone("bob")
    _session(alice, tmp_path, "app.py", "print('hi')\n", "writer")
    (alice / "app.py").write_text("print('hi')\n")
    git(alice, "add", "-A")
    git(alice, "commit", "-qm", "app")
    git(alice, "push", "-q")
    git(bob, "pull", "-q")
    ctx_in(bob, "why", "app.py")  # no hooks installed here
    (alice / "app.py").write_text("print('hi')\nprint('synced')\n")
    git(alice, "commit", "-qam", "more")
    git(alice, "push", "-q")
    monkeypatch.setenv(why_warm.WARM_ENV, "1")
    ctx_in(bob, "sync")
    wait_warm(bob, "app.py")
    assert answered_light(bob, "app.py") == cold_answer(bob, "app.py")


def test_a_write_while_the_warmer_blames_is_kept_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warmer a write starts exits when one is already at work: the one at work keeps the
    inputs again when the store changed under it."""
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "why", "app.py")
    real = why_warm.warm_blame

    def blame_and_write(
        project: Project, inputs: why_inputs.Inputs, limit: int, first: tuple[str, ...] = ()
    ) -> list[str]:
        done = real(project, inputs, limit, first)
        ctx_in(repo, "memory", "add", "-t", "fact", "written while warming app.py")
        return done

    monkeypatch.setattr(why_warm, "warm_blame", blame_and_write)
    assert why_warm.warm(Project.open(repo)) == ["app.py"]
    assert warmed(repo, "app.py")
    assert "written while warming app.py" in answered_light(repo, "app.py:2")


def test_a_commit_warms_through_the_post_commit_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain `git commit` (real git, the installed hook, detached): the next question is
    answered from the caches; with CTX_WHY_WARM=0, or where `ctx why` is not used, nothing."""
    repo, sid = setup(tmp_path)
    ctx_in(repo, "hooks", "install")
    assert (repo / ".git" / "hooks" / "post-commit").exists()
    monkeypatch.setenv(why_warm.WARM_ENV, "1")
    (repo / "other.py").write_text("x = 1\n")
    git(repo, "add", "other.py")
    git(repo, "commit", "-qm", "other")  # `ctx why` not used yet: no warmer at all
    time.sleep(0.5)
    assert not (repo / CACHE / "why-inputs.json").exists()
    ctx_in(repo, "why", "app.py")  # used now: inputs kept, blame cached
    ctx_in(repo, "why", "other.py")  # asked about, though no session touched it
    (repo / "app.py").write_text("print('hi')\nprint('bye')\nprint('committed')\n")
    (repo / "other.py").write_text("x = 2\n")
    git(repo, "commit", "-qam", "more")
    wait_warm(repo, "app.py")
    wait_warm(repo, "other.py")  # the commit's file with a cached blame, too
    for q in ("app.py", "app.py:3", "other.py"):
        assert answered_light(repo, q) == cold_answer(repo, q)
    assert sid in answered_light(repo, "app.py")
    # CTX_WHY_WARM=0: the hook starts nothing (run in the foreground to know it is done)
    monkeypatch.setenv(why_warm.WARM_ENV, "0")
    monkeypatch.setenv("CTX_HOOKS_FOREGROUND", "1")
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "commit", "-qam", "less")
    assert not warmed(repo, "app.py")
    monkeypatch.setenv(why_warm.WARM_ENV, "1")  # and in the foreground, it warms before git returns
    (repo / "app.py").write_text("print('hi')\nprint('again')\n")
    r = git(repo, "commit", "-qam", "again")
    assert warmed(repo, "app.py") and r.stderr == ""


def test_a_rebase_warms_once_at_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commits a rebase makes each run post-commit: none of them starts a warmer (a
    Python start per commit), the rebase's post-rewrite does, once (real git, hooks run in
    the foreground to know when they are done)."""
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "hooks", "install")
    monkeypatch.setenv(why_warm.WARM_ENV, "1")
    monkeypatch.setenv("CTX_HOOKS_FOREGROUND", "1")
    ctx_in(repo, "why", "app.py")
    (repo / "app.py").write_text("print('hi')\nprint('step 1')\n")
    git(repo, "commit", "-qam", "step 1")
    (repo / "other.py").write_text("x = 1\n")
    git(repo, "add", "other.py")
    git(repo, "commit", "-qm", "step 2")
    assert warmed(repo, "app.py")  # a plain commit warms in its post-commit
    monkeypatch.setenv("GIT_SEQUENCE_EDITOR", "sed -i '1s/^pick/edit/'")
    git(repo, "rebase", "-q", "-i", "HEAD~2")  # stops at the first commit, to be edited
    assert (repo / ".git" / "rebase-merge").is_dir()
    (repo / "app.py").write_text("print('hi')\nprint('step 1, amended')\n")
    git(repo, "commit", "-q", "--amend", "-am", "step 1, amended")
    assert not blamed_at_head(repo, "app.py")  # its post-commit left it to the rebase's end
    git(repo, "rebase", "--continue")
    assert not (repo / ".git" / "rebase-merge").exists()
    assert blamed_at_head(repo, "app.py")  # by the rebase's post-rewrite
    assert fast(repo, "app.py") == cold_answer(repo, "app.py")


def blamed_at_head(repo: Path, path: str) -> bool:
    """The file's blame cached at HEAD (the inputs a hook keeps while git's rebase state is
    still there are kept under it: the next question loads the store once)."""
    cached = blame_cache.load(Project.open(repo), path)
    return cached is not None and cached[0] == head(repo)


def test_a_detached_post_rewrite_waits_for_the_rebase_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git runs post-rewrite before it removes the rebase's state: the detached hook waits,
    then settles a change queued mid-rebase into the log (git looked busy until then) and
    keeps `ctx why`'s inputs under the HEAD the rebase leaves (the next question is light)."""
    repo, _sid = setup(tmp_path)
    ctx_in(repo, "hooks", "install")
    monkeypatch.setenv(why_warm.WARM_ENV, "1")
    ctx_in(repo, "why", "app.py")
    (repo / "other.py").write_text("x = 1\n")
    git(repo, "add", "other.py")
    git(repo, "commit", "-qm", "other")
    wait_warm(repo, "app.py")
    monkeypatch.setenv("GIT_SEQUENCE_EDITOR", "sed -i '1s/^pick/edit/'")
    git(repo, "rebase", "-q", "-i", "HEAD~1")
    own_log = Project.open(repo).own_log
    size = own_log.stat().st_size if own_log.exists() else 0
    mid = ctx_in(repo, "memory", "add", "-t", "fact", "queued mid-rebase").split()[-1]
    assert (own_log.stat().st_size if own_log.exists() else 0) == size  # git busy: journal only
    git(repo, "rebase", "--continue")  # post-rewrite starts detached; git returns at once
    deadline = time.monotonic() + 30
    while own_log.stat().st_size == size and time.monotonic() < deadline:
        time.sleep(0.1)
    assert own_log.stat().st_size > size, "the journal was not settled after the rebase"
    wait_warm(repo, "app.py")
    assert answered_light(repo, "app.py") == cold_answer(repo, "app.py")
    assert mid in ctx_in(repo, "memory", "list")


def test_the_wait_for_a_rebase_ends_with_it_or_at_its_limit(tmp_path: Path) -> None:
    from ctx.integrations.git_hook_run import _wait_for_rebase_end

    repo, _sid = setup(tmp_path)
    state = repo / ".git" / "rebase-merge"
    state.mkdir()
    threading.Timer(0.4, state.rmdir).start()
    t0 = time.monotonic()
    _wait_for_rebase_end(repo)
    assert 0.35 < time.monotonic() - t0 < 5 and not state.exists()
    state.mkdir()  # a state that stays (an abandoned rebase): the hook goes on after the limit
    t0 = time.monotonic()
    _wait_for_rebase_end(repo, limit=0.3)
    assert 0.25 < time.monotonic() - t0 < 5


def test_the_first_question_in_a_checkout_warms_the_other_files_with_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ctx why` used for the first time here: the files other sessions worked on are blamed
    in the background, so a question about them is not cold; later questions start nothing."""
    repo, _sid = setup(tmp_path)
    other = _session(repo, tmp_path, "lib.py", "def f():\n    return 1\n", "library")
    (repo / "lib.py").write_text("def f():\n    return 1\n")
    git(repo, "add", "lib.py")
    git(repo, "commit", "-qm", "lib")
    monkeypatch.setenv(why_warm.WARM_ENV, "1")
    ctx_in(repo, "why", "app.py")  # the first question: the warmer starts, detached
    wait_warm(repo, "lib.py")
    out = answered_light(repo, "lib.py")
    assert other in out and out == cold_answer(repo, "lib.py")
    _no_warmer_left(repo)
    shutil.rmtree(repo / CACHE / "blame")  # not the first question any more: nothing starts
    ctx_in(repo, "why", "app.py")
    time.sleep(1.0)
    assert not warmed(repo, "lib.py")


def _no_warmer_left(repo: Path) -> None:
    """Wait for the detached warmers of this checkout to exit (they may go on to more files)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running = []
        for d in Path("/proc").iterdir():
            try:
                argv = (d / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(b"ctx.codelinks.why_warm" in a for a in argv) and str(repo).encode() in argv:
                running.append(d.name)
        if not running:
            return
        time.sleep(0.1)
    raise AssertionError("a background warmer is still running after 60 s")


def test_setting_up_a_clone_warms_before_its_first_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A teammate's clone, where `ctx why` was never used: `ctx hooks install`, or `ctx init`
    of the store that came with it, blames the files with context in the background, so the
    first question is answered without the store or a blame. A new store starts nothing."""
    team = make_team(tmp_path)
    alice = team.clone("alice")
    sid = _session(alice, tmp_path, "app.py", "print('hi')\n", "writer")
    (alice / "app.py").write_text("print('hi')\n")
    git(alice, "add", "-A")
    git(alice, "commit", "-qm", "app")
    git(alice, "push", "-q")
    for setup_command in (("hooks", "install"), ("init",)):
        bob = team.clone(f"bob-{setup_command[0]}")
        monkeypatch.setenv(why_warm.WARM_ENV, "1")
        ctx_in(bob, *setup_command)
        wait_warm(bob, "app.py")
        _no_warmer_left(bob)
        monkeypatch.setenv(why_warm.WARM_ENV, "0")
        out = answered_light(bob, "app.py")
        assert sid in out and out == cold_answer(bob, "app.py")
    fresh = tmp_path / "fresh"
    git(tmp_path, "init", "-q", str(fresh))
    monkeypatch.setenv(why_warm.WARM_ENV, "1")
    ctx_in(fresh, "init")  # nothing came with it: nothing to warm
    _no_warmer_left(fresh)
    assert not os.path.lexists(fresh / CACHE / "why-inputs.json")


def test_a_question_waits_for_the_warmer_blaming_its_file(tmp_path: Path) -> None:
    """A cold question about the file the warmer is blaming right now takes the warmer's
    blame when it is done, instead of running the same walk beside it: no `git blame` of its
    own, and the answer a cold `ctx why` gives."""
    from ctx.store.locking import job_lock

    repo, sid = setup(tmp_path)
    want = ctx_in(repo, "why", "app.py")
    assert sid in want
    shutil.rmtree(repo / CACHE / "blame")  # cold again
    shutil.rmtree(repo / CACHE / "why")
    for name in ("why-inputs.json", "trailers.json"):
        (repo / CACHE / name).unlink(missing_ok=True)
    log = tmp_path / "git-calls"
    env = git_shim(tmp_path / "shim", f'echo "$@" >> {log}')
    project = Project.open(repo)
    with job_lock(project.layout.store, blame_cache.lock_file(project, "app.py")) as mine:
        assert mine  # held as the warmer holds it while it blames the file
        proc = subprocess.Popen(
            [sys.executable, "-m", "ctx", "why", "app.py"],
            cwd=repo,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert proc.poll() is None  # waiting for the warmer
        assert blame_cache._fill_committed(project, "app.py")  # the warmer's blame, cached
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out == want
    calls = log.read_text().splitlines() if log.exists() else []
    assert not [c for c in calls if c.split()[:1] == ["blame"]], calls


def test_a_commit_made_while_another_warmer_works_still_warms_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The post-commit hook's warmer finds another one at work (the first question's, a
    store write's): that one re-checks HEAD but does not know the commit's files, so the
    hook's warmer waits for it instead of giving up, and the commit's file is warmed."""
    from ctx.store.locking import job_lock

    repo, _sid = setup(tmp_path)
    ctx_in(repo, "hooks", "install")
    ctx_in(repo, "why", "app.py")
    (repo / "other.py").write_text("x = 1\n")
    git(repo, "add", "other.py")
    git(repo, "commit", "-qm", "other")
    ctx_in(repo, "why", "other.py")  # asked about: the hook warms it after a commit
    (repo / "other.py").write_text("x = 2\n")
    monkeypatch.setenv(why_warm.WARM_ENV, "1")
    project = Project.open(repo)
    with job_lock(project.layout.store, project.layout.local / "cache" / "why-warm.lock") as mine:
        assert mine  # as a warmer at work holds it
        git(repo, "commit", "-qam", "more")  # its detached hook finds the lock taken
        time.sleep(1.5)
        assert not warmed(repo, "other.py")
    wait_warm(repo, "other.py")
    _no_warmer_left(repo)
