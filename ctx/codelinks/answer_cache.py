"""`ctx why` answers kept machine-locally, so asking the same question again costs no git
call and no store load.

An answer depends on: the lines (HEAD and the file as it is now), the commits' history (fixed
by HEAD), and the store (state logs, the pending journal, session transcripts, config). The
key is a digest of all of them, read straight from files — HEAD and its branch from `.git/`,
the file's bytes, and the name, size, inode and mtime of every file the store is read from —
so neither pygit2 nor pycrdt is imported to check it. A new commit, an edit, a memory, a
session, a `ctx forget`, a pull: each changes something in the key, and the next question is
answered afresh (then saved again). Anything unusual (a git layout this reader does not know,
an interrupted capture still to recover, a symlink in the store) means "not cached", never a
guess: the full command runs and says what it says.

One JSON file per question in `.contextfs/local/cache/why/`, named by a digest of the
worktree, path and range. It is machine-local, but lives in the store's folder, so it is read
like pulled content: no symlink followed, every field checked, anything odd is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.codelinks.target import parse_target, relative_path
from ctx.core.errors import CtxError

if TYPE_CHECKING:
    from ctx.store.project import Project

CACHE_VERSION = 1
MAX_FILES = 500  # cached answers per store; the oldest half goes when there are more
_STORE = ".contextfs"
_HEX = frozenset("0123456789abcdef")
_REF_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+@")
# the code that computes an answer: a changed ctx answers afresh
_CODE = (
    "codelinks/why.py",
    "codelinks/blame.py",
    "codelinks/blame_cache.py",
    "codelinks/answer_cache.py",
    "store/touched.py",
    "store/sessions.py",
)
_RESULT_KEYS = {"path", "start", "end", "commits", "sessions", "memories", "uncommitted_lines"}


@dataclass(frozen=True)
class Repo:
    """A checkout as git's own files describe it (what ctx.core.gitinfo gets from pygit2)."""

    worktree: Path  # the worktree we are in
    root: Path  # the project root: the main worktree
    gitdir: Path  # this worktree's git directory (HEAD lives here)
    common: Path  # the shared git directory (refs, config)


def locate(start: Path) -> Repo | None:
    """The repository holding `start` (an absolute, resolved path), or None when it is not a
    plain one (a bare repository, a `.git` that is a link, an unreadable gitdir file)."""
    cur = start
    while True:
        dot = cur / ".git"
        try:
            st = os.lstat(dot)
        except FileNotFoundError:
            st = None
        except OSError:
            return None
        if st is not None:
            break
        if cur.parent == cur:
            return None
        cur = cur.parent
    if stat.S_ISDIR(st.st_mode):
        gitdir = dot
    elif stat.S_ISREG(st.st_mode):
        try:
            text = dot.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not text.startswith("gitdir:"):
            return None
        gitdir = (cur / text[7:].strip()).resolve()
    else:
        return None
    common = gitdir
    try:
        pointer = (gitdir / "commondir").read_text(encoding="utf-8").strip()
        common = (gitdir / pointer).resolve()
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        return None
    root = cur
    if gitdir.parent.name == "worktrees" and gitdir.parent.parent.name == ".git":
        root = gitdir.parent.parent.parent
    return Repo(cur, root, gitdir, common)


def head(repo: Repo) -> tuple[str, str] | None:
    """(branch ref or "", commit id) of HEAD, read from git's files; None when HEAD is unborn
    or stored in a way not read here (reftable, a chain of symbolic refs)."""
    try:
        text = (repo.gitdir / "HEAD").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if _is_oid(text):
        return "", text
    if not text.startswith("ref: "):
        return None
    ref = text[5:].strip()
    if not ref.startswith("refs/heads/") or ".." in ref or not set(ref) <= _REF_CHARS:
        return None
    try:
        loose = (repo.common / ref).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        loose = None
    except (OSError, UnicodeDecodeError):
        return None
    if loose is not None:
        return (ref, loose) if _is_oid(loose) else None
    try:
        with open(repo.common / "packed-refs", encoding="utf-8") as fh:
            for line in fh:
                oid, _, name = line.rstrip("\n").partition(" ")
                if name == ref and _is_oid(oid):
                    return ref, oid
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _is_oid(text: str) -> bool:
    return len(text) in (40, 64) and set(text) <= _HEX


def _mark(path: Path | str) -> list[int]:
    """What changes when a file is written, replaced or removed (never through a link)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return []
    return [stat.S_IFMT(st.st_mode), st.st_ino, st.st_size, st.st_mtime_ns]


def _folder(h: Any, path: Path) -> None:
    """Every entry of a folder (name, kind, inode, size, mtime) into the digest `h`."""
    h.update(f"{path.name}\0{_mark(path)}\n".encode())
    try:
        with os.scandir(path) as it:
            rows = []
            for e in it:
                st = e.stat(follow_symlinks=False)
                rows.append(
                    f"{e.name}\0{stat.S_IFMT(st.st_mode)}\0{st.st_ino}\0{st.st_size}"
                    f"\0{st.st_mtime_ns}\n"
                )
    except (FileNotFoundError, NotADirectoryError):
        return
    rows.sort()
    h.update("".join(rows).encode("utf-8", "surrogateescape"))


def store_digest(root: Path) -> str | None:
    """A digest of every file an answer reads from the store; None when the store would not
    be read as it is (a symlink where ctx refuses one, a capture to recover first)."""
    from ctx.store import confine

    store = root / _STORE
    if confine.structure_links(root, store) or needs_recovery(store / "local" / "active"):
        return None
    h = hashlib.sha256()
    for rel in ("config.toml", "local/private/state.log"):
        h.update(f"{rel}\0{_mark(store / rel)}\n".encode())
    for rel in ("state", "sessions", "local/private/sessions", "local/pending"):
        _folder(h, store / rel)
    return h.hexdigest()


def needs_recovery(active: Path) -> bool:
    """Whether an open capture's process is gone: the next full command completes it (and
    the session joins the answer), so no cached answer may stand in for that command."""
    try:
        names = [n for n in os.listdir(active) if n.endswith(".jsonl") and n[0] != "."]
    except FileNotFoundError:
        return False
    except OSError:
        return True
    for name in names:
        try:
            with open(active / name, "rb") as fh:
                first = fh.readline(1 << 20)
            header = json.loads(first)
        except (OSError, ValueError):
            return True
        if not isinstance(header, dict) or header.get("type") != "session":
            return True
        pid = header.get("owner_pid")
        try:
            if isinstance(pid, int) and not _alive(pid):
                return True
        except (OverflowError, OSError):
            return True
    return False


def _alive(pid: int) -> bool:
    """As ctx.store.recovery.pid_alive (not imported: it loads the transcript reader)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _code() -> list[object]:
    from ctx.core.version import __version__

    base = Path(__file__).resolve().parent.parent
    return [__version__, CACHE_VERSION, *(_mark(base / rel) for rel in _CODE)]


def question_key(repo: Repo, rel: str, start: int | None, end: int | None) -> str | None:
    """The digest of everything the answer to (`rel`, `start`, `end`) depends on, or None
    when that cannot be read cheaply and surely (then nothing is cached or served)."""
    at = head(repo)
    if at is None:
        return None
    file = repo.worktree / rel
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            content = hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None
    store = store_digest(repo.root)
    if store is None:
        return None
    parts = {
        "code": _code(),
        "repo": [str(repo.worktree), str(repo.root), str(repo.gitdir), str(repo.common)],
        "question": [rel, start, end],
        "head": list(at),
        "file": content,
        # what else git reads for a blame: its config files (mailmap.file, blame.*), the
        # mailmap, the revisions to ignore, grafts, replace refs, a shallow clone's boundary
        "git": [
            *(_mark(p) for p in _git_config_files(repo)),
            _mark(repo.worktree / ".mailmap"),
            _mark(repo.worktree / ".git-blame-ignore-revs"),
            _mark(repo.common / "info" / "grafts"),
            _mark(repo.common / "shallow"),
            _mark(repo.common / "refs" / "replace"),
            _mark(repo.common / "packed-refs"),
            sorted((k, v) for k, v in os.environ.items() if k.startswith("GIT_")),
        ],
        "store": store,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _git_config_files(repo: Repo) -> list[Path]:
    """The repository's, the worktree's and the user's git config files."""
    home = Path(os.environ.get("HOME") or "~").expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return [
        repo.gitdir / "config",
        repo.gitdir / "config.worktree",
        repo.common / "config",
        home / ".gitconfig",
        Path(xdg) / "git" / "config",
    ]


def cache_file(repo: Repo, rel: str, start: int | None, end: int | None) -> Path:
    """Named by a digest of the question: no path or range can climb out of the folder."""
    name = hashlib.sha256(f"{repo.worktree}\0{rel}\0{start}\0{end}".encode()).hexdigest()[:40]
    return repo.root / _STORE / "local" / "cache" / "why" / f"{name}.json"


# ---- the fast path: before any store or git library is loaded ------------------------------

#: keys the fast path computed in this process: when it misses, the full command takes its
#: key as the "before" key (what changes in between makes the "after" key differ: not saved)
_asked: dict[tuple[Repo, str, int | None, int | None], str] = {}


def lookup(cwd: Path, spec: str) -> dict[str, Any] | None:
    """The cached answer (WhyResult.to_dict()) to `ctx why SPEC` run in `cwd`, or None."""
    try:
        raw, start, end = parse_target(spec)
    except CtxError:
        return None
    repo = locate(cwd.resolve())
    if repo is None:
        return None
    rel = relative_path(raw, cwd, repo.worktree, repo.root)
    if rel is None:
        return None
    file = cache_file(repo, rel, start, end)
    data = _read(repo.root / _STORE, file)  # first: no key is computed for a question not cached
    if data is None:
        return None
    key = question_key(repo, rel, start, end)
    if key is None:
        return None
    if data.get("key") != key:
        _asked[(repo, rel, start, end)] = key  # for the full command that runs next
        return None
    result = data.get("result")
    return result if valid_result(result) else None


def _read(store: Path, file: Path) -> dict[str, Any] | None:
    from ctx.store import confine

    if confine.link_in(store, file) is not None:
        return None
    try:
        data = json.loads(confine.read_bytes(file))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("v") != CACHE_VERSION:
        return None
    return data


def valid_result(r: object) -> bool:
    """Whether `r` has the shape of WhyResult.to_dict() (what the renderers read)."""
    if not isinstance(r, dict) or set(r) != _RESULT_KEYS or not isinstance(r["path"], str):
        return False
    if not all(r[k] is None or _is_int(r[k]) for k in ("start", "end")):
        return False
    if not all(isinstance(r[k], list) for k in ("commits", "sessions", "memories")):
        return False
    ints = r["uncommitted_lines"]
    if not isinstance(ints, list) or not all(_is_int(n) for n in ints):
        return False
    texts = {
        "commits": ("sha", "author", "date", "summary"),
        "sessions": ("id", "title", "tool", "author", "started_at", "how"),
        "memories": ("id", "type", "content", "author", "created_at", "how"),
    }
    for kind, fields in texts.items():
        for item in r[kind]:
            if not isinstance(item, dict) or not all(isinstance(item.get(f), str) for f in fields):
                return False
    for c in r["commits"]:
        if not isinstance(c.get("lines"), list) or not all(_is_int(n) for n in c["lines"]):
            return False
        if not isinstance(c.get("sessions"), list):
            return False
    for s in r["sessions"]:
        for t in s.get("turns") if isinstance(s.get("turns"), list) else [None]:
            if not (
                isinstance(t, dict)
                and _is_int(t.get("n"))
                and isinstance(t.get("role"), str)
                and isinstance(t.get("text"), str)
                and isinstance(t.get("wrote"), list)
                and all(_is_int(n) for n in t["wrote"])
            ):
                return False
    return True


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# ---- the full command: answer, and keep the answer ------------------------------------------


def answer(project: Project, spec: str, cwd: Path) -> dict[str, Any]:
    """`why(project, spec)` as a dict, saved for the next time when nothing it depends on
    changed while it was computed (the key is taken before and after)."""
    from ctx.codelinks.why import why

    raw, start, end = parse_target(spec)
    repo = locate(cwd.resolve())
    rel = None
    if repo is not None and (repo.worktree, repo.root) == (project.git.worktree, project.root):
        rel = relative_path(raw, cwd, repo.worktree, repo.root)
    before = None
    if repo is not None and rel:
        before = _asked.pop((repo, rel, start, end), None) or question_key(repo, rel, start, end)
    result = why(project, spec, cwd=cwd).to_dict()
    if (
        before is not None
        and repo is not None
        and rel is not None
        and question_key(repo, rel, start, end) == before
    ):
        save(repo, rel, start, end, before, result)
    return result


def save(
    repo: Repo, rel: str, start: int | None, end: int | None, key: str, result: dict[str, Any]
) -> None:
    """Write one answer (never through a linked folder; a link at the file itself is
    replaced); one that cannot be written only costs time next run."""
    from ctx.store.locking import atomic_write

    file = cache_file(repo, rel, start, end)
    body = {"v": CACHE_VERSION, "key": key, "result": result}
    try:
        atomic_write(file, json.dumps(body).encode(), private=True, durable=False)
        _prune(file.parent)
    except (OSError, CtxError):
        pass


def _prune(folder: Path) -> None:
    """Past MAX_FILES answers, the least recently written half goes."""
    try:
        names = [e for e in os.scandir(folder) if e.name.endswith(".json") and e.is_file()]
        if len(names) <= MAX_FILES:
            return
        names.sort(key=lambda e: e.stat().st_mtime)
        for e in names[: len(names) // 2]:
            try:
                os.unlink(e.path)
            except OSError:
                pass
    except OSError:
        pass
