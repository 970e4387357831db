"""What a set of new updates changes: memories and sessions added, edited, removed, forgotten.

Applies the new updates to the old state while observing it, so only what really changed is
counted (an update already known changes nothing) and no record has to be compared in full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from ctx.store.state import StateDoc


@dataclass
class Kind:
    added: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def by_verb(self) -> list[tuple[str, list[str]]]:
        return [("added", self.added), ("edited", self.edited), ("removed", self.removed)]

    def total(self) -> int:
        return len(self.added) + len(self.edited) + len(self.removed)


@dataclass
class ChangeSummary:
    memories: Kind = field(default_factory=Kind)
    sessions: Kind = field(default_factory=Kind)
    forgotten: list[str] = field(default_factory=list)
    touched: dict[str, set[str]] = field(default_factory=dict)  # record id -> fields changed

    def empty(self) -> bool:
        return not (self.memories.total() or self.sessions.total() or self.forgotten)

    def phrases(self) -> list[str]:
        """["3 memories added, 1 edited", "1 session added", "2 forgotten"]"""
        out: list[str] = []
        for noun, plural, kind in (
            ("memory", "memories", self.memories),
            ("session", "sessions", self.sessions),
        ):
            parts: list[str] = []
            for verb, ids in kind.by_verb():
                if not ids:
                    continue
                word = (noun if len(ids) == 1 else plural) + " " if not parts else ""
                parts.append(f"{len(ids)} {word}{verb}")
            if parts:
                out.append(", ".join(parts))
        if self.forgotten:
            out.append(f"{len(self.forgotten)} forgotten")
        return out

    def to_dict(self) -> dict[str, Any]:
        d = {k: asdict(v) for k, v in (("memories", self.memories), ("sessions", self.sessions))}
        counts = {f"{k}_{v}": len(d[k][v]) for k in d for v in ("added", "edited", "removed")}
        ids = {**d, "forgotten": self.forgotten}
        return {**counts, "forgotten": len(self.forgotten), "ids": ids}


def summarize(old: StateDoc, updates: Iterable[bytes]) -> ChangeSummary:
    """Apply `updates` to `old` (which is changed!) and report what they changed."""
    events: list[tuple[str, list[Any], dict[str, Any]]] = []
    subs = []
    for root_name in ("memories", "sessions", "forgotten"):
        root = getattr(old, root_name)
        subs.append((root, root.observe_deep(_collector(root_name, events))))
    try:
        for upd in updates:
            old.apply(upd)
    finally:
        for root, sub in subs:
            root.unobserve(sub)
    return _classify(events)


def _collector(
    root_name: str, events: list[tuple[str, list[Any], dict[str, Any]]]
) -> Callable[..., None]:
    def grab(evs: list[Any], *_: Any) -> None:
        for ev in evs:
            events.append((root_name, list(ev.path), dict(ev.keys)))

    return grab


def _classify(events: list[tuple[str, list[Any], dict[str, Any]]]) -> ChangeSummary:
    added: dict[str, set[str]] = {"memories": set(), "sessions": set()}
    removed: dict[str, set[str]] = {"memories": set(), "sessions": set()}
    edited: dict[str, set[str]] = {"memories": set(), "sessions": set()}
    summary = ChangeSummary()
    for root, path, keys in events:
        if root == "forgotten":
            summary.forgotten.extend(k for k, v in keys.items() if v.get("action") != "delete")
            continue
        if not path:
            for rid, change in keys.items():
                action = change.get("action")
                if action == "add":
                    added[root].add(rid)
                    removed[root].discard(rid)
                elif action == "delete":
                    removed[root].add(rid)
                    added[root].discard(rid)
                else:  # a whole record replaced: counts as an edit
                    edited[root].add(rid)
            continue
        rid = str(path[0])
        edited[root].add(rid)
        fields = summary.touched.setdefault(rid, set())
        if len(path) >= 2 and path[1] == "tags":
            fields.update(f"tag:{t}" for t in keys)
        else:
            fields.update(keys)
    for root, kind in (("memories", summary.memories), ("sessions", summary.sessions)):
        kind.added = sorted(added[root])
        kind.removed = sorted(removed[root])
        kind.edited = sorted(edited[root] - added[root] - removed[root])
    summary.forgotten = sorted(set(summary.forgotten))
    return summary


def commit_message(summary: ChangeSummary, files: dict[str, int]) -> str:
    """`ctx: 3 memories added, 1 edited; 1 session added` plus a body with the ids."""
    phrases = summary.phrases()
    if files.get("sessions_extended"):
        phrases.append(f"{files['sessions_extended']} session(s) extended")
    if files.get("sessions_purged"):
        phrases.append(f"{files['sessions_purged']} forgotten session(s) removed")
    if files.get("compacted"):
        phrases.append("state log compacted (ctx gc)")
    subject = "ctx: " + ("; ".join(phrases) if phrases else "update context")
    body: list[str] = []
    for noun, kind in (("memory", summary.memories), ("session", summary.sessions)):
        for verb, ids in kind.by_verb():
            if ids:
                shown = ", ".join(ids[:12]) + (f" (+{len(ids) - 12} more)" if len(ids) > 12 else "")
                body.append(f"{noun} {verb}: {shown}")
    if summary.forgotten:
        body.append("forgotten: " + ", ".join(summary.forgotten[:12]))
    return subject + ("\n\n" + "\n".join(body) if body else "") + "\n"
