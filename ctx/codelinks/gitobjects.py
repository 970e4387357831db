"""The few git objects `ctx why` needs, through the user's git instead of pygit2.

Importing pygit2 costs ≈30–90 ms, more than the rest of a `ctx why` whose blame is cached;
a `git cat-file` or `git merge-base` call costs a few milliseconds. Replace refs are not
honoured (`--no-replace-objects`), as pygit2 does not honour them: the answer is the same
either way the question is asked.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

from ctx.core.gitfiles import head, locate

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_GIT = ["git", "--no-replace-objects"]


def blob_id(data: bytes, like: str) -> str:
    """git's id of a blob with these bytes, in the hash of the id `like` (SHA-1 or SHA-256)."""
    h = hashlib.sha256() if len(like) == 64 else hashlib.sha1()
    h.update(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def head_commit(root: Path) -> str | None:
    """HEAD's commit id, from git's files when they say it plainly, else from git."""
    repo = locate(root.resolve())
    at = head(repo) if repo is not None else None
    if at is not None:
        return at[1]
    out = _run(root, ["rev-parse", "--verify", "-q", "HEAD^{commit}"])
    sha = out.decode("ascii", "replace").strip() if out is not None else ""
    return sha if _SHA.fullmatch(sha) else None


def head_blob(root: Path, path: str) -> tuple[str, str, bytes] | None:
    """(HEAD's commit, the blob id of `path` in it, its bytes), or None: no commit yet, the
    path not a file in HEAD, or a name git's batch input cannot carry."""
    if "\n" in path or "\r" in path:
        return None
    commit = head_commit(root)
    if commit is None:
        return None
    found = read_objects(root, [f"{commit}:{path}"])
    obj = found.get(f"{commit}:{path}")
    if obj is None or obj[0] != "blob":
        return None
    return commit, obj[1], obj[2]


def read_objects(root: Path, names: list[str]) -> dict[str, tuple[str, str, bytes]]:
    """name -> (type, id, content) for each object git has (`git cat-file --batch`)."""
    if not names:
        return {}
    out = _run(root, ["cat-file", "--batch"], "".join(n + "\n" for n in names).encode())
    found: dict[str, tuple[str, str, bytes]] = {}
    if out is None:
        return found
    pos = 0
    for name in names:
        eol = out.find(b"\n", pos)
        if eol < 0:
            break
        header = out[pos:eol].decode("utf-8", "replace").split(" ")
        pos = eol + 1
        if len(header) != 3 or not _SHA.fullmatch(header[0]) or not header[2].isdigit():
            continue  # "<name> missing" / "ambiguous": nothing follows
        size = int(header[2])
        found[name] = (header[1], header[0], out[pos : pos + size])
        pos += size + 1
    return found


def commit_messages(root: Path, shas: list[str]) -> dict[str, str]:
    """sha -> the commit's message (what follows its header), for the commits git has."""
    out: dict[str, str] = {}
    found = read_objects(root, [s for s in shas if _SHA.fullmatch(s)])
    for sha, (kind, _id, body) in found.items():
        if kind == "commit":
            _head, _sep, message = body.partition(b"\n\n")
            out[sha] = message.decode("utf-8", "replace")
    return out


def is_ancestor(root: Path, old: str, new: str) -> bool:
    """Whether commit `old` is `new` or one of its ancestors."""
    if old == new:
        return True
    if not (_SHA.fullmatch(old) and _SHA.fullmatch(new)):
        return False
    try:
        proc = subprocess.run(
            [*_GIT, "merge-base", "--is-ancestor", old, new],
            cwd=root,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def _run(root: Path, args: list[str], stdin: bytes | None = None) -> bytes | None:
    try:
        proc = subprocess.run(
            [*_GIT, *args],
            cwd=root,
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None
