"""Start-up time of `ctx --help` and `ctx status` (target: under 0.3 s each on 2 cores).

    python bench/bench_startup.py [--runs 20] [--memories 1000] [--baseline REV]

Runs every command in one session, interleaved, against a bare `python -c pass` baseline and
`git status`, in a temporary repository holding a store with some memories and sessions; prints
median and p95. ctx's bytecode is compiled first, as an installed package has it (with
PYTHONDONTWRITEBYTECODE set, every run would otherwise compile ~80 modules again).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--memories", type=int, default=1000)
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--baseline", metavar="REV", help="also time ctx as it was at REV")
    args = ap.parse_args()
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parent.parent / "ctx", quiet=1)
    tmp = Path(tempfile.mkdtemp())
    env = {
        **os.environ,
        "CTX_DATA_DIR": str(tmp / "data"),
        "CTX_CACHE_DIR": str(tmp / "cache"),
        "CTX_CONFIG_DIR": str(tmp / "config"),
    }
    repo = tmp / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    os.environ.update(env)
    import ctx
    from ctx.core.models import TranscriptHeader, TranscriptTurn

    project = ctx.init_project(repo)
    for i in range(args.memories):
        project.add_memory(
            f"memory {i}: we decided to use option {i % 7} for component {i}", type="decision"
        )
    for i in range(args.sessions):
        project.import_session(
            TranscriptHeader(tool="claude", external_id=f"ext-{i}"),
            [TranscriptTurn("user", f"question {i}"), TranscriptTurn("assistant", f"answer {i}")],
        )
    ctx_cmd = [sys.executable, "-m", "ctx"]
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "ctx --help": [*ctx_cmd, "--help"],
        "ctx status": [*ctx_cmd, "status"],
        "ctx memory list": [*ctx_cmd, "memory", "list"],
        "git status": ["git", "status"],
    }
    if args.baseline:  # ctx's package as it was at REV, first on PYTHONPATH, same rounds
        old = tmp / "baseline"
        old.mkdir()
        tar = subprocess.run(
            ["git", "archive", args.baseline, "ctx"],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=tar, check=True)
        compileall.compile_dir(old / "ctx", quiet=1)
        tag = args.baseline[:8]
        for name in ("ctx --help", "ctx status", "ctx memory list"):
            cases[f"{name} @{tag}"] = ["env", f"PYTHONPATH={old}", *cases[name]]
    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.runs):
        for name, argv in cases.items():
            times[name].append(timed(argv, repo, env))
    print(
        f"store: {args.memories} memories, {args.sessions} sessions; "
        f"{args.runs} runs each, interleaved; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(f"{'command':28} {'median s':>9} {'p95 s':>7}")
    for name, ts in times.items():
        ts.sort()
        p95 = ts[min(len(ts) - 1, round(0.95 * (len(ts) - 1)))]
        print(f"{name:28} {statistics.median(ts):9.3f} {p95:7.3f}")


if __name__ == "__main__":
    main()
