"""The `Ctx-Session:` trailer: a commit made inside `ctx wrap` names the session (opt-in hooks),
and `ctx why` / `ctx log` follow it after the commit is rebased or squashed away."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ctx.codelinks.trailer import add_session_trailer, has_text
from ctx.core.ids import SESSION_PREFIX, derived_id
from ctx.core.models import TranscriptHeader, TranscriptTurn
from ctx.store.project import Project
from tests.sync.conftest import ctx_in, git, make_team
from tests.wrap.conftest import run_ctx


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CTX_SESSION"}
    return {**env, **extra}


def _commit(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", "commit", "-q", *args], cwd=repo, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return git(repo, "log", "-1", "--format=%B").stdout


def _why(repo: Path, target: str) -> dict:
    return json.loads(ctx_in(repo, "why", target, "--json"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = make_team(tmp_path).clone("ada")
    out = ctx_in(repo, "hooks", "install", "--session-trailer")
    assert "prepare-commit-msg: installed" in out and "commit-msg: installed" in out
    return repo


@pytest.mark.slow
def test_commit_in_a_wrapped_session_keeps_its_link_through_rebase_and_squash(
    repo: Path,
) -> None:
    script = (
        "printf 'def pay():\\n    return 42\\n' > pay.py && git add pay.py && "
        "git commit -qm 'add pay' && echo committed"
    )
    r = run_ctx(repo, "wrap", "--", "sh", "-c", script, env=_env())
    assert r.code == 0, r.err
    (session,) = json.loads(ctx_in(repo, "sessions", "list", "--json"))
    sid = session["id"]
    message = git(repo, "log", "-1", "--format=%B").stdout
    assert message.count(f"Ctx-Session: {sid}") == 1
    first = _why(repo, "pay.py:1")
    assert [(s["id"], s["how"]) for s in first["sessions"]] == [(sid, "trailer")]
    assert sid in {e["id"] for e in json.loads(ctx_in(repo, "log", "pay.py", "--json"))}

    # rebase onto a commit made elsewhere: a new sha, the session's end commit is gone
    old = git(repo, "rev-parse", "HEAD").stdout.strip()
    git(repo, "checkout", "-q", "-b", "other", "HEAD~1")
    (repo / "other.txt").write_text("elsewhere\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-qm", "elsewhere")
    git(repo, "checkout", "-q", "main")
    git(repo, "rebase", "-q", "other")
    assert git(repo, "rev-parse", "HEAD").stdout.strip() != old
    after = _why(repo, "pay.py:1")
    assert [(s["id"], s["how"]) for s in after["sessions"]] == [(sid, "trailer")]

    # squash it with a later commit (interactive rebase, messages combined)
    (repo / "pay.py").write_text("def pay():\n    return 43\n")
    _commit(repo, "-am", "fix pay", env=_env())
    seq = f'{sys.executable} -c "import sys,re;p=sys.argv[1];t=open(p).read();'
    seq += "open(p,'w').write(re.sub(r'\\npick', '\\nsquash', t, count=1))\""
    proc = subprocess.run(
        ["git", "rebase", "-q", "-i", "HEAD~2"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=_env(GIT_SEQUENCE_EDITOR=seq, GIT_EDITOR="true"),
    )
    assert proc.returncode == 0, proc.stderr
    assert git(repo, "rev-list", "--count", "other..HEAD").stdout.strip() == "1"
    squashed = _why(repo, "pay.py")
    assert [(s["id"], s["how"]) for s in squashed["sessions"]] == [(sid, "trailer")]

    # a squash merge quotes the squashed messages indented: still found
    git(repo, "checkout", "-q", "-b", "flat", "other")
    git(repo, "merge", "-q", "--squash", "main")
    _commit(repo, "--no-edit", env=_env())
    assert _why(repo, "pay.py:2")["sessions"][0]["id"] == sid


def test_trailer_only_for_an_open_session_here_once_and_never_in_the_way(repo: Path) -> None:
    project = Project.open(repo)
    sid = project.start_session("claude", "live", make_current=False).id
    live = _env(CTX_SESSION=sid)
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    assert _commit(repo, "-m", "with trailer", env=live).count(f"Ctx-Session: {sid}") == 1
    assert _commit(repo, "--amend", "-m", "amended", env=live).count("Ctx-Session:") == 1
    assert _commit(repo, "--amend", "--no-edit", env=live).count("Ctx-Session:") == 1
    for bad in ("s-aaaaaaaaaaaa", "s-../../etc/x", "$(touch pwned)", ""):
        (repo / "a.txt").write_text(f"{bad}\n")
        git(repo, "add", "a.txt")
        assert "Ctx-Session" not in _commit(repo, "-m", "no trailer", env=_env(CTX_SESSION=bad))
    assert not (repo / "pwned").exists()
    # the editor's template is still empty when prepare-commit-msg runs: an untouched
    # message must still abort the commit...
    (repo / "a.txt").write_text("b\n")
    git(repo, "add", "a.txt")
    head = git(repo, "rev-parse", "HEAD").stdout
    proc = subprocess.run(
        ["git", "commit"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**live, "GIT_EDITOR": "true"},
    )
    assert proc.returncode != 0 and git(repo, "rev-parse", "HEAD").stdout == head
    # ...and a message written in the editor gets the trailer from commit-msg
    editor = repo.parent / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "written in the editor\\n" > "$1"\n')
    editor.chmod(0o755)
    message = _commit(repo, env={**live, "GIT_EDITOR": str(editor)})
    assert message.startswith("written in the editor") and message.count("Ctx-Session:") == 1
    # replayed commits keep their own messages: a rebase in a session adds nothing
    git(repo, "checkout", "-q", "-b", "base", "HEAD~3")
    (repo / "b.txt").write_text("b\n")
    git(repo, "add", "b.txt")
    _commit(repo, "-m", "base change", env=_env())
    git(repo, "checkout", "-q", "main")
    before = git(repo, "log", "--format=%B", "base..HEAD").stdout.count("Ctx-Session:")
    proc = subprocess.run(["git", "rebase", "-q", "base"], cwd=repo, env=live, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    after = git(repo, "log", "--format=%B", "base..HEAD").stdout.count("Ctx-Session:")
    assert after == before == 1  # the editor's commit had one; the replay added none


def test_has_text_reads_messages_as_git_cleans_them() -> None:
    assert not has_text("\n# Please enter the commit message\n#\n")
    assert has_text("fix\n# comment\n")
    assert not has_text("; only comments\n", ";")
    verbose = "# comment\n# ------------------------ >8 ------------------------\ndiff --git a\n"
    assert not has_text(verbose)


def test_trailer_names_the_capture_id_and_why_finds_the_stored_session(repo: Path) -> None:
    """A wrapped tool's own session id decides the stored id only at the end; the trailer
    written meanwhile names the capture's id, which the stored session remembers."""
    project = Project.open(repo)
    for ext, imported_first in (("tool-1", False), ("tool-2", True)):
        final = derived_id(SESSION_PREFIX, "claude", ext)
        if imported_first:  # a hook imported the session before the capture completed
            header = TranscriptHeader(tool="claude", external_id=ext, title="imported")
            project.import_transcript(
                header, [TranscriptTurn("user", "earlier", None)], source_key=ext
            )
        cap = project.start_session("claude", "t", make_current=False).id
        (repo / f"{ext}.py").write_text(f"name = '{ext}'\n")
        git(repo, "add", f"{ext}.py")
        msg = repo / ".git" / "MSG"
        msg.write_text(f"add {ext}\n")
        assert add_session_trailer(msg, repo, cap) is None
        _commit(repo, "-F", str(msg), env=_env())
        turns = [TranscriptTurn("user", "hi", None), TranscriptTurn("assistant", "done", None)]
        stored = project.complete_session(cap, turns=turns, final_id=final)
        assert stored.id == final != cap
        listed = {s.id: s for s in Project.open(repo).list_sessions()}
        assert cap in listed[final].meta["capture_ids"]
        links = _why(repo, f"{ext}.py:1")["sessions"]
        assert [(s["id"], s["how"]) for s in links] == [(final, "trailer")]
        assert final in {e["id"] for e in json.loads(ctx_in(repo, "log", f"{ext}.py", "--json"))}


def test_pulled_meta_cannot_steal_another_sessions_trailer(repo: Path) -> None:
    project = Project.open(repo)
    real = project.start_session("claude", "real", make_current=False).id
    (repo / "real.py").write_text("x = 1\n")
    git(repo, "add", "real.py")
    _commit(repo, "-m", f"real\n\nCtx-Session: {real}", env=_env())
    project.complete_session(real, turns=[TranscriptTurn("user", "hi", None)])
    header = TranscriptHeader(tool="claude", external_id="thief", title="thief")
    thief = project.import_transcript(
        header, [TranscriptTurn("user", "x", None)], source_key="thief"
    ).session
    assert thief is not None
    # as a hostile commit could write it: the thief claims the real session's id
    project._set_summary(thief.id, False, {"meta": {"capture_ids": [real, "../../x", 7]}})
    links = _why(repo, "real.py:1")["sessions"]
    assert [s["id"] for s in links] == [real]
    logged = {e["id"] for e in json.loads(ctx_in(repo, "log", "real.py", "--json"))}
    assert real in logged and thief.id not in logged


def test_trailer_hooks_are_kept_by_a_plain_install_and_removed_by_uninstall(repo: Path) -> None:
    hooks = repo / ".git" / "hooks"
    again = ctx_in(repo, "hooks", "install")
    assert "prepare-commit-msg: already installed" in again
    assert "Ctx-Session trailers on" in ctx_in(repo, "hooks", "status")
    ctx_in(repo, "hooks", "uninstall")
    assert not (hooks / "prepare-commit-msg").exists() and not (hooks / "commit-msg").exists()
    # someone else's commit-msg hook stays, and still runs first after a trailer install
    (hooks / "commit-msg").write_text('#!/bin/sh\necho theirs >> "$1"\n')
    (hooks / "commit-msg").chmod(0o755)
    ctx_in(repo, "hooks", "install", "--session-trailer")
    assert (hooks / "commit-msg.legacy").exists()
    (repo / "c.txt").write_text("c\n")
    git(repo, "add", "c.txt")
    assert "theirs" in _commit(repo, "-m", "with a legacy hook", env=_env())
    ctx_in(repo, "hooks", "uninstall")
    assert "theirs" in (hooks / "commit-msg").read_text()
