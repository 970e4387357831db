"""Sharing at scale: load time, merging a pull, repository growth, and what `ctx gc` buys.

    python bench/bench_sync.py [--memories 10000] [--sessions 1000] [--ops 1000] [--doc FILE]

Builds, in a temp dir, a bare remote and two clones; clone A holds a store with N memories
(added in batches of 10 per process, so the CRDT sees one client per process as it does with
real CLI use) and M imported sessions of 10 turns. Measures, each as the median of a few runs
of a fresh `python -m ctx` process (what a user waits for):

- load: `ctx memory list --json` and `ctx status --json` with the machine-local load cache,
  and without it (CTX_STATE_CACHE=0);
- a pull of K new operations made in clone B (K/2 new memories, K/2 edits): `git pull`, the
  first ctx command after it, and `ctx sync` doing the same pull (commit + fetch + merge +
  lost-edit check + push);
- repository growth per 1,000 memories (added over 10 syncs): bytes of `.contextfs/state/`
  and of the packed `.git`, before and after `ctx gc`.

Wall-clock figures vary with machine load: the process CPU time is printed next to them.
--doc FILE writes the results as markdown (source of the "Sharing" part of
docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ctx.core.models import TranscriptHeader, TranscriptTurn  # noqa: E402
from ctx.store.project import Project  # noqa: E402


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def timed(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_run(
    cwd: Path, args: list[str], runs: int, env: dict[str, str] | None = None
) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(runs):
        w, c = timed(cwd, *args, env=env)
        walls.append(w)
        cpus.append(c)
    return {
        "wall_s": round(statistics.median(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
    }


def ctx_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "ctx", *args]


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def add_memories(path: Path, n: int, start: int, per_process: int = 10) -> None:
    project = None
    for i in range(start, start + n):
        if project is None or (i - start) % per_process == 0:
            project = Project.open(path)  # a new process: a new CRDT client
        project.add_memory(
            f"memory {i}: the service retries {i % 7} times with backoff; see ticket {i}",
            ("fact", "decision", "procedure")[i % 3],
            [f"area{i % 20}", "bench"],
        )


def import_sessions(path: Path, n: int) -> None:
    project = Project.open(path)
    for s in range(n):
        turns = [
            TranscriptTurn(
                role="user" if k % 2 == 0 else "assistant",
                text=f"session {s} turn {k}: " + "words " * 30,
            )
            for k in range(10)
        ]
        project.import_session(
            TranscriptHeader(tool="jsonl", external_id=f"bench-{s}", title=f"session {s}"), turns
        )


def sync(path: Path) -> None:
    subprocess.run(ctx_args("sync"), cwd=path, check=True, capture_output=True)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--memories", type=int, default=10_000)
    ap.add_argument("--sessions", type=int, default=1_000)
    ap.add_argument("--ops", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--doc", type=Path, help="write the results as markdown to this file")
    opts = ap.parse_args()

    results: dict[str, object] = {
        "memories": opts.memories,
        "sessions": opts.sessions,
        "ops": opts.ops,
    }
    with tempfile.TemporaryDirectory(prefix="ctx-bench-sync-") as tmp:
        base = Path(tmp)
        home = base / "home"
        home.mkdir()
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Bench\n\temail = b@example.com\n[init]\n\tdefaultBranch = main\n"
        )
        os.environ.update(
            {
                "HOME": str(home),
                "CTX_CONFIG_DIR": str(home / "c"),
                "CTX_DATA_DIR": str(home / "d"),
                "CTX_CACHE_DIR": str(home / "cache"),
                "GIT_CONFIG_NOSYSTEM": "1",
            }
        )
        remote = base / "remote.git"
        git(base, "init", "-q", "--bare", "-b", "main", str(remote))
        git(base, "clone", "-q", str(remote), "a")
        a = base / "a"
        (a / "README.md").write_text("bench\n")
        Project.open(a, require_store=False).init()
        git(a, "add", "-A")
        git(a, "commit", "-q", "-m", "init")
        git(a, "push", "-q", "origin", "HEAD:main")

        t = time.perf_counter()
        add_memories(a, opts.memories, 0)
        import_sessions(a, opts.sessions)
        results["build_s"] = round(time.perf_counter() - t, 1)
        sync(a)
        results["state_bytes"] = du(a / ".contextfs" / "state")
        results["sessions_bytes"] = du(a / ".contextfs" / "sessions")
        git(base, "clone", "-q", str(remote), "b")
        b = base / "b"
        git(b, "config", "user.name", "Bee")

        nocache = {**os.environ, "CTX_STATE_CACHE": "0"}
        subprocess.run(
            ctx_args("memory", "list"), cwd=a, check=True, capture_output=True
        )  # warm cache
        results["load"] = {
            "memory_list_cached": median_run(a, ctx_args("memory", "list", "--json"), opts.runs),
            "memory_list_no_cache": median_run(
                a, ctx_args("memory", "list", "--json"), opts.runs, nocache
            ),
            "status_cached": median_run(a, ctx_args("status", "--json"), opts.runs),
            "status_no_cache": median_run(a, ctx_args("status", "--json"), opts.runs, nocache),
            "memory_show_cached": median_run(
                a, ctx_args("memory", "list", "--tag", "area3", "--json"), opts.runs
            ),
        }

        # a pull that brings K new operations from clone B
        subprocess.run(ctx_args("memory", "list"), cwd=b, check=True, capture_output=True)
        half = opts.ops // 2
        add_memories(b, half, opts.memories)
        pb = Project.open(b)
        for m in pb.list_memories()[: opts.ops - half]:
            pb.edit_memory(m.id, add_tags=["edited-by-b"])
        sync(b)
        before = git(a, "rev-parse", "HEAD").strip()
        t_pull = timed(a, "git", "pull", "-q", "--no-rebase", "--no-edit")
        t_first = timed(a, *ctx_args("memory", "list", "--json"))
        t_again = timed(a, *ctx_args("memory", "list", "--json"))
        git(a, "reset", "-q", "--hard", before)  # the same pull again, through ctx sync
        subprocess.run(ctx_args("memory", "list"), cwd=a, check=True, capture_output=True)
        t_sync = timed(a, *ctx_args("sync"))
        results["pull"] = {
            "git_pull": {"wall_s": round(t_pull[0], 3), "cpu_s": round(t_pull[1], 3)},
            "first_command_after": {"wall_s": round(t_first[0], 3), "cpu_s": round(t_first[1], 3)},
            "second_command": {"wall_s": round(t_again[0], 3), "cpu_s": round(t_again[1], 3)},
            "ctx_sync": {"wall_s": round(t_sync[0], 3), "cpu_s": round(t_sync[1], 3)},
        }

        # growth per 1,000 memories, over 10 syncs, then ctx gc
        git(a, "gc", "-q")
        state0, git0 = du(a / ".contextfs" / "state"), du(a / ".git")
        for k in range(10):
            add_memories(a, 100, opts.memories + opts.ops + 100 * k)
            sync(a)
        git(a, "gc", "-q")
        state1, git1 = du(a / ".contextfs" / "state"), du(a / ".git")
        own = Project.open(a).own_log
        own_before = own.stat().st_size
        t = time.perf_counter()
        subprocess.run(ctx_args("gc"), cwd=a, check=True, capture_output=True)
        gc_s = time.perf_counter() - t
        own_after = own.stat().st_size
        sync(a)
        git(a, "gc", "-q")
        state2, git2 = du(a / ".contextfs" / "state"), du(a / ".git")
        results["growth_per_1000_memories"] = {
            "state_dir_bytes": state1 - state0,
            "git_dir_bytes": git1 - git0,
            "own_log_bytes_before_gc": own_before,
            "own_log_bytes_after_gc": own_after,
            "state_dir_after_gc": state2,
            "state_dir_before_gc": state1,
            "git_dir_growth_from_gc_commit": git2 - git1,
            "gc_s": round(gc_s, 2),
        }
        after_gc = median_run(a, ctx_args("memory", "list", "--json"), opts.runs, nocache)
        results["load"]["memory_list_no_cache_after_gc"] = after_gc  # type: ignore[index]

        # edit-heavy use: 1,000 memories, each rewritten 3 times, then ctx gc
        pa = Project.open(a)
        targets = [m.id for m in pa.list_memories()[:1000]]
        for round_ in range(3):
            pa = Project.open(a)
            for mid in targets:
                pa.edit_memory(
                    mid, content=f"{mid} rewritten, version {round_ + 2}: " + "detail " * 8
                )
        sync(a)
        git(a, "gc", "-q")
        edited_before, git_before = own.stat().st_size, du(a / ".git")
        subprocess.run(ctx_args("gc"), cwd=a, check=True, capture_output=True)
        edited_after = own.stat().st_size
        sync(a)
        git(a, "gc", "-q")
        results["edit_heavy"] = {
            "edits": 3 * len(targets),
            "own_log_bytes_before_gc": edited_before,
            "own_log_bytes_after_gc": edited_after,
            "git_dir_growth_from_gc_commit": du(a / ".git") - git_before,
        }

    print(json.dumps(results, indent=1))
    if opts.doc:
        opts.doc.write_text(markdown(results))
    return 0


def markdown(r: dict) -> str:  # type: ignore[type-arg]
    load, pull, grow = r["load"], r["pull"], r["growth_per_1000_memories"]

    def row(name: str, x: dict[str, float]) -> str:
        return f"| {name} | {x['wall_s']:.2f} | {x['cpu_s']:.2f} |"

    lines = [
        "# Sync benchmarks",
        "",
        f"`python bench/bench_sync.py --memories {r['memories']} --sessions {r['sessions']} "
        f"--ops {r['ops']}` on the 2-core development machine (shared with other jobs: the CPU "
        f"column is the steadier one). Store: {r['memories']:,} memories (added 10 per process, "
        f"as CLI use would), {r['sessions']:,} "
        f"imported sessions of 10 turns; state logs {r['state_bytes'] / 1e6:.1f} MB, transcripts "
        f"{r['sessions_bytes'] / 1e6:.1f} MB. Each figure is one fresh `python -m ctx` process "
        "(median of 5 where it says so).",
        "",
        "## Load (every command loads every log)",
        "",
        "| command | wall s | CPU s |",
        "|---|---|---|",
        row("`ctx memory list --json`, load cache (median of 5)", load["memory_list_cached"]),
        row("same, `CTX_STATE_CACHE=0` (read every log line)", load["memory_list_no_cache"]),
        row(
            "same, no cache, after `ctx gc` (one line per log)",
            load["memory_list_no_cache_after_gc"],
        ),
        row("`ctx memory list --tag area3 --json`, cache", load["memory_show_cached"]),
        row("`ctx status --json`, cache", load["status_cached"]),
        row("`ctx status --json`, no cache", load["status_no_cache"]),
        "",
        f"## A pull bringing {r['ops']:,} new operations ({r['ops'] // 2} memories added, "
        f"{r['ops'] - r['ops'] // 2} edited in the other clone)",
        "",
        "| step | wall s | CPU s |",
        "|---|---|---|",
        row("`git pull` (merge; no hooks)", pull["git_pull"]),
        row(
            "first ctx command after it (reads the new lines past the cache)",
            pull["first_command_after"],
        ),
        row("the command after that", pull["second_command"]),
        row(
            "`ctx sync` doing the same pull (commit, fetch, merge, lost-edit check, push)",
            pull["ctx_sync"],
        ),
        "",
        "## Repository growth per 1,000 memories (added over 10 syncs), and `ctx gc`",
        "",
        "| what | bytes |",
        "|---|---|",
        f"| `.contextfs/state/` grows by | {grow['state_dir_bytes']:,} |",
        f"| packed `.git` grows by (after `git gc`) | {grow['git_dir_bytes']:,} |",
        f"| this clone's log before `ctx gc` | {grow['own_log_bytes_before_gc']:,} |",
        f"| this clone's log after `ctx gc` | {grow['own_log_bytes_after_gc']:,} |",
        f"| `.contextfs/state/` before / after `ctx gc` | {grow['state_dir_before_gc']:,} / "
        f"{grow['state_dir_after_gc']:,} |",
        "| packed `.git` growth from committing the compacted log | "
        f"{grow['git_dir_growth_from_gc_commit']:,} |",
        f"| `ctx gc` wall time | {grow['gc_s']} s |",
        "",
        f"Edit-heavy use: {r['edit_heavy']['edits']:,} edits (1,000 memories rewritten 3 times), "
        f"then `ctx gc`: this clone's log {r['edit_heavy']['own_log_bytes_before_gc']:,} -> "
        f"{r['edit_heavy']['own_log_bytes_after_gc']:,} bytes; committing it grew the packed "
        f"`.git` by {r['edit_heavy']['git_dir_growth_from_gc_commit']:,} bytes.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
