"""Throughput of secret redaction (ctx.privacy) on clean and secret-dense text.

    python bench/bench_redact.py [--mb 20] [--compare-detect-secrets] [--baseline REV]

Prints MB/s (wall clock and CPU time: on a busy machine the CPU figure is the stable one) for:
- ``transcript``: a transcript-like mix with no secret (prose, real Python source from the
  running interpreter's standard library, git/test/tool output, look-alikes);
- ``lookalikes``: only the look-alike corpus (identifiers, placeholders, hashes, base64 images),
  the worst case for the context rules;
- ``dense``: roughly every other line carries a secret.

``--baseline REV`` loads ``ctx/privacy`` as it was at git revision REV next to the current one and
times both on the same texts in the same run (side by side, alternating), so a rule change shows
its cost as a ratio.

``--compare-detect-secrets`` also runs Yelp's detect-secrets (if importable) line by line on a
smaller sample, reports its speed, and counts its findings on the look-alikes and its misses on
the secret corpus, next to ours. The numbers are recorded in docs/privacy.md.
"""

from __future__ import annotations

import argparse
import importlib
import random
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ctx.privacy import contains_secret, find_secrets, redact  # noqa: E402
from tests.data.secrets_corpus import LOOKALIKES, SECRET_CASES, clean_text, dense_text  # noqa: E402

_LOG_LINES = (
    "PASSED tests/test_store.py::test_append_is_atomic[{n}]",
    "commit {sha}\nAuthor: Dev <dev@example.com>\nDate:   Sat Nov 21 14:42:{n:02d} 2026",
    "{sha7} Refactor the index writer ({n} files changed)",
    "-rw-r--r--  1 dev  staff  {n}  Nov 21 14:42 src/ctx/store/file_{n}.py",
    '{{"type": "tool_result", "id": "toolu_{n}", "is_error": false, "lines": {n}}}',
    "@@ -{n},7 +{n},9 @@ def load(self, path: Path) -> None:",
)
_PROSE = (
    "I looked at the failing test: the fixture writes the journal before the lock is taken, "
    "so a second writer can interleave. The fix is to take the lock first and to fsync the "
    "directory after the rename. Let me make that change and run the suite again.",
    "The search results look right now. Hybrid mode ranks the decision about RS256 first, the "
    "keyword-only run puts it third because the memory says 'signing algorithm' instead.",
    "Sure. Here is the plan: (1) read the config, (2) migrate the old layout, (3) rebuild the "
    "index, and (4) report what changed. I will not touch the user's global settings.",
)


def _stdlib_code(limit: int) -> list[str]:
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    out: list[str] = []
    size = 0
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        out.append(text)
        size += len(text)
        if size >= limit:
            break
    return out


def transcript_text(size: int, seed: int = 0) -> str:
    """Prose, code blocks, tool output and a few look-alikes, like a coding session."""
    rng = random.Random(seed)
    code = _stdlib_code(4_000_000)
    parts: list[str] = []
    n = 0
    while n < size:
        roll = rng.random()
        if roll < 0.35:
            piece = rng.choice(_PROSE)
        elif roll < 0.70:
            src = rng.choice(code)
            start = rng.randrange(max(1, len(src) - 3000))
            piece = "```python\n" + src[start : start + rng.randrange(500, 3000)] + "\n```"
        elif roll < 0.95:
            sha = "".join(rng.choice("0123456789abcdef") for _ in range(40))
            piece = rng.choice(_LOG_LINES).format(n=rng.randrange(100), sha=sha, sha7=sha[:7])
        else:
            piece = rng.choice(LOOKALIKES)
        parts.append(piece)
        n += len(piece) + 1
    return "\n".join(parts)


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench(name: str, text: str, repeat: int = 3) -> None:
    mb = len(text.encode("utf-8", "surrogatepass")) / 1e6
    runs = [_timed(lambda: redact(text)) for _ in range(repeat)]
    wall = min(r[0] for r in runs)
    cpu = min(r[1] for r in runs)
    n = len(find_secrets(text))
    print(
        f"{name:11} {mb:6.1f} MB  {mb / wall:7.1f} MB/s wall  {mb / cpu:7.1f} MB/s cpu  {n} secrets"
    )


def load_baseline(rev: str) -> Callable[[str], str]:
    """``redact`` from ``ctx/privacy`` at git revision ``rev``, imported as its own package."""
    tmp = Path(tempfile.mkdtemp(prefix="ctx-privacy-base-"))
    pkg = tmp / "_ctx_privacy_base"
    pkg.mkdir()
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{rev}:ctx/privacy"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in names:
        src = subprocess.run(
            ["git", "show", f"{rev}:ctx/privacy/{name}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (pkg / name).write_text(src.replace("ctx.privacy", "_ctx_privacy_base"))
    sys.path.insert(0, str(tmp))
    return importlib.import_module("_ctx_privacy_base.secrets").redact  # type: ignore[no-any-return]


def side_by_side(name: str, text: str, base: Callable[[str], str], repeat: int = 3) -> None:
    mb = len(text.encode("utf-8", "surrogatepass")) / 1e6
    old: list[float] = []
    new: list[float] = []
    for _ in range(repeat):
        old.append(_timed(lambda: base(text))[1])
        new.append(_timed(lambda: redact(text))[1])
    o, n = mb / min(old), mb / min(new)
    print(f"{name:11} {mb:6.1f} MB  baseline {o:7.1f} MB/s cpu  now {n:7.1f} MB/s cpu", end="")
    print(f"  ratio {n / o:.2f}")


def compare_detect_secrets(sample_mb: float) -> None:
    """Speed and accuracy of detect-secrets (default plugins and filters) next to ours."""
    try:
        from detect_secrets.core.scan import scan_file
        from detect_secrets.settings import default_settings
    except ImportError:
        print("detect-secrets is not importable here; skipped")
        return

    def ds_values(text: str) -> list[str]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "turn.txt"
            path.write_text(text)
            return [s.secret_value or "" for s in scan_file(str(path))]

    def ds_hit(secret: str, text: str) -> bool:
        return any(len(v) >= 8 and (v in secret or secret in v) for v in ds_values(text))

    with default_settings():
        sample = transcript_text(int(sample_mb * 1e6), seed=3)
        mb = len(sample.encode()) / 1e6
        wall, cpu = _timed(lambda: ds_values(sample))
        print(f"detect-secrets on transcript: {mb / wall:.2f} MB/s wall, {mb / cpu:.2f} MB/s cpu")
        wall, cpu = _timed(lambda: redact(sample))
        print(f"ctx.privacy    on transcript: {mb / wall:.1f} MB/s wall, {mb / cpu:.1f} MB/s cpu")
        fp = sum(1 for text in LOOKALIKES if ds_values(text))
        ours_fp = sum(1 for text in LOOKALIKES if contains_secret(text))
        print(f"look-alikes flagged (of {len(LOOKALIKES)}): ", end="")
        print(f"detect-secrets {fp}, ctx.privacy {ours_fp}")
        missed = [c.rule for c in SECRET_CASES if not ds_hit(c.secret, c.text)]
        ours_missed = [c.rule for c in SECRET_CASES if c.secret in redact(c.text)]
        print(f"secret cases missed (of {len(SECRET_CASES)}): ", end="")
        print(f"detect-secrets {len(missed)}, ctx.privacy {len(ours_missed)}")
        print("  detect-secrets misses:", ", ".join(sorted(set(missed))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0, help="size of the clean texts in MB")
    ap.add_argument("--compare-detect-secrets", action="store_true")
    ap.add_argument("--sample-mb", type=float, default=0.5, help="detect-secrets sample size")
    ap.add_argument("--baseline", metavar="REV", help="also time ctx/privacy at this revision")
    args = ap.parse_args()
    size = int(args.mb * 1e6)
    if args.baseline:
        base = load_baseline(args.baseline)
        side_by_side("transcript", transcript_text(size), base)
        side_by_side("lookalikes", clean_text(size), base)
        side_by_side("dense", dense_text(max(1, size // 4)), base)
        return
    bench("transcript", transcript_text(size))
    bench("lookalikes", clean_text(size))
    bench("dense", dense_text(max(1, size // 4)))
    small = transcript_text(4000, seed=9)
    wall, _ = _timed(lambda: [redact(small) for _ in range(1000)])
    print(f"small turn  {len(small)} chars: {wall * 1000:.0f} us per call (wall)")
    if args.compare_detect_secrets:
        compare_detect_secrets(args.sample_mb)


if __name__ == "__main__":
    main()
