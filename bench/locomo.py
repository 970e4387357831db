"""LoCoMo turn-level retrieval benchmark (Maharana et al., ACL 2024, Table 3 protocol).

Per conversation, a separate index of its turns, each indexed as
``<speaker> said, "<text>"`` (plus `` and shared <blip_caption>``); the query is the question
alone; recall@k is the fraction of the question's evidence turns found in the top k (a
question with no evidence counts as 1), averaged over all questions. Keyword, semantic and
hybrid run in the same process over the same indexes, through the product's SearchIndex.

    python bench/locomo.py [--model-path DIR] [--precision int8|fp32] [--sweep] [--json OUT]

Recency decay is off here (the conversations are dated years apart and the questions are
not about "recent"); everything else is the shipped default ranking.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ctx.search import IndexDoc, RankingConfig, SearchIndex  # noqa: E402
from ctx.search.embed import EmbeddingCache, try_load_embedder  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "locomo10.json"
DEFAULT_MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2-onnx"
KS = (5, 10, 25, 50)
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
PAPER = {"R@5": 56.7, "R@10": 66.2, "R@25": 76.7, "R@50": 82.7}
PAPER_CAT5 = {1: 35.4, 2: 70.4, 3: 33.1, 4: 68.0, 5: 43.9}
DIA_RE = re.compile(r"D(\d+):(\d+)")


def parse_when(s: str) -> float:
    """'1:56 pm on 8 May, 2023' -> unix seconds (UTC); 0 when unparseable."""
    try:
        dt = datetime.strptime(s.strip(), "%I:%M %p on %d %B, %Y")
    except ValueError:
        return 0.0
    return dt.replace(tzinfo=timezone.utc).timestamp()


def evidence_ids(raw: list[str]) -> list[str]:
    """Normalise evidence ids: split "D8:6; D9:17" and "D9:1 D4:4", fix "D30:05" and
    "D:11:26"; drop the bare "D". Ids that still match no turn count as misses."""
    out: list[str] = []
    for entry in raw:
        for m in DIA_RE.finditer(entry.replace("D:", "D")):
            dia = f"D{int(m.group(1))}:{int(m.group(2))}"
            if dia not in out:
                out.append(dia)
    return out


def conversation_docs(conv: dict) -> list[IndexDoc]:
    c = conv["conversation"]
    docs = []
    n_sessions = max(int(k.split("_")[1]) for k in c if re.fullmatch(r"session_\d+", k))
    for s in range(1, n_sessions + 1):
        turns = c.get(f"session_{s}") or []
        ts = parse_when(c.get(f"session_{s}_date_time", ""))
        for n, t in enumerate(turns):
            body = f'{t["speaker"]} said, "{t["text"]}"'
            if t.get("blip_caption"):
                body += f" and shared {t['blip_caption']}"
            docs.append(
                IndexDoc(
                    doc_id=f"t:{conv['sample_id']}-s{s}:{n}",
                    kind="turn",
                    text=body,
                    ts=ts,
                    fingerprint=str(hash(body)),
                    session_id=f"{conv['sample_id']}-s{s}",
                    turn_n=n,
                    turn_ext_id=t["dia_id"],
                    role="user",
                    author=t["speaker"],
                    tool="locomo",
                )
            )
    return docs


def recall_at(found: list[str], evidence: list[str], k: int) -> float:
    if not evidence:
        return 1.0
    top = set(found[:k])
    return sum(1 for e in evidence if e in top) / len(evidence)


def table(rows: dict[str, dict[str, float]], cols: list[str]) -> str:
    out = ["| run | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, vals in rows.items():
        out.append(f"| {name} | " + " | ".join(f"{100 * vals[c]:.1f}" for c in cols) + " |")
    return "\n".join(out)


def sweep_configs(base: RankingConfig) -> dict[str, RankingConfig]:
    """Fusion variants compared on the same indexes (hybrid mode); the default is first."""
    r = dataclasses.replace
    out = {"default: score minmax kw=0.7 sem=0.3": base}
    for k in (5, 10, 60):
        for kw in (1.0, 2.0):
            out[f"rrf k={k} kw={kw} sem=1"] = r(
                base, fusion="rrf", rrf_k=k, keyword_weight=kw, semantic_weight=1.0
            )
    for norm in ("minmax", "max"):
        for kw in (0.5, 0.6, 0.7, 0.8, 0.9):
            out[f"score {norm} kw={kw} sem={1 - kw:.1f}"] = r(
                base, fusion="score", score_norm=norm, keyword_weight=kw, semantic_weight=1 - kw
            )
    for cw in (0.15, 0.3, 1.0):
        out[f"default, context column weight {cw} (default 0.5)"] = r(base, context_weight=cw)
    return out


def main(argv: list[str] | None = None) -> int:
    # The int8 model copy goes to a cache of the benchmark's own, not the user's.
    os.environ.setdefault("CTX_CACHE_DIR", "/tmp/ctx-bench-locomo/cache")
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--model-path", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--model-name", default="sentence-transformers/all-MiniLM-L6-v2")
    ap.add_argument("--precision", choices=("int8", "fp32"), default="int8")
    ap.add_argument("--cache-dir", type=Path, default=None, help="embedding cache (default: none)")
    ap.add_argument("--context-before", type=int, default=None, help="turns of context before")
    ap.add_argument("--context-after", type=int, default=None, help="turns of context after")
    ap.add_argument("--embed-context-chars", type=int, default=None)
    ap.add_argument("--sweep", action="store_true", help="also compare fusion variants")
    ap.add_argument("--conversations", type=int, default=0, help="only the first N (quick runs)")
    ap.add_argument("--json", type=Path, default=None, help="write all numbers here")
    args = ap.parse_args(argv)

    data = json.loads(args.data.read_text())
    if args.conversations:
        data = data[: args.conversations]
    base = RankingConfig(half_life_days=None)
    for opt in ("context_before", "context_after", "embed_context_chars"):
        if getattr(args, opt) is not None:
            base = dataclasses.replace(base, **{opt: getattr(args, opt)})

    t0 = time.perf_counter()
    embedder, why = try_load_embedder(
        args.model_name, args.model_path, precision=args.precision, quiet=True
    )
    if embedder is None or embedder.precision != args.precision:
        print(f"cannot load the {args.precision} model: {why}", file=sys.stderr)
        return 1
    load_s = time.perf_counter() - t0
    cache = EmbeddingCache(args.cache_dir / "vectors.sqlite") if args.cache_dir else None

    # Hybrid first: it pays for embedding the question (the index keeps query vectors, so
    # the semantic run and the sweep reuse them).
    runs: dict[str, tuple[str, RankingConfig]] = {
        "hybrid": ("hybrid", base),
        "keyword": ("keyword", base),
        "semantic": ("semantic", base),
        # the relevance floor (RankingConfig.min_relevance) must not cost recall
        "hybrid, no floor": ("hybrid", dataclasses.replace(base, min_relevance=0.0)),
    }
    if args.sweep:
        for name, cfg in sweep_configs(base).items():
            runs[f"hybrid {name}"] = ("hybrid", cfg)

    per_q: dict[str, list[tuple[int, dict[int, float]]]] = {name: [] for name in runs}
    qtimes: dict[str, list[float]] = {name: [] for name in runs}
    n_turns = 0
    index_s = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for conv in data:
            docs = conversation_docs(conv)
            n_turns += len(docs)
            idx = SearchIndex(
                Path(tmp) / f"{conv['sample_id']}.db", embedder, ranking=base, embedding_cache=cache
            )
            t = time.perf_counter()
            idx.upsert(docs)
            index_s += time.perf_counter() - t
            for q in conv["qa"]:
                ev = evidence_ids(q.get("evidence", []))
                for name, (mode, cfg) in runs.items():
                    idx.ranking = cfg
                    t = time.perf_counter()
                    hits = idx.search(str(q["question"]), mode=mode, limit=max(KS), snippets=False)
                    qtimes[name].append(time.perf_counter() - t)
                    found = [h.turn_ext_id or "" for h in hits]
                    per_q[name].append((q["category"], {k: recall_at(found, ev, k) for k in KS}))
            idx.close()

    cols = [f"R@{k}" for k in KS]
    overall = {
        name: {f"R@{k}": statistics.fmean(r[k] for _, r in vals) for k in KS}
        for name, vals in per_q.items()
    }
    print(f"## LoCoMo turn-level retrieval ({len(per_q['hybrid'])} questions, {n_turns} turns)\n")
    main_rows = {n: overall[n] for n in ("keyword", "semantic", "hybrid", "hybrid, no floor")}
    main_rows["paper (DRAGON)"] = {c: v / 100 for c, v in PAPER.items()}
    print(table(main_rows, cols))
    print("\n### Recall@5 / @10 by category\n")
    print("| run | " + " | ".join(f"{CATEGORIES[c]} ({c})" for c in CATEGORIES) + " |")
    print("|---|" + "---|" * len(CATEGORIES))
    by_cat = {}
    for name in ("keyword", "semantic", "hybrid"):
        cells = []
        for c in CATEGORIES:
            vals = [r for cat, r in per_q[name] if cat == c]
            r5 = statistics.fmean(v[5] for v in vals)
            r10 = statistics.fmean(v[10] for v in vals)
            by_cat.setdefault(name, {})[CATEGORIES[c]] = {"R@5": r5, "R@10": r10}
            cells.append(f"{100 * r5:.1f} / {100 * r10:.1f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| paper R@5 | " + " | ".join(f"{PAPER_CAT5[c]:.1f}" for c in CATEGORIES) + " |")
    if args.sweep:
        print("\n### Fusion variants (hybrid)\n")
        print(table({n: overall[n] for n in runs if n.startswith("hybrid ")}, cols))
    print("\n### Timings\n")
    print(f"- model load: {load_s:.2f} s")
    print(
        f"- indexing: {n_turns} turns in {index_s:.1f} s = {n_turns / index_s:.0f} turns/s"
        f" (embedding cache {'on' if cache else 'off'})"
    )
    for name in ("keyword", "semantic", "hybrid"):
        ts = sorted(qtimes[name])
        p50 = ts[len(ts) // 2] * 1000
        p95 = ts[int(len(ts) * 0.95)] * 1000
        note = " (query embedding included)" if name == "hybrid" else ""
        print(
            f"- {name} query (limit 50, ~600-turn index): p50 {p50:.1f} ms, p95 {p95:.1f} ms{note}"
        )
    if args.json:
        args.json.write_text(json.dumps({"overall": overall, "by_category": by_cat}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
