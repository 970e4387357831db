"""Where things live inside `.contextfs/` (specified in docs/format.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STORE_DIR = ".contextfs"
FORMAT_VERSION = 1

GITIGNORE = """\
# ctx: derived and machine-local files, never committed (see docs/format.md)
index.db
index.db-*
local/
*.lock
*.tmp
"""

IGNORED = ("index.db", "index.db-*", "local/")  # the lines that keep this clone's files out


def ignore_gaps(text: str) -> list[str]:
    """What a store `.gitignore` lacks of `IGNORED`, and the lines in it that un-ignore
    something (`!…`): the file comes with every pull, so a commit can change it."""
    lines = [line.strip() for line in text.splitlines()]
    missing = [want for want in IGNORED if want not in lines]
    negated = [line for line in lines if line.startswith("!")]
    return missing + negated


def mended_gitignore(text: str) -> str:
    """`text` without its `!…` lines and with the `IGNORED` lines it lacks."""
    kept = [line for line in text.splitlines() if not line.strip().startswith("!")]
    have = {line.strip() for line in kept}
    added = [want for want in IGNORED if want not in have]
    return "\n".join([*kept, *added]) + "\n"


CONFIG_TEMPLATE = """\
# ctx project configuration (committed with the code).
# Every key is documented in .contextfs.example in the ctx repository.
[store]
format = {format}
"""


@dataclass(frozen=True)
class Layout:
    root: Path  # the project (repository) root

    @property
    def store(self) -> Path:
        return self.root / STORE_DIR

    @property
    def config(self) -> Path:
        return self.store / "config.toml"

    @property
    def gitignore(self) -> Path:
        return self.store / ".gitignore"

    @property
    def state_dir(self) -> Path:
        """Committed CRDT update logs, one per replica."""
        return self.store / "state"

    @property
    def sessions_dir(self) -> Path:
        """Committed session transcripts, written once."""
        return self.store / "sessions"

    @property
    def local(self) -> Path:
        """Machine-local, gitignored: replica id, private data, journals, caches."""
        return self.store / "local"

    @property
    def replica_file(self) -> Path:
        return self.local / "replica.json"

    @property
    def private_log(self) -> Path:
        return self.local / "private" / "state.log"

    @property
    def private_sessions_dir(self) -> Path:
        return self.local / "private" / "sessions"

    @property
    def active_dir(self) -> Path:
        """Journals of sessions being captured (open)."""
        return self.local / "active"

    @property
    def recordings_dir(self) -> Path:
        """Raw terminal recordings (asciicast v2), never committed."""
        return self.local / "recordings"

    @property
    def current_file(self) -> Path:
        """The session `ctx append` / `ctx complete` use when no id is given."""
        return self.local / "current-session"

    @property
    def index_db(self) -> Path:
        """The search index (derived): in `local/`, whose own `.gitignore` no pulled line
        can undo (ctx/search/place.py moves one an older ctx left at the store's top)."""
        return self.local / "index.db"

    @property
    def lock_file(self) -> Path:
        return self.local / "write.lock"

    def session_dir(self, session_id: str, private: bool = False) -> Path:
        base = self.private_sessions_dir if private else self.sessions_dir
        return base / session_id
