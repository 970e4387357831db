"""Resource errors are user errors: a full disk, a file-size limit or a read-only file system
exits 1 with a message naming the path, the store keeps exactly what it had, and `ctx wrap`
still runs the command. Real processes; the disk is a real tiny tmpfs (we run as root here)
and the size limit a real RLIMIT_FSIZE."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import git


def _ctx(cwd: Path, *args: str, fsize: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "ctx", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        preexec_fn=limit,
    )


def _memories(root: Path) -> set[str]:
    r = _ctx(root, "memory", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert "corrupt" not in r.stderr and "skipped" not in r.stderr, r.stderr
    return {m["content"] for m in json.loads(r.stdout)}


def _sessions(root: Path) -> set[str]:
    r = _ctx(root, "sessions", "list", "--json")
    assert r.returncode == 0, r.stderr
    return {s["id"] for s in json.loads(r.stdout)}


def _init(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "commit", "-q", "--allow-empty", "-m", "initial")
    assert _ctx(root, "init").returncode == 0


LONG = "a long memory about the build cache that will not fit " * 40


def test_file_size_limit_is_a_user_error_and_the_torn_line_is_repaired(repo: Path) -> None:
    assert _ctx(repo, "init").returncode == 0
    assert _ctx(repo, "memory", "add", "kept before the limit").returncode == 0
    log = next((repo / ".contextfs" / "state").glob("*.log"))
    for room in (0, 1, 200):  # nothing fits / one byte / part of the line: a torn line
        r = _ctx(repo, "memory", "add", LONG, fsize=log.stat().st_size + room)
        assert r.returncode == 1, r.stderr
        assert "file too large" in r.stderr, r.stderr
        assert log.name in r.stderr or "local/pending/" in r.stderr, r.stderr
        assert "internal error" not in r.stderr
        assert _memories(repo) == {"kept before the limit"}
    # the next writer cuts the torn line: no warning now or in any later command
    assert _ctx(repo, "memory", "add", "after the limit").returncode == 0
    assert _memories(repo) == {"kept before the limit", "after the limit"}
    assert b"\n\n" not in log.read_bytes() and log.read_bytes().endswith(b"\n")
    # a transcript write past the limit: refused, no session half-stored
    big = repo / "t.jsonl"
    big.write_text("".join(json.dumps({"role": "user", "text": LONG}) + "\n" for _ in range(20)))
    r = _ctx(repo, "import", "jsonl", str(big), fsize=4096)
    assert r.returncode == 1 and "file too large" in r.stderr, r.stderr
    assert _sessions(repo) == set()


@contextlib.contextmanager
def tiny_disk(where: Path, size: str = "1m") -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail("this test mounts a small tmpfs: run it as root (CI does)", pytrace=False)
    where.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs here: {r.stderr.strip()}", pytrace=False)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 4096)
    return filler


def test_disk_full_and_read_only(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk") as disk:
        root = disk / "repo"
        _init(root)
        assert _ctx(root, "memory", "add", "kept before the disk filled").returncode == 0
        filler = _fill(disk)
        r = _ctx(root, "memory", "add", LONG * 3)
        assert r.returncode == 1, r.stderr
        assert "disk full" in r.stderr and ".contextfs" in r.stderr, r.stderr
        # the command runs although nothing can be recorded; its exit status comes through
        w = _ctx(root, "wrap", "--", "sh", "-c", "echo the-child-ran; exit 3")
        assert w.returncode == 3 and "the-child-ran" in w.stdout, w.stderr
        assert "not recorded: disk full" in w.stderr and w.stderr.count("ctx:") == 1
        r = _ctx(root, "capture", "--tool", "manual")
        assert r.returncode == 1 and "disk full" in r.stderr, r.stderr
        filler.unlink()
        assert _memories(root) == {"kept before the disk filled"}
        assert _sessions(root) == set()
        assert _ctx(root, "memory", "add", "after").returncode == 0
        assert _memories(root) == {"kept before the disk filled", "after"}

        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        r = _ctx(root, "memory", "add", "on a read-only disk")
        assert r.returncode == 1 and "read-only file system" in r.stderr, r.stderr
        w = _ctx(root, "wrap", "--", "sh", "-c", "exit 5")
        assert w.returncode == 5 and "not recorded: read-only file system" in w.stderr
        assert _memories(root) == {"kept before the disk filled", "after"}


MCP_REMEMBER = """
import json, resource, sys
from mcp_server.server import run_call
from mcp_server.tools import ProjectHandle
handle = ProjectHandle(None)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
res = run_call(handle, "remember", {"content": sys.argv[2]})
print(json.dumps({"error": res.is_error, "text": res.content[0].text}))
"""


def test_mcp_maps_resource_errors(repo: Path) -> None:
    """The MCP server's one error mapping: a resource error is a tool error naming it."""
    assert _ctx(repo, "init").returncode == 0
    assert _ctx(repo, "memory", "add", "kept").returncode == 0
    log = next((repo / ".contextfs" / "state").glob("*.log"))
    r = subprocess.run(
        [sys.executable, "-c", MCP_REMEMBER, str(log.stat().st_size + 10), LONG],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = json.loads(r.stdout)
    assert out["error"] and "file too large" in out["text"], out
    assert log.name in out["text"] or "local/pending/" in out["text"], out
    assert "internal" not in out["text"]
    assert _memories(repo) == {"kept"}


def test_torn_tail_is_cut_but_a_whole_update_missing_its_newline_is_kept(tmp_path: Path) -> None:
    from ctx.store import crdt_log

    log = tmp_path / "r.log"
    crdt_log.append_update(log, b"first", "r")
    whole = crdt_log.encode_line(b"second")
    with open(log, "ab") as fh:
        fh.write(whole[:-1])  # a complete update that lost only its newline
    crdt_log.append_update(log, b"third", "r")
    chunk = crdt_log.read_from(log)
    assert chunk.updates == [b"first", b"second", b"third"] and chunk.problems == []
    with open(log, "ab") as fh:
        fh.write(crdt_log.encode_line(b"fourth")[:7])  # torn mid-line (a size limit)
    crdt_log.append_update(log, b"fifth", "r")
    chunk = crdt_log.read_from(log)
    assert chunk.updates == [b"first", b"second", b"third", b"fifth"] and chunk.problems == []
    torn = tmp_path / "torn-header.log"
    torn.write_bytes(crdt_log.header_line("r")[:5])  # even the header was cut short
    crdt_log.append_update(torn, b"only", "r")
    assert torn.read_bytes().startswith(crdt_log.header_line("r"))
    assert crdt_log.read_from(torn).updates == [b"only"]


def test_every_resource_errno_has_its_message() -> None:
    """As root the tests cannot meet EACCES or EDQUOT for real: the one mapping, checked."""
    import errno

    from ctx.core.oserrors import resource_error

    for code, words in [
        (errno.ENOSPC, "disk full"),
        (errno.EDQUOT, "disk quota exceeded"),
        (errno.EFBIG, "file too large"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
        (errno.EPERM, "operation not permitted"),
    ]:
        err = resource_error(OSError(code, os.strerror(code), "/srv/app/.contextfs/state/x.log"))
        assert err is not None and err.exit_code == 1 and err.code == "resource"
        assert err.message.startswith(f"{words}: /srv/app/.contextfs/state/x.log")
        assert "nothing already stored was lost" in err.message
    assert resource_error(OSError(errno.EISDIR, "Is a directory")) is None
    assert resource_error(ValueError("x")) is None
    import apsw

    full = resource_error(apsw.FullError("database or disk is full"))
    assert full is not None and full.message.startswith("disk full")
