"""The Ctx-Session trailers of commits, kept machine-locally: a commit's message never
changes, so `ctx why` reads each commit once (`git cat-file --batch`, no pygit2), not once per
question. One JSON file, `.contextfs/local/cache/trailers.json`: commit id -> the session ids
its message names (an empty list for most). Read like pulled content: no symlink followed,
every entry checked, anything odd is dropped and read from git again; the file carries the
clone's key (ctx/core/machine_key.py), so one committed under local/ is never used."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ctx.core.ids import is_session_id

# at the start of a line, or indented / bulleted as squash messages quote the squashed commits
TRAILER = re.compile(r"^[ \t>*-]*Ctx-Session:[ \t]*(s-[a-z2-7]{12})[ \t]*$", re.MULTILINE)
CACHE_VERSION = 1
MAX_COMMITS = 200_000  # past this many the file starts over (≈9 MB)
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def read_trailers(root: Path, shas: list[str], cache: Path | None) -> dict[str, set[str]]:
    from ctx.codelinks.gitobjects import commit_messages

    known = _load(cache) if cache is not None else {}
    missing = [s for s in dict.fromkeys(shas) if s not in known]
    if missing:
        fresh = commit_messages(root, missing)
        for sha, message in fresh.items():
            known[sha] = sorted(set(TRAILER.findall(message))) if "Ctx-Session:" in message else []
        if cache is not None and fresh:
            _save(cache, known if len(known) <= MAX_COMMITS else {s: known[s] for s in fresh})
    out: dict[str, set[str]] = {}
    for sha in shas:
        ids = known.get(sha)
        if ids:
            out[sha] = set(ids)
    return out


def _load(cache: Path) -> dict[str, list[str]]:
    from ctx.store import confine

    store = next((p for p in cache.parents if p.name == ".contextfs"), None)
    if store is None or confine.link_in(store, cache) is not None:
        return {}
    try:
        data = json.loads(confine.read_bytes(cache))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("v") != CACHE_VERSION:
        return {}
    if data.get("key") != _key(store):  # not written here (committed under local/): ignored
        return {}
    commits = data.get("commits")
    if not isinstance(commits, dict):
        return {}
    out: dict[str, list[str]] = {}
    for sha, ids in commits.items():
        if (
            isinstance(sha, str)
            and _SHA.fullmatch(sha)
            and isinstance(ids, list)
            and all(isinstance(i, str) and is_session_id(i) for i in ids)
        ):
            out[sha] = ids
    return out


def _save(cache: Path, known: dict[str, list[str]]) -> None:
    from ctx.store import confine
    from ctx.store.locking import write_cache

    store = next((p for p in cache.parents if p.name == ".contextfs"), None)
    if store is None or confine.link_in(store, cache.parent) is not None:
        return
    try:
        confine.private_dirs(cache.parent)
    except OSError:
        return
    write_cache(cache, {"v": CACHE_VERSION, "key": _key(store), "commits": known})


def _key(store: Path) -> str:
    from ctx.core.machine_key import tag

    return tag(store.parent, "trailers", CACHE_VERSION)
