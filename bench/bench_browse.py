"""How long `ctx browse` takes to open with many sessions (not a test: a measurement).

    python bench/bench_browse.py [--sessions 10000] [--store /tmp/ctx-bench-browse]

Builds (once, then reuses) a repository with N imported sessions of 4 turns, then measures in a
fresh process: the core's `list_sessions()` (cold and warm), and the app: time to the first
screen, to the filled table, to a filter keystroke's result, to End (every row in the table),
and to an opened transcript. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def build(root: Path, n: int) -> None:
    from ctx.core.models import TranscriptHeader, TranscriptTurn
    from ctx.store.project import Project

    if not root.exists():
        root.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    project = Project.open(root, require_store=False)
    project.init()
    have = len(project.list_sessions())
    tools = ("claude", "aider", "codex", "manual")
    t0 = time.perf_counter()
    for i in range(have, n):
        day, hour = 1 + i % 28, i % 24
        header = TranscriptHeader(
            tool=tools[i % 4],
            external_id=f"bench-{i}",
            title=f"session {i} about topic {i % 37}",
            started_at=f"2025-{1 + i % 12:02d}-{day:02d}T{hour:02d}:00:00Z",
            ended_at=f"2025-{1 + i % 12:02d}-{day:02d}T{hour:02d}:{i % 60:02d}:30Z",
            branch=("main", "dev", f"feature-{i % 9}")[i % 3],
        )
        turns = [
            TranscriptTurn("user" if j % 2 == 0 else "assistant", f"turn {j} of session {i}")
            for j in range(4)
        ]
        project.import_session(header, turns)
    if n > have:
        print(f"built {n - have} sessions in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def measure_core(root: Path) -> dict[str, float]:
    from ctx.store.project import Project

    t0 = time.perf_counter()
    project = Project.open(root)
    t1 = time.perf_counter()
    sessions = project.list_sessions()
    t2 = time.perf_counter()
    project.list_sessions()
    t3 = time.perf_counter()
    return {
        "sessions": len(sessions),
        "core_open_s": round(t1 - t0, 3),
        "core_list_sessions_cold_s": round(t2 - t1, 3),
        "core_list_sessions_warm_s": round(t3 - t2, 3),
    }


async def measure_app(root: Path) -> dict[str, float]:
    from ctx.tui.app import make_app
    from ctx.tui.screens.sessions import SessionsScreen
    from ctx.tui.screens.transcript import TranscriptScreen

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    app = make_app(root, refresh_interval=0)
    async with app.run_test(size=(120, 40)) as pilot:
        out["app_first_screen_s"] = round(time.perf_counter() - t0, 3)
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        while not screen.loaded:
            await asyncio.sleep(0.005)
        await pilot.pause()
        out["app_table_filled_s"] = round(time.perf_counter() - t0, 3)
        out["app_core_load_s"] = round(screen.load_seconds, 3)
        table = screen.table
        out["table_rows_after_open"] = table.row_count

        t1 = time.perf_counter()
        await pilot.press("slash", *"topic 7", "enter")  # enter applies at once (no debounce)
        await pilot.pause()
        out["filter_typed_8_keys_s"] = round(time.perf_counter() - t1, 3)
        out["filter_matches"] = len(screen.view)
        t1 = time.perf_counter()
        screen.apply()  # one filter + sort + redraw over every row
        await pilot.pause()
        out["filter_apply_s"] = round(time.perf_counter() - t1, 3)
        screen.action_clear()
        await pilot.pause()

        t2 = time.perf_counter()
        await pilot.press("end")
        await pilot.pause()
        out["end_all_rows_s"] = round(time.perf_counter() - t2, 3)
        out["cursor_after_end"] = table.cursor_row

        t3 = time.perf_counter()
        await pilot.press("enter")
        while not (isinstance(app.screen, TranscriptScreen) and app.screen.session):
            await asyncio.sleep(0.005)
        await pilot.pause()
        out["open_transcript_s"] = round(time.perf_counter() - t3, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10_000)
    ap.add_argument("--store", type=Path, default=Path("/tmp/ctx-bench-browse"))
    ap.add_argument("--phase", choices=("all", "core", "app"), default="all")
    args = ap.parse_args()
    root = args.store.resolve()
    if args.phase == "all":
        build(root, args.sessions)
        result: dict[str, object] = {"cpus": os.cpu_count(), "load": os.getloadavg()[0]}
        for phase in ("core", "app"):  # each in a fresh process: cold caches
            proc = subprocess.run(
                [sys.executable, __file__, "--store", str(root), "--phase", phase],
                capture_output=True,
                text=True,
                check=True,
            )
            result.update(json.loads(proc.stdout))
        print(json.dumps(result, indent=2))
    elif args.phase == "core":
        print(json.dumps(measure_core(root)))
    else:
        print(json.dumps(asyncio.run(measure_app(root))))


if __name__ == "__main__":
    main()
