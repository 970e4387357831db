"""`.contextfs/.gitattributes`: the safety net for the rare file two sides do change.

Each clone appends only to its own log, so git normally has nothing to merge. Two branches of
one clone do append to the same log, though; git's built-in `union` driver (no setup needed in
any clone) keeps both sides' lines, which is exactly right for a log whose lines are
independent CRDT updates.
"""

from __future__ import annotations

from pathlib import Path

GITATTRIBUTES = """\
# ctx: how git merges the store (docs/sharing.md). `union` is built into git: no setup needed.
state/*.log merge=union
"""


def ensure_gitattributes(store: Path) -> bool:
    """Write the file into the `.contextfs/` folder `store` when missing (the same bytes in
    every clone: adding it twice is no conflict); leave a user's edited version alone. True
    when written."""
    path = store / ".gitattributes"
    if path.exists():
        return False
    path.write_text(GITATTRIBUTES)
    return True
