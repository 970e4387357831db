"""Find the real OpenCode CLI (installed by scripts/install-test-tools.sh) and give it a HOME
whose config points at the fake chat-completions server. Never skips: a missing CLI fails
with the command that installs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.claude_harness import (
    ToolNotInstalled,
    find_or_install_tool,
    npm_tool_bin,
    tool_env,
)

MODEL = "fake/fake-model"


class OpenCodeNotInstalled(ToolNotInstalled):
    pass


def opencode_bin() -> Path:
    return npm_tool_bin("opencode")


def find_or_install_opencode() -> Path:
    return find_or_install_tool(
        "opencode", "OPENCODE_VERSION", lambda out: out.strip(), OpenCodeNotInstalled, "OpenCode"
    )


def opencode_env(home: Path, project: Path, base_url: str) -> dict[str, str]:
    """Environment for `opencode run` in ``project``: ``home`` as HOME and XDG base, the fake
    server as an OpenAI-compatible provider (that provider package is bundled in the binary),
    no models.dev fetch, no default plugins, no auto-update.

    OpenCode takes its directory from $PWD, so PWD must name the project."""
    cfg = home / ".config" / "opencode"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "opencode.json").write_text(
        json.dumps(
            {
                "provider": {
                    "fake": {
                        "npm": "@ai-sdk/openai-compatible",
                        "name": "Fake",
                        "options": {"baseURL": base_url, "apiKey": "ctx-test-fake-key"},
                        "models": {"fake-model": {"name": "Fake model"}},
                    }
                },
                "model": MODEL,
                "small_model": MODEL,
                "autoupdate": False,
                "share": "disabled",
            }
        )
    )
    return tool_env(
        home,
        ("OPENAI_", "OPENCODE_"),
        opencode_bin().parent,
        PWD=str(project),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        OPENCODE_DISABLE_AUTOUPDATE="1",
        OPENCODE_DISABLE_MODELS_FETCH="1",
        OPENCODE_DISABLE_DEFAULT_PLUGINS="1",
        OPENCODE_DISABLE_LSP_DOWNLOAD="1",
        OPENCODE_DISABLE_SHARE="1",
    )


# ---- the GitHub Copilot CLI (same cache; here for want of a second near-identical module) ----


def copilot_bin() -> Path:
    return npm_tool_bin("copilot")


def find_or_install_copilot() -> Path:
    return find_or_install_tool(
        "copilot",
        "COPILOT_VERSION",
        lambda out: out.split("\n", 1)[0].strip().rstrip(".").rsplit(" ", 1)[-1],
        OpenCodeNotInstalled,
        "Copilot CLI",
    )


def copilot_env(home: Path, base_url: str) -> dict[str, str]:
    """The Copilot CLI offline with the fake server as its own model provider (BYOK): no
    GitHub login, no telemetry, no update check."""
    return tool_env(
        home,
        ("COPILOT_", "GH_", "GITHUB_"),
        copilot_bin().parent,
        COPILOT_OFFLINE="true",
        COPILOT_PROVIDER_BASE_URL=base_url,
        COPILOT_PROVIDER_API_KEY="ctx-test-fake-key",
        COPILOT_MODEL="gpt-4o-mini",
        COPILOT_AUTO_UPDATE="false",
    )
