"""What this clone has seen of the state, so that no log can silently take it away.

A committed log may lose lines it once had: `git revert` of a context commit, a log of
another clone truncated or emptied (by hand, by a tool, by a bad merge), this clone's own log
rewritten. Lines are the wrong measure (`ctx gc` legitimately rewrites a log to one line with
the same state), so the high-water mark is CRDT state: every update this clone has read,
kept in `local/seen/` (machine-local, never committed), one mark per branch (a checkout of
another branch is not a loss) and one for the private log. When the logs no longer cover the
mark's state vector, the missing part is written back into this clone's own log (so it
travels again), and ctx says so: deleting is what `ctx memory rm` / `ctx forget` are for.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ctx.store import crdt_log
from ctx.store.locking import atomic_write

TAIL_FOLD = 1 << 20  # fold the appended tail into the base past this many bytes


def state_vector(sv: bytes) -> dict[int, int]:
    """Decode a Yjs state vector (varuint count, then client/clock pairs)."""
    from pycrdt import Decoder

    dec = Decoder(sv)
    return {dec.read_var_uint(): dec.read_var_uint() for _ in range(dec.read_var_uint())}


def coverage(updates: list[bytes]) -> dict[int, int]:
    """The state vector a set of updates reaches."""
    from pycrdt import get_state, merge_updates

    if not updates:
        return {}
    merged = updates[0] if len(updates) == 1 else bytes(merge_updates(*updates))
    return state_vector(get_state(merged))


def missing_clocks(seen: dict[int, int], now: dict[int, int]) -> int:
    """How many operations `seen` holds that `now` lacks."""
    return sum(max(0, clock - now.get(client, 0)) for client, clock in seen.items())


@dataclass
class Mark:
    """One high-water mark: the base (a merged update), an append-only tail of updates, and
    the state vector they reach (kept apart so the check needs no CRDT decoding)."""

    dir: Path
    key: str  # "private" or "branch:<name>"

    @property
    def _stem(self) -> Path:
        return self.dir / hashlib.sha1(self.key.encode()).hexdigest()[:16]

    @property
    def base(self) -> Path:
        return self._stem.with_suffix(".bin")

    @property
    def tail(self) -> Path:
        return self._stem.with_suffix(".tail")

    @property
    def sv_file(self) -> Path:
        return self._stem.with_suffix(".json")

    @property
    def _clone(self) -> str:
        """The clone's key (ctx/core/machine_key.py): a mark committed under local/ and
        pulled (whose content would be written back into this clone's own log) is not one."""
        from ctx.core.machine_key import tag

        return tag(self.dir.parent.parent.parent, "seen", self.key)

    def _meta(self) -> dict | None:
        from ctx.store import confine

        try:
            data = json.loads(confine.read_bytes(self.sv_file))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or data.get("clone") != self._clone:
            return None
        return data

    def exists(self) -> bool:
        """A mark this clone wrote (anything else is started again over it)."""
        return self._meta() is not None

    def sv(self) -> dict[int, int]:
        data = self._meta()
        try:
            return {int(k): int(v) for k, v in data["sv"].items()} if data else {}
        except (ValueError, KeyError, TypeError, AttributeError):
            return {}

    def start(self, full: bytes, sv: dict[int, int]) -> None:
        """The first mark: everything loaded now."""
        atomic_write(self.base, full, durable=False, private=True)
        self.tail.unlink(missing_ok=True)
        self._write_sv(sv)

    def note(self, updates: list[bytes], sv: dict[int, int]) -> None:
        """Add what was just read (cheap: an append), and the state vector now reached."""
        if updates:
            self.dir.mkdir(parents=True, exist_ok=True)
            with open(self.tail, "ab") as fh:
                fh.write(b"".join(crdt_log.encode_line(u) for u in updates))
        merged = self.sv()
        for client, clock in sv.items():
            if clock > merged.get(client, 0):
                merged[client] = clock
        self._write_sv(merged)
        try:
            if self.tail.stat().st_size > TAIL_FOLD:
                self._fold()
        except OSError:
            pass

    def content(self) -> list[bytes]:
        if not self.exists():
            return []
        out: list[bytes] = []
        try:
            base = self.base.read_bytes()
            if base:
                out.append(base)
        except OSError:
            pass
        try:
            out.extend(crdt_log.parse(self.tail.read_bytes(), 0, str(self.tail)).updates)
        except OSError:
            pass
        return out

    def _fold(self) -> None:
        from pycrdt import merge_updates

        parts = self.content()
        if len(parts) > 1:
            atomic_write(self.base, bytes(merge_updates(*parts)), durable=False, private=True)
            self.tail.unlink(missing_ok=True)

    def _write_sv(self, sv: dict[int, int]) -> None:
        data = {
            "key": self.key,
            "clone": self._clone,
            "sv": {str(k): v for k, v in sorted(sv.items())},
        }
        atomic_write(
            self.sv_file,
            json.dumps(data, separators=(",", ":")).encode(),
            durable=False,
            private=True,
        )


def mark_for(local: Path, private: bool, branch: str | None) -> Mark:
    return Mark(local / "seen", "private" if private else f"branch:{branch or '(detached)'}")


def enabled() -> bool:
    return os.environ.get("CTX_HIGH_WATER", "1") != "0"


def removed_by(root: Path, state_dir: Path) -> str:
    """Words for where the state logs lost lines: the working tree, or the latest commit that
    deleted lines from a log (a revert, a truncation pulled from another clone)."""
    import subprocess

    rel = os.path.relpath(state_dir, root)

    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        return proc.stdout if proc.returncode == 0 else ""

    for line in git("diff", "--numstat", "HEAD", "--", rel).splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) > 0:
            return f"the working tree ({parts[2]} lost lines, not committed)"
    commit = ""
    for line in git("log", "-n", "50", "--format=@%h %s", "--numstat", "--", rel).splitlines():
        if line.startswith("@"):
            commit = line[1:]
            continue
        parts = line.split("\t")
        if commit and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) > 0:
            return f"the state logs (lines removed by commit {commit[:72]})"
    return "the state logs"
