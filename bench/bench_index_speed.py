"""Indexing throughput with embeddings computed: int8 against float32, side by side.

Fresh synthetic coding-session turns (never in any cache) go through the product's
SearchIndex.upsert: chunking, FTS5, embedding, sqlite-vec. Rounds alternate between the
precisions so that a busy machine slows both alike; the ratio is the robust figure.

    python bench/bench_index_speed.py [--turns 2000] [--rounds 3] [--model-path DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_search_scale import corpus  # noqa: E402

from ctx.search import SearchIndex  # noqa: E402
from ctx.search.embed import try_load_embedder  # noqa: E402

DEFAULT_MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2-onnx"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--turns", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model-path", type=Path, default=DEFAULT_MODEL)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ctx-bench-speed-") as tmp:
        os.environ["CTX_CACHE_DIR"] = str(Path(tmp) / "cache")  # the int8 copy is made here
        embedders = {}
        for precision in ("int8", "fp32"):
            emb, reason = try_load_embedder(
                model_path=args.model_path, precision=precision, quiet=True
            )
            if emb is None or emb.precision != precision:
                print(f"cannot load the {precision} model: {reason}", file=sys.stderr)
                return 1
            embedders[precision] = emb
        rates: dict[str, list[float]] = {p: [] for p in embedders}
        for r in range(args.rounds):
            for precision, emb in embedders.items():
                docs = corpus(args.turns, seed=1000 + r, salt=f"speed-{precision}-{r}-")
                idx = SearchIndex(Path(tmp) / f"{precision}-{r}.db", emb, embedding_cache=None)
                t = time.perf_counter()
                idx.upsert(docs)
                rates[precision].append(len(docs) / (time.perf_counter() - t))
                idx.close()
    load = os.getloadavg()[0]
    print(f"## Indexing with embeddings computed ({os.cpu_count()} cores, load {load:.1f})\n")
    print("| precision | turns/s per round | median |")
    print("|---|---|---|")
    for precision, rs in rates.items():
        print(
            f"| {precision} | {', '.join(f'{x:.0f}' for x in rs)} | {statistics.median(rs):.0f} |"
        )
    ratio = statistics.median(rates["int8"]) / statistics.median(rates["fp32"])
    print(f"\nint8 / fp32: {ratio:.2f}x ({args.turns} turns per round, {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
