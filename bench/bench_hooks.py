"""What ctx's Claude Code hooks cost the user (results: docs/benchmarks.md).

    python bench/bench_hooks.py [--rounds 5] [--memories 300]

The real Claude Code CLI against the fake Anthropic server (tests/fakes/), in two identical
repositories with the same ctx store: one with `ctx hooks install --claude`'s hooks, one
without. Each round runs every case once in each repository, interleaved, so both sides see
the same machine load:

1. the hook processes alone, as Claude Code runs them (event JSON on stdin): SessionStart
   (prints the cached brief), SessionEnd (starts the detached import), next to a bare
   `python -c pass` and next to the same hooks entered through the typer CLI;
2. `claude -p PROMPT` end to end;
3. the interactive TUI: start until the prompt is ready, and `/exit` (Enter) until the
   process has exited — what the user waits for before the shell prompt comes back.

Between cases the bench waits for the detached SessionEnd import to land and for the worker to
finish rebuilding the brief (outside the timed part), so background work of one run does not
slow the next.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fakes import claude_harness as harness  # noqa: E402
from tests.fakes.anthropic_server import FakeAnthropic  # noqa: E402

CTX_EXE = Path(sys.executable).parent / "ctx"
REPLY = "Deploys are blue-green."


def compile_ctx() -> None:
    """Compile ctx's bytecode once, as an installed ctx has it (pip compiles at install; an
    editable install under PYTHONDONTWRITEBYTECODE would compile every module on every run)."""
    import compileall

    compileall.compile_dir(str(REPO / "ctx"), quiet=1)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def make_repo(path: Path, memories: int, hooks: bool) -> None:
    from ctx.core.models import TranscriptHeader, TranscriptTurn
    from ctx.integrations.claude_hooks import install_claude_hooks
    from ctx.store.project import Project

    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("bench\n")
    git(path, "add", "README.md")
    git(path, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-q", "-m", "init")
    project = Project.open(path, require_store=False)
    project.init()
    project = Project.open(path)
    for i in range(memories):
        project.add_memory(f"decision {i}: component {i} uses option {i % 7}", "decision")
    for i in range(20):
        project.import_session(
            TranscriptHeader(tool="claude", external_id=f"bench-{i}"),
            [TranscriptTurn("user", f"question {i}"), TranscriptTurn("assistant", f"answer {i}")],
        )
    if hooks:
        install_claude_hooks(project)


def imports_done(repo: Path, before: int, timeout: float = 60) -> None:
    """Wait until the hooks log holds one more import line than ``before`` (the detached
    SessionEnd worker finished), so its work is not charged to the next measurement."""
    log = repo / ".contextfs" / "local" / "hooks.log"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if import_lines(log) > before:
            return
        time.sleep(0.05)
    raise SystemExit(f"the SessionEnd import did not land in {timeout} s; see {log}")


def background_done(tmp: Path, timeout: float = 60) -> None:
    """Wait until no ctx background process of this bench runs: the SessionEnd worker goes on
    to rebuild the brief after its import line lands, and that work must not overlap the
    next measured start."""
    key = str(tmp).encode()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        busy = False
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                cmdline = Path("/proc", pid, "cmdline").read_bytes()
            except OSError:
                continue
            if key in cmdline and (b"hook_worker" in cmdline or b"brief_cache" in cmdline):
                busy = True
                break
        if not busy:
            return
        time.sleep(0.05)
    raise SystemExit(f"ctx background work for {tmp} still running after {timeout} s")


def import_lines(log: Path) -> int:
    try:
        return sum(1 for line in log.read_text().splitlines() if "claude-session-end: s-" in line)
    except OSError:
        return 0


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def run_hook(argv: list[str], stdin: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(argv, input=stdin, text=True, cwd=cwd, env=env, capture_output=True, check=True)


def tui_round(claude: Path, env: dict[str, str], repo: Path) -> tuple[float, float]:
    """(ms from spawn to the ready prompt, ms from Enter on /exit to the process gone)."""
    t0 = time.perf_counter()
    tui = harness.ClaudeTUI([str(claude)], env, repo)
    try:
        tui.wait_ready(timeout=60)
        ready = (time.perf_counter() - t0) * 1000
        tui.send_prompt("say hi", until=harness.busy_or(REPLY))
        tui.wait_for(REPLY, timeout=60)
        tui.child.send("/exit")
        end = time.monotonic() + 30
        while "/exit" not in tui.text() and time.monotonic() < end:
            tui.pump()
        time.sleep(0.3)
        t1 = time.perf_counter()
        tui.child.send("\r")
        while tui.pump(0.02):
            pass
        gone = (time.perf_counter() - t1) * 1000
        tui.child.close()
    finally:
        tui.close()
    return ready, gone


def stats(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
    return f"{statistics.median(xs):8.1f} {p95:8.1f} {xs[0]:8.1f} {len(xs):3d}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--memories", type=int, default=300)
    ap.add_argument("--no-claude", action="store_true", help="only the hook processes")
    args = ap.parse_args()
    compile_ctx()
    tmp = Path(tempfile.mkdtemp(prefix="ctx-bench-hooks-"))
    base_env = {
        **os.environ,
        "CTX_DATA_DIR": str(tmp / "data"),
        "CTX_CACHE_DIR": str(tmp / "cache"),
        "CTX_CONFIG_DIR": str(tmp / "config"),
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
    }
    os.environ.update(base_env)
    with_hooks, without = tmp / "with-hooks", tmp / "without"
    make_repo(with_hooks, args.memories, hooks=True)
    make_repo(without, args.memories, hooks=False)
    fixture = next((REPO / "tests" / "adapters" / "fixtures" / "claude").glob("*.jsonl"))
    results: dict[str, list[float]] = {}

    def add(name: str, ms: float) -> None:
        results.setdefault(name, []).append(ms)

    start_event = json.dumps({"cwd": str(with_hooks), "hook_event_name": "SessionStart"})
    end_event = json.dumps(
        {"cwd": str(with_hooks), "transcript_path": str(fixture), "hook_event_name": "SessionEnd"}
    )
    via_cli = [sys.executable, "-c", "import sys; from ctx.cli.app import main; main(sys.argv[1:])"]
    for r in range(args.rounds):
        log = with_hooks / ".contextfs" / "local" / "hooks.log"
        add(
            "python -c pass",
            timed(lambda: run_hook([sys.executable, "-c", "pass"], "", tmp, base_env)),
        )
        add(
            "SessionStart hook (`ctx hook claude-session-start`)",
            timed(
                lambda: run_hook(
                    [str(CTX_EXE), "hook", "claude-session-start"],
                    start_event,
                    with_hooks,
                    base_env,
                )
            ),
        )
        add(
            "SessionStart, entered through the typer CLI",
            timed(
                lambda: run_hook(
                    [*via_cli, "hook", "claude-session-start"], start_event, with_hooks, base_env
                )
            ),
        )
        before = import_lines(log)
        add(
            "SessionEnd hook (`ctx hook claude-session-end`)",
            timed(
                lambda: run_hook(
                    [str(CTX_EXE), "hook", "claude-session-end"], end_event, with_hooks, base_env
                )
            ),
        )
        t0 = time.perf_counter()
        imports_done(with_hooks, before)
        add(
            "SessionEnd: detached import landed (after the hook returned)",
            (time.perf_counter() - t0) * 1000,
        )
        background_done(tmp)
        print(f"round {r + 1}/{args.rounds}: hook processes done", file=sys.stderr)

    if not args.no_claude:
        claude = harness.find_or_install_claude()
        home = tmp / "claude-home"
        home.mkdir()
        with FakeAnthropic(default=REPLY) as server:
            envs = {
                repo: harness.claude_env(home, repo, server.url, extra=base_env_subset(base_env))
                for repo in (with_hooks, without)
            }
            for r in range(args.rounds):
                for label, repo in (("with hooks", with_hooks), ("without hooks", without)):
                    env = envs[repo]
                    log = repo / ".contextfs" / "local" / "hooks.log"
                    before = import_lines(log)
                    ms = timed(lambda e=env, d=repo: harness.run_claude_print(claude, "how?", e, d))
                    add(f"`claude -p` end to end, {label}", ms)
                    if repo == with_hooks:
                        imports_done(repo, before)
                        background_done(tmp)
                    before = import_lines(log)
                    ready, gone = tui_round(claude, env, repo)
                    add(f"TUI start to ready prompt, {label}", ready)
                    add(f"TUI `/exit` to process gone, {label}", gone)
                    if repo == with_hooks:
                        imports_done(repo, before)
                        background_done(tmp)
                print(f"round {r + 1}/{args.rounds}: claude done", file=sys.stderr)

    load = os.getloadavg()
    print(
        f"\nclaude {harness.pinned_claude_version()}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"{'case':66} {'p50 ms':>8} {'p95 ms':>8} {'min ms':>8}   n")
    for name, xs in results.items():
        print(f"{name:66} {stats(xs)}")
    for name, xs in results.items():
        if name.endswith(", with hooks"):
            ys = results[name.replace(", with hooks", ", without hooks")]
            diffs = [a - b for a, b in zip(xs, ys, strict=True)]
            print(
                f"added by the hooks, {name[: -len(', with hooks')]}: median of the rounds' "
                f"differences {statistics.median(diffs):+.1f} ms"
            )
    log = (with_hooks / ".contextfs" / "local" / "hooks.log").read_text()
    failed = [ln for ln in log.splitlines() if ": failed" in ln or ": gave up" in ln]
    print(f"hook runs that failed open or ran out of their budget: {len(failed)}")
    for line in failed[:5]:
        print("  " + line)
    shutil.rmtree(tmp, ignore_errors=True)


def base_env_subset(env: dict[str, str]) -> dict[str, str]:
    return {
        k: env[k]
        for k in (
            "CTX_DATA_DIR",
            "CTX_CACHE_DIR",
            "CTX_CONFIG_DIR",
            "GIT_AUTHOR_NAME",
            "GIT_AUTHOR_EMAIL",
        )
    }


if __name__ == "__main__":
    main()
