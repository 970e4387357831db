"""Resource errors are the user's to fix, not bugs: a full disk, a file-size limit, a
read-only file system, a permission. The CLI's single error handler and the MCP server map
them here, once, instead of every call site catching OSError.

Nothing is lost when one strikes: records are appended as whole lines or renamed into place,
so what was stored before stays readable, and an incomplete last line is cut off by the next
write (see ctx.store.crdt_log).
"""

from __future__ import annotations

import errno
import io
import os
import types
from pathlib import Path

from ctx.core.errors import CtxError

KEPT = "nothing already stored was lost"

_KINDS = {
    errno.ENOSPC: ("disk full", "free some space and run it again"),
    errno.EDQUOT: ("disk quota exceeded", "free some space or raise the quota, then run it again"),
    errno.EFBIG: ("file too large", "raise the file-size limit (ulimit -f) and run it again"),
    errno.EROFS: ("read-only file system", "run it where the repository is writable"),
    errno.EACCES: ("permission denied", "check the owner and mode of the path"),
    errno.EPERM: ("operation not permitted", "check the owner and mode of the path"),
}

# SQLite reports the same conditions as its own exception classes (apsw.FullError...).
_SQLITE = {
    "FullError": errno.ENOSPC,
    "ReadOnlyError": errno.EROFS,
    "PermissionsError": errno.EACCES,
    "TooBigError": errno.EFBIG,
}


def _errno_of(exc: BaseException) -> int | None:
    if isinstance(exc, OSError) and exc.errno in _KINDS:
        return exc.errno
    if type(exc).__module__ == "apsw":
        return _SQLITE.get(type(exc).__name__)
    return None


def _path_in_traceback(tb: types.TracebackType | None) -> str | None:
    """The file a failing write was writing: the innermost frame holding an open file or a
    path (write() errors carry no file name of their own)."""
    found: str | None = None
    while tb is not None:
        for name, value in tb.tb_frame.f_locals.items():
            fname = getattr(value, "name", None)
            if isinstance(value, io.IOBase) and isinstance(fname, str):
                found = fname
            elif name in ("path", "tmp", "db_path", "dest") and isinstance(value, (Path, str)):
                found = str(value)
        tb = tb.tb_next
    return found


def resource_error(exc: BaseException) -> CtxError | None:
    """The user-facing error for a resource failure, or None when ``exc`` is not one."""
    code = _errno_of(exc)
    if code is None:
        return None
    what, advice = _KINDS[code]
    path = getattr(exc, "filename", None) or _path_in_traceback(exc.__traceback__)
    where = ""
    if path:
        rel = os.path.relpath(path) if os.path.isabs(path) else path
        where = f": {path if rel.startswith('..') else rel}"
    return CtxError(f"{what}{where} ({KEPT})", advice, code="resource")
