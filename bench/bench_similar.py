"""Near-duplicate memory threshold: precision and recall on a labelled set of memory pairs.

    python bench/bench_similar.py

Each pair is a paraphrase (the same fact, decision or procedure said differently: should be
suggested) or related-but-different (same topic, different content: should not). Scores both
the embedding model (../shared/models/all-MiniLM-L6-v2-onnx, fp32) and the lexical fallback of
ctx/search/similar.py and prints precision/recall at several thresholds (docs/search.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2-onnx"

# (a, b, is_paraphrase)
PAIRS: list[tuple[str, str, bool]] = [
    (
        "We sign JWTs with RS256 so services verify with the public key only.",
        "JWT tokens are signed using RS256; services only need the public key to verify them.",
        True,
    ),
    (
        "Run the migrations with `make migrate` before starting the API.",
        "Before you start the API server, apply migrations via make migrate.",
        True,
    ),
    (
        "The CI uses Python 3.12 on Ubuntu.",
        "Our continuous integration runs on Ubuntu with Python 3.12.",
        True,
    ),
    ("Use spaces, not tabs, for indentation.", "Indent with spaces; tabs are not allowed.", True),
    (
        "The payments service retries webhooks three times with exponential backoff.",
        "Webhook delivery in payments is retried 3 times, backing off exponentially.",
        True,
    ),
    (
        "Alice prefers small pull requests of under 300 lines.",
        "Keep PRs small (less than 300 lines) — Alice's preference.",
        True,
    ),
    (
        "We chose PostgreSQL over MySQL because we need JSONB columns.",
        "Decision: Postgres instead of MySQL, since JSONB support is required.",
        True,
    ),
    (
        "Redis is only a cache; never store the source of truth there.",
        "Do not keep authoritative data in Redis, it is just a cache.",
        True,
    ),
    (
        "The staging database is reset every Sunday at midnight.",
        "Every Sunday at 00:00 the staging DB gets wiped and reset.",
        True,
    ),
    (
        "Feature flags live in config/flags.yaml and are read at startup.",
        "config/flags.yaml holds the feature flags; they are loaded when the app starts.",
        True,
    ),
    (
        "To release, tag the commit vX.Y.Z and push the tag; CI publishes the package.",
        "Releases: push a vX.Y.Z tag and the CI pipeline publishes the build.",
        True,
    ),
    (
        "The frontend talks to the backend through the /api/v2 gateway only.",
        "All frontend calls go via the /api/v2 gateway, never directly to services.",
        True,
    ),
    (
        "Log timestamps are always UTC in ISO-8601.",
        "Timestamps in logs use UTC, ISO 8601 format.",
        True,
    ),
    (
        "Tests must not hit the network; use the fake servers in tests/fakes.",
        "No network access in tests — rely on the fakes under tests/fakes instead.",
        True,
    ),
    (
        "Bob owns the billing module; ask him before changing invoices.",
        "Check with Bob before touching invoice code: billing is his.",
        True,
    ),
    (
        "The search index is rebuilt nightly by a cron job.",
        "A nightly cron rebuilds the search index.",
        True,
    ),
    ("Passwords are hashed with argon2id.", "We hash user passwords using argon2id.", True),
    (
        "Customer emails are sent through SendGrid, not SES.",
        "We use SendGrid for customer email rather than Amazon SES.",
        True,
    ),
    (
        "Use UUIDv7 for new primary keys so they sort by time.",
        "New tables get UUIDv7 primary keys because those are time-ordered.",
        True,
    ),
    (
        "The mobile app caches API responses for five minutes.",
        "API responses are cached for 5 min in the mobile client.",
        True,
    ),
    # related but different
    (
        "We sign JWTs with RS256 so services verify with the public key only.",
        "JWTs expire after 15 minutes and are refreshed with a refresh token.",
        False,
    ),
    (
        "Run the migrations with `make migrate` before starting the API.",
        "Roll back a migration with `make migrate-down`.",
        False,
    ),
    ("The CI uses Python 3.12 on Ubuntu.", "The CI caches pip downloads between runs.", False),
    ("Use spaces, not tabs, for indentation.", "Lines are at most 100 characters long.", False),
    (
        "The payments service retries webhooks three times with exponential backoff.",
        "The payments service stores webhook payloads for 30 days.",
        False,
    ),
    (
        "Alice prefers small pull requests of under 300 lines.",
        "Alice reviews pull requests on Tuesdays and Thursdays.",
        False,
    ),
    (
        "We chose PostgreSQL over MySQL because we need JSONB columns.",
        "PostgreSQL backups run hourly to S3.",
        False,
    ),
    (
        "Redis is only a cache; never store the source of truth there.",
        "Redis keys expire after 24 hours by default.",
        False,
    ),
    (
        "The staging database is reset every Sunday at midnight.",
        "The production database is backed up every night.",
        False,
    ),
    (
        "Feature flags live in config/flags.yaml and are read at startup.",
        "Remove a feature flag once it has been on for a month.",
        False,
    ),
    (
        "To release, tag the commit vX.Y.Z and push the tag; CI publishes the package.",
        "The changelog is written by hand before each release.",
        False,
    ),
    (
        "The frontend talks to the backend through the /api/v2 gateway only.",
        "The /api/v1 endpoints are deprecated and will be removed in March.",
        False,
    ),
    (
        "Log timestamps are always UTC in ISO-8601.",
        "Logs are kept for 14 days and then deleted.",
        False,
    ),
    (
        "Tests must not hit the network; use the fake servers in tests/fakes.",
        "Slow tests are marked with @pytest.mark.slow.",
        False,
    ),
    (
        "Bob owns the billing module; ask him before changing invoices.",
        "Invoices are generated on the first day of each month.",
        False,
    ),
    (
        "The search index is rebuilt nightly by a cron job.",
        "The search index uses BM25 with a recency boost.",
        False,
    ),
    (
        "Passwords are hashed with argon2id.",
        "Passwords must be at least 12 characters long.",
        False,
    ),
    (
        "Customer emails are sent through SendGrid, not SES.",
        "Customer emails are sent from noreply@example.com.",
        False,
    ),
    (
        "Use UUIDv7 for new primary keys so they sort by time.",
        "Use bigint primary keys in the analytics tables.",
        False,
    ),
    (
        "The mobile app caches API responses for five minutes.",
        "The mobile app supports offline mode for the inbox.",
        False,
    ),
    (
        "We sign JWTs with RS256 so services verify with the public key only.",
        "We sign JWTs with HS256 using a shared secret.",
        False,
    ),
    (
        "Run the migrations with `make migrate` before starting the API.",
        "Run the tests with `make test` before pushing.",
        False,
    ),
]


def prf(scores: list[float], labels: list[bool], t: float) -> tuple[float, float]:
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= t and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= t and not y)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if s < t and y)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def main() -> None:
    from ctx.search.embed import FastEmbedEmbedder
    from ctx.search.similar import EMBED_THRESHOLD, LEXICAL_THRESHOLD, _cosine, lexical_score

    labels = [p[2] for p in PAIRS]
    lex = [lexical_score(a, b) for a, b, _ in PAIRS]
    emb = FastEmbedEmbedder(model_path=MODEL, threads=2)
    emb_scores = []
    for a, b, _ in PAIRS:
        va, vb = emb.embed_documents([a, b])
        emb_scores.append(_cosine(va, vb))
    pos = sum(labels)
    print(f"{len(PAIRS)} pairs: {pos} paraphrases, {len(PAIRS) - pos} related-but-different")
    for name, scores, chosen in (
        ("embedding", emb_scores, EMBED_THRESHOLD),
        ("lexical", lex, LEXICAL_THRESHOLD),
    ):
        print(f"\n{name} (chosen threshold {chosen})")
        for t in sorted({round(x / 20, 2) for x in range(4, 20)} | {chosen}):
            p, r = prf(scores, labels, t)
            mark = " <- chosen" if t == chosen else ""
            print(f"  threshold {t:.2f}: precision {p:.2f} recall {r:.2f}{mark}")


if __name__ == "__main__":
    main()
