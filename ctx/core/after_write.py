"""Work an upper layer wants done in the same process, under the store's lock, right after
a write to the store (the store cannot import it: see the layers in pyproject.toml).

A hook is registered once per process (ctx.launch registers `ctx why`'s kept inputs,
ctx/codelinks/why_keep.py). Before the write, under the lock and before the state is read
again, each hook is asked with the store's root and may return what to call after the write
(with the project); a hook only speeds something up, so one that fails is ignored.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nothing is imported at start-up for this (every command loads it)
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any, TypeAlias

    After: TypeAlias = Callable[[Any], None]
    Hook: TypeAlias = Callable[[Path], After | None]

_hooks: list[Hook] = []


def register(hook: Hook) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def unregister(hook: Hook) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


def before(root: Path) -> list[After]:
    """What to call after the write about to be made in the store at `root`."""
    out: list[After] = []
    for hook in _hooks:
        try:
            after = hook(root)
        except Exception:  # a speed-up only: the write goes on without it
            if os.environ.get("CTX_DEBUG"):
                raise
            continue
        if after is not None:
            out.append(after)
    return out


def run(afters: list[After], project: Any) -> None:
    for after in afters:
        try:
            after(project)
        except Exception:  # a speed-up only: the write is made
            if os.environ.get("CTX_DEBUG"):
                raise
            continue
