"""The TUI's data layer (no textual): rows, filters, sorting, formatting, change detection."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from ctx.core.models import Session
from ctx.tui.app import terminal_is_light
from ctx.tui.data import (
    SessionRow,
    Store,
    filter_rows,
    fmt_duration,
    fmt_when,
    parse_tags,
    sort_rows,
)
from ctx.tui.widgets.grid import fit


def row(sid: str, tool: str, title: str, branch: str, started: str, turns: int = 2) -> SessionRow:
    return SessionRow.of(
        Session(
            id=sid,
            tool=tool,
            title=title,
            branch=branch,
            started_at=started,
            ended_at=started,
            author="Ada Lovelace <ada@example.com>",
            turn_count=turns,
        )
    )


ROWS = [
    row("s-1", "claude", "JWT signing [WIP]", "main", "2026-03-02T09:00:00.000Z", 8),
    row("s-2", "aider", "Full-text search", "feature/search", "2026-03-01T09:00:00.000Z", 2),
    row("s-3", "codex", "Flaky upload test", "main", "2026-02-27T09:00:00.000Z", 5),
]


def test_rows_show_what_the_table_needs() -> None:
    r = ROWS[0]
    assert r.cells == (
        "2026-03-02 09:00",
        "claude",
        "JWT signing [WIP]",
        "main",
        "Ada Lovelace",
        "8",
        "0s",
    )
    assert "ada lovelace" in r.blob and "s-1" in r.blob


def test_filter_by_words_tool_and_branch() -> None:
    assert [r.id for r in filter_rows(ROWS, "upload FLAKY")] == ["s-3"]
    assert [r.id for r in filter_rows(ROWS, "", tool="aider")] == ["s-2"]
    assert [r.id for r in filter_rows(ROWS, "", branch="main")] == ["s-1", "s-3"]
    assert filter_rows(ROWS, "nothing-like-this") == []


def test_sort_by_any_column() -> None:
    assert [r.id for r in sort_rows(ROWS, "when", True)] == ["s-1", "s-2", "s-3"]
    assert [r.id for r in sort_rows(ROWS, "tool", False)] == ["s-2", "s-1", "s-3"]
    assert [r.id for r in sort_rows(ROWS, "turns", True)] == ["s-1", "s-3", "s-2"]


def test_formatting() -> None:
    assert fmt_when(None) == "-" and fmt_when("2026-03-02T09:15:59Z") == "2026-03-02 09:15"
    assert [fmt_duration(s) for s in (None, 42, 610, 3900, 90000)] == [
        "",
        "42s",
        "10m10s",
        "1h05m",
        "1d01h",
    ]
    assert parse_tags("auth, jwt #security") == ["auth", "jwt", "security"]
    assert fit("abcdef", 4) == "abc…" and fit("8", 3, "right") == "  8"
    wide = fit("日本語", 4)  # wide characters count two cells
    assert cell_len(wide) == 4 and wide.startswith("日") and wide.endswith("…")


def test_light_terminal_detection() -> None:
    assert terminal_is_light({"COLORFGBG": "0;15"})
    assert terminal_is_light({"COLORFGBG": "0;default;7"})
    assert not terminal_is_light({"COLORFGBG": "15;0"})
    assert not terminal_is_light({})


def test_store_notices_writes_by_another_process(store_repo: Path) -> None:
    store = Store.open(store_repo)
    assert len(store.session_rows()) == 3
    assert not store.changed()
    subprocess.run(
        [sys.executable, "-m", "ctx", "memory", "add", "from elsewhere", "--type", "fact"],
        cwd=store_repo,
        check=True,
        capture_output=True,
    )
    assert store.changed()
    assert any(m.content == "from elsewhere" for m in store.memories())
    assert not store.changed()


def test_loading_the_model_does_not_hold_the_store(
    store_repo: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first search loads the model (seconds on a cold cache); meanwhile the other
    screens' workers must still get at the store."""
    from ctx.search import embed, service
    from ctx.tui.searching import Searcher

    monkeypatch.setenv("CTX_EMBED_MODEL_PATH", str(model_dir))
    monkeypatch.setattr(service, "_EMBEDDERS", {})
    store = Store.open(store_repo)
    free_while_loading: list[bool] = []
    real_load = embed.try_load_embedder

    def load_and_look(*args: Any, **kwargs: Any) -> Any:
        def try_the_store() -> None:
            got = store.lock.acquire(timeout=5)
            if got:
                store.lock.release()
            free_while_loading.append(got)

        t = threading.Thread(target=try_the_store)
        t.start()
        t.join()
        return real_load(*args, **kwargs)

    monkeypatch.setattr(embed, "try_load_embedder", load_and_look)
    hits, _notice = Searcher(store).search("JWT signing")
    assert free_while_loading == [True]
    assert hits  # and the search itself went through, with the model
    service.close_all()
