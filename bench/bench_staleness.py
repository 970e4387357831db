"""`ctx memory list` with memories that cite code: the first listing after a commit (staleness
computed with git) against the next one (read from the cache) and a listing without cites.

    python bench/bench_staleness.py [--memories 500] [--files 50]

Runs the real `ctx` of this checkout in a fresh repository and home (temporary): N memories
each citing 3 lines of one of F files, all made at one commit; then a commit changes 5 files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CTX = [sys.executable, "-m", "ctx"]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def timed(cwd: Path, env: dict[str, str], *args: str) -> float:
    t = time.perf_counter()
    subprocess.run([*CTX, *args], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--memories", type=int, default=500)
    ap.add_argument("--files", type=int, default=50)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        env = {
            **os.environ,
            "HOME": tmp,
            "XDG_CONFIG_HOME": f"{tmp}/c",
            "XDG_CACHE_HOME": f"{tmp}/k",
        }
        env.update(GIT_AUTHOR_NAME="B", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="B")
        env["GIT_COMMITTER_EMAIL"] = "b@x"
        git(root, "init", "-q", "-b", "main")
        for f in range(a.files):
            (root / f"f{f}.py").write_text("".join(f"x{i} = {i}\n" for i in range(200)))
        git(root, "add", ".")
        git(root, "-c", "user.name=B", "-c", "user.email=b@x", "commit", "-qm", "code")
        subprocess.run([*CTX, "init"], cwd=root, env=env, check=True, capture_output=True)
        from ctx.store.project import Project

        os.environ.update(env)
        project = Project.open(root)
        for n in range(a.memories):
            s = 1 + (n * 7) % 190
            project.add_memory(f"memory {n}", cites=[f"f{n % a.files}.py:{s}-{s + 2}"])
        plain = timed(root, env, "memory", "list", "--json")  # same commit: all fresh at once
        for f in range(5):
            p = root / f"f{f}.py"
            p.write_text(p.read_text().replace("x10 = 10", "x10 = 11"))
        git(root, "-c", "user.name=B", "-c", "user.email=b@x", "commit", "-qam", "edit")
        first = timed(root, env, "memory", "list", "--json")
        again = timed(root, env, "memory", "list", "--json")
        print(f"{a.memories} memories citing {a.files} files; a commit changes 5 files")
        print(f"  list at the memories' own commit: {plain:.2f} s")
        print(f"  first list after the commit (git): {first:.2f} s")
        print(f"  next list (cached):                {again:.2f} s")


if __name__ == "__main__":
    main()
