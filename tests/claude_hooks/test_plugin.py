"""The Claude Code plugin in .claude-plugin/: the real CLI's own `claude plugin validate --strict`
accepts both manifests, and the plugin runs the same hooks `ctx hooks install --claude` writes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ctx.integrations.claude_hooks import ASYNC, HOOKS
from tests.fakes import claude_harness as harness

PLUGIN_DIR = Path(__file__).resolve().parents[2] / ".claude-plugin"


def _validate(claude: Path, manifest: Path, home: Path) -> dict:
    env = dict(os.environ, HOME=str(home))
    out = subprocess.run(
        [str(claude), "plugin", "validate", "--strict", "--json", str(manifest)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", ["plugin.json", "marketplace.json"])
def test_the_real_cli_accepts_the_manifests(name: str, tmp_path: Path) -> None:
    try:
        claude = harness.find_or_install_claude()
    except harness.ClaudeNotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    report = _validate(claude, PLUGIN_DIR / name, tmp_path)
    assert report["success"] is True
    assert report["manifest"]["errors"] == [] and report["manifest"]["warnings"] == []
    if name == "plugin.json":
        hooks = {(h["event"], h["command"]) for h in report["provides"]["hooks"]}
        assert hooks == {(event, f"ctx hook {sub}") for event, (sub, _) in HOOKS.items()}
        (server,) = report["provides"]["mcpServers"]
        assert (server["name"], server["target"], server["args"]) == ("ctx", "ctx", ["mcp"])


def test_plugin_hooks_match_ctx_hooks_install() -> None:
    """Same commands, timeouts and async flags as the settings.json hooks."""
    plugin = json.loads((PLUGIN_DIR / "plugin.json").read_text())
    for event, (sub, timeout) in HOOKS.items():
        (group,) = plugin["hooks"][event]
        want = {"type": "command", "command": f"ctx hook {sub}", "timeout": timeout}
        assert group["hooks"] == [{**want, "async": True} if event in ASYNC else want]
    market = json.loads((PLUGIN_DIR / "marketplace.json").read_text())
    assert [(p["name"], p["source"]) for p in market["plugins"]] == [("ctx", "./")]
    assert market["plugins"][0]["version"] == plugin["version"]
