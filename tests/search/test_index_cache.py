"""The index is a cache and behaves like one: concurrent builders never collide, a killed
builder or a damaged file is rebuilt, and every search still returns the right hits.

Real `ctx` processes against a real repository; keyword mode so no model loads (the locking
and rebuilding do not depend on it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ctx.store.project import Project

ENV_NO_MODEL = {"CTX_EMBED_MODEL_PATH": "/nonexistent-model-dir"}


def _start(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ctx", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **ENV_NO_MODEL},
    )


def _run(cwd: Path, *args: str) -> tuple[int, str, str]:
    p = _start(cwd, *args)
    out, err = p.communicate(timeout=120)
    return p.returncode, out, err


def _hit_ids(out: str) -> set[str]:
    hits = json.loads(out)["hits"]
    return {h["memory_id"] or f"{h['session_id']}:{h['turn_n']}" for h in hits}


@pytest.fixture
def project(repo: Path) -> Project:
    p = Project.open(repo, require_store=False)
    p.init()
    return Project.open(repo)


MCP_SEARCH = (
    "import sys, json\n"
    "from mcp_server.tools import ProjectHandle, call_tool\n"
    "out = call_tool(ProjectHandle(None), 'search',"
    " {'query': 'memo', 'mode': 'keyword', 'limit': 50})\n"
    "print(json.dumps(out.data, default=str))\n"
)


@pytest.mark.slow
def test_concurrent_index_search_mcp_and_hook_never_fail(project: Project) -> None:
    """Each round: a new memory, then 2 CLI searches, `ctx index`, the MCP search tool and
    the git hook's refresh, all at once. None fails; the final index holds exactly the
    memories added."""
    root = project.root
    added: set[str] = set()
    failures: list[str] = []
    rounds = 4
    for r in range(rounds):
        added.add(project.add_memory(f"round {r} memo about caching").id)
        procs = [
            _start(root, "search", "memo", "--mode", "keyword", "--json", "--limit", "100"),
            _start(root, "search", "caching", "--mode", "keyword", "--json", "--limit", "100"),
            _start(root, "index", "--keyword-only", "--quiet"),
            _start(root, "hooks", "run", "post-checkout", "a", "b", "1"),
        ]
        mcp = subprocess.Popen(
            [sys.executable, "-c", MCP_SEARCH],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **ENV_NO_MODEL},
        )
        for p in [*procs, mcp]:
            out, err = p.communicate(timeout=120)
            if p.returncode != 0 or "internal error" in err or "Traceback" in err:
                failures.append(f"round {r}: {p.args!r} exit {p.returncode}: {err.strip()}")
    assert failures == [], f"{len(failures)} of {rounds * 5} processes failed:\n" + "\n".join(
        failures
    )
    code, out, err = _run(root, "search", "memo", "--mode", "keyword", "--json", "--limit", "100")
    assert code == 0, err
    assert _hit_ids(out) == added


def _big_session(project: Project, n: int) -> str:
    from ctx.core.models import TranscriptHeader, TranscriptTurn

    turns = [
        TranscriptTurn(role="user" if i % 2 == 0 else "assistant", text=f"alpha line uniq{i}")
        for i in range(n)
    ]
    res = project.import_transcript(TranscriptHeader(tool="jsonl"), turns, source_key="big")
    assert res.session is not None
    return res.session.id


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.4, 0.7, 1.0])
def test_sigkill_during_index_then_search_works(project: Project, delay: float) -> None:
    sid = _big_session(project, 6000)  # indexing takes about 1.5 s: the kill lands inside
    mid = project.add_memory("the one memory about zebras").id
    p = _start(project.root, "index", "--keyword-only", "--quiet")
    time.sleep(delay)
    running = p.poll() is None
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=60)
    code, out, err = _run(
        project.root, "search", "uniq5999", "--mode", "keyword", "--json", "--limit", "1"
    )
    assert code == 0, err
    assert _hit_ids(out) == {f"{sid}:5999"}  # (its neighbour matches too, by context)
    code, out, err = _run(project.root, "search", "zebras", "--mode", "keyword", "--json")
    assert code == 0 and _hit_ids(out) == {mid}, err
    code, out, err = _run(project.root, "index", "--keyword-only", "--json")
    assert code == 0, err
    assert json.loads(out)["stats"]["documents"] == 6001
    print(f"killed {'while indexing' if running else 'after it finished'} at {delay}s")


def _build(project: Project) -> set[str]:
    ids = {project.add_memory(f"memo {i} about deploy pipelines {'x' * 400}").id for i in range(60)}
    code, _, err = _run(project.root, "index", "--keyword-only", "--quiet")
    assert code == 0, err
    return ids


def _damage(path: Path, how: str, frac: float = 0.5) -> None:
    for side in path.parent.glob(path.name + "-*"):
        side.unlink()
    if how == "garble":
        size = path.stat().st_size
        with open(path, "r+b") as fh:
            fh.seek(int(size * frac) // 4096 * 4096)
            fh.write(os.urandom(4096))
    elif how == "truncate":
        with open(path, "r+b") as fh:
            fh.truncate(path.stat().st_size // 3)
    elif how == "not-a-db":
        path.write_bytes(b"GARBAGE" * 5000)
    elif how == "wrong-schema":
        path.unlink()
        import apsw

        con = apsw.Connection(str(path))
        con.execute("create table meta(x); create table docs(y); insert into docs values(1)")
        con.close()


@pytest.mark.parametrize(
    "how,frac",
    [
        ("garble", 0.2),
        ("garble", 0.8),
        ("truncate", 0.0),
        ("not-a-db", 0.0),
        ("wrong-schema", 0.0),
    ],
)
def test_damaged_index_is_rebuilt_with_a_notice(project: Project, how: str, frac: float) -> None:
    ids = _build(project)
    _damage(project.layout.index_db, how, frac)
    code, out, err = _run(
        project.root, "search", "deploy", "--mode", "keyword", "--json", "--limit", "100"
    )
    assert code == 0, err
    assert _hit_ids(out) == ids
    notice = json.loads(out)["notice"] or ""
    assert ("rebuilt" in notice) == ("rebuilt" in err)  # the same notice, JSON and stderr
    # a query may not touch the damaged page; `ctx index` checks every page
    code2, _, err2 = _run(project.root, "index", "--keyword-only")
    assert code2 == 0, err2
    assert (err + err2).count("rebuilt") == 1  # one line of notice, once
    code, out, err = _run(
        project.root, "search", "deploy", "--mode", "keyword", "--json", "--limit", "100"
    )
    assert code == 0 and _hit_ids(out) == ids and "rebuilt" not in err


@pytest.mark.slow
def test_search_is_not_blocked_behind_a_long_rebuild(project: Project) -> None:
    """Another process holding the builder lock: a search waits at most SEARCH_WAIT, then
    answers from the index as it is and says so."""
    from ctx.search.buildlock import build_lock
    from ctx.search.service import SEARCH_WAIT

    old = project.add_memory("indexed before the long rebuild").id
    code, _, err = _run(project.root, "index", "--keyword-only", "--quiet")
    assert code == 0, err
    project.add_memory("added while another process rebuilds")
    with build_lock(project.layout.index_db):
        t0 = time.monotonic()
        code, out, err = _run(
            project.root, "search", "rebuild", "--mode", "keyword", "--json", "--limit", "10"
        )
        waited = time.monotonic() - t0
    assert code == 0, err
    assert _hit_ids(out) == {old}
    assert "another ctx process is updating the index" in json.loads(out)["notice"]
    assert SEARCH_WAIT <= waited < SEARCH_WAIT + 30
    code, out, err = _run(
        project.root, "search", "rebuild", "--mode", "keyword", "--json", "--limit", "10"
    )
    assert code == 0 and len(_hit_ids(out)) == 2, err
