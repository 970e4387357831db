"""Is a memory stale? Its cited lines (or cited files) changed after the commit it was made at.

`git diff -U0 <memory.commit> HEAD -- PATH` hunks whose old side overlaps the cited lines make
the memory "stale" (a whole-file cite: any change to the file); the commits that changed the
file since are listed. A memory whose commit is unknown or not an ancestor of HEAD is
"unknown", never stale. Results are cached machine-locally per memory and HEAD, so only the
first look after a commit pays the git calls; hot paths (hooks) read the brief cache instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.store.cites import parse
from ctx.store.locking import write_cache

if TYPE_CHECKING:
    from ctx.core.models import Memory
    from ctx.store.project import Project

CACHE_VERSION = 1
_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")
_SHA_RE = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass
class Staleness:
    status: str  # "fresh" | "stale" | "unknown" | "none" (no cites)
    changed: list[str] = field(default_factory=list)  # the cites whose lines changed
    commits: list[dict[str, str]] = field(default_factory=list)  # {commit, subject}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            ["git", "--literal-pathspecs", *args],  # a cite is a path, never a glob or magic
            cwd=root,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
            errors="replace",
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _overlaps(diff: str, start: int, end: int) -> bool:
    for line in diff.splitlines():
        m = _HUNK_RE.match(line)
        if not m:
            continue
        old_start, old_len = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
        if old_len == 0:  # pure insertion after line old_start
            if start <= old_start < end:
                return True
        elif old_start <= end and old_start + old_len - 1 >= start:
            return True
    return False


def _under(path: str, touched: set[str]) -> bool:
    return path in touched or any(t.startswith(path + "/") for t in touched)


def _map_range(diff: str, start: int, end: int) -> tuple[int, int]:
    """The cited lines' place at HEAD: shifted by the hunks before them, widened by those
    that touch them."""
    new_start, new_end = start, end
    for line in diff.splitlines():
        m = _HUNK_RE.match(line)
        if not m:
            continue
        nums = re.findall(r"[-+](\d+)(?:,(\d+))?", line.split("@@")[1])
        (os_, ol), (_ns, nl) = [(int(a), int(b) if b else 1) for a, b in nums[:2]]
        delta = nl - ol
        old_last = os_ + ol - 1 if ol else os_
        if old_last < start:
            new_start += delta
            new_end += delta
        elif os_ <= end:
            new_end += delta
    new_start = max(1, new_start)
    return new_start, max(new_start, new_end)


def _commits(root: Path, commit: str, head: str, cite: str, diff: str) -> list[str] | None:
    """The commits since `commit` that changed the cited lines (None: git could not say)."""
    parsed = parse(cite)
    if parsed is None or parsed[1] is None or parsed[2] is None:
        return None
    path, start, end = parsed[0], parsed[1], parsed[2]
    ns, ne = _map_range(diff, start, end)
    proc = _git(root, "log", "-s", "--format=%H", "-L", f"{ns},{ne}:{path}", f"{commit}..{head}")
    if proc is None or proc.returncode != 0:
        return None
    return [ln for ln in proc.stdout.split() if _SHA_RE.match(ln)]


def compute(
    root: Path,
    commit: str | None,
    head: str | None,
    cites: list[str],
    memo: dict[tuple[str, ...], Any] | None = None,
) -> Staleness:
    """Staleness of one memory; `memo` shares git answers between memories of one listing
    (most share a commit, and most cited files did not change)."""
    memo = {} if memo is None else memo
    if not cites:
        return Staleness("none")
    if not commit or not head or not _SHA_RE.match(commit) or not _SHA_RE.match(head):
        return Staleness("unknown")
    if commit == head:
        return Staleness("fresh")
    if ("anc", commit) not in memo:
        anc = _git(root, "merge-base", "--is-ancestor", commit, head)
        memo[("anc", commit)] = anc is not None and anc.returncode == 0
        names = _git(root, "diff", "--name-only", "-z", "--no-renames", commit, head)
        ok = names is not None and names.returncode == 0
        memo[("names", commit)] = set(names.stdout.split("\x00")) if ok and names else None
    if not memo[("anc", commit)]:
        return Staleness("unknown")
    touched: set[str] | None = memo[("names", commit)]
    changed: list[str] = []
    paths: list[str] = []
    by_lines: list[str] | None = []
    for cite in cites:
        parsed = parse(cite)
        if parsed is None:
            continue
        path, start, end = parsed
        if touched is not None and not _under(path, touched):
            continue  # nothing under this path changed: no need to ask git for hunks
        key = ("diff", commit, path)
        if key not in memo:
            memo[key] = _git(
                root, "diff", "-U0", "--no-color", "--no-ext-diff", commit, head, "--", path
            )
        proc = memo[key]
        if proc is None or proc.returncode != 0 or not proc.stdout.strip():
            continue
        if start is None or end is None or _overlaps(proc.stdout, start, end):
            changed.append(cite)
            if path not in paths:
                paths.append(path)
            found = _commits(root, commit, head, cite, proc.stdout) if start else None
            if found is None or by_lines is None:
                by_lines = None
            else:
                by_lines.extend(c for c in found if c not in by_lines)
    if not changed:
        return Staleness("fresh")
    commits: list[dict[str, str]] = []
    log = _git(root, "log", "--format=%H%x00%s", f"{commit}..{head}", "--", *paths)
    if log is not None and log.returncode == 0:
        for line in log.stdout.splitlines()[:20]:
            sha, _, subject = line.partition("\x00")
            if by_lines is not None and sha not in by_lines:
                continue  # changed the file, not the cited lines
            commits.append({"commit": sha, "subject": subject[:200]})
    return Staleness("stale", changed, commits)


def _key(m: Memory, head: str | None) -> str:
    raw = json.dumps([m.id, m.commit, head, m.cites])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def staleness_of(project: Project, memories: list[Memory]) -> dict[str, Staleness]:
    """Memory id -> Staleness for every listed memory with cites (cached per memory + HEAD)."""
    head = project.git.head
    from ctx.core.machine_key import tag
    from ctx.store import confine

    path = project.layout.local / "cache" / "staleness.json"
    mine = tag(project.root, "staleness", CACHE_VERSION)  # (one committed under local/: not ours)
    entries: dict[str, Any] = {}
    try:
        if confine.link_in(project.layout.store, path) is None:
            data = json.loads(confine.read_bytes(path))
            if data.get("v") == CACHE_VERSION and data.get("key") == mine:
                entries = data["entries"]
        if not isinstance(entries, dict):
            entries = {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        entries = {}
    out: dict[str, Staleness] = {}
    memo: dict[tuple[str, ...], Any] = {}
    fresh: dict[str, Any] = dict(entries) if len(entries) < 5000 else {}
    changed = False
    for m in memories:
        if not m.cites:
            continue
        key = _key(m, head)
        hit = entries.get(key)
        if isinstance(hit, dict):
            try:
                out[m.id] = Staleness(**hit)
                fresh[key] = hit
                continue
            except TypeError:
                pass
        st = compute(project.git.worktree, m.commit, head, m.cites, memo)
        out[m.id] = st
        fresh[key] = st.to_dict()
        changed = True
    if changed:
        write_cache(path, {"v": CACHE_VERSION, "key": mine, "entries": fresh})
    return out


def annotate(project: Project, memories: list[Memory]) -> list[Memory]:
    """Set `stale` on every memory with cites (fresh/stale/unknown and the changing commits)."""
    try:
        found = staleness_of(project, memories)
    except Exception:  # staleness is advice: never let it stop a listing
        return memories
    for m in memories:
        st = found.get(m.id)
        m.stale = st.to_dict() if st is not None else None
    return memories
