"""Find the real Codex CLI (installed by scripts/install-test-tools.sh) and give it a HOME whose
config points at the fake Responses server. Like the Claude harness, it never skips: a missing
CLI fails with the command that installs it."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.claude_harness import (
    ToolNotInstalled,
    find_or_install_tool,
    npm_tool_bin,
    tool_env,
)

FAKE_KEY_ENV = "CTX_FAKE_OPENAI_KEY"


class CodexNotInstalled(ToolNotInstalled):
    pass


def codex_bin() -> Path:
    return npm_tool_bin("codex")


def find_or_install_codex() -> Path:
    return find_or_install_tool(
        "codex", "CODEX_VERSION", lambda out: out.strip().rsplit(" ", 1)[-1], CodexNotInstalled,
        "Codex CLI",
    )  # fmt: skip


def codex_env(home: Path, base_url: str) -> dict[str, str]:
    """Environment for codex with `home` as HOME and the fake server as its only provider."""
    (home / ".codex").mkdir(parents=True, exist_ok=True)
    (home / ".codex" / "config.toml").write_text(
        'model = "gpt-5-codex"\n'
        'model_provider = "fake"\n'
        "[model_providers.fake]\n"
        'name = "fake"\n'
        f'base_url = "{base_url}"\n'
        f'env_key = "{FAKE_KEY_ENV}"\n'
        'wire_api = "responses"\n'
    )
    env = tool_env(
        home, ("OPENAI_", "CODEX_"), codex_bin().parent, **{FAKE_KEY_ENV: "ctx-test-fake-key"}
    )
    env.setdefault("TERM", "xterm-256color")
    return env
