"""Start-up stays light: the CLI never imports the heavy libraries it does not need."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("fastembed", "onnxruntime", "textual", "pexpect", "mcp", "pyte", "numpy", "pydantic")


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    mods = _loaded_after("import ctx.cli.app")
    bad = sorted(m for m in mods if m.split(".")[0] in HEAVY)
    assert bad == [], f"heavy modules imported at start-up: {bad[:10]}"


def test_core_does_not_import_adapters() -> None:
    mods = _loaded_after("import ctx.api, ctx.store.project")
    assert not any(m.startswith(("ctx.cli", "ctx.tui", "mcp_server")) for m in mods)


def test_status_command_loads_no_heavy_library(repo) -> None:  # type: ignore[no-untyped-def]
    subprocess.run([sys.executable, "-m", "ctx", "init"], cwd=repo, check=True, capture_output=True)
    code = (
        "import sys\nsys.argv=['ctx','status']\nfrom ctx.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    probe = code + "\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True)
    mods = set(json.loads(out.stdout.splitlines()[-1]))
    bad = sorted(m for m in mods if m.split(".")[0] in HEAVY)
    assert bad == [], f"`ctx status` imported: {bad[:10]}"


def test_every_command_has_help() -> None:
    from typer.main import get_command

    from ctx.cli.app import app

    root = get_command(app)
    seen = []

    def walk(cmd, path):  # type: ignore[no-untyped-def]
        sub = getattr(cmd, "commands", None)
        if sub:
            for name, child in sub.items():
                walk(child, [*path, name])
        else:
            if not getattr(cmd, "hidden", False):
                assert (cmd.help or "").strip(), f"`ctx {' '.join(path)}` has no help text"
            seen.append(" ".join(path))
            r = subprocess.run(
                [sys.executable, "-m", "ctx", *path, "--help"], capture_output=True, text=True
            )
            assert r.returncode == 0 and "Usage" in r.stdout, path

    walk(root, [])
    assert {"init", "status", "doctor", "memory add", "sessions list", "capture", "import"} <= set(
        seen
    )
