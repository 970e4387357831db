"""`ctx why` and `ctx log` at scale (results: docs/benchmarks.md).

    python bench/bench_why.py [--commits 10000] [--sessions 1000] [--lines 2000] [--runs 5]

Builds, in a temporary directory, a git repository of `--commits` commits (git fast-import;
every fifth commit changes one line of a `--lines`-line file `src/big.py`, the others a small
file) and a ctx store of `--sessions` sessions whose tool calls write and edit files (some of
them lines of big.py) during the commits' time span, committed in ten batches. Then times, as
whole commands (process start to exit), side by side in one run:

  git blame --porcelain -C -w src/big.py   (what `ctx why` runs first)
  ctx why src/big.py                        (the whole file)
  ctx why src/big.py:LINE                   (one line)
  ctx log src/big.py  /  ctx log

Each after one warm-up run (the touched-files cache is built once per machine); median of
`--runs`. HOME and the CTX_* directories point into the temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CTX = [sys.executable, "-m", "ctx"]
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def fast_import(root: Path, commits: int, lines: int, seed: int) -> list[int]:
    """The repository's history; returns each commit's author time."""
    rnd = random.Random(seed)
    big = [f"value_{i} = compute({i})  # line {i}" for i in range(lines)]
    times: list[int] = []
    chunks: list[bytes] = []
    for n in range(commits):
        t = T0 + n * 300
        times.append(t)
        if n == 0 or n % 5 == 0:
            if n:
                i = rnd.randrange(lines)
                big[i] = f"value_{i} = compute({i}) + {n}  # line {i}, commit {n}"
            path, data = "src/big.py", ("\n".join(big) + "\n").encode()
        else:
            path, data = f"src/small_{n % 50}.py", f"x = {n}\n".encode()
        msg = f"change {n}\n".encode()
        head = (
            f"commit refs/heads/main\nauthor Dev{n % 7} <dev{n % 7}@example.com> {t} +0000\n"
            f"committer Dev <dev@example.com> {t} +0000\ndata {len(msg)}\n"
        ).encode()
        body = head + msg
        body += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
        chunks.append(body)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(chunks), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)
    return times


def make_sessions(root: Path, n: int, times: list[int], lines: int, seed: int) -> None:
    from ctx.core.models import TranscriptHeader, TranscriptTurn
    from ctx.store.project import Project

    rnd = random.Random(seed)
    project = Project.open(root, require_store=False)
    project.init()
    batch = max(1, n // 10)
    for k in range(n):
        start = rnd.choice(times)
        iso = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start - 60))
        end = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + 240))
        target = "src/big.py" if k % 3 == 0 else f"src/small_{k % 50}.py"
        line = rnd.randrange(lines)
        new = f"value_{line} = compute({line})  # line {line}"
        turns = [
            TranscriptTurn("user", f"please change line {line} of {target} (task {k})", iso),
            TranscriptTurn(
                "tool",
                f"[Edit] /home/dev/proj/{target}",
                iso,
                meta={
                    "kind": "tool_use",
                    "tool": "Edit",
                    "input": {"file_path": f"/home/dev/proj/{target}", "new_string": new},
                },
            ),
            TranscriptTurn("assistant", f"Changed line {line}.", end),
        ]
        header = TranscriptHeader(
            tool="claude", external_id=f"bench-{k}", title=f"task {k}", started_at=iso, ended_at=end
        )
        project.import_transcript(header, turns, source_key=f"bench-{k}")
        if k % batch == batch - 1:
            subprocess.run(["git", "add", ".contextfs"], cwd=root, check=True)
            subprocess.run(
                ["git", "commit", "-qm", f"ctx: sessions up to {k}"], cwd=root, check=True
            )


def timed(argv: list[str], cwd: Path, runs: int) -> tuple[float, str]:
    subprocess.run(argv, cwd=cwd, capture_output=True, check=True)  # warm-up
    samples, out = [], ""
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True)
        samples.append(time.perf_counter() - t)
        out = proc.stdout
    return statistics.median(samples), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=10_000)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ctx-bench-why-") as tmp:
        base = Path(tmp)
        for var, sub in (
            ("HOME", "home"),
            ("CTX_CONFIG_DIR", "cfg"),
            ("CTX_CACHE_DIR", "cache"),
            ("CTX_DATA_DIR", "data"),
        ):
            os.environ[var] = str(base / sub)
            (base / sub).mkdir()
        (base / "home" / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = b@x\n")
        root = base / "repo"
        t = time.perf_counter()
        times = fast_import(root, args.commits, args.lines, args.seed)
        built_repo = time.perf_counter() - t
        t = time.perf_counter()
        make_sessions(root, args.sessions, times, args.lines, args.seed)
        built_store = time.perf_counter() - t
        line = args.lines // 2
        rows = [
            (
                "git blame -C -w (whole file)",
                ["git", "blame", "--porcelain", "-C", "-w", "src/big.py"],
            ),
            ("ctx why FILE (whole file)", [*CTX, "why", "src/big.py", "--json"]),
            (f"ctx why FILE:{line}", [*CTX, "why", f"src/big.py:{line}", "--json"]),
            ("ctx log FILE", [*CTX, "log", "src/big.py", "--json"]),
            ("ctx log", [*CTX, "log", "--json"]),
        ]
        print(
            f"repository: {args.commits} commits, {args.lines}-line file ({built_repo:.1f} s); "
            f"store: {args.sessions} sessions ({built_store:.1f} s)"
        )
        results = {}
        for name, argv in rows:
            secs, out = timed(argv, root, args.runs)
            results[name] = secs
            extra = ""
            if "why" in name:
                data = json.loads(out)
                extra = f"  ({len(data['commits'])} commits, {len(data['sessions'])} sessions)"
            elif name.startswith("ctx log"):
                extra = f"  ({len(json.loads(out))} entries)"
            print(f"{name:32} {secs * 1000:8.0f} ms{extra}")
        blame = results["git blame -C -w (whole file)"]
        print(f"ratio ctx why FILE / git blame: {results['ctx why FILE (whole file)'] / blame:.2f}")


if __name__ == "__main__":
    main()
