"""Find the real OpenCode CLI (installed by scripts/install-test-tools.sh) and give it a HOME
whose config points at the fake chat-completions server. Never skips: a missing CLI fails
with the command that installs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.fakes.claude_harness import (
    _REAL_ENV,
    INSTALL_SCRIPT,
    REPO_ROOT,
    TOOLS_DIR,
    _pin,
    _run_install_script,
)

MODEL = "fake/fake-model"


class OpenCodeNotInstalled(RuntimeError):
    pass


def opencode_bin() -> Path:
    return TOOLS_DIR / "opencode" / "node_modules" / ".bin" / "opencode"


def find_or_install_opencode() -> Path:
    binary = opencode_bin()
    pin = _pin("OPENCODE_VERSION")

    def version() -> str:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
        return out.stdout.strip()

    if not os.access(binary, os.X_OK) or version() != pin:
        if _REAL_ENV.get("CTX_TEST_AUTO_INSTALL", "1") == "0":
            raise OpenCodeNotInstalled(
                f"OpenCode {pin} is not installed at {binary}; run "
                f"`{INSTALL_SCRIPT.relative_to(REPO_ROOT)} opencode` (needs npm)"
            )
        _run_install_script("opencode")
    if not os.access(binary, os.X_OK):
        raise OpenCodeNotInstalled(f"no opencode binary at {binary} after install")
    return binary


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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "OPENCODE_"))}
    env.update(
        {
            "HOME": str(home),
            "PWD": str(project),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "OPENCODE_DISABLE_AUTOUPDATE": "1",
            "OPENCODE_DISABLE_MODELS_FETCH": "1",
            "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
            "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
            "OPENCODE_DISABLE_SHARE": "1",
            "PATH": f"{opencode_bin().parent}{os.pathsep}{os.environ['PATH']}",
        }
    )
    return env


# ---- the GitHub Copilot CLI (same cache; here for want of a second near-identical module) ----


def copilot_bin() -> Path:
    return TOOLS_DIR / "copilot" / "node_modules" / ".bin" / "copilot"


def find_or_install_copilot() -> Path:
    binary = copilot_bin()
    pin = _pin("COPILOT_VERSION")

    def version() -> str:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
        return out.stdout.split("\n", 1)[0].strip().rstrip(".").rsplit(" ", 1)[-1]

    if not os.access(binary, os.X_OK) or version() != pin:
        if _REAL_ENV.get("CTX_TEST_AUTO_INSTALL", "1") == "0":
            raise OpenCodeNotInstalled(
                f"Copilot CLI {pin} is not installed at {binary}; run "
                f"`{INSTALL_SCRIPT.relative_to(REPO_ROOT)} copilot` (needs npm)"
            )
        _run_install_script("copilot")
    if not os.access(binary, os.X_OK):
        raise OpenCodeNotInstalled(f"no copilot binary at {binary} after install")
    return binary


def copilot_env(home: Path, base_url: str) -> dict[str, str]:
    """The Copilot CLI offline with the fake server as its own model provider (BYOK): no
    GitHub login, no telemetry, no update check."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPILOT_", "GH_", "GITHUB_"))}
    env.update(
        {
            "HOME": str(home),
            "COPILOT_OFFLINE": "true",
            "COPILOT_PROVIDER_BASE_URL": base_url,
            "COPILOT_PROVIDER_API_KEY": "ctx-test-fake-key",
            "COPILOT_MODEL": "gpt-4o-mini",
            "COPILOT_AUTO_UPDATE": "false",
            "PATH": f"{copilot_bin().parent}{os.pathsep}{os.environ['PATH']}",
        }
    )
    return env
