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


def _queued_memories(repo, n: int):  # type: ignore[no-untyped-def]
    """A store whose last `n` memories wait in the journal only (git was mid-merge)."""
    from ctx.store.project import Project

    project = Project.open(repo, require_store=False)
    project.init()
    (repo / ".git" / "MERGE_HEAD").write_text("0" * 40 + "\n")
    ids = [project.add_memory(f"queued {i}", type="fact").id for i in range(n)]
    (repo / ".git" / "MERGE_HEAD").unlink()
    return project, ids


def _fresh_ids(repo) -> set[str]:  # type: ignore[no-untyped-def]
    from ctx.store.project import Project

    return {m.id for m in Project.open(repo).list_memories()}


def test_journal_index_spares_reading_entries_and_follows_the_journal(repo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`ctx status` right after many writes read every journal file; the index keeps their
    content by name, and what it says never outlives the journal itself."""
    from ctx.store import pending

    project, ids = _queued_memories(repo, 25)
    local = project.layout.local
    files = sorted(pending.pending_dir(local).iterdir())
    assert len(files) == 25 and not pending.index_file(local).exists()

    def journal(branch: str | None = "refs/heads/main") -> list[tuple[object, ...]]:
        got = pending.entries(local, branch)
        return [(e.path.name, e.private, e.update, e.at, e.branch) for e in got]

    def truth(branch: str | None = "refs/heads/main") -> list[tuple[object, ...]]:
        with monkeypatch.context() as m:
            m.setenv("CTX_STATE_CACHE", "0")  # the files alone
            return journal(branch)

    assert set(ids) <= _fresh_ids(repo)  # read from the files, the index written
    assert pending.index_file(local).exists()
    assert set(ids) <= _fresh_ids(repo)  # now read from the index
    assert len(journal()) == 25 and journal() == truth()
    # an entry settled or dropped since the index was written is not taken from it
    files[0].unlink()
    assert len(journal()) == 24 and journal() == truth()
    # a damaged index is ignored as a whole: the journal files are the truth
    idx = pending.index_file(local)
    idx.write_bytes(idx.read_bytes()[:-7] + b"garbage")
    assert journal() == truth()
    # changes journalled on another branch stay there, index or not
    assert journal("refs/heads/other") == [] == truth("refs/heads/other")


def test_pycrdt_is_loaded_without_importlib_metadata_and_keeps_its_version() -> None:
    """pycrdt looks its version up with importlib.metadata (~30 ms of every store command);
    the store hands it the version from its dist-info folder (ctx/store/__init__.py)."""
    mods = _loaded_after("import ctx.store.project, pycrdt")
    assert "importlib.metadata" not in mods
    probe = (
        "import ctx.store, pycrdt, importlib.metadata as m\n"
        "print(pycrdt.__version__ == m.version('pycrdt'))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr


def _why_in_a_process(repo, target: str) -> tuple[str, set[str]]:  # type: ignore[no-untyped-def]
    """`ctx why TARGET` through the entry point: its output and the modules it loaded."""
    code = (
        "import sys\nfrom ctx.launch import main\n"
        f"assert main(['why', {target!r}]) == 0\n"
        "import json\nprint(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    mods = set(json.loads(lines[-1]))
    mods.discard("pycrdt._version")  # the version stub ctx.store puts there, not pycrdt itself
    return "\n".join(lines[:-1]) + "\n", mods


def test_why_loads_no_cli_framework_and_cached_no_git_or_crdt_library(repo) -> None:  # type: ignore[no-untyped-def]
    """`ctx why` never needs typer (ctx/cli/fast_why.py) nor pygit2 (git's files and git);
    asked again, it is answered before pycrdt loads."""
    subprocess.run([sys.executable, "-m", "ctx", "init"], cwd=repo, check=True, capture_output=True)
    first, mods = _why_in_a_process(repo, "README.md")
    assert "pycrdt" in mods  # the store loaded: nothing kept of it yet (why_inputs.py)
    assert not {"typer", "click", "pygit2"} & {m.split(".")[0] for m in mods}
    asked = subprocess.run(
        [sys.executable, "-m", "ctx", "why", "README.md"], cwd=repo, capture_output=True, text=True
    )
    assert asked.returncode == 0 and asked.stdout == first, asked.stderr
    again, mods = _why_in_a_process(repo, "README.md")
    assert again == first  # from the cache
    loaded = sorted(m for m in mods if m.split(".")[0] in ("typer", "pygit2", "pycrdt", "click"))
    assert loaded == [], loaded
