"""A 5 MB paste, then `ctx search`: when the first progress line appears, how long the whole
search takes, what an interrupted (Ctrl-C) run leaves for the next, and `ctx index` when current.

    python bench/bench_big_paste.py [--mb 5] [--interrupt-at 8]

Runs the real `ctx` of this checkout in a fresh repository and home (temporary), with the test
model (../shared/models/all-MiniLM-L6-v2-onnx). The paste is Python's own standard library
source, so the chunks are code-dense like a pasted log or file.
"""

from __future__ import annotations

import argparse
import glob
import os
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2-onnx"
CTX = str(Path(sys.executable).with_name("ctx"))


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str],
    stdin: Path | None = None,
    interrupt_at: float | None = None,
) -> tuple[float, int, list[tuple[float, str]]]:
    """Seconds, exit code, and each stderr line with the second it arrived."""
    t0 = time.monotonic()
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115
    p = subprocess.Popen(
        [CTX, *args],
        cwd=cwd,
        env=env,
        stdin=fin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[tuple[float, str]] = []

    def read() -> None:
        assert p.stderr is not None
        for line in p.stderr:
            lines.append((time.monotonic() - t0, line.rstrip()))

    th = threading.Thread(target=read)
    th.start()
    if interrupt_at is not None:
        try:
            p.wait(timeout=interrupt_at)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)
    p.wait()
    th.join()
    return time.monotonic() - t0, p.returncode, lines


def paste(size: int, path: Path) -> None:
    out, n = [], 0
    for f in sorted(glob.glob(sysconfig.get_paths()["stdlib"] + "/**/*.py", recursive=True)):
        text = Path(f).read_text(errors="replace")
        out.append(text)
        n += len(text.encode())
        if n > size * 1.1:
            break
    path.write_bytes("".join(out).encode()[:size].decode("utf-8", "ignore").encode())


def report(name: str, r: tuple[float, int, list[tuple[float, str]]]) -> None:
    seconds, code, lines = r
    first = next((t for t, line in lines if line.startswith(("indexing", "\r"))), None)
    shown = f", first progress line at {first:.1f} s" if first is not None else ""
    print(f"| {name} | {seconds:.1f} s{shown} | exit {code} |")
    for t, line in lines[:8]:
        print(f"|   | {t:6.1f} s | `{line[:100]}` |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--interrupt-at", type=float, default=8.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home, repo, big = Path(tmp) / "home", Path(tmp) / "repo", Path(tmp) / "paste.txt"
        repo.mkdir()
        env = dict(os.environ, HOME=str(home), CTX_EMBED_MODEL_PATH=str(MODEL))
        for var in ("CTX_CONFIG_DIR", "CTX_CACHE_DIR", "CTX_DATA_DIR"):
            env[var] = str(home / var.lower())
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        paste(int(args.mb * 1_000_000), big)
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
        print("| step | time | |\n|---|---|---|")
        run(["init"], repo, env)
        report("first search (model load, int8 copy)", run(["search", "warm up"], repo, env))
        run(["capture", "--title", "paste"], repo, env)
        report(f"`ctx append` of {args.mb:g} MB", run(["append", "-"], repo, env, stdin=big))
        run(["complete"], repo, env)
        q = ["search", "subprocess pipe timeout"]
        report(
            f"`ctx search`, Ctrl-C at {args.interrupt_at:g} s",
            run(q, repo, env, interrupt_at=args.interrupt_at),
        )
        report("`ctx search` again (resumes)", run(q, repo, env))
        report("`ctx index` when current", run(["index"], repo, env))
        report("`ctx search`, index current", run(q, repo, env))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
