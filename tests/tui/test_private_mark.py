"""Private memories are marked in the TUI's memory list, as in `ctx memory list`."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctx.store.project import Project
from tests.tui.pilot import app_for, open_memories
from tests.tui.tui_data import SIZE

pytestmark = pytest.mark.anyio


async def test_private_memory_is_marked(store_repo: Path) -> None:
    mine = Project.open(store_repo).add_memory("my own reminder", "fact", [], private=True)
    app = app_for(store_repo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_memories(pilot)
        rows = {m.id: row for m, row in zip(screen.view, screen.table.rows, strict=True)}
        assert rows[mine.id][-1].startswith("[private] my own reminder")
        assert not any("[private]" in r[-1] for mid, r in rows.items() if mid != mine.id)
