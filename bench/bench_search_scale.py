"""Search at scale: synthetic sessions of 10,000 and 100,000 turns.

Measures, through the product's SearchIndex:
- bulk indexing time (vectors come from the embedding cache after the first run),
- incremental indexing throughput of NEW sessions into the large index, with embeddings
  computed by the model (fresh text, never cached): the ≥ 300 turns/s target,
- warm query latency p50/p95 over 100 distinct queries, query embedding included, for
  the one-off path (sqlite-vec KNN) and the long-running-process path (in-memory vectors),
- cold search: a new process opens the index, loads the model and runs one query,
- index size on disk.

    python bench/bench_search_scale.py [--sizes 10000,100000] [--model-path DIR] [--precision P]

The corpus is generated from templates and a vocabulary (deterministic, seeded), so text
varies in length, wording, identifiers, paths and error messages like real coding
sessions. Generated embeddings are cached under --cache-dir so reruns take seconds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ctx.search import IndexDoc, SearchFilters, SearchIndex  # noqa: E402
from ctx.search.embed import EmbeddingCache, FastEmbedEmbedder, try_load_embedder  # noqa: E402

DEFAULT_MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2-onnx"
DAY = 86400.0


def _v(s: str) -> list[str]:
    """Vocabulary from a multi-line string, entries separated by '|' or new lines."""
    return [w.strip() for w in re.split(r"[|\n]", s) if w.strip()]


COMPONENTS = _v(
    """auth service|payment webhook|CI pipeline|database migration|cache layer|search index|
frontend router|session store|rate limiter|email worker|billing report|feature flags|
admin dashboard|
upload handler|image resizer|notification queue|audit log|GraphQL gateway|websocket server|
cron scheduler|
config loader|metrics exporter|user profile page|checkout flow|invoice generator|retry policy|
permission model|onboarding wizard|API client|CLI parser|log shipper|backup job|test fixtures|
docker build|helm chart|load balancer|DNS setup|TLS certificates|secrets manager|SSO integration|
mobile sync|offline mode|dark mode toggle|i18n bundle|analytics events|A/B test framework|
recommendation model|fraud detector|PDF renderer|markdown parser|diff viewer|code formatter"""
)
TECH = _v(
    """PostgreSQL|Redis|Kafka|Docker|Kubernetes|React|TypeScript|Rust|Go|Django|FastAPI|
Celery|RabbitMQ|Elasticsearch|SQLite|Terraform|GitHub Actions|nginx|gRPC|protobuf|Webpack|Vite|
pytest|Jest|Playwright|OpenTelemetry|Prometheus|Grafana|S3|Lambda|DynamoDB|Mongo|Next.js|Svelte|
Tailwind|Pydantic|SQLAlchemy|Alembic|uvicorn|gunicorn"""
)
VERBS = _v(
    """refactor|fix|speed up|add tests for|document|review|migrate|split|simplify|instrument|
harden|rewrite|debug|profile|rename|deprecate|cache|paginate|validate|parallelise"""
)
PROBLEMS = _v(
    """times out under load|returns a 500 on empty input|leaks memory after a few hours|
double-charges when the request is retried|drops messages on restart|is flaky on CI|
ignores the locale header|deadlocks with two writers|breaks on Windows paths|
logs secrets in plain text|is slow on large accounts|crashes when the token expires|
misses the last page of results|uses the wrong timezone|rejects valid UTF-8 names"""
)
CAUSES = _v(
    """a missing index on the foreign key|an off-by-one in the cursor|
the connection pool being too small|
a race between the two consumers|stale entries in the cache|the default timeout of 5 seconds|
an unawaited coroutine|the retry decorator swallowing the error|N+1 queries in the serializer|
a regex that backtracks|float rounding in the totals|a mutable default argument|
the lock being taken twice|an unbounded queue|string comparison of version numbers"""
)
WORDS = _v(
    """user|account|token|header|config|request|response|error|value|cache|key|index|query
table|column|schema|event|message|queue|worker|job|task|retry|limit|timeout|batch|page|cursor
file|path|module|package|build|test|fixture|mock|client|server|handler|route|view|model|field
record|entry|item|list|map|set|group|role|permission|policy|rule|check|state|status|flag
option|setting|env|secret|cert|key|hash|sign|verify|parse|load|save|read|write|send|fetch"""
)
ERRORS = [
    "TypeError: 'NoneType' object is not subscriptable",
    "KeyError: 'user_id'",
    "sqlalchemy.exc.IntegrityError: duplicate key value violates unique constraint",
    "ConnectionResetError: [Errno 104] Connection reset by peer",
    "RecursionError: maximum recursion depth exceeded",
    "ValueError: invalid literal for int() with base 10",
    "TimeoutError: operation timed out after 30s",
    "panic: runtime error: index out of range [3] with length 3",
    "Uncaught TypeError: Cannot read properties of undefined (reading 'map')",
    "error[E0502]: cannot borrow `self` as mutable because it is also borrowed as immutable",
]
TOOLS = ["claude", "aider", "codex", "shell"]
AUTHORS = ["alice", "bob", "carol", "dmitri", "eun-ji", "farah", "gus", "hana"]
BRANCHES = ["main", "develop", "feature/billing", "fix/webhook", "release/2.4", "spike/search"]


def ident(rng: random.Random) -> str:
    parts = rng.sample(WORDS, rng.randint(2, 3))
    if rng.random() < 0.3:
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    return "_".join(parts)


def path(rng: random.Random) -> str:
    ext = rng.choice([".py", ".ts", ".go", ".rs", ".tsx", ".sql", ".yaml"])
    return f"src/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{rng.choice(WORDS)}{ext}"


def user_turn(rng: random.Random, topic: str) -> str:
    t = rng.randrange(6)
    if t == 0:
        return f"Can you {rng.choice(VERBS)} the {topic}? It {rng.choice(PROBLEMS)}."
    if t == 1:
        return f"Why does {ident(rng)} in {path(rng)} {rng.choice(PROBLEMS)}?"
    if t == 2:
        return f"I get this when running the {topic} tests:\n{rng.choice(ERRORS)}\nAny idea?"
    if t == 3:
        return (
            f"Should we move the {topic} to {rng.choice(TECH)} or keep {rng.choice(TECH)}? "
            f"The current setup {rng.choice(PROBLEMS)} and the team wants fewer moving parts."
        )
    if t == 4:
        return f"Let's {rng.choice(VERBS)} {ident(rng)} next. Keep the public API stable."
    return "ok, " + rng.choice(["go ahead", "ship it", "looks good", "try the other approach"])


def assistant_turn(rng: random.Random, topic: str) -> str:
    out = [
        f"I looked at {path(rng)}. The {topic} {rng.choice(PROBLEMS)} because of "
        f"{rng.choice(CAUSES)}."
    ]
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        out.append(
            rng.choice(
                [
                    f"I changed {ident(rng)} to {rng.choice(VERBS)} the {rng.choice(WORDS)} "
                    f"before the {rng.choice(WORDS)} is {rng.choice(['sent', 'saved', 'parsed'])}.",
                    f"The fix uses {rng.choice(TECH)} for the {rng.choice(WORDS)} "
                    f"{rng.choice(WORDS)} instead of {rng.choice(TECH)}.",
                    f"Tests in {path(rng)} cover the {rng.choice(WORDS)} and "
                    f"{rng.choice(WORDS)} cases now.",
                    f"Decision: we keep {rng.choice(TECH)} for the {topic}; "
                    f"{rng.choice(CAUSES)} was the real problem, not the library.",
                    "```\n"
                    + "\n".join(
                        f"def {ident(rng)}({rng.choice(WORDS)}): return {rng.choice(WORDS)}"
                        for _ in range(rng.randint(1, 3))
                    )
                    + "\n```",
                ]
            )
        )
    if rng.random() < 0.01:  # occasionally a long explanation (chunked)
        out.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(150, 400))))
    return " ".join(out)


def corpus(n_turns: int, seed: int = 1, salt: str = "") -> list[IndexDoc]:
    rng = random.Random(seed)
    docs: list[IndexDoc] = []
    now = time.time()
    s = 0
    while len(docs) < n_turns:
        sid = f"{salt}sess{seed}-{s:06d}"
        topic = rng.choice(COMPONENTS)
        tool, author, branch = rng.choice(TOOLS), rng.choice(AUTHORS), rng.choice(BRANCHES)
        start = now - rng.uniform(0, 365) * DAY
        for n in range(min(rng.randint(6, 60), n_turns - len(docs))):
            body = user_turn(rng, topic) if n % 2 == 0 else assistant_turn(rng, topic)
            if salt:
                body = f"{body} ({salt}{n})"
            docs.append(
                IndexDoc(
                    doc_id=f"t:{sid}:{n}",
                    kind="turn",
                    text=body,
                    ts=start + n * 60,
                    fingerprint=str(hash(body)),
                    session_id=sid,
                    turn_n=n,
                    role="user" if n % 2 == 0 else "assistant",
                    tool=tool,
                    branch=branch,
                    author=author,
                )
            )
        s += 1
    return docs


def queries(n: int, seed: int = 99) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        t = rng.randrange(5)
        if t == 0:
            q = f"why does the {rng.choice(COMPONENTS)} {rng.choice(PROBLEMS)}"
        elif t == 1:
            q = ident(rng)
        elif t == 2:
            q = path(rng)
        elif t == 3:
            q = rng.choice(ERRORS)
        else:
            q = f"did we decide on {rng.choice(TECH)} for the {rng.choice(COMPONENTS)}"
        if q not in out:
            out.append(q)
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]


def measure_queries(
    idx: SearchIndex, qs: list[str], mode: str, **kw: object
) -> tuple[float, float]:
    times = []
    for q in qs:
        t = time.perf_counter()
        idx.search(q, mode=mode, limit=10, **kw)  # type: ignore[arg-type]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), pct(times, 0.95)


COLD = """
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
from ctx.search import SearchIndex
from ctx.search.embed import try_load_embedder
emb, _ = try_load_embedder(model_path={model!r}, precision={precision!r}, quiet=True)
t1 = time.perf_counter()
idx = SearchIndex({db!r}, emb, embedding_cache=None)
hits = idx.search({q!r}, limit=10)
t2 = time.perf_counter()
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{len(hits)}}")
"""


def run_size(n: int, args: argparse.Namespace, embedder: FastEmbedEmbedder) -> dict[str, Any]:
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    db = work / f"scale-{n}.db"
    for p in work.glob(f"scale-{n}.db*"):
        p.unlink()
    cache = EmbeddingCache(args.cache_dir / "vectors.sqlite")
    idx = SearchIndex(db, embedder, embedding_cache=cache)
    docs = corpus(n)
    print(f"[{n}] indexing {len(docs)} turns ...", file=sys.stderr)
    t = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"    {done}/{total}", file=sys.stderr)

    idx.upsert(docs, progress=progress)
    bulk_s = time.perf_counter() - t
    computed = idx.embedder.computed if idx.embedder else 0

    # Incremental: new sessions, fresh text (never cached), embeddings computed.
    new = corpus(args.incremental, seed=int(time.time()) % 100000, salt=f"new{time.time_ns()}-")
    t = time.perf_counter()
    idx.upsert(new)
    inc_s = time.perf_counter() - t
    inc_rate = len(new) / inc_s

    qs = queries(args.queries)
    idx.vs.auto_mirror = False  # type: ignore[union-attr]
    measure_queries(idx, qs[:5], "hybrid")  # warm page cache and onnxruntime
    kw50, kw95 = measure_queries(idx, qs, "keyword")
    h50, h95 = measure_queries(idx, [q + " " for q in qs], "hybrid")  # vec0 KNN path
    t = time.perf_counter()
    idx.warm()
    mirror_s = time.perf_counter() - t
    m50, m95 = measure_queries(idx, [q + "  " for q in qs], "hybrid")  # in-memory path
    s50, s95 = measure_queries(idx, [q + "   " for q in qs], "semantic")
    f50, f95 = measure_queries(
        idx, [q + "    " for q in qs], "hybrid", filters=SearchFilters(tool="claude")
    )
    idx.conn.execute("pragma wal_checkpoint(truncate)")
    size_mb = idx.stats().size_bytes / 1e6
    idx.close()
    cache.close()

    cold = []
    for i in range(3):
        code = COLD.format(
            repo=str(REPO),
            model=str(args.model_path),
            precision=args.precision,
            db=str(db),
            q=qs[i],
        )
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        wall = time.perf_counter() - t
        load_s, search_s, _ = out.stdout.split()
        cold.append((wall, float(load_s), float(search_s)))
    cold.sort()
    wall, load_s, search_s = cold[1]
    return {
        "turns": len(docs),
        "bulk_s": bulk_s,
        "bulk_rate": len(docs) / bulk_s,
        "bulk_computed": computed,
        "inc_turns": len(new),
        "inc_rate": inc_rate,
        "kw": (kw50, kw95),
        "hybrid_vec0": (h50, h95),
        "hybrid_mem": (m50, m95),
        "semantic_mem": (s50, s95),
        "hybrid_filtered_mem": (f50, f95),
        "mirror_s": mirror_s,
        "cold": (wall, load_s, search_s),
        "size_mb": size_mb,
    }


def main(argv: list[str] | None = None) -> int:
    # The int8 model copy goes to a cache of the benchmark's own, not the user's.
    os.environ.setdefault("CTX_CACHE_DIR", "/tmp/ctx-bench-scale/ctx-cache")
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--model-path", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--precision", choices=("int8", "fp32"), default="int8")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--incremental", type=int, default=2000, help="new turns to time")
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/ctx-bench-scale"))
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/ctx-bench-scale/embeddings"))
    args = ap.parse_args(argv)
    loaded, why = try_load_embedder(
        model_path=args.model_path, precision=args.precision, quiet=True
    )
    if loaded is None or loaded.precision != args.precision:
        print(f"cannot load the {args.precision} model: {why}", file=sys.stderr)
        return 1
    embedder: FastEmbedEmbedder = loaded
    results = {int(s): run_size(int(s), args, embedder) for s in args.sizes.split(",")}
    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    print(
        f"## Search at scale ({cpus} cores, load average {load:.1f} at the end, {embedder.name})\n"
    )
    sizes = list(results)
    print("| measure | " + " | ".join(f"{s:,} turns" for s in sizes) + " |")
    print("|---|" + "---|" * len(sizes))

    def row(name: str, fn: Callable[[dict[str, Any]], str]) -> None:
        print(f"| {name} | " + " | ".join(fn(results[s]) for s in sizes) + " |")

    def ms(key: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: "{:.1f} / {:.1f}".format(*r[key])

    row("bulk index (vectors from cache)", lambda r: f"{r['bulk_s']:.0f} s")
    row("... of which vectors computed", lambda r: f"{r['bulk_computed']}")
    row("incremental index, new sessions, turns/s", lambda r: f"{r['inc_rate']:.0f}")
    row("keyword query p50 / p95 (ms)", ms("kw"))
    row("hybrid, sqlite-vec KNN (one-off) p50 / p95 (ms)", ms("hybrid_vec0"))
    row("hybrid, warm process p50 / p95 (ms)", ms("hybrid_mem"))
    row("semantic, warm process p50 / p95 (ms)", ms("semantic_mem"))
    row("hybrid + tool filter, warm p50 / p95 (ms)", ms("hybrid_filtered_mem"))
    row("load vectors into memory, once (s)", lambda r: f"{r['mirror_s']:.2f}")
    row("cold search, wall (s)", lambda r: f"{r['cold'][0]:.2f}")
    row("... model load / open + query (s)", lambda r: "{1:.2f} / {2:.2f}".format(*r["cold"]))
    row("index size on disk (MB)", lambda r: f"{r['size_mb']:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
