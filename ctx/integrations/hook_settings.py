"""The shapes every agent's hook installer shares, so each agent module only says where its
file is and what goes in it.

Three kinds of file: a settings file of Claude Code's shape (`hooks` → event → groups →
`hooks`: Claude Code, Gemini CLI, Qwen Code, Codex), a flat one (`hooks` → event → entries:
Cursor), and a file that is ctx's alone (Copilot's `.github/hooks/ctx.json`, the OpenCode
plugin). Our entries are recognised by a marker in their command, so install is idempotent,
other hooks are left alone, and uninstall removes exactly what install added.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ctx.core.errors import CtxError

#: Is this hook entry ours (for this hook subcommand, when one is named)?
IsOurs = Callable[..., bool]


def ctx_command() -> str:
    """How the hooks call ctx: `ctx` when that is this ctx on PATH, else an absolute path.

    `CTX_HOOK_COMMAND` overrides (e.g. `uvx --from contextfs-cli ctx`)."""
    override = os.environ.get("CTX_HOOK_COMMAND")
    if override:
        return override
    here = Path(sys.executable).parent / "ctx"
    on_path = shutil.which("ctx")
    if on_path and (not here.exists() or Path(on_path).resolve() == here.resolve()):
        return "ctx"
    if here.exists() and os.access(here, os.X_OK):
        return shlex.quote(str(here))
    from ctx.core.safe_launch import MAIN

    return f"{shlex.quote(sys.executable)} -c {shlex.quote(MAIN)}"  # not -m: safe_launch.py


def load(path: Path) -> dict[str, Any]:
    """The settings object; `{}` when the file is missing. Unreadable: a clear error, no change."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as exc:
        raise CtxError(
            f"cannot read {path}: {exc}",
            "fix or remove the file, then run the command again; nothing was changed",
            code="bad_settings",
        ) from None
    if not isinstance(data, dict):
        raise CtxError(
            f"{path} is not a JSON object", "fix or remove the file; nothing was changed"
        )
    return data


def save(path: Path, data: dict[str, Any]) -> None:
    """Write atomically, so an agent starting meanwhile never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".ctx-tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def machine_path(command: str) -> bool:
    """Does the command run ctx from a path of this machine (not `ctx` on PATH)?"""
    try:
        return "/" in shlex.split(command)[0]
    except (ValueError, IndexError):
        return False


def machine_note(rel: object, base: str) -> list[str]:
    """The note an install adds when the hooks it wrote name a path of this machine."""
    if not machine_path(base):
        return []
    return [
        f"{rel}: note: the hooks run ctx from a path of this machine "
        "(CTX_HOOK_COMMAND chooses the command)"
    ]


def marker_matcher(marker: str) -> IsOurs:
    """`is_ours(entry, sub=None)`: the entry's command carries the marker (and `hook SUB`)."""

    def is_ours(entry: Any, sub: str | None = None) -> bool:
        if not isinstance(entry, dict):
            return False
        cmd = str(entry.get("command") or "")
        return marker in cmd and (sub is None or f"hook {sub}" in cmd)

    return is_ours


def _hooks_object(data: dict[str, Any], path: Path) -> dict[str, Any]:
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise CtxError(f'{path}: "hooks" is not an object', "fix the file; nothing was changed")
    return hooks


def _dropped_empty_groups(groups: list[Any]) -> list[Any]:
    return [g for g in groups if not (isinstance(g, dict) and g.get("hooks") == [])]


def install_grouped(
    path: Path,
    rel: object,
    wanted: Mapping[str, tuple[str, int]],
    base: str,
    is_ours: IsOurs,
    run_async: frozenset[str] = frozenset(),
) -> tuple[list[str], dict[str, Any], bool]:
    """Put one current entry per event (event -> (hook subcommand, timeout)) into a settings
    file of Claude Code's shape, replacing outdated or duplicated ones of ours; saves when it
    changed anything. Events in `run_async` get `"async": true` (the agent does not wait for
    them). Returns (what was done, the settings as written, changed)."""
    data = load(path)
    hooks = _hooks_object(data, path)
    done: list[str] = []
    changed = False
    for event, (sub, timeout) in wanted.items():
        want: dict[str, Any] = {
            "type": "command",
            "command": f"{base} hook {sub}",
            "timeout": timeout,
        }
        if event in run_async:
            want["async"] = True
        groups = hooks.get(event)
        if not isinstance(groups, list):
            groups = hooks[event] = []
        mine = [
            (g, h)
            for g in groups
            if isinstance(g, dict) and isinstance(g.get("hooks"), list)
            for h in g["hooks"]
            if is_ours(h, sub)
        ]
        if len(mine) == 1 and mine[0][1] == want:
            done.append(f"{rel}: {event} hook already installed")
            continue
        for g, h in mine:  # outdated or duplicated: replace with one current entry
            g["hooks"].remove(h)
        groups[:] = _dropped_empty_groups(groups)
        groups.append({"hooks": [want]})
        changed = True
        done.append(f"{rel}: {'updated' if mine else 'added'} {event} hook ({want['command']})")
    if changed:
        save(path, data)
    return done, data, changed


def install_flat(
    path: Path, rel: object, wanted: Mapping[str, str], base: str, is_ours: IsOurs
) -> tuple[list[str], bool]:
    """The same for a flat file (event -> [{"command": ...}], Cursor's), with `version: 1`."""
    data = load(path)
    data.setdefault("version", 1)
    hooks = _hooks_object(data, path)
    done: list[str] = []
    changed = False
    for event, sub in wanted.items():
        want = {"command": f"{base} hook {sub}"}
        entries = hooks.get(event)
        if not isinstance(entries, list):
            entries = hooks[event] = []
        mine = [e for e in entries if is_ours(e, sub)]
        if mine == [want]:
            done.append(f"{rel}: {event} hook already installed")
            continue
        entries[:] = [e for e in entries if not is_ours(e, sub)]
        entries.append(want)
        changed = True
        done.append(f"{rel}: {'updated' if mine else 'added'} {event} hook ({want['command']})")
    if changed:
        save(path, data)
    return done, changed


def strip_hooks(data: dict[str, Any], is_ours: Callable[[Any], bool], rel: str) -> list[str]:
    """Remove our hook entries from a settings object of the Claude Code / Gemini CLI shape
    (`hooks` → event → groups → `hooks`), dropping groups and events left empty; what was done."""
    hooks = data.get("hooks")
    done: list[str] = []
    if isinstance(hooks, dict):
        for event in list(hooks):
            groups = hooks[event]
            if not isinstance(groups, list):
                continue
            removed = 0
            for g in groups:
                if isinstance(g, dict) and isinstance(g.get("hooks"), list):
                    before = len(g["hooks"])
                    g["hooks"] = [h for h in g["hooks"] if not is_ours(h)]
                    removed += before - len(g["hooks"])
            if removed:
                done.append(f"{rel}: removed {event} hook")
                hooks[event] = _dropped_empty_groups(groups)
                if not hooks[event]:
                    del hooks[event]
        if not hooks:
            del data["hooks"]
    return done


def strip_flat(data: dict[str, Any], is_ours: Callable[[Any], bool], rel: str) -> list[str]:
    """The same for a flat file (event -> entries); an emptied `hooks` object stays."""
    hooks = data.get("hooks")
    done: list[str] = []
    if isinstance(hooks, dict):
        for event in list(hooks):
            entries = hooks[event]
            if isinstance(entries, list) and any(is_ours(e) for e in entries):
                hooks[event] = [e for e in entries if not is_ours(e)]
                done.append(f"{rel}: removed {event} hook")
                if not hooks[event]:
                    del hooks[event]
    return done


def uninstall_from(
    path: Path,
    rel: object,
    strip: Callable[[dict[str, Any]], list[str]],
    keep: Callable[[dict[str, Any]], bool] = bool,
) -> list[str]:
    """Strip our hooks from one file: saved while it still holds something of someone else's
    (`keep`), else deleted with its folder when that is empty. Empty when it held none."""
    if not path.exists():
        return []
    data = load(path)
    done = strip(data)
    if not done:
        return []
    if keep(data):
        save(path, data)
    else:
        path.unlink()
        done.append(f"{rel}: removed the file (it held nothing else)")
        try:
            path.parent.rmdir()  # only when empty: the folder may hold commands, rules, ...
        except OSError:
            pass
    return done


def nothing_to_remove(rel: object) -> list[str]:
    return [f"{rel}: no ctx hooks installed, nothing to remove"]


def read_text(path: Path) -> str:
    """A file's text for a marker check; "" when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def write_owned_file(path: Path, text: str, marker: str, advice: str) -> str:
    """Write a file that is ctx's alone ("added", "updated" or "already"); one of that name
    that ctx did not write (no marker, or a symlink) is never touched."""
    if path.is_symlink() or (path.exists() and marker not in read_text(path)):
        raise CtxError(f"{path} exists and was not written by ctx", advice)
    if path.exists() and read_text(path) == text:
        return "already"
    existed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return "updated" if existed else "added"


def remove_owned_file(path: Path, marker: str) -> bool:
    """Delete the file ctx wrote (and its folder and the one above, when left empty)."""
    if path.is_symlink() or not path.exists() or marker not in read_text(path):
        return False
    path.unlink()
    for d in (path.parent, path.parent.parent):
        try:
            d.rmdir()  # only when empty
        except OSError:
            break
    return True
