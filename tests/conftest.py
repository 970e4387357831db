"""Shared fixtures. The autouse fixture keeps every test away from the real home directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.fakes import claude_harness  # at collection: resolves the real tools cache

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
MODEL_DIR = SHARED / "models" / "all-MiniLM-L6-v2-onnx"
LOCOMO = SHARED / "data" / "locomo10.json"


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point HOME, XDG and CTX_* locations at a fresh temp dir for every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("CTX_CONFIG_DIR", "ctx-config"),
        ("CTX_CACHE_DIR", "ctx-cache"),
        ("CTX_DATA_DIR", "ctx-data"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    # Git identity comes from the temp HOME, never from the developer's own config.
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # no background `ctx why` warmer after each store write (tests that want it turn it on)
    monkeypatch.setenv("CTX_WHY_WARM", "0")
    for var in (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "CTX_EMBED_MODEL",
        "CTX_EMBED_MODEL_PATH",
        "CTX_EMBED_PRECISION",
        "CTX_SESSION",  # set inside `ctx wrap`: a test run in a wrapped shell must not see it
    ):
        monkeypatch.delenv(var, raising=False)
    # The int8 copy of the test model is made once per test worker (about 2 s), not per test.
    models = home / "ctx-cache" / "models"
    models.mkdir(parents=True)
    (models / "int8").symlink_to(tmp_path_factory.getbasetemp() / "int8-models")
    (tmp_path_factory.getbasetemp() / "int8-models").mkdir(exist_ok=True)
    return home


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return out.stdout


def init_repo(root: Path) -> Path:
    """A new real git repository at ``root`` with one commit (README.md) on main."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("hello\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one commit."""
    return init_repo(tmp_path / "repo")


@pytest.fixture
def store(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """``repo`` after ``ctx init``, as the working directory (for in-process ``run_ctx``)."""
    from tests.helpers import run_ctx

    monkeypatch.chdir(repo)
    assert run_ctx(capsys, "init").code == 0
    return repo


@pytest.fixture
def model_dir() -> Path:
    if not (MODEL_DIR / "model.onnx").exists():
        pytest.fail(f"the test model is missing: {MODEL_DIR} (see ../shared/models/README.md)")
    return MODEL_DIR


@pytest.fixture(scope="session")
def claude_bin() -> Path:
    """The pinned Claude Code CLI (installed on first use); a failure, never a skip, without it."""
    return claude_harness.require(claude_harness.find_or_install_claude)


def pytest_report_header(config: pytest.Config) -> str:
    return f"ctx tests: shared dir {SHARED} ({'present' if SHARED.exists() else 'MISSING'})"


os.environ.setdefault("CTX_TESTING", "1")
