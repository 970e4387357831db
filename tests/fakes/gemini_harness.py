"""Find the real Gemini CLI and Qwen Code (installed by scripts/install-test-tools.sh) and give
each a HOME whose settings point it at a loopback fake: Gemini CLI at the fake Gemini API
(``GOOGLE_GEMINI_BASE_URL`` + ``GEMINI_API_KEY``), Qwen Code at the fake OpenAI server
(``OPENAI_BASE_URL``/``OPENAI_API_KEY``/``OPENAI_MODEL``). Like the other harnesses it never
skips: a missing CLI fails with the command that installs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.claude_harness import (
    TOOLS_DIR,
    ToolNotInstalled,
    find_or_install_tool,
    npm_tool_bin,
    tool_env,
)

_PACKAGES = {"gemini": "@google/gemini-cli", "qwen": "@qwen-code/qwen-code"}
_PINS = {"gemini": "GEMINI_VERSION", "qwen": "QWEN_VERSION"}
#: Settings that keep the CLIs off the network and quiet in a test (no update check, no
#: telemetry, no folder-trust prompt).
_QUIET = {
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
}


class AgentNotInstalled(ToolNotInstalled):
    pass


def agent_bin(name: str) -> Path:
    return npm_tool_bin(name)


def installed_version(name: str) -> str | None:
    pkg = TOOLS_DIR / name / "node_modules" / _PACKAGES[name] / "package.json"
    try:
        return str(json.loads(pkg.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def find_or_install(name: str) -> Path:
    """The pinned ``gemini`` or ``qwen`` binary, installing it unless CTX_TEST_AUTO_INSTALL=0."""
    return find_or_install_tool(
        name, _PINS[name], str, AgentNotInstalled, name, lambda: installed_version(name)
    )


def _base_env(home: Path, name: str, drop: tuple[str, ...]) -> dict[str, str]:
    env = tool_env(home, drop, agent_bin(name).parent, NO_BROWSER="1")
    env.setdefault("TERM", "xterm-256color")
    return env


def gemini_env(home: Path, base_url: str) -> dict[str, str]:
    """Environment for ``gemini`` with ``home`` as HOME and the fake Gemini API as its server."""
    (home / ".gemini").mkdir(parents=True, exist_ok=True)
    settings = {
        **_QUIET,
        "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
    }
    (home / ".gemini" / "settings.json").write_text(json.dumps(settings, indent=2))
    env = _base_env(home, "gemini", ("GEMINI_", "GOOGLE_"))
    env.update({"GEMINI_API_KEY": "ctx-test-fake-key", "GOOGLE_GEMINI_BASE_URL": base_url})
    return env


def qwen_env(home: Path, base_url: str, model: str = "qwen3-coder-plus") -> dict[str, str]:
    """Environment for ``qwen`` with ``home`` as HOME and the fake OpenAI server as provider."""
    (home / ".qwen").mkdir(parents=True, exist_ok=True)
    settings = {
        **_QUIET,
        "security": {"auth": {"selectedType": "openai"}, "folderTrust": {"enabled": False}},
    }
    (home / ".qwen" / "settings.json").write_text(json.dumps(settings, indent=2))
    env = _base_env(home, "qwen", ("OPENAI_", "QWEN_", "DASHSCOPE_"))
    env.update(
        {"OPENAI_API_KEY": "ctx-test-fake-key", "OPENAI_BASE_URL": base_url, "OPENAI_MODEL": model}
    )
    return env
