"""Concurrent writers in one clone: no lost update."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import ctx_proc

WRITER = """
import sys, ctx
p = ctx.open_project('.')
for i in range(250):
    p.add_memory(f'writer {sys.argv[1]} memory {i}', type='fact', tags=[f'w{sys.argv[1]}'])
"""


def test_four_processes_adding_250_each(repo: Path) -> None:
    assert ctx_proc(repo, "init").code == 0
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(n)], cwd=repo) for n in range(4)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    r = ctx_proc(repo, "memory", "list", "--json")
    mems = json.loads(r.out)
    assert len(mems) == 1000
    assert len({m["id"] for m in mems}) == 1000
    for n in range(4):
        assert sum(1 for m in mems if m["tags"] == [f"w{n}"]) == 250
    assert r.err == ""  # no corrupt record warnings
