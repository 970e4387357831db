"""The Claude Code plugin (hooks/claude-plugin/, listed by .claude-plugin/marketplace.json): the
real CLI's own `claude plugin validate --strict` accepts both manifests, the real CLI adds the
marketplace and installs the plugin, and the plugin runs the hooks `ctx hooks install --claude`
writes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ctx.integrations.claude_hooks import ASYNC, HOOKS
from tests.fakes import claude_harness as harness

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = {
    "plugin.json": REPO / "hooks" / "claude-plugin" / ".claude-plugin" / "plugin.json",
    "marketplace.json": REPO / ".claude-plugin" / "marketplace.json",
}


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
    claude = harness.require(harness.find_or_install_claude)
    report = _validate(claude, MANIFESTS[name], tmp_path)
    assert report["success"] is True
    assert report["manifest"]["errors"] == [] and report["manifest"]["warnings"] == []
    if name == "plugin.json":
        hooks = {(h["event"], h["command"]) for h in report["provides"]["hooks"]}
        assert hooks == {(event, f"ctx hook {sub}") for event, (sub, _) in HOOKS.items()}
        (server,) = report["provides"]["mcpServers"]
        assert (server["name"], server["target"], server["args"]) == ("ctx", "ctx", ["mcp"])


def test_plugin_hooks_match_ctx_hooks_install() -> None:
    """Same commands, timeouts and async flags as the settings.json hooks."""
    plugin = json.loads(MANIFESTS["plugin.json"].read_text())
    for event, (sub, timeout) in HOOKS.items():
        (group,) = plugin["hooks"][event]
        want = {"type": "command", "command": f"ctx hook {sub}", "timeout": timeout}
        assert group["hooks"] == [{**want, "async": True} if event in ASYNC else want]
    market = json.loads(MANIFESTS["marketplace.json"].read_text())
    assert [(p["name"], p["source"]) for p in market["plugins"]] == [
        ("ctx", "./hooks/claude-plugin")
    ]
    assert market["plugins"][0]["version"] == plugin["version"]


def _claude(claude: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [str(claude), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, HOME=str(home)),
        stdin=subprocess.DEVNULL,
        cwd=home,
    )
    assert out.returncode == 0, f"claude {' '.join(args)}: {out.stdout}{out.stderr}"
    return out


def test_the_real_cli_installs_the_plugin_from_the_repository(tmp_path: Path) -> None:
    """`/plugin marketplace add` + `/plugin install`, as the CLI's own commands."""
    claude = harness.require(harness.find_or_install_claude)
    _claude(claude, tmp_path, "plugin", "marketplace", "add", str(REPO))
    _claude(claude, tmp_path, "plugin", "install", "ctx@ctx", "--scope", "user")
    listed = json.loads(_claude(claude, tmp_path, "plugin", "list", "--json").stdout)
    (entry,) = [p for p in listed if p["id"] == "ctx@ctx"]
    assert entry["enabled"] is True
    assert entry["mcpServers"] == {"ctx": {"command": "ctx", "args": ["mcp"]}}
    installed = Path(entry["installPath"])
    assert installed.is_relative_to(tmp_path)  # the CLI's own copy, under this HOME
    copied = json.loads((installed / ".claude-plugin" / "plugin.json").read_text())
    assert copied["hooks"] == json.loads(MANIFESTS["plugin.json"].read_text())["hooks"]
    size = sum(f.stat().st_size for f in installed.rglob("*") if f.is_file())
    assert size < 100_000, f"the plugin copy holds {size} bytes: only the plugin folder belongs"
