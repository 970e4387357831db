"""Benchmark of the `ctx wrap` pty proxy (DESIGN.md §5, capture bar).

1. Throughput: `cat BIGFILE` (>= 100 MB, generated in a temp dir) through
   - util-linux `script -q -c 'cat BIGFILE' /dev/null` (the reference),
   - the proxy in its own process with the crash-safe journal (what `ctx wrap` does),
   - the proxy with no recording at all,
   each with stdout to /dev/null, interleaved over several repetitions; MB/s of the
   file's size over the process's wall time (start-up included, as a user would see it),
   and the CPU time of the process tree (which other load on the machine disturbs less).
   Target: proxy with journal >= 0.8x script.
2. Keystroke-to-echo latency: a child in raw mode echoes every byte; the round trip of one
   key through an outer pty, directly and through the proxy; p50/p95 in ms and the difference.

Run: /tmp/venv/bin/python bench/bench_wrap.py [--mb 100] [--reps 5] [--keys 300]
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROXY = [sys.executable, "-m", "ctx.capture.pty_proxy"]
ECHO_CHILD = (
    "import os, sys, tty\n"
    "tty.setraw(0)\n"
    "os.write(1, b'READY')\n"
    "while True:\n"
    "    b = os.read(0, 1024)\n"
    "    if not b or b'q' in b:\n"
    "        break\n"
    "    os.write(1, b)\n"
)


def make_bigfile(path: Path, mb: int) -> int:
    """Printable lines (base64 of random bytes), like a huge log."""
    target = mb * 1_000_000
    block = base64.encodebytes(os.urandom(3 * 1024 * 1024))  # ~4 MB of 76-char lines
    with open(path, "wb") as f:
        written = 0
        while written < target:
            f.write(block)
            written += len(block)
    return path.stat().st_size


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system) of the whole process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.devnull, "rb") as devin, open(os.devnull, "wb") as devout:
        t = time.perf_counter()
        subprocess.run(cmd, stdin=devin, stdout=devout, check=True, env=env, cwd=REPO)
        wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def throughput(tmp: Path, mb: int, reps: int) -> dict[str, list[float]]:
    big = tmp / "big.txt"
    size = make_bigfile(big, mb)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    print(f"throughput: cat of {size / 1e6:.0f} MB, {reps} interleaved repetitions each")
    results: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    for i in range(reps):
        journal = tmp / f"run{i}.ctxj"
        typescript = tmp / f"run{i}.typescript"
        runs = {
            "script": ["script", "-q", "-c", f"cat {big}", "/dev/null"],
            "proxy+journal": [*PROXY, "--journal", str(journal), "--", "cat", str(big)],
            "proxy (no record)": [*PROXY, "--", "cat", str(big)],
            "script > file": ["script", "-q", "-c", f"cat {big}", str(typescript)],
        }
        for name, cmd in runs.items():
            wall, cpu = timed(cmd, env)
            results.setdefault(name, []).append(size / 1e6 / wall)
            cpus.setdefault(name, []).append(cpu)
        if i == 0:
            check_journal(journal, size)
        journal.unlink(missing_ok=True)
        typescript.unlink(missing_ok=True)
    for name, vals in results.items():
        print(
            f"  {name:18s} median {statistics.median(vals):7.1f} MB/s   "
            f"best {max(vals):7.1f}   all {' '.join(f'{v:.0f}' for v in vals)}   "
            f"CPU {statistics.median(cpus[name]):.2f} s (with cat)"
        )
    ref = results["script"]
    for name in ("proxy+journal", "proxy (no record)"):
        ratio = statistics.median(results[name]) / statistics.median(ref)
        paired = statistics.median(a / b for a, b in zip(results[name], ref, strict=True))
        print(
            f"  ratio {name} / script: {ratio:.2f}x of medians, {paired:.2f}x median of "
            "back-to-back pairs (target >= 0.80)"
        )
    print("  ('script > file' writes its typescript to disk, as the journal does: for context)")
    return results


def check_journal(journal: Path, size: int) -> None:
    sys.path.insert(0, str(REPO))
    from ctx.capture.journal import read_journal

    rec = read_journal(journal)
    got = sum(len(e.data) for e in rec.events if e.code == "o")
    lines = size // 77
    # The pty turns each "\n" into "\r\n" (ONLCR): one extra byte per line.
    ok = rec.complete and abs(got - (size + lines)) <= lines // 10 + 1
    print(f"  (journal check: {got} output bytes recorded, complete={rec.complete}, ok={ok})")


def _read_until(fd: int, want: bytes, timeout: float) -> bytes:
    buf = b""
    deadline = time.monotonic() + timeout
    while want not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"waited for {want!r}, got {buf[-200:]!r}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            buf += os.read(fd, 65536)
    return buf


def latency(argv_prefix: list[str], keys: int) -> list[float]:
    """Round trips (ms) of single keys through an outer pty to the echo child."""
    master, slave = os.openpty()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [*argv_prefix, sys.executable, "-c", ECHO_CHILD],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=REPO,
        start_new_session=True,
    )
    os.close(slave)
    try:
        _read_until(master, b"READY", 20)
        time.sleep(0.2)
        samples = []
        for i in range(keys):
            key = bytes([ord("a") + i % 16])
            t = time.perf_counter()
            os.write(master, key)
            _read_until(master, key, 5)
            samples.append((time.perf_counter() - t) * 1000)
            time.sleep(0.003)
        os.write(master, b"q")
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return samples


def pct(vals: list[float], p: float) -> float:
    s = sorted(vals)
    return s[min(len(s) - 1, int(p * len(s)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=100, help="size of the file to cat (MB, >= 100)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--keys", type=int, default=300)
    args = ap.parse_args()
    if not shutil.which("script"):
        print("util-linux `script` is required", file=sys.stderr)
        return 1
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="ctx-bench-wrap-") as tmp:
        throughput(Path(tmp), args.mb, args.reps)
        direct = latency([], args.keys)
        proxied = latency([*PROXY, "--journal", str(Path(tmp) / "lat.ctxj"), "--"], args.keys)
    print(f"keystroke-to-echo latency, {args.keys} keys:")
    for name, vals in (("direct pty", direct), ("through proxy", proxied)):
        print(f"  {name:14s} p50 {pct(vals, 0.5):6.3f} ms   p95 {pct(vals, 0.95):6.3f} ms")
    print(
        f"  added by the proxy: p50 {pct(proxied, 0.5) - pct(direct, 0.5):+.3f} ms, "
        f"p95 {pct(proxied, 0.95) - pct(direct, 0.95):+.3f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
