"""Codex CLI hooks in the project's `.codex/hooks.json`: install, trust and remove.

Codex CLI (checked against 0.171.0; hooks are on by default, feature `hooks`) runs
`hooks.<Event>[].hooks[]` entries of type `command` from `<repo>/.codex/hooks.json`, passing the
event as JSON on stdin (`session_id`, `transcript_path` = the rollout file, `cwd`,
`hook_event_name`, ...). A SessionStart hook's `hookSpecificOutput.additionalContext` becomes a
developer message of the model's input; SessionEnd runs at exit (its timeout is capped at 3 s).
`timeout` is in seconds. SessionStart runs `ctx hook codex-session-start` (the project brief),
SessionEnd runs `ctx hook codex-session-end` (a detached worker imports the rollout).

Two gates decide whether Codex runs them (both silent when closed):
- the project must be trusted (`[projects."<root>"] trust_level = "trusted"` in
  `~/.codex/config.toml`; Codex asks on the first run in a folder). ctx never sets that.
- each hook must be trusted: `[hooks.state."<hooks.json path>:<event>:<group>:<handler>"]
  trusted_hash = "sha256:..."` in the user's `config.toml`, the hash of Codex's normalized
  hook identity (codex-rs hooks `discovery.rs`: sorted-key compact JSON of
  `{event_name, hooks: [{async, command, timeout, type}]}`). Installing is the user's explicit
  request to run these commands, so install records that trust for ctx's own two hooks, in a
  marked block of that file, and uninstall removes the block. A teammate who pulls the
  committed hooks.json still reviews them in Codex (`/hooks`) or runs the install.
Our entries carry the `hook codex-session-` marker; install is idempotent, keeps other hooks
(ours are appended, so other hooks keep their positions and so their trust), and uninstall
removes exactly what install added.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ctx.core.errors import CtxError
from ctx.integrations.hook_settings import (
    ctx_command,
    install_grouped,
    load,
    machine_note,
    marker_matcher,
    nothing_to_remove,
    strip_hooks,
    uninstall_from,
)

if TYPE_CHECKING:
    from ctx.core.checks import Check
    from ctx.store.project import Project

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]

MARKER = "hook codex-session-"
#: event -> (hook subcommand, timeout in seconds, Codex's snake_case event label)
HOOKS = {
    "SessionStart": ("codex-session-start", 15, "session_start"),
    "SessionEnd": ("codex-session-end", 3, "session_end"),  # Codex caps SessionEnd at 3 s
}
_BLOCK_BEGIN = "# >>> ctx: trust for the Codex hooks of "
_BLOCK_END = "# <<< ctx: end of the hook trust written by `ctx hooks install --agent codex`"


def hooks_path(project: Project) -> Path:
    return project.root / ".codex" / "hooks.json"


def codex_config_path() -> Path:
    from ctx.capture.adapters.codex import codex_home

    return codex_home() / "config.toml"


_is_ours = marker_matcher(MARKER)


def trusted_hash(label: str, handler: dict[str, Any]) -> str:
    """Codex's trust hash of one command handler in a group without a matcher."""
    timeout = int(handler.get("timeout") or (1 if label == "session_end" else 600))
    timeout = min(max(timeout, 1), 3) if label == "session_end" else max(timeout, 1)
    identity = {
        "event_name": label,
        "hooks": [
            {
                "async": bool(handler.get("async", False)),
                "command": str(handler["command"]),
                "timeout": timeout,
                "type": "command",
            }
        ],
    }
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def install(project: Project, command: str | None = None) -> list[str]:
    """Add (or update) the SessionStart and SessionEnd hooks and trust them for this user."""
    path = hooks_path(project)
    rel = path.relative_to(project.root)
    base = command or ctx_command()
    wanted = {event: (sub, timeout) for event, (sub, timeout, _label) in HOOKS.items()}
    done, data, changed = install_grouped(path, rel, wanted, base, _is_ours)
    if changed:
        done += machine_note(rel, base)
    exact = {  # what install_grouped puts there: only these are trusted
        event: {"type": "command", "command": f"{base} hook {sub}", "timeout": timeout}
        for event, (sub, timeout) in wanted.items()
    }
    done += _trust(project, _key_path(path), data, exact)
    return done


def _key_path(path: Path) -> Path:
    """The hooks file as Codex names it in trust keys: absolute, symlinks resolved (Codex
    finds it from its working directory, which the OS reports resolved)."""
    return Path(os.path.realpath(path))


def _our_handlers(
    path: Path, data: dict[str, Any], exact: dict[str, dict[str, Any]] | None = None
) -> list[tuple[str, str]]:
    """(trust key, hash) of each of our handlers where it now sits in the file. With `exact`
    (event -> the handler install writes), only a handler equal to it counts: the file is
    committed, so a pulled one may hold a command that merely mentions ours, and ctx must
    never record trust for it (Codex would then run it without asking)."""
    hooks = data.get("hooks") if isinstance(data.get("hooks"), dict) else {}
    assert isinstance(hooks, dict)
    out: list[tuple[str, str]] = []
    for event, (_sub, _timeout, label) in HOOKS.items():
        groups = hooks.get(event)
        for gi, g in enumerate(groups if isinstance(groups, list) else []):
            if not isinstance(g, dict) or "matcher" in g or not isinstance(g.get("hooks"), list):
                continue
            for hi, h in enumerate(g["hooks"]):
                mine = h == exact.get(event) if exact is not None else _is_ours(h)
                if mine and isinstance(h.get("command"), str):
                    out.append((f"{path}:{label}:{gi}:{hi}", trusted_hash(label, h)))
    return out


def _read_config(cfg: Path) -> tuple[str, dict[str, Any]] | None:
    """The Codex config's text and parsed value; None when it cannot be read or parsed."""
    if cfg.is_symlink():
        return None
    try:
        text = cfg.read_text(encoding="utf-8") if cfg.exists() else ""
        return text, tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _without_block(text: str, path: Path) -> str:
    begin = re.escape(_BLOCK_BEGIN + str(path))
    pattern = re.compile(rf"\n?{begin}\n.*?{re.escape(_BLOCK_END)}\n?", re.DOTALL)
    return pattern.sub("\n", text)


def _trust(
    project: Project, path: Path, data: dict[str, Any], exact: dict[str, dict[str, Any]]
) -> list[str]:
    cfg = codex_config_path()
    read = _read_config(cfg)
    review = "review them in Codex (`/hooks`) so that it runs them"
    if read is None:
        return [f"{cfg}: unreadable or not valid TOML, hook trust not recorded: {review}"]
    text, _ = read
    base = _without_block(text, path)
    try:
        parsed = tomllib.loads(base)
    except tomllib.TOMLDecodeError:
        return [f"{cfg}: hook trust not recorded (the file changed shape): {review}"]
    hooks_tbl = parsed.get("hooks")
    state = hooks_tbl.get("state") if isinstance(hooks_tbl, dict) else None
    state = state if isinstance(state, dict) else {}
    lines: list[str] = []
    done: list[str] = []
    proj = parsed.get("projects")
    roots = (str(project.root), os.path.realpath(project.root))
    entry = next((proj[r] for r in roots if r in proj), None) if isinstance(proj, dict) else None
    if not (isinstance(entry, dict) and entry.get("trust_level") == "trusted"):
        done.append(
            f"note: Codex reads {path.parent.name}/{path.name} only in a trusted project: "
            "say yes when Codex asks whether to trust this folder"
        )
    for key, digest in _our_handlers(path, data, exact):
        have = state.get(key)
        if isinstance(have, dict) and have.get("trusted_hash") == digest:
            continue  # Codex (or the user) already trusts exactly this hook
        if have is not None:
            done.append(f"{cfg}: Codex holds another trust for {key}: {review}")
            continue
        lines += [f"[hooks.state.{json.dumps(key)}]", f'trusted_hash = "{digest}"', ""]
    new = base.rstrip("\n")
    if lines:
        block = [_BLOCK_BEGIN + str(path), *lines[:-1], _BLOCK_END]
        new = (new + "\n\n" if new else "") + "\n".join(block)
    new = new + "\n" if new else ""
    if new.strip() == text.strip():
        return done
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        return [*done, f"{cfg}: hook trust not recorded (would not be valid TOML): {review}"]
    _write_private(cfg, new)
    done.insert(
        0, f"{cfg}: trusted ctx's Codex hooks for this user (Codex runs only trusted hooks)"
    )
    return done


def _write_private(cfg: Path, text: str) -> None:
    cfg.parent.mkdir(parents=True, exist_ok=True)
    tmp = cfg.with_name(cfg.name + ".ctx-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    if cfg.exists():
        os.chmod(tmp, cfg.stat().st_mode & 0o777)
    os.replace(tmp, cfg)


def uninstall(project: Project) -> list[str]:
    """Remove exactly the hooks and the trust block install added; everything else stays."""
    path = hooks_path(project)
    rel = str(path.relative_to(project.root))
    done = uninstall_from(path, rel, lambda data: strip_hooks(data, _is_ours, rel))
    cfg = codex_config_path()
    read = _read_config(cfg)
    key_path = _key_path(path)
    if read is not None and _BLOCK_BEGIN + str(key_path) in read[0]:
        new = _without_block(read[0], key_path).rstrip("\n")
        if new.strip():
            _write_private(cfg, new + "\n")
        else:
            cfg.unlink()  # it held nothing but ctx's trust
        done.append(f"{cfg}: removed ctx's hook trust")
    return done or nothing_to_remove(rel)


def codex_hook_status(project: Project) -> list[Check]:
    """`ctx hooks status`: when the Codex hooks are installed, will Codex run them for this
    user? (Untrusted hooks are skipped without a word.) Nothing when they are not installed."""
    from ctx.core.checks import Check

    path = hooks_path(project)
    try:
        data = load(path)
    except CtxError as err:
        return [Check("codex-hooks", "warn", err.message, err.advice)]
    ours = _our_handlers(_key_path(path), data)
    if not ours:
        return []
    fix = "run `ctx hooks install --agent codex`, or review the hooks in Codex (`/hooks`)"
    read = _read_config(codex_config_path())
    if read is None:
        return [
            Check("codex-hooks", "warn", "Codex hooks installed; Codex's config unreadable", fix)
        ]
    hooks_tbl = read[1].get("hooks")
    state = hooks_tbl.get("state") if isinstance(hooks_tbl, dict) else None
    state = state if isinstance(state, dict) else {}
    untrusted = [
        key.rsplit(":", 3)[1]
        for key, digest in ours
        if not (isinstance(state.get(key), dict) and state[key].get("trusted_hash") == digest)
    ]
    if untrusted:
        return [
            Check(
                "codex-hooks",
                "warn",
                f"Codex hooks installed but not trusted for this user ({', '.join(untrusted)}): "
                "Codex skips them",
                fix,
            )
        ]
    return [
        Check(
            "codex-hooks",
            "ok",
            f"Codex SessionStart and SessionEnd hooks in {path.parent.name}/{path.name}, trusted",
        )
    ]
