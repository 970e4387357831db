"""The package shows its architecture and keeps it (docs/architecture.md, issue 13).

`lint-imports` checks the layer contracts in pyproject.toml; this file runs it, finds every
import circle (imports inside functions and under TYPE_CHECKING included) and keeps the package
root down to the layers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

from tests.conftest import REPO_ROOT

#: What `ls ctx/` may show: the layers (packages), the public API and the entry points.
ROOT_FILES = {"__init__.py", "__main__.py", "api.py", "launch.py"}
LAYERS = {
    "core", "privacy", "store", "sync", "codelinks", "search", "capture", "handoff",
    "integrations", "health", "cli", "tui",
}  # fmt: skip


def test_import_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "lint-imports is missing: install the dev extras (make install)"
    out = subprocess.run(
        [exe, "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_module_imports_in_a_circle() -> None:
    graph = grimp.build_graph("ctx", "mcp_server", exclude_type_checking_imports=False)
    assert len(graph.modules) > 100  # the whole package was read
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    """The check above would pass vacuously if the finder were broken: show it a real circle."""
    graph = grimp.ImportGraph()
    for m in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(m)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_the_package_root_lists_only_the_layers() -> None:
    root = REPO_ROOT / "ctx"
    files = {p.name for p in root.iterdir() if p.is_file() and p.suffix == ".py"}
    dirs = {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert files == ROOT_FILES, f"loose modules in ctx/: {sorted(files - ROOT_FILES)}"
    assert dirs == LAYERS
