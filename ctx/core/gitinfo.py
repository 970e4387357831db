"""What git knows about where we are: the project root, branch, HEAD and the author.

A linked worktree resolves to its main worktree's root, so every worktree of a repository is
one project with one `.contextfs/`; branch and HEAD come from the worktree we are in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctx.core.errors import CtxError


@dataclass
class GitContext:
    root: Path  # the project root: the main worktree's top directory
    worktree: Path  # the worktree we are in
    branch: str | None
    head: str | None
    author: str
    identity: bool = True  # git has user.name and user.email (else `author` is a guess)


def _repo(start: Path) -> Any:
    import pygit2

    path = pygit2.discover_repository(str(start))
    if path is None:
        raise CtxError(
            f"not inside a git repository: {start}",
            "run ctx inside a git repository (git init creates one)",
            code="no_repo",
        )
    return pygit2.Repository(path)


def find_root(start: Path | None = None) -> Path:
    return context(start).root


def context(start: Path | None = None) -> GitContext:
    start = (start or Path.cwd()).resolve()
    plain = from_files(start)
    return plain if plain is not None else from_pygit2(start)


def from_files(start: Path) -> GitContext | None:
    """The context read from git's own files (ctx.core.gitfiles), without importing pygit2
    (~0.05 s of every command that opens the store); None for anything but a plain checkout
    of a repository this user owns, where git's files say all there is to say."""
    from ctx.core import gitfiles

    if any(name in os.environ for name in gitfiles.GIT_ENV):
        return None
    repo = gitfiles.locate(start)
    if repo is None:
        return None
    try:
        if os.stat(repo.common).st_uid != os.geteuid():
            return None  # git's safe.directory rules apply: pygit2 knows them
        if (repo.common / "reftable").exists():
            return None
        wanted = {"user.name", "user.email", "core.bare", "core.worktree"}
        wanted |= {"extensions.refstorage", "extensions.worktreeconfig"}
        config = gitfiles.read_config(
            [*gitfiles.user_config_files(), repo.common / "config"], wanted
        )
        if config.keys() & {"core.worktree", "extensions.refstorage"}:
            return None
        if config.get("core.bare", "false").lower() not in ("false", "no", "off", "0"):
            return None
        if config.get("extensions.worktreeconfig", "false").lower() not in (
            "false",
            "no",
            "off",
            "0",
        ):
            config.update(gitfiles.read_config([repo.gitdir / "config.worktree"], wanted))
        text = (repo.gitdir / "HEAD").read_text(encoding="utf-8").strip()
    except (gitfiles.Unsure, OSError, UnicodeDecodeError):
        return None
    branch: str | None = None
    head: str | None = None
    if text.startswith("ref: refs/heads/"):
        ref = text[5:].strip()
        found = gitfiles.head(repo)
        if found is not None:
            head = found[1]
        elif not gitfiles.plain_ref(ref) or _ref_file(repo, ref):
            return None  # a ref stored or named in a way not read here (a symbolic chain...)
        branch = ref[len("refs/heads/") :]
    elif gitfiles.head(repo) is not None:  # detached
        head = text
    else:
        return None
    name = os.environ.get("GIT_AUTHOR_NAME") or config.get("user.name") or None
    email = os.environ.get("GIT_AUTHOR_EMAIL") or config.get("user.email") or None
    return GitContext(
        root=repo.root.resolve(),
        worktree=repo.worktree.resolve(),
        branch=branch,
        head=head,
        author=_format_author(name, email),
        identity=bool(name and email),
    )


def _ref_file(repo: Any, ref: str) -> bool:
    """The ref may exist after all (a loose file, a packed-refs line, or unreadable): then
    HEAD's branch is not simply unborn."""
    try:
        if os.path.lexists(repo.common / ref):
            return True
        with open(repo.common / "packed-refs", encoding="utf-8") as fh:
            return any(line.rstrip("\n").endswith(" " + ref) for line in fh)
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError):
        return True


def from_pygit2(start: Path) -> GitContext:
    repo = _repo(start)
    if repo.is_bare:
        raise CtxError(
            f"{start} is a bare git repository", "run ctx inside a working tree", code="no_repo"
        )
    worktree = Path(repo.workdir).resolve()
    gitdir = Path(repo.path).resolve()
    linked = _linked_dot_git(start, gitdir)
    if linked is not None and "core.worktree" not in repo.config:
        worktree = linked  # git's worktree; libgit2 takes the link target's parent
    root = worktree
    if gitdir.parent.name == "worktrees":
        # a linked worktree: .git/worktrees/<name>; the main worktree holds .git
        common = gitdir.parent.parent
        if common.name == ".git":
            root = common.parent
    branch: str | None = None
    head: str | None = None
    try:
        if not repo.head_is_unborn:
            head = str(repo.head.target)
            branch = None if repo.head_is_detached else repo.head.shorthand
        else:
            ref = repo.references.get("HEAD")
            target = ref.target if ref is not None else None
            if isinstance(target, str) and target.startswith("refs/heads/"):
                branch = target[len("refs/heads/") :]
    except Exception:  # a broken HEAD must not stop ctx
        pass
    author, identity = _author(repo)
    return GitContext(
        root=root, worktree=worktree, branch=branch, head=head, author=author, identity=identity
    )


def _linked_dot_git(start: Path, gitdir: Path) -> Path | None:
    """The folder above `start` whose `.git` is a symbolic link to `gitdir`: git works there,
    where libgit2 would take the git directory's parent (a store made outside the checkout)."""
    for folder in (start, *start.parents):
        dot = folder / ".git"
        if os.path.lexists(dot):
            try:
                return folder if dot.is_symlink() and dot.resolve() == gitdir else None
            except OSError:
                return None
    return None


def _author(repo: Any) -> tuple[str, bool]:
    """`Name <email>` as git would record it — git's own precedence: GIT_AUTHOR_NAME /
    GIT_AUTHOR_EMAIL in the environment over `user.name` / `user.email` in the config (then
    $USER) — and whether git really has that identity."""

    def config(key: str) -> str | None:
        try:
            value = repo.config[key]
        except Exception:  # missing key, unreadable config
            return None
        return str(value) if value else None

    name = os.environ.get("GIT_AUTHOR_NAME") or config("user.name")
    email = os.environ.get("GIT_AUTHOR_EMAIL") or config("user.email")
    return _format_author(name, email), bool(name and email)


def _format_author(name: str | None, email: str | None) -> str:
    name = name or os.environ.get("USER") or "unknown"
    return f"{name} <{email}>" if email else name


def worktrees(root: Path, current: Path) -> list[Path]:
    """The main worktree and every linked one: an agent run in any of them belongs here."""
    out = [root]
    if current not in out:
        out.append(current)
    from ctx.core import gitfiles

    found = gitfiles.locate(root)
    linked = gitfiles.linked_worktrees(found.common) if found else None
    try:
        if linked is None:  # not plain: pygit2 reads it (~60 ms to import)
            import pygit2

            repo = pygit2.Repository(str(root))
            linked = [Path(repo.lookup_worktree(name).path) for name in repo.list_worktrees()]
        for path in linked:
            path = path.resolve()
            if path not in out and path.is_dir():
                out.append(path)
    except Exception:  # a damaged worktree list must not stop an import
        pass
    return out
