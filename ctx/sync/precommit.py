"""The pre-commit check: no file under `.contextfs/` may be committed with a secret in it.

ctx redacts secrets before it writes anything, so this is the second line: hand edits, data
written by an older ctx, rules that learned a new kind of key. Only what the commit adds is
checked (lines not already in HEAD), so a secret that is already in history does not block
every later commit; CRDT log lines are decoded first (base64 would hide the text).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctx.sync.gitrun import STORE

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]+")


@dataclass
class Leak:
    path: str
    line: int
    rule: str


def readable(path: str, line: bytes) -> str:
    """The text a secret scanner should see in one line of a committed store file."""
    if path.endswith(".log"):
        crc, _, payload = line.partition(b" ")
        if len(crc) == 8 and payload:
            try:
                raw = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raw = line
            # strings sit in the binary update between length bytes: keep them apart, and
            # also read them as length-prefixed strings (a printable length byte would glue
            # itself to the text: "8mysql -p...")
            text = _CONTROL.sub("\n", raw.decode("utf-8", "replace"))
            return text + "\n" + "\n".join(update_strings(raw))
    return line.decode("utf-8", "replace")


def update_strings(raw: bytes, min_len: int = 4) -> list[str]:
    """The strings of a binary CRDT update: each is a varuint length and that many UTF-8 bytes
    (lib0 encoding). A scan, not a parse: any offset that reads as a plausible string counts."""
    out: list[str] = []
    n = len(raw)
    i = 0
    while i < n:
        length = shift = 0
        j = i
        while j < n and j - i < 4:
            byte = raw[j]
            length |= (byte & 0x7F) << shift
            j += 1
            if byte < 0x80:
                break
            shift += 7
        if min_len <= length and j + length <= n:
            try:
                s = raw[j : j + length].decode("utf-8")
            except UnicodeDecodeError:
                s = ""
            if s and not _CONTROL.search(s.replace("\n", "").replace("\t", "").replace("\r", "")):
                out.append(s)
                i = j + length
                continue
        i += 1
    return out


def _blob(repo: Any, tree: Any, path: str) -> bytes | None:
    try:
        return bytes(repo[tree[path].id].read_raw())
    except (KeyError, ValueError):
        return None


def staged_leaks(worktree: Path) -> list[Leak]:
    import pygit2

    from ctx.privacy.secrets import find_secrets

    repo = pygit2.Repository(str(worktree))
    head_tree = None
    if not repo.head_is_unborn:
        head_tree = repo.head.peel(pygit2.Commit).tree
    leaks: list[Leak] = []
    index = repo.index
    for entry in index:
        path = entry.path
        if not path.startswith(STORE + "/"):
            continue
        staged = bytes(repo[entry.id].read_raw())
        old = _blob(repo, head_tree, path) if head_tree is not None else None
        if old == staged:
            continue
        known = set(old.splitlines()) if old else set()
        for n, line in enumerate(staged.splitlines(), 1):
            if line in known or not line.strip():
                continue
            for f in find_secrets(readable(path, line)):
                leaks.append(Leak(path, n, f.rule))
                break
    return leaks


def message(leaks: list[Leak]) -> str:
    lines = ["ctx: refusing to commit: a secret is still in .contextfs/"]
    for leak in leaks[:20]:
        lines.append(f"  {leak.path}:{leak.line}: {leak.rule}")
    if len(leaks) > 20:
        lines.append(f"  … and {len(leaks) - 20} more")
    lines += [
        "Get it out before you commit:",
        "  - a memory: `ctx memory edit ID --content …` or `ctx forget ID`",
        "  - a session: `ctx forget ID`",
        "  - then `ctx gc` rewrites this clone's state log without the old text",
        "  - and `git add .contextfs` again",
        "A false positive? Commit anyway with `git commit --no-verify`.",
    ]
    return "\n".join(lines)


# ---- no commit may take state away (a hand edit, a truncation, a revert) -------------------


def _sv_of(data: bytes) -> dict[int, int]:
    from pycrdt import get_state, merge_updates

    from ctx.store import crdt_log
    from ctx.store.highwater import state_vector

    ups = crdt_log.parse(data, 0, "log").updates
    if not ups:
        return {}
    merged = ups[0] if len(ups) == 1 else bytes(merge_updates(*ups))
    return state_vector(get_state(merged))


def staged_log_losses(worktree: Path, own_log: str | None) -> list[tuple[str, str]]:
    """State logs whose staged version lost what HEAD has: another clone's log must keep every
    line (only that clone appends to it); this clone's own log may be compacted (`ctx gc`)
    but must keep its CRDT state."""
    import pygit2

    from ctx.store.highwater import missing_clocks

    repo = pygit2.Repository(str(worktree))
    if repo.head_is_unborn:
        return []
    head_tree = repo.head.peel(pygit2.Commit).tree
    try:
        state = head_tree[f"{STORE}/state"]
    except KeyError:
        return []
    index = repo.index
    out: list[tuple[str, str]] = []
    tree: Any = repo[state.id]
    for entry in tree:
        if not entry.name.endswith(".log") or entry.type_str != "blob":
            continue
        path = f"{STORE}/state/{entry.name}"
        try:
            staged_id = index[path].id
        except KeyError:
            staged_id = None
        if staged_id == entry.id:
            continue  # unchanged: nothing to read
        old = bytes(repo[entry.id].read_raw())
        if staged_id is None:
            if old.strip():
                out.append((path, "deleted"))
            continue
        staged = bytes(repo[staged_id].read_raw())
        if staged == old or staged.startswith(old):
            continue
        if entry.name == own_log:
            if missing_clocks(_sv_of(old), _sv_of(staged)):
                out.append((path, "loses changes (not a compaction)"))
            continue
        kept = set(staged.splitlines())
        gone = sum(1 for line in old.splitlines() if line.strip() and line not in kept)
        if gone:
            out.append((path, f"{gone} line(s) removed from another clone's log"))
    return out


def losses_message(losses: list[tuple[str, str]]) -> str:
    lines = ["ctx: refusing to commit: it takes state away from .contextfs/state/"]
    lines += [f"  {path}: {what}" for path, what in losses[:20]]
    lines += [
        "Each clone only ever appends to its own log; removing lines would not delete anything",
        "(ctx restores state it has seen). To delete:",
        "  - a memory: `ctx memory rm ID`, or `ctx forget ID` for good",
        "  - a session: `ctx forget ID`",
        "Put the log back with `git checkout HEAD -- .contextfs/state` (or `git restore`).",
        "Meant it anyway? Commit with `git commit --no-verify`.",
    ]
    return "\n".join(lines)


def staged_machine_local(root: Path) -> list[str]:
    """Machine-local store files this commit would add (`.contextfs/local/…`, `index.db*`):
    ctx never commits them, and once pushed every teammate's ctx refuses the store. They get
    staged when a pulled `.contextfs/.gitignore` stops ignoring them, or by `git add -f`."""
    from ctx.sync import gitrun
    from ctx.sync.gitrun import STORE

    names = gitrun.out(
        root,
        "diff",
        "--cached",
        "--name-only",
        "--diff-filter=A",
        "--no-renames",
        "-z",
        "--",
        f"{STORE}/local",
        f":(glob){STORE}/index.db*",
    )
    return sorted(n for n in (names or "").split("\0") if n)


def machine_local_message(found: list[str]) -> str:
    shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    return (
        f"ctx: this commit adds machine-local ctx files ({shown}): they are this clone's own "
        "(a private log, journals, caches) and ctx never commits them — unstage them: "
        "git reset -q -- .contextfs/local .contextfs/index.db; check .contextfs/.gitignore"
    )
