"""What a range of commits does to the store, in words, and whether it stays inside the format.

State logs are base64 CRDT updates: a reviewer cannot read them in a pull request. This module
decodes the lines a change adds, replays them on the state before the change, and says what they
do (memories added / edited / removed, sessions forgotten, by which replica). It also checks every
changed file against the format of docs/format.md: file names and ids from the grammar, regular
files only (no symlinks, no executables), logs that only grow, transcripts written once, no
secret in what is added. `ctx diff` prints the words; `ctx verify` fails on any error.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from ctx.core.ids import is_memory_id, is_part_name, is_record_id, is_replica_id, is_session_id
from ctx.core.models import MEMORY_TYPES
from ctx.store.crdt_log import HEADER_RE, LOG_VERSION
from ctx.store.crdt_log import _decode as decode_line
from ctx.store.layout import FORMAT_VERSION, GITIGNORE
from ctx.store.state import StateDoc
from ctx.sync.gitrun import STORE
from ctx.sync.snapshots import MODE_EXEC, MODE_FILE, MODE_LINK, Entry, Snapshot

ERROR = "error"
WARNING = "warning"
KNOWN_ROOTS = ("memories", "sessions", "forgotten")
_TOP_FILES = ("config.toml", ".gitignore", ".gitattributes")
_LOG_NAME = re.compile(r"(?P<replica>[^/]+)\.log")
_PREVIEW = 70


@dataclass
class Finding:
    level: str  # "error" | "warning"
    path: str
    message: str
    line: int | None = None
    commit: str | None = None  # the commit of the range that brought it, when known

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass
class RecordChange:
    kind: str  # "memory" | "session"
    id: str
    action: str  # "added" | "edited" | "removed" | "forgotten"
    replica: str  # whose log carried the change
    fields: dict[str, Any] = field(default_factory=dict)  # field -> [old, new]
    summary: str = ""  # type and first words of a memory, title of a session


@dataclass
class LogChange:
    path: str
    replica: str
    lines_added: int
    lines_removed: int
    compacted: bool = False  # lines replaced by fewer lines holding the same state (ctx gc)


@dataclass
class TranscriptChange:
    session_id: str
    action: str  # "added" | "extended" | "removed" | "rewritten"
    parts: list[str]
    title: str = ""
    tool: str = ""
    turns: int = 0
    author: str = ""


@dataclass
class Review:
    base: str
    head: str
    records: list[RecordChange] = field(default_factory=list)
    logs: list[LogChange] = field(default_factory=list)
    transcripts: list[TranscriptChange] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    def empty(self) -> bool:
        return not (self.records or self.logs or self.transcripts or self.other_files)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = not self.errors
        return d


# ---- the comparison ---------------------------------------------------------------------------
def review(base: Snapshot, head: Snapshot, *, check_secrets: bool = True) -> Review:
    """Everything `head` changes relative to `base` under `.contextfs/`."""
    out = Review(base.label, head.label)
    changed = sorted(
        p
        for p in set(base.files) | set(head.files)
        if _key(base.files.get(p)) != _key(head.files.get(p))
    )
    logs: list[str] = []
    parts: dict[str, list[str]] = {}
    for path in changed:
        new = head.files.get(path)
        old = base.files.get(path)
        kind = _classify(path, new, out)
        if kind == "log":
            logs.append(path)
        elif kind == "part":
            parts.setdefault(path.split("/")[2], []).append(path)
        elif kind == "top":
            _check_top_file(path, old, new, out)
        elif new is None and old is not None:
            out.other_files.append(path)  # an unknown file removed: fine, just say so
    _review_logs(base, head, logs, out, check_secrets)
    forgotten_head = _forgotten_ids(head) if parts else set()  # a replay: only when needed
    in_base = base_sessions(base) if parts else set()
    for sid, paths in sorted(parts.items()):
        _review_transcripts(sid, paths, base, head, forgotten_head, out, check_secrets, in_base)
    return out


def _key(e: Entry | None) -> tuple[int, str] | None:
    return None if e is None else (e.mode, e.oid)


def _classify(path: str, new: Entry | None, out: Review) -> str:
    """Check a changed path against the grammar; say what kind of store file it is."""
    rel = path[len(STORE) + 1 :].split("/") if path.startswith(STORE + "/") else []
    kind = "other"
    if len(rel) == 1 and rel[0] in _TOP_FILES:
        kind = "top"
    elif len(rel) == 2 and rel[0] in ("state", "sessions") and rel[1] == ".gitkeep":
        kind = "keep"
    elif len(rel) == 2 and rel[0] == "state":
        m = _LOG_NAME.fullmatch(rel[1])
        if m and is_replica_id(m.group("replica")):
            kind = "log"
    elif len(rel) == 3 and rel[0] == "sessions" and is_session_id(rel[1]) and is_part_name(rel[2]):
        kind = "part"
    if new is None:
        return kind
    if new.mode == MODE_LINK:
        target = new.data().decode("utf-8", "replace")
        out.findings.append(
            Finding(ERROR, path, f"is a symlink (to {target!r}); the format has none")
        )
        return "bad"
    if new.mode == MODE_EXEC:
        out.findings.append(Finding(ERROR, path, "is executable; store files are plain data"))
    elif new.mode != MODE_FILE:
        out.findings.append(Finding(ERROR, path, f"is not a regular file (git mode {new.mode:o})"))
        return "bad"
    if kind == "other":
        out.findings.append(
            Finding(ERROR, path, "is not part of the .contextfs format (see docs/format.md)")
        )
        out.other_files.append(path)
    return kind


def _check_top_file(path: str, old: Entry | None, new: Entry | None, out: Review) -> None:
    out.other_files.append(path)
    name = path.rsplit("/", 1)[-1]
    if new is None:
        out.findings.append(Finding(WARNING, path, "removed (ctx writes it again when missing)"))
        return
    data = new.data()
    if name == "config.toml":
        old_cfg = _toml(old.data()) if old else {}
        new_cfg = _toml(data)
        if new_cfg is None:
            out.findings.append(Finding(ERROR, path, "is not valid TOML"))
            return
        fmt = new_cfg.get("store", {}).get("format", FORMAT_VERSION)
        if not isinstance(fmt, int) or not 1 <= fmt <= FORMAT_VERSION:
            out.findings.append(Finding(ERROR, path, f"[store] format = {fmt!r} is not supported"))
        if old is not None:
            for key, (a, b) in _flat_diff(old_cfg or {}, new_cfg).items():
                out.findings.append(Finding(WARNING, path, f"setting {key}: {a!r} -> {b!r}"))
    elif name == ".gitignore":
        text = data.decode("utf-8", "replace").split()
        missing = [p for p in GITIGNORE.split() if not p.startswith("#") and p not in text]
        if missing:
            out.findings.append(
                Finding(ERROR, path, f"no longer ignores {', '.join(missing)} (local data)")
            )
        negated = [p for p in text if p.startswith("!")]
        if negated:
            out.findings.append(
                Finding(ERROR, path, f"un-ignores {', '.join(negated)} (local data)")
            )
    elif name == ".gitattributes":
        from ctx.store.attributes import GITATTRIBUTES

        if data != GITATTRIBUTES.encode():
            out.findings.append(Finding(WARNING, path, "differs from the one ctx writes"))


def _toml(data: bytes) -> dict[str, Any] | None:
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef,unused-ignore]
    try:
        return dict(tomllib.loads(data.decode("utf-8")))
    except (ValueError, UnicodeDecodeError):
        return None


def _flat_diff(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) or isinstance(vb, dict):
            out.update(_flat_diff(va if isinstance(va, dict) else {}, vb or {}, f"{prefix}{k}."))
        elif va != vb:
            out[f"{prefix}{k}"] = (va, vb)
    return out


# ---- state logs -------------------------------------------------------------------------------
def _log_updates(data: bytes) -> list[bytes]:
    out = []
    for raw in data.split(b"\n"):
        upd = decode_line(raw.strip())
        if upd is not None:
            out.append(upd)
    return out


def _state_of(snap: Snapshot) -> StateDoc:
    """The state `snap`'s logs replay to (never modified by callers). The last one is kept by
    the logs' blob ids (per thread): walking commits (`ctx log`), one review's head is the next
    one's base."""
    logs = [p for p in sorted(snap.files) if _is_log(p) and snap.files[p].mode == MODE_FILE]
    key = tuple((p, snap.files[p].oid) for p in logs)
    last = getattr(_last_state, "kept", None)
    if last is not None and last[0] == key and all(oid for _p, oid in key):
        return last[1]
    doc = StateDoc()
    for path in logs:
        for upd in _log_updates(snap.files[path].data()):
            doc.apply(upd)
    _last_state.kept = (key, doc)
    return doc


_last_state = threading.local()


def _is_log(path: str) -> bool:
    rel = path[len(STORE) + 1 :].split("/")
    return len(rel) == 2 and rel[0] == "state" and rel[1].endswith(".log")


def _forgotten_ids(snap: Snapshot) -> set[str]:
    return {str(k) for k in list(_state_of(snap).forgotten.keys())}


def _review_logs(
    base: Snapshot, head: Snapshot, logs: list[str], out: Review, check_secrets: bool
) -> None:
    if not logs:
        return
    before = _state_of(base)  # the state the change starts from, never modified
    work = StateDoc()
    work.apply(before.full_update())
    for path in logs:
        old_e, new_e = base.files.get(path), head.files.get(path)
        replica = path.rsplit("/", 1)[-1][: -len(".log")]
        old = old_e.data() if old_e and old_e.mode == MODE_FILE else b""
        if new_e is None:
            out.findings.append(
                Finding(
                    ERROR,
                    path,
                    "replica log deleted: every change it held is gone for "
                    "clones that load it fresh; use `ctx memory rm` / `ctx forget` instead",
                )
            )
            out.logs.append(LogChange(path, replica, 0, old.count(b"\n")))
            continue
        if new_e.mode != MODE_FILE:
            continue  # already reported by _classify
        new = new_e.data()
        added, removed, new_updates = _line_diff(path, old, new, replica, out, check_secrets)
        change = LogChange(path, replica, len(added), len(removed))
        if removed:
            change.compacted = _contains(new, old)
            if not change.compacted:
                out.findings.append(
                    Finding(
                        ERROR,
                        path,
                        f"{len(removed)} line(s) of history removed that the "
                        "new log does not hold (a revert, truncation or hand edit?); use "
                        "`ctx memory rm` / `ctx forget` to delete content",
                    )
                )
        out.logs.append(change)
        _describe(before, work, new_updates, replica, path, out)


def _line_diff(
    path: str, old: bytes, new: bytes, replica: str, out: Review, check_secrets: bool
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    old_lines = set(old.split(b"\n"))
    new_lines = new.split(b"\n")
    new_set = set(new_lines)
    added: list[bytes] = []
    updates: list[bytes] = []
    if new and not new.endswith(b"\n"):
        out.findings.append(Finding(WARNING, path, "last line is incomplete (torn write?)"))
    for n, raw in enumerate(new_lines, 1):
        line = raw.strip()
        if not line or raw in old_lines:
            continue
        added.append(raw)
        if line.startswith(b"#"):
            m = HEADER_RE.match(line)
            if not m:
                out.findings.append(Finding(ERROR, path, "malformed header line", n))
            elif int(m.group(1)) > LOG_VERSION:
                out.findings.append(
                    Finding(
                        ERROR,
                        path,
                        f"state format v{int(m.group(1))} is newer than this "
                        f"ctx reads (v{LOG_VERSION})",
                        n,
                    )
                )
            elif m.group(2) is not None and m.group(2).decode("utf-8", "replace") != replica:
                out.findings.append(
                    Finding(
                        ERROR,
                        path,
                        "header names replica "
                        f"{m.group(2).decode('utf-8', 'replace')!r}, not the file's",
                        n,
                    )
                )
            continue
        upd = decode_line(line)
        if upd is None:
            out.findings.append(Finding(ERROR, path, "corrupt update line (checksum)", n))
            continue
        probe = StateDoc()
        if probe.apply(upd) is not None:
            out.findings.append(Finding(ERROR, path, "update cannot be decoded", n))
            continue
        updates.append(upd)
        if check_secrets:
            _secret_check(path, n, line, out)
    removed = [r for r in old.split(b"\n") if r.strip() and r not in new_set]
    return added, removed, updates


def _secret_check(path: str, n: int, line: bytes, out: Review) -> None:
    from ctx.privacy.secrets import find_secrets
    from ctx.sync.precommit import readable

    for f in find_secrets(readable(path, line)):
        out.findings.append(Finding(ERROR, path, f"holds a secret ({f.rule})", n))
        break


def _contains(new: bytes, old: bytes) -> bool:
    """Whether the state of the new log already holds everything of the old one."""
    doc = StateDoc()
    for upd in _log_updates(new):
        doc.apply(upd)
    sv, text = doc.doc.get_state(), _dump(doc)
    for upd in _log_updates(old):
        doc.apply(upd)
    return doc.doc.get_state() == sv and _dump(doc) == text


def _dump(doc: StateDoc) -> str:
    return json.dumps(
        {r: getattr(doc, r).to_py() for r in KNOWN_ROOTS}, sort_keys=True, default=str
    )


def _describe(
    before: StateDoc, work: StateDoc, updates: list[bytes], replica: str, path: str, out: Review
) -> None:
    """Replay one log's new updates on the running state and say what they did."""
    from ctx.sync.changes import summarize

    summary = summarize(work, updates)
    roots = set(work.doc.keys()) - set(KNOWN_ROOTS)
    for name in sorted(roots):
        out.findings.append(Finding(ERROR, path, f"adds an unknown root {_show(name)!r}"))
    for kind, plural, ok in (("memory", "memories", is_memory_id), ("session", "sessions", None)):
        k = summary.memories if kind == "memory" else summary.sessions
        valid = ok or is_session_id
        for action, ids in k.by_verb():
            for rid in ids:
                if not valid(rid):
                    out.findings.append(
                        Finding(ERROR, path, f"{kind} id {_show(rid)!r} is outside the grammar")
                    )
                    continue
                old = _record(getattr(before, plural), rid)
                new = _record(getattr(work, plural), rid)
                rc = RecordChange(kind, rid, action, replica)
                rc.summary = _summary(kind, new or old)
                if action != "removed":
                    _check_fields(kind, rid, new, path, out)
                if action == "edited":
                    fields = summary.touched.get(rid, set())
                    rc.fields = _field_changes(old, new, fields)
                out.records.append(rc)
    for rid in summary.forgotten:
        if not is_record_id(rid):
            out.findings.append(
                Finding(
                    ERROR,
                    path,
                    f"forgets {_show(rid)!r}, which is not a memory or "
                    "session id (a path?); ctx ignores it",
                )
            )
            continue
        kind = "memory" if rid.startswith("m-") else "session"
        plural = "memories" if kind == "memory" else "sessions"
        rec = _record(getattr(before, plural), rid)
        out.records.append(
            RecordChange(kind, rid, "forgotten", replica, summary=_summary(kind, rec))
        )


def _record(root: Any, rid: str) -> dict[str, Any] | None:
    from ctx.store.state import _plain

    rec = root.get(rid)
    return _plain(rec) if rec is not None else None


def _field_changes(
    old: dict[str, Any] | None, new: dict[str, Any] | None, fields: set[str]
) -> dict[str, Any]:
    old, new = old or {}, new or {}
    out: dict[str, Any] = {}
    for f in sorted(fields):
        if f.startswith("tag:"):
            tag = f[4:]
            out[f] = [tag in old.get("tags", []), tag in new.get("tags", [])]
        elif f != "tags":
            out[f] = [old.get(f), new.get(f)]
    return out


def _check_fields(kind: str, rid: str, rec: dict[str, Any] | None, path: str, out: Review) -> None:
    if not rec:
        return
    if kind == "memory":
        if rec.get("type") not in MEMORY_TYPES:
            out.findings.append(
                Finding(
                    ERROR,
                    path,
                    f"memory {rid}: type {_show(rec.get('type'))!r} is not one "
                    f"of {', '.join(MEMORY_TYPES)}",
                )
            )
        if "content" in rec and not isinstance(rec["content"], str):
            out.findings.append(Finding(ERROR, path, f"memory {rid}: content is not text"))
        _check_links(rid, rec, path, out)
    else:
        parts = rec.get("parts")
        if parts is not None and (not isinstance(parts, (int, float)) or not 0 <= parts < 1000):
            out.findings.append(
                Finding(ERROR, path, f"session {rid}: parts {_show(parts)!r} is out of range")
            )
    for key in ("source_session",):
        value = rec.get(key)
        if value not in (None, "") and not is_session_id(value):
            out.findings.append(
                Finding(ERROR, path, f"{kind} {rid}: {key} {_show(value)!r} is not a session id")
            )


def _check_links(rid: str, rec: dict[str, Any], path: str, out: Review) -> None:
    """Cites and supersession links are pulled content: readers drop bad ones, review names them."""
    from ctx.store.cites import parse

    for cite in rec.get("cites") or []:
        if parse(cite) is None:
            out.findings.append(
                Finding(ERROR, path, f"memory {rid}: cite {_show(cite)!r} is not in the repo")
            )
    links = [rec.get("supersedes"), *(rec.get("superseded_by") or [])]
    for link in links:
        if link is not None and not is_memory_id(link):
            out.findings.append(
                Finding(ERROR, path, f"memory {rid}: link {_show(link)!r} is not a memory id")
            )


def _summary(kind: str, rec: dict[str, Any] | None) -> str:
    if not rec:
        return ""
    if kind == "memory":
        return f"[{_show(rec.get('type'))}] {_preview(rec.get('content'))}"
    return _preview(rec.get("title"))


# ---- transcripts ------------------------------------------------------------------------------
def _review_transcripts(
    sid: str,
    paths: list[str],
    base: Snapshot,
    head: Snapshot,
    forgotten: set[str],
    out: Review,
    check_secrets: bool,
    in_base: set[str],
) -> None:
    added = [p for p in paths if p in head.files and p not in base.files]
    modified = [p for p in paths if p in head.files and p in base.files]
    removed = [p for p in paths if p not in head.files]
    names = [p.rsplit("/", 1)[-1] for p in paths]
    for p in modified:
        out.findings.append(Finding(ERROR, p, "rewrites a transcript part; parts are written once"))
    if removed and not added and not modified:
        if sid not in forgotten:
            out.findings.append(
                Finding(
                    WARNING,
                    removed[0],
                    f"session {sid} files removed without `ctx forget` "
                    "(other clones keep listing it)",
                )
            )
        out.transcripts.append(TranscriptChange(sid, "removed", names))
        return
    change = TranscriptChange(sid, "extended" if sid in in_base else "added", names)
    if modified:
        change.action = "rewritten"
    for p in sorted(added + modified):
        entry = head.files[p]
        if entry.mode != MODE_FILE:
            continue
        _check_transcript(sid, p, entry.data(), change, out, check_secrets)
    out.transcripts.append(change)


def base_sessions(base: Snapshot) -> set[str]:
    """The session folders `base` has a file in (one pass, not one per session)."""
    out = set()
    for p in base.files:
        parts = p.split("/", 3)
        if len(parts) == 4 and parts[0] == STORE and parts[1] == "sessions":
            out.add(parts[2])
    return out


def _check_transcript(
    sid: str, path: str, data: bytes, change: TranscriptChange, out: Review, check_secrets: bool
) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        out.findings.append(Finding(ERROR, path, "is not UTF-8 text"))
        return
    first = path.endswith("/000.jsonl")
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError):
            out.findings.append(Finding(ERROR, path, "line is not JSON", n))
            continue
        if not isinstance(rec, dict):
            out.findings.append(Finding(ERROR, path, "line is not a JSON object", n))
            continue
        if n == 1:
            want = "session" if first else "part"
            if rec.get("type") != want:
                out.findings.append(Finding(ERROR, path, f"first line is not a {want} header", 1))
            got = rec.get("id") if first else rec.get("session")
            if got != sid:
                out.findings.append(
                    Finding(ERROR, path, f"header names session {_show(got)!r}, not {sid}", 1)
                )
            fmt = rec.get("format", FORMAT_VERSION)
            if not isinstance(fmt, int) or not 1 <= fmt <= FORMAT_VERSION:
                out.findings.append(
                    Finding(ERROR, path, f"transcript format {_show(fmt)!r} is not supported", 1)
                )
            if first:
                change.title = _preview(rec.get("title"))
                change.tool = _show(rec.get("tool") or "")
                change.author = _show(rec.get("author") or "")
        elif rec.get("type") == "turn":
            change.turns += 1
        if check_secrets:
            _secret_check(path, n, line.encode("utf-8"), out)


# ---- text helpers -----------------------------------------------------------------------------
def _show(value: Any) -> str:
    """Pulled text, safe for a terminal: control characters become visible escapes."""
    from ctx.core.visible import visible

    s = value if isinstance(value, str) else json.dumps(value, default=str)
    return visible(s)


def _preview(value: Any) -> str:
    if not isinstance(value, str):
        return "" if value is None else _show(value)
    line = " ".join(value.split())
    line = line if len(line) <= _PREVIEW else line[: _PREVIEW - 1] + "…"
    return _show(line)


# ---- which commit brought it ------------------------------------------------------------------
def attribute(findings: list[Finding], commits: list[Any], head: Snapshot, cap: int = 50) -> None:
    """Name the first commit of the range that brought each finding's file or line."""
    if not commits:
        return
    for f in findings[:cap]:
        entry = head.files.get(f.path)
        wanted: bytes | None = None
        if f.line and entry is not None and entry.mode == MODE_FILE:
            lines = entry.data().split(b"\n")
            if 0 < f.line <= len(lines):
                wanted = lines[f.line - 1]
        for c in commits:
            try:
                item = c.tree[f.path]
            except KeyError:
                if entry is None:  # a removal: the first commit without the file
                    f.commit = str(c.id)[:10]
                    break
                continue
            if entry is None:
                continue
            if wanted is not None:
                if item.filemode != MODE_FILE:
                    continue
                data = bytes(item.read_raw()) if hasattr(item, "read_raw") else b""
                if wanted in data.split(b"\n"):
                    f.commit = str(c.id)[:10]
                    break
            elif str(item.id) == entry.oid:
                f.commit = str(c.id)[:10]
                break
