"""Benchmark of `ctx wrap` as a user runs it (DESIGN.md §5, capture bar).

1. Throughput of the WHOLE command, start to exit (Python start-up, opening the store, the
   run, building the turns, storing the session): `ctx wrap -q -- cat BIGFILE` against
   util-linux `script -q -c 'cat BIGFILE' /dev/null` on the same >= 100 MB file, and against
   `script` keeping its typescript in a file (its default; like for like, since ctx keeps its
   journal), interleaved, in one run, in two settings:
   - output to /dev/null (stdin /dev/null too);
   - output to a terminal: a pty this script opens and drains (the command's controlling
     terminal, stdin/stdout/stderr all on it), as an interactive user runs it.
   Reported: wall seconds, and the ratio script/ctx (>= 0.80 is the bar), as the median of
   back-to-back pairs and as the ratio of medians. The asciicast conversion of a huge
   recording runs after ctx has exited (in the background): it is waited for between runs,
   so it never overlaps the next one, and its duration is reported separately.
2. Keystroke-to-echo latency: a child in raw mode echoes every byte; the round trip of one
   key through an outer pty, directly and through `ctx wrap`; p50/p95 in ms.

Run: .venv/bin/python bench/bench_wrap.py [--mb 100] [--reps 5] [--keys 300]
     [--to both|terminal|devnull] [--baseline REV]  (REV: ctx as it was then, same rounds)
"""

from __future__ import annotations

import argparse
import base64
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CTX = [sys.executable, "-m", "ctx"]
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


def compile_ctx() -> None:
    """Compile ctx's bytecode once, as an installed ctx has it (pip compiles at install; an
    editable install under PYTHONDONTWRITEBYTECODE would compile every module on every run)."""
    import compileall

    compileall.compile_dir(str(REPO / "ctx"), quiet=1)


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


def make_store(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*CTX, "init"], cwd=repo, check=True, capture_output=True)
    return repo


def cpu_children() -> float:
    """CPU seconds (user + system) of all waited-for children so far."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_devnull(cmd: list[str], cwd: Path) -> float:
    with open(os.devnull, "rb") as devin, open(os.devnull, "wb") as devout:
        t = time.perf_counter()
        subprocess.run(cmd, stdin=devin, stdout=devout, check=True, cwd=cwd)
        return time.perf_counter() - t


def _controlling_tty() -> None:
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def on_terminal(cmd: list[str], slave: int, cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``cmd`` with the pty ``slave`` as its controlling terminal (all three streams)."""
    return subprocess.Popen(
        cmd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        start_new_session=True,
        preexec_fn=_controlling_tty,
    )


def run_terminal(cmd: list[str], cwd: Path) -> float:
    """Wall time of ``cmd`` with a fresh pty as its terminal, everything it shows drained."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    shown = [0]

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 1 << 20)
            except OSError:
                return
            if not data:
                return
            shown[0] += len(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    t = time.perf_counter()
    proc = on_terminal(cmd, slave, cwd)
    proc.wait()
    wall = time.perf_counter() - t
    os.close(slave)
    reader.join(30)
    os.close(master)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} exited {proc.returncode}")
    return wall


def wait_background(recordings: Path) -> float:
    """Seconds until no recording is still being converted (``*.journal`` gone)."""
    t = time.perf_counter()
    while any(recordings.glob("*.journal")):
        time.sleep(0.05)
    return time.perf_counter() - t


def baseline_tree(rev: str, into: Path) -> Path:
    """ctx's package as it was at git revision ``rev``, compiled, to put first on PYTHONPATH."""
    into.mkdir(parents=True)
    tar = subprocess.run(
        ["git", "archive", rev, "ctx"], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar, check=True)
    import compileall

    compileall.compile_dir(str(into / "ctx"), quiet=1)
    return into


def throughput(
    tmp: Path, mb: int, reps: int, wheres: tuple[str, ...], base: str | None = None
) -> None:
    big = tmp / "big.txt"
    size = make_bigfile(big, mb)
    repo = make_store(tmp)
    recordings = repo / ".contextfs" / "local" / "recordings"
    print(f"throughput: the whole command on a {size / 1e6:.0f} MB file, {reps} interleaved reps")
    typescript = tmp / "typescript"
    script = ["script", "-q", "-c", f"cat {big}", "/dev/null"]
    # like for like: script keeping its recording (its default), as ctx keeps its journal
    script_file = ["script", "-q", "-c", f"cat {big}", str(typescript)]
    ctx = [*CTX, "wrap", "-q", "--", "cat", str(big)]
    contenders = [("script", script), ("script, file", script_file), ("ctx wrap", ctx)]
    if base:  # the same command as ctx was at another revision, in the same rounds
        old = baseline_tree(base, tmp / "baseline")
        contenders.append((f"ctx@{base[:8]}", ["env", f"PYTHONPATH={old}", *ctx]))
    runners = {"/dev/null": run_devnull, "terminal": run_terminal}
    times: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    background: list[float] = []
    for _ in range(reps):
        for where in wheres:
            for name, cmd in contenders:
                cpu = cpu_children()
                times.setdefault(f"{name} > {where}", []).append(runners[where](cmd, repo))
                cpus.setdefault(f"{name} > {where}", []).append(cpu_children() - cpu)
                typescript.unlink(missing_ok=True)
                if name.startswith("ctx"):
                    waited = wait_background(recordings)
                    if name == "ctx wrap":
                        background.append(waited)
    for name, vals in times.items():
        print(
            f"  {name:22s} median {statistics.median(vals):6.2f} s   "
            f"all {' '.join(f'{v:.2f}' for v in vals)}   "
            f"({size / 1e6 / statistics.median(vals):.0f} MB/s)   "
            f"CPU {statistics.median(cpus[name]):.2f} s"
        )
    for where in wheres:
        for ours_name in [n for n, _ in contenders if n.startswith("ctx")]:
            for ref_name in ("script", "script, file"):
                ref, ours = times[f"{ref_name} > {where}"], times[f"{ours_name} > {where}"]
                medians = statistics.median(ref) / statistics.median(ours)
                pairs = statistics.median(a / b for a, b in zip(ref, ours, strict=True))
                print(
                    f"  ratio {ref_name}/{ours_name}, output to {where}: {medians:.2f}x of "
                    f"medians, {pairs:.2f}x median of back-to-back pairs (target >= 0.80)"
                )
    print(
        f"  asciicast conversion after exit (background): median "
        f"{statistics.median(background):.2f} s"
    )
    check_session(repo, size)


def check_session(repo: Path, size: int) -> None:
    """The committed transcript of the last run is bounded; the recording holds it all."""
    listed = subprocess.run(
        [*CTX, "sessions", "list", "--json"], cwd=repo, capture_output=True, text=True
    )
    import json

    sid = json.loads(listed.stdout)[0]["id"]
    committed = sum(p.stat().st_size for p in (repo / ".contextfs" / "sessions" / sid).iterdir())
    cast = repo / ".contextfs" / "local" / "recordings" / f"{sid}.cast"
    print(
        f"  committed transcript of one run: {committed:,} bytes; "
        f"local recording {cast.stat().st_size:,} bytes (output {size:,} bytes + escaping)"
    )


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


def latency(argv_prefix: list[str], keys: int, cwd: Path) -> list[float]:
    """Round trips (ms) of single keys through an outer pty to the echo child."""
    master, slave = os.openpty()
    proc = on_terminal([*argv_prefix, sys.executable, "-c", ECHO_CHILD], slave, cwd)
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
    ap.add_argument("--keys", type=int, default=300, help="0: no latency measurement")
    ap.add_argument(
        "--to", choices=("both", "terminal", "devnull"), default="both", help="output to"
    )
    ap.add_argument("--baseline", metavar="REV", help="also time ctx as it was at REV")
    args = ap.parse_args()
    wheres = {"both": ("/dev/null", "terminal"), "terminal": ("terminal",)}.get(
        args.to, ("/dev/null",)
    )
    compile_ctx()
    if not shutil.which("script"):
        print("util-linux `script` is required", file=sys.stderr)
        return 1
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="ctx-bench-wrap-") as tmp:
        throughput(Path(tmp), args.mb, args.reps, wheres, args.baseline)
        if not args.keys:
            return 0
        repo = Path(tmp) / "repo"
        direct = latency([], args.keys, repo)
        proxied = latency([*CTX, "wrap", "-q", "--"], args.keys, repo)
    print(f"keystroke-to-echo latency, {args.keys} keys:")
    for name, vals in (("direct pty", direct), ("through ctx wrap", proxied)):
        print(f"  {name:14s} p50 {pct(vals, 0.5):6.3f} ms   p95 {pct(vals, 0.95):6.3f} ms")
    print(
        f"  added by ctx wrap: p50 {pct(proxied, 0.5) - pct(direct, 0.5):+.3f} ms, "
        f"p95 {pct(proxied, 0.95) - pct(direct, 0.95):+.3f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
