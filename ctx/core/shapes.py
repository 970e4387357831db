"""Shape checks of machine-local caches, in a module light enough for the fast `ctx why`
path (importing the store's modules costs it ~12 ms)."""

from __future__ import annotations


def touch_entries_ok(files: object) -> bool:
    """[[path, action, turn], …] as ctx.store.touched.session_files writes them."""
    return isinstance(files, list) and all(
        isinstance(e, list)
        and len(e) == 3
        and isinstance(e[0], str)
        and isinstance(e[1], str)
        and isinstance(e[2], int)
        and not isinstance(e[2], bool)
        for e in files
    )
