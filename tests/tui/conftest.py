"""Fixtures for the TUI tests (data in tui_data.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.tui_data import fill_store, make_repo


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    """Times show in local time; the tests' local time is UTC."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture
def store_repo(tmp_path: Path) -> Path:
    """A repository with a store holding three sessions and four memories."""
    root = make_repo(tmp_path / "repo")
    fill_store(root)
    return root


@pytest.fixture
def empty_repo(tmp_path: Path) -> Path:
    """A repository without a store (ctx init never ran)."""
    return make_repo(tmp_path / "repo")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
