"""ctx: git for AI conversations.

The public Python API lives in :mod:`ctx.api`; it is re-exported here lazily so that
``import ctx`` stays cheap for the CLI's start-up.
"""

from __future__ import annotations

from ctx.core.version import __version__

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from typing import Any


__all__ = ["__version__"]

_API = {
    "open_project",
    "init_project",
    "Project",
    "Memory",
    "Session",
    "Turn",
    "CtxError",
}


def __getattr__(name: str) -> Any:
    if name in _API:
        from ctx import api

        return getattr(api, name)
    raise AttributeError(name)
