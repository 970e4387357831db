"""`ctx why` and `ctx log` at scale (results: docs/benchmarks.md).

    python bench/bench_why.py [--commits 10000] [--sessions 1000] [--lines 2000] [--runs 5]

Builds, in a temporary directory (or `--dir`, kept and reused), a git repository of
`--commits` commits (git fast-import; every fifth commit changes one line of a `--lines`-line
file `src/big.py`, the others a small file) and a ctx store of `--sessions` sessions whose tool
calls write and edit files (some of them lines of big.py) during the commits' time span,
committed in ten batches. Then times whole commands (process start to exit), in interleaved
rounds (one warm-up round, then `--runs`; medians of wall and of the children's CPU time):

  ctx --version                            (the start-up floor)
  ctx status                               (the command of the 300 ms start-up bar)
  git blame --porcelain -C -w src/big.py   (what a cold `ctx why` runs)
  git rev-list + cat-file --batch          (the floor of any exact blame: find the commits
                                           that changed the file, read each version once)
  ctx why src/big.py                       cold (blame, answer, kept inputs and trailer caches
                                           emptied first), with the blame cached (a new
                                           question), after a new memory (the store changed:
                                           loaded again), after a new memory once the
                                           background warmer it starts has run, cold then
                                           the warmer (as after a pull), after a teammate's
                                           `ctx init` once its warmer ran, warm (asked before)
  ctx why src/big.py:LINE                  the same three
  ctx why src/big.py                       after a new commit that changes the file
  ctx why src/big.py                       with an uncommitted edit of the file
  ctx log src/big.py  /  ctx log          cold (its caches emptied first), after a new
                                           commit (that also commits the store's changes),
                                           after a new memory, warm (asked before)

And, once: how long from `ctx init` in a clone (nothing cached) until its warmer is done.

`--baseline REV` also runs every ctx row with ctx as it was at git revision REV, in the same
rounds (before/after in one run).

HOME and the CTX_* directories point into the build directory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
    # a real store settles its pending journal on the next write after the grace period; the
    # build writes 1,000 changes in seconds, so settle them now rather than have every timed
    # command read 1,000 journal files
    os.environ["CTX_PENDING_GRACE"] = "0"
    Project.open(root).settle_pending()
    del os.environ["CTX_PENDING_GRACE"]


@dataclass
class Row:
    name: str
    argv: list[str]
    before: Callable[[], None] | None = None  # runs before each sample, untimed
    after: Callable[[], None] | None = None
    env: dict[str, str] | None = None  # (--baseline: the older ctx on PYTHONPATH)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system of the child processes
    out: str = ""


def run_row(row: Row, cwd: Path, keep: bool) -> None:
    if row.before:
        row.before()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(
        row.argv, cwd=cwd, capture_output=True, text=True, check=True, env=row.env
    )
    wall = time.perf_counter() - t
    ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if row.after:
        row.after()
    if keep:
        row.wall.append(wall)
        row.cpu.append(ru2.ru_utime + ru2.ru_stime - ru.ru_utime - ru.ru_stime)
        row.out = proc.stdout


IN_PROCESS = """
import json, statistics, sys, time
from pathlib import Path
from ctx.store.project import Project
from ctx.codelinks.why import why
walls, cpus = [], []
for i in range(int(sys.argv[2]) + 1):
    t, c = time.perf_counter(), time.process_time()
    project = Project.open(Path("."))
    json.dumps(why(project, sys.argv[1], cwd=Path(".").resolve()).to_dict())
    if i:
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
print(statistics.median(walls), statistics.median(cpus))
"""


def in_process(root: Path, target: str, runs: int) -> tuple[float, float]:
    """Opening the store and `why()` in a warm process: the command without start-up."""
    proc = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, target, str(runs)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    wall, cpu = proc.stdout.split()
    return float(wall), float(cpu)


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _warmers(root: Path) -> list[int]:
    """The pids of `ctx.codelinks.why_warm` processes working on `root` (from /proc)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"ctx.codelinks.why_warm" in a for a in argv) and str(root).encode() in argv:
            found.append(int(d.name))
    return found


def make_rows(root: Path, lines: int) -> list[Row]:
    line = lines // 2
    big = root / "src" / "big.py"
    cache = root / ".contextfs" / "local" / "cache" / "blame"
    answers = root / ".contextfs" / "local" / "cache" / "why"
    bumps = iter(range(1, 1_000_000))

    kept = [cache.parent / "why-inputs.json", cache.parent / "trailers.json"]

    def cold() -> None:  # nothing of ctx why's own caches (blame, answers, inputs, trailers)
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(answers, ignore_errors=True)
        for f in kept:
            f.unlink(missing_ok=True)

    def new_question() -> None:  # the blame is cached, the answer is not (a new memory…)
        shutil.rmtree(answers, ignore_errors=True)

    def new_commit() -> None:  # HEAD moves on with a change to the file: the cache is behind
        text = big.read_text().splitlines()
        n = next(bumps)
        text[n % lines] += f"  # bumped {n}"
        big.write_text("\n".join(text) + "\n")
        git(root, "commit", "-qam", f"bump {n}")

    def new_memory() -> None:  # the store changed (a memory, a session, a pull): loaded again
        n = next(bumps)
        subprocess.run(
            [*CTX, "memory", "add", "-t", "fact", f"bench note {n} about src/big.py"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        shutil.rmtree(answers, ignore_errors=True)

    def warmer_env() -> dict[str, str]:
        return {**os.environ, "CTX_WHY_WARM": "1"}

    def wait_for_warmer() -> None:
        """Until every detached warmer of this store has exited (the write that started it
        may have kept the inputs already: they say nothing about the warmer being done)."""
        deadline = time.monotonic() + 120
        time.sleep(0.05)
        while time.monotonic() < deadline:
            if not _warmers(root):
                return
            time.sleep(0.05)
        raise SystemExit("the background warmer did not finish")

    def new_memory_warmed() -> None:  # a new memory, and the warmer it starts has run
        n = next(bumps)
        subprocess.run(
            [*CTX, "memory", "add", "-t", "fact", f"bench note {n} about src/big.py"],
            cwd=root,
            check=True,
            capture_output=True,
            env=warmer_env(),
        )
        shutil.rmtree(answers, ignore_errors=True)
        wait_for_warmer()

    def cold_then_warmer() -> None:  # nothing cached, then the warmer (as after a pull)
        wait_for_warmer()  # none left running from an earlier row (it would hold the lock)
        cold()
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from ctx.codelinks.why_warm import main; sys.exit(main(sys.argv[1:]))",
                str(root),
            ],
            cwd=root,
            check=True,
            env=warmer_env(),
        )

    def set_up_then_warmer() -> None:  # nothing cached; a teammate sets the clone up
        wait_for_warmer()
        cold()
        subprocess.run([*CTX, "init"], cwd=root, check=True, capture_output=True, env=warmer_env())
        wait_for_warmer()

    def edit() -> None:  # an uncommitted change
        with big.open("a") as fh:
            fh.write("extra = 1\n")

    def filled() -> None:  # a cold line question fills the file's cache in the background:
        # let it finish before the next row is timed (it would share the two cores with it)
        name = hashlib.sha256(b"src/big.py").hexdigest()[:40]
        deadline = time.monotonic() + 120
        while not (cache / f"{name}.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)

    def restore() -> None:
        git(root, "checkout", "-q", "--", "src/big.py")

    def log_cold() -> None:  # nothing of ctx log's caches (nor the inputs it shares with why)
        for name in ("log-history.json", "log-trailers.json", "why-inputs.json"):
            (cache.parent / name).unlink(missing_ok=True)

    log_file = [*CTX, "log", "src/big.py", "--json"]
    log_all = [*CTX, "log", "--json"]
    why = [*CTX, "why", "src/big.py", "--json"]
    why_line = [*CTX, "why", f"src/big.py:{line}", "--json"]
    return [
        Row("ctx --version (start-up)", [*CTX, "--version"]),
        Row("ctx status (bar: < 300 ms)", [*CTX, "status", "--json"]),
        Row(
            "git blame -C -w (whole file)",
            ["git", "blame", "--porcelain", "-C", "-w", "src/big.py"],
        ),
        Row(
            "floor: read every version of the file (git)",
            [
                "sh",
                "-c",
                "git rev-list HEAD -- src/big.py | sed 's|$|:src/big.py|' "
                "| git cat-file --batch >/dev/null",
            ],
        ),
        Row("ctx why FILE, cold", why, before=cold),
        Row("ctx why FILE, after `ctx init`, warmer ran", why, before=set_up_then_warmer),
        Row("ctx why FILE, blame cached", why, before=new_question),
        Row("ctx why FILE, after a new memory", why, before=new_memory),
        Row("ctx why FILE, new memory, warmer ran", why, before=new_memory_warmed),
        Row("ctx why FILE, cold, then the warmer ran", why, before=cold_then_warmer),
        Row("ctx why FILE, warm", why),
        Row(f"ctx why FILE:{line}, cold", why_line, before=cold, after=filled),
        Row(f"ctx why FILE:{line}, blame cached", why_line, before=new_question),
        Row(f"ctx why FILE:{line}, warm", why_line),
        Row("ctx why FILE, after a commit", why, before=new_commit),
        Row("ctx why FILE, uncommitted edit", why, before=edit, after=restore),
        Row("ctx log FILE, cold", log_file, before=log_cold),
        Row("ctx log FILE, after a new commit", log_file, before=new_commit),
        Row("ctx log FILE, after a new memory", log_file, before=new_memory),
        Row("ctx log FILE, warm", log_file),
        Row("ctx log, cold", log_all, before=log_cold),
        Row("ctx log, after a new commit", log_all, before=new_commit),
        Row("ctx log, after a new memory", log_all, before=new_memory),
        Row("ctx log, warm", log_all),
    ]


def setup_to_warm(root: Path) -> float:
    """Milliseconds from a teammate's `ctx init` (nothing of ctx why cached) until the
    background warmer it starts has exited: how long the first question can be cold."""
    local = root / ".contextfs" / "local" / "cache"
    for name in ("blame", "why"):
        shutil.rmtree(local / name, ignore_errors=True)
    for name in ("why-inputs.json", "trailers.json"):
        (local / name).unlink(missing_ok=True)
    t = time.perf_counter()
    subprocess.run(
        [*CTX, "init"],
        cwd=root,
        check=True,
        capture_output=True,
        env={**os.environ, "CTX_WHY_WARM": "1"},
    )
    time.sleep(0.02)
    while _warmers(root):
        time.sleep(0.02)
    return (time.perf_counter() - t) * 1000


def bench_home(base: Path) -> None:
    """HOME and the CTX_* directories inside the build directory (never the user's)."""
    for var, sub in (
        ("HOME", "home"),
        ("CTX_CONFIG_DIR", "cfg"),
        ("CTX_CACHE_DIR", "cache"),
        ("CTX_DATA_DIR", "data"),
    ):
        os.environ[var] = str(base / sub)
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "home" / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = b@x\n")


def baseline(rev: str, into: Path) -> dict[str, str]:
    """The environment that runs `ctx` as it was at git revision `rev` (its `ctx/` package
    exported into `into` and compiled, first on PYTHONPATH)."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    tar = subprocess.run(
        ["git", "archive", rev, "ctx"], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar, check=True)
    import compileall

    compileall.compile_dir(into / "ctx", quiet=1)
    return {**os.environ, "PYTHONPATH": str(into)}


def with_baseline(rows: list[Row], env: dict[str, str], rev: str) -> list[Row]:
    """Each ctx row twice: the older ctx first (its own cold/warm sequence), then the current
    one, in every round."""
    old = [
        Row(f"[{rev[:8]}] {r.name}", r.argv, r.before, r.after, env)
        for r in rows
        if r.argv[:3] == CTX and "warmer" not in r.name
    ]
    return old + rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=10_000)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--dir", type=Path, help="Build in (or reuse) this directory instead of a temporary one."
    )
    ap.add_argument("--baseline", metavar="REV", help="also time ctx as it was at REV")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ctx-bench-why-") as tmp:
        base = args.dir.resolve() if args.dir else Path(tmp)
        bench_home(base)
        root = base / "repo"
        # ctx runs as installed: its modules compiled once (pip does it at install), not
        # compiled again by every timed command
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        # no background `ctx why` warmer after a store write, except in the rows that time
        # what it leaves behind (it would compete with the next timed command)
        os.environ["CTX_WHY_WARM"] = "0"
        built_repo = built_store = 0.0
        if not (root / ".contextfs").is_dir():  # --dir: built once, reused
            t = time.perf_counter()
            times = fast_import(root, args.commits, args.lines, args.seed)
            built_repo = time.perf_counter() - t
            t = time.perf_counter()
            make_sessions(root, args.sessions, times, args.lines, args.seed)
            built_store = time.perf_counter() - t
        rows = make_rows(root, args.lines)
        if args.baseline:
            rows = with_baseline(rows, baseline(args.baseline, base / "baseline"), args.baseline)
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        print(
            f"repository: {args.commits} commits, {args.lines}-line file ({built_repo:.1f} s); "
            f"store: {args.sessions} sessions ({built_store:.1f} s); load {os.getloadavg()[0]:.1f}"
        )
        # the memories added by the "after a new memory" row live in the state log (reset
        # below) and in local/ (the journal, the high-water marks): local/ is put back too
        local = root / ".contextfs" / "local"
        saved = base / "local-before-run"
        shutil.rmtree(saved, ignore_errors=True)
        shutil.copytree(local, saved, symlinks=True)
        try:
            for r in range(args.runs + 1):  # rounds interleave the rows; round 0 is a warm-up
                for row in rows:
                    run_row(row, root, keep=r > 0)
        finally:
            git(root, "reset", "-q", "--hard", head)  # --dir: the next run starts the same
            # (a copied build writes its memories to a new replica's log: not tracked)
            git(root, "clean", "-fdq", "--", ".contextfs/state", ".contextfs/sessions")
            shutil.rmtree(local, ignore_errors=True)
            shutil.copytree(saved, local, symlinks=True)
        print(f"{'command':52} {'wall ms':>8} {'cpu ms':>8}  (medians of {args.runs})")
        print(f"{'`ctx init` in a clone until its warmer is done':52} {setup_to_warm(root):8.0f}")
        for row in rows:
            extra = ""
            if "why" in row.name:
                data = json.loads(row.out)
                extra = f"  {len(data['commits'])} commits, {len(data['sessions'])} sessions"
            elif "ctx log" in row.name:
                extra = f"  {len(json.loads(row.out))} entries"
            wall, cpu = statistics.median(row.wall), statistics.median(row.cpu)
            print(f"{row.name:52} {wall * 1000:8.0f} {cpu * 1000:8.0f}{extra}")
        for target in ("src/big.py", f"src/big.py:{args.lines // 2}"):
            wall, cpu = in_process(root, target, args.runs)
            name = f"open + why({target}), in-process"
            print(f"{name:52} {wall * 1000:8.0f} {cpu * 1000:8.0f}  (warm process, warm cache)")
        by = {row.name: statistics.median(row.wall) for row in rows}
        blame = by["git blame -C -w (whole file)"]
        for name in ("ctx why FILE, cold", "ctx why FILE, warm"):
            print(f"ratio {name} / git blame: {by[name] / blame:.2f}")
        status = by["ctx status (bar: < 300 ms)"]
        for name in ("ctx why FILE, warm", f"ctx why FILE:{args.lines // 2}, warm"):
            print(f"ratio {name} / ctx status: {by[name] / status:.2f}")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
