"""The author recorded with sessions and memories is the one git would record."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ctx.core.gitinfo import context


def _git_author(repo: Path) -> str:
    ident = subprocess.run(
        ["git", "var", "GIT_AUTHOR_IDENT"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return ident.rsplit(">", 1)[0] + ">"  # drop the timestamp


def test_author_follows_git_precedence(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert context(repo).author == "Test User <test@example.com>" == _git_author(repo)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Env Person")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "env@example.com")
    # The environment wins over user.name / user.email, exactly as for `git commit`.
    assert context(repo).author == "Env Person <env@example.com>" == _git_author(repo)
    monkeypatch.delenv("GIT_AUTHOR_EMAIL")
    assert context(repo).author == "Env Person <test@example.com>" == _git_author(repo)
