"""A cold `ctx why` against `git blame`, and what git's post-commit hook leaves behind
(results: docs/benchmarks.md).

    python bench/bench_why_cold.py --dir DIR [--runs 5] [--baseline REV]

Uses the repository and store of bench/bench_why.py (built in `--dir` first when missing:
10,000 commits, a 2,000-line file, 1,000 sessions). Interleaved rounds (one warm-up round,
then `--runs`; medians of wall and of the children's CPU time) of:

  git blame --porcelain -C -w src/big.py, and of line 1000 only (-L)
  ctx why src/big.py / src/big.py:1000, cold: none of ctx why's caches (blame, answers, kept
      inputs, trailers); the background filler a cold line question starts is off
      (CTX_BLAME_FILL=0) in every row, for both versions
  ctx why src/big.py after a commit that changes it, without hooks (the cached blame is
      brought forward at question time), and with ctx's post-commit hook once the warmer it
      started has run
  git commit of a one-line change: without hooks, with ctx's post-commit hook where `ctx why`
      is used (it starts the warmer detached), and with CTX_WHY_WARM=0 (the hook starts nothing)

`--baseline REV` also runs the ctx rows without a hook with ctx as it was at REV, in the same
rounds. HOME and the CTX_* directories point into `--dir`.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import bench_why as bw  # noqa: E402  (the build, the rows' runner, the baseline)

CTX = bw.CTX


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", metavar="REV")
    args = ap.parse_args()
    base = args.dir.resolve()
    bw.bench_home(base)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["CTX_WHY_WARM"] = "0"
    os.environ["CTX_BLAME_FILL"] = "0"
    root = base / "repo"
    if not (root / ".contextfs").is_dir():
        times = bw.fast_import(root, 10_000, 2000, 7)
        bw.make_sessions(root, 1000, times, 2000, 7)
    rows = make_rows(root, base)
    if args.baseline:
        env = bw.baseline(args.baseline, base / "baseline")
        old = [
            bw.Row(f"[{args.baseline[:8]}] {r.name}", r.argv, r.before, r.after, env)
            for r in rows
            if r.argv[:3] == CTX and "hook" not in r.name
        ]
        rows = old + rows
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"load {os.getloadavg()[0]:.1f}")
    local = root / ".contextfs" / "local"
    saved = base / "local-before-run"
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(local, saved, symlinks=True)
    try:
        for r in range(args.runs + 1):
            for row in rows:
                bw.run_row(row, root, keep=r > 0)
    finally:
        bw.git(root, "reset", "-q", "--hard", head)
        shutil.rmtree(local, ignore_errors=True)
        shutil.copytree(saved, local, symlinks=True)
    print(f"{'command':64} {'wall ms':>8} {'cpu ms':>8}  (medians of {args.runs})")
    outs: dict[str, str] = {}
    for row in rows:
        extra = ""
        if row.argv[:3] == CTX:
            data = json.loads(row.out)
            extra = f"  {len(data['commits'])} commits, {len(data['sessions'])} sessions"
            outs[row.name] = row.out
        wall, cpu = statistics.median(row.wall), statistics.median(row.cpu)
        print(f"{row.name:64} {wall * 1000:8.0f} {cpu * 1000:8.0f}{extra}")
        print(f"{'':64} {' '.join(f'{w * 1000:.0f}' for w in row.wall)}")
    by = {row.name: statistics.median(row.wall) for row in rows}
    blame, line = by["git blame -C -w (whole file)"], by["git blame -C -w -L 1000,1000"]
    for prefix in [f"[{args.baseline[:8]}] " if args.baseline else None, ""]:
        if prefix is None:
            continue
        cold, cold_line = by[f"{prefix}ctx why FILE, cold"], by[f"{prefix}ctx why FILE:1000, cold"]
        print(
            f"{prefix}cold FILE - git blame: {(cold - blame) * 1000:.0f} ms "
            f"(ratio {cold / blame:.2f}); FILE:1000 - git blame -L: "
            f"{(cold_line - line) * 1000:.0f} ms (ratio {cold_line / line:.2f})"
        )
    if args.baseline:
        for name in ("ctx why FILE, cold", "ctx why FILE:1000, cold"):
            same = outs[name] == outs[f"[{args.baseline[:8]}] {name}"]
            print(f"{name}: the same bytes as {args.baseline[:8]}: {same}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def make_rows(root: Path, base: Path) -> list[bw.Row]:
    big = root / "src" / "big.py"
    small = root / "src" / "small.txt"
    cache = root / ".contextfs" / "local" / "cache"
    bumps = iter(range(1, 1_000_000))
    no_hooks = base / "no-hooks"
    no_hooks.mkdir(exist_ok=True)
    with_hook = base / "post-commit-hook"
    with_hook.mkdir(exist_ok=True)
    from ctx.integrations.git_hooks import render

    hook = with_hook / "post-commit"
    hook.write_text(render("post-commit"))
    hook.chmod(0o755)
    warm_env = {**os.environ, "CTX_WHY_WARM": "1"}

    def cold() -> None:
        shutil.rmtree(cache / "blame", ignore_errors=True)
        shutil.rmtree(cache / "why", ignore_errors=True)
        for name in ("why-inputs.json", "trailers.json"):
            (cache / name).unlink(missing_ok=True)

    def ask() -> None:  # (untimed) the file asked about: its blame cached at HEAD
        subprocess.run([*CTX, "why", "src/big.py"], cwd=root, check=True, capture_output=True)

    def change(path: Path) -> None:
        n = next(bumps)
        lines = path.read_text().splitlines() if path.exists() else []
        lines = lines or ["x"]
        lines[n % len(lines)] += f"  # bumped {n}"
        path.write_text("\n".join(lines) + "\n")

    def commit(hooks: Path, env: dict[str, str] | None = None) -> None:
        subprocess.run(
            ["git", "-c", f"core.hooksPath={hooks}", "commit", "-qam", f"bump {next(bumps)}"],
            cwd=root,
            check=True,
            capture_output=True,
            env=env,
        )

    def wait_for_warmer() -> None:
        """Until the blame of big.py is cached at HEAD and the warmer let go of its lock."""
        from ctx.codelinks import blame_cache
        from ctx.codelinks.why_inputs import Checkout
        from ctx.core.gitfiles import head, locate

        repo = locate(root.resolve())
        assert repo is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            cached = blame_cache.load(Checkout(repo), "src/big.py")
            at = head(repo)
            if cached is not None and at is not None and cached[0] == at[1]:
                with open(cache / "why-warm.lock", "a") as fh:
                    try:
                        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        return
                    except OSError:
                        pass
            time.sleep(0.05)
        raise SystemExit("the background warmer did not finish")

    def after_commit() -> None:
        ask()
        change(big)
        commit(no_hooks)

    def after_commit_hook() -> None:
        ask()
        change(big)
        commit(with_hook, warm_env)
        wait_for_warmer()

    def small_change() -> None:
        ask()  # ctx why used here: its kept inputs exist
        change(small)
        bw.git(root, "add", str(small))

    why = [*CTX, "why", "src/big.py", "--json"]
    why_line = [*CTX, "why", "src/big.py:1000", "--json"]
    git_commit = ["git", "commit", "-qm", "small change"]
    return [
        bw.Row(
            "git blame -C -w (whole file)",
            ["git", "blame", "--porcelain", "-C", "-w", "src/big.py"],
        ),
        bw.Row(
            "git blame -C -w -L 1000,1000",
            ["git", "blame", "--porcelain", "-C", "-w", "-L", "1000,1000", "src/big.py"],
        ),
        bw.Row("ctx why FILE, cold", why, before=cold),
        bw.Row("ctx why FILE:1000, cold", why_line, before=cold),
        bw.Row("ctx why FILE, after a commit (no hook)", why, before=after_commit),
        bw.Row("ctx why FILE, after a commit, post-commit hook ran", why, before=after_commit_hook),
        bw.Row(
            "git commit, no hooks",
            ["git", "-c", f"core.hooksPath={no_hooks}", *git_commit[1:]],
            before=small_change,
        ),
        bw.Row(
            "git commit, ctx post-commit hook (ctx why used: starts the warmer)",
            ["git", "-c", f"core.hooksPath={with_hook}", *git_commit[1:]],
            before=small_change,
            after=wait_for_warmer,
            env=warm_env,
        ),
        bw.Row(
            "git commit, ctx post-commit hook, CTX_WHY_WARM=0 (starts nothing)",
            ["git", "-c", f"core.hooksPath={with_hook}", *git_commit[1:]],
            before=small_change,
        ),
    ]


if __name__ == "__main__":
    main()
