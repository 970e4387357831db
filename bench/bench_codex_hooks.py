"""What ctx's Codex CLI hooks cost the user (results: docs/benchmarks.md).

    python bench/bench_codex_hooks.py [--rounds 5] [--memories 300]

The real Codex CLI (0.171.0) against the fake Responses server (tests/fakes/), in two identical
repositories with the same ctx store: one with `ctx hooks install --agent codex`'s hooks
(trusted by the install, as a user gets them), one without. Each round runs, interleaved so
both sides see the same machine load:

1. the hook processes alone, as Codex runs them (event JSON on stdin): `ctx hook
   codex-session-start` (prints the cached brief) and `codex-session-end` (starts the detached
   import), next to a bare `python -c pass`;
2. `codex exec PROMPT` end to end, start to exit (what the user waits for).

Between runs the bench waits for the detached SessionEnd import to land (outside the timed
part), so background work of one run does not slow the next.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fakes import codex_harness  # noqa: E402
from tests.fakes.responses_server import FakeResponses  # noqa: E402

CTX_EXE = Path(sys.executable).parent / "ctx"


def make_repo(path: Path, memories: int) -> None:
    from ctx.store.project import Project

    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    project = Project.open(path, require_store=False)
    project.init()
    project = Project.open(path)
    for i in range(memories):
        project.add_memory(f"Decision {i}: service {i} uses queue q{i % 7}", "decision", ["b"])


def timed(argv: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> float:
    t = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=True)
    return time.perf_counter() - t


def sessions(path: Path) -> int:
    return len(list((path / ".contextfs" / "sessions").rglob("*.jsonl")))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--memories", type=int, default=300)
    args = ap.parse_args()
    binary = codex_harness.find_or_install_codex()
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(
        prefix="bench-codex-hooks-", ignore_cleanup_errors=True
    ) as tmp:
        base = Path(tmp)
        plain, hooked = base / "plain", base / "hooked"
        make_repo(plain, args.memories)
        make_repo(hooked, args.memories)
        with FakeResponses(default="Noted.") as server:
            env = codex_harness.codex_env(base / "home", server.base_url)
            cfg = base / "home" / ".codex" / "config.toml"
            trust = "".join(
                f'\n[projects."{p}"]\ntrust_level = "trusted"\n' for p in (plain, hooked)
            )
            cfg.write_text(cfg.read_text() + trust)
            subprocess.run(
                [str(CTX_EXE), "hooks", "install", "--agent", "codex"],
                cwd=hooked, env=env, check=True, capture_output=True,
            )  # fmt: skip
            event = json.dumps(
                {"session_id": "x", "cwd": str(hooked), "transcript_path": None,
                 "hook_event_name": "SessionStart", "source": "startup"}
            )  # fmt: skip
            for _ in range(args.rounds):
                for name, argv, stdin in (
                    ("python -c pass", [sys.executable, "-c", "pass"], ""),
                    ("hook codex-session-start", [str(CTX_EXE), "hook", "codex-session-start"],
                     event),
                    ("hook codex-session-end", [str(CTX_EXE), "hook", "codex-session-end"], event),
                ):  # fmt: skip
                    results.setdefault(name, []).append(timed(argv, hooked, env, stdin))
                for label, repo in (
                    ("codex exec, no hooks", plain),
                    ("codex exec, ctx hooks", hooked),
                ):
                    before = sessions(repo)
                    results.setdefault(label, []).append(
                        timed([str(binary), "exec", "hello"], repo, env)
                    )
                    if repo == hooked:  # wait for the detached import, outside the timing
                        end = time.monotonic() + 60
                        while sessions(repo) <= before and time.monotonic() < end:
                            time.sleep(0.1)
    print(f"rounds={args.rounds} memories={args.memories} codex={binary}")
    for name, xs in results.items():
        med, low = statistics.median(xs) * 1000, min(xs) * 1000
        print(f"{name:28} median {med:7.0f} ms   min {low:7.0f} ms")
    a = statistics.median(results["codex exec, ctx hooks"])
    b = statistics.median(results["codex exec, no hooks"])
    print(f"codex exec with/without ctx hooks: {a / b:.2f}x ({(a - b) * 1000:+.0f} ms)")


if __name__ == "__main__":
    main()
