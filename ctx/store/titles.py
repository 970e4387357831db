"""A session's title when the tool gave none: the first substantive request, as people write it.

Why: a title is how a session is found again in a list. "ls" or "42" (the first command typed,
or the first line of output) tells nothing; Claude Code and Codex name their sessions by the
request itself, so ctx does the same: the first user turn that reads like a sentence — not a
shell command, not a slash command, not code, not an error — cut on a word boundary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ctx.core.models import Turn

MAX_TITLE = 72

_COMMANDS = frozenset(
    [
        "ls",
        "ll",
        "la",
        "cd",
        "pwd",
        "cat",
        "less",
        "more",
        "head",
        "tail",
        "echo",
        "printf",
        "export",
        "set",
        "unset",
        "source",
        "alias",
        "git",
        "make",
        "cmake",
        "python",
        "python3",
        "py",
        "pip",
        "pip3",
        "uv",
        "poetry",
        "npm",
        "npx",
        "node",
        "yarn",
        "pnpm",
        "cargo",
        "go",
        "rustc",
        "java",
        "mvn",
        "gradle",
        "docker",
        "kubectl",
        "helm",
        "terraform",
        "ssh",
        "scp",
        "rsync",
        "curl",
        "wget",
        "grep",
        "rg",
        "find",
        "sed",
        "awk",
        "sort",
        "uniq",
        "wc",
        "cp",
        "mv",
        "rm",
        "mkdir",
        "rmdir",
        "touch",
        "chmod",
        "chown",
        "ln",
        "tar",
        "zip",
        "unzip",
        "vim",
        "vi",
        "nvim",
        "nano",
        "emacs",
        "code",
        "top",
        "htop",
        "ps",
        "kill",
        "sudo",
        "apt",
        "apt-get",
        "brew",
        "which",
        "man",
        "history",
        "clear",
        "exit",
        "quit",
        "bash",
        "sh",
        "zsh",
        "fish",
        "tmux",
        "screen",
        "pytest",
        "ruff",
        "mypy",
        "black",
        "jq",
        "env",
        "date",
        "whoami",
        "df",
        "du",
        "free",
        "ping",
        "ctx",
        "claude",
        "aider",
        "codex",
    ]
)
_SHELLISH = re.compile(r"(\|\||&&|\s\||\|\s|;\s*$|^\$\s|\$\(|`|>\s*\S+$|^\./|^~?/\S+$)")
_ERROR = re.compile(
    r"^(error|fatal|traceback|exception|warning|usage:|input must be provided|command not found)"
    r"|: command not found|no such file or directory",
    re.IGNORECASE,
)
_CODE = re.compile(r"^[\w.\[\]]+\(.*\)$|^(def|class|import|from|for|while|if|return)\b|[{};]$")


def substantive(text: str) -> bool:
    """Whether a user turn reads like a request a person wrote."""
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not line or line.startswith(("/", "[", "<", "#!", ">>>", "...")):
        return False
    if _ERROR.search(line) or _SHELLISH.search(line) or _CODE.search(line):
        return False
    words = line.split()
    if len(words) < 3 or words[0].lower() in _COMMANDS:
        return False
    alpha = sum(1 for w in words if re.fullmatch(r"[A-Za-z][A-Za-z'’,.?!:-]*", w))
    return alpha * 2 >= len(words)


def clip_title(text: str, limit: int = MAX_TITLE) -> str:
    """The first line, cut at a sentence end or a word boundary, never mid-word."""
    line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    for stop in (". ", "? ", "! "):
        at = cut.rfind(stop)
        if at >= limit // 2:
            return cut[: at + 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(",;:- ") + "…"


def title_from(turns: Iterable[Turn]) -> str:
    users = [
        t for t in turns if t.role == "user" and t.text.strip() and not t.meta.get("synthetic")
    ]
    for t in users:
        if substantive(t.text):
            return clip_title(t.text)
    commands: list[str] = []
    for t in users:  # a terminal session of commands: name it by what was run
        first = t.text.strip().splitlines()[0].strip()
        if first and first not in commands and not _ERROR.search(first):
            commands.append(first)
        if len(commands) == 3:
            break
    return clip_title("; ".join(commands)) if commands else ""
