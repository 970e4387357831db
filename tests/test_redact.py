"""Secret redaction at the store boundary (ctx.privacy).

Every corpus case must lose exactly its secret value and keep the text around it; every
look-alike must survive byte for byte; redaction must be idempotent and fast enough to run on a
20 MB transcript (correctness asserted here, throughput measured by bench/bench_redact.py).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctx.privacy import MARKER_RE, Finding, contains_secret, find_secrets, redact, redact_obj
from ctx.privacy.rules import TOKEN_RULES
from ctx.privacy.secrets import RUN_MIN
from tests.data.secrets_corpus import LOOKALIKES, SECRET_CASES, clean_text

REPO = Path(__file__).resolve().parent.parent

REQUIRED_KINDS = {
    "aws-access-key-id",
    "aws-secret-access-key",
    "gcp-api-key",
    "azure-storage-key",
    "github-token",
    "gitlab-token",
    "slack-token",
    "slack-webhook",
    "stripe-key",
    "openai-api-key",
    "anthropic-api-key",
    "huggingface-token",
    "npm-token",
    "pypi-token",
    "twilio-api-key",
    "sendgrid-api-key",
    "mailgun-api-key",
    "discord-bot-token",
    "discord-webhook",
    "telegram-bot-token",
    "google-oauth-client-secret",
    "jwt",
    "private-key",
    "url-password",
    "dotenv",
    "secret-assignment",
    "auth-header",
    "bearer-token",
    "heroku-api-key",
    "digitalocean-token",
    "shopify-token",
    "databricks-token",
    "doppler-token",
    "linear-api-key",
    "atlassian-api-token",
}


def _marker(rule: str) -> str:
    return f"[REDACTED:{rule}]"


@pytest.mark.parametrize(
    "case", SECRET_CASES, ids=[f"{i:03d}-{c.rule}" for i, c in enumerate(SECRET_CASES)]
)
def test_secret_is_redacted_and_context_kept(case) -> None:
    out = redact(case.text)
    assert out == case.text.replace(case.secret, _marker(case.rule))
    assert case.secret not in out
    assert contains_secret(case.text)
    spans = [case.text[f.start : f.end] for f in find_secrets(case.text)]
    assert spans == [case.secret]


def test_corpus_covers_at_least_25_kinds_and_every_token_rule() -> None:
    kinds = {c.rule for c in SECRET_CASES}
    assert len(kinds) >= 25
    assert kinds >= REQUIRED_KINDS, REQUIRED_KINDS - kinds
    from tests.data.leak_corpus import KINDS

    for rule in TOKEN_RULES:  # every entry of the table, not only every name, has an example
        assert any(
            c.rule == rule.name and rule.pattern.search(c.text.encode()) for c in SECRET_CASES
        ) or any(
            rule.pattern.search(k.text.encode())
            and rule.name in {f.rule for f in find_secrets(k.text)}
            for k in KINDS
        ), rule.shape


@pytest.mark.parametrize("text", LOOKALIKES, ids=[f"{i:03d}" for i in range(len(LOOKALIKES))])
def test_lookalike_survives(text: str) -> None:
    assert find_secrets(text) == []
    assert redact(text) == text
    assert not contains_secret(text)


def test_token_rules_are_long_enough_for_the_run_prefilter() -> None:
    """The engine only looks at runs of >= RUN_MIN token characters: no rule may match fewer."""
    try:
        sre_parse = importlib.import_module("re._parser")
    except ImportError:  # Python 3.10
        sre_parse = importlib.import_module("sre_parse")
    for rule in TOKEN_RULES:
        low, _ = sre_parse.parse(rule.pattern.pattern.decode()).getwidth()
        assert low >= RUN_MIN, (rule.name, low)


def test_each_anchor_sits_within_reach_of_its_matches() -> None:
    """The engine finds a rule through its anchor: the anchor must be where the rule says."""
    for rule in TOKEN_RULES:
        anchor = re.compile(rule.anchor.encode())
        for case in SECRET_CASES:
            data = case.text.encode()
            m = rule.pattern.search(data)
            if case.rule != rule.name or m is None:
                continue
            a = anchor.search(data, m.start())
            assert a is not None and a.start() - m.start() <= rule.reach, rule.shape


def test_redaction_is_idempotent_on_the_corpus() -> None:
    for text in [c.text for c in SECRET_CASES] + LOOKALIKES:
        once = redact(text)
        assert redact(once) == once
        assert not contains_secret(once)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(st.integers(0, len(SECRET_CASES) + len(LOOKALIKES) - 1), min_size=1, max_size=8),
    seps=st.lists(
        st.sampled_from(["\n", " ", "", "\t", ", ", "\\n", '"', "="]), min_size=8, max_size=8
    ),
)
def test_redaction_is_idempotent_on_mixtures(picks: list[int], seps: list[str]) -> None:
    pool = [c.text for c in SECRET_CASES] + LOOKALIKES
    text = "".join(pool[p] + seps[i] for i, p in enumerate(picks))
    once = redact(text)
    assert redact(once) == once
    assert not contains_secret(once)


@settings(max_examples=100, deadline=None)
@given(picks=st.lists(st.integers(0, len(SECRET_CASES) - 1), min_size=1, max_size=6))
def test_secrets_joined_by_lines_all_disappear(picks: list[int]) -> None:
    cases = [SECRET_CASES[p] for p in picks]
    out = redact("\n".join(c.text for c in cases))
    for c in cases:
        assert c.secret not in out


def test_finding_offsets_are_character_offsets_in_unicode_text() -> None:
    secret = SECRET_CASES[0].secret
    github = next(c.secret for c in SECRET_CASES if c.rule == "github-token")
    text = f"密码 🎉 naïve: {secret} — then ☕ GITHUB_TOKEN={github} done"
    found = find_secrets(text)
    assert [text[f.start : f.end] for f in found] == [secret, github]
    assert found == sorted(found, key=lambda f: f.start)
    assert all(isinstance(f, Finding) for f in found)
    assert redact(text) == (
        f"密码 🎉 naïve: {_marker(SECRET_CASES[0].rule)} — then ☕ "
        f"GITHUB_TOKEN={_marker('github-token')} done"
    )


def test_lone_surrogates_do_not_break_redaction() -> None:
    bad = "broken \udcff bytes API_KEY=abc123def456 end"
    assert redact(bad) == "broken \udcff bytes API_KEY=[REDACTED:dotenv] end"


def test_markers_have_one_format() -> None:
    text = "\n".join(c.text for c in SECRET_CASES)
    out = redact(text)
    markers = MARKER_RE.findall(out)
    assert len(markers) >= len(SECRET_CASES)
    assert {m[len("[REDACTED:") : -1] for m in markers} == {c.rule for c in SECRET_CASES}
    assert not contains_secret(out)


def test_private_key_block_is_replaced_whole() -> None:
    case = next(c for c in SECRET_CASES if c.rule == "private-key" and "RSA" in c.secret)
    out = redact(case.text)
    assert "BEGIN" not in out and "END RSA" not in out
    assert out.startswith("here is the key:\n[REDACTED:private-key]\nkeep it safe")


def test_empty_and_plain_text() -> None:
    assert redact("") == ""
    assert find_secrets("") == []
    assert not contains_secret("")
    assert redact("hello world") == "hello world"


def test_redact_obj_on_nested_json_like_data() -> None:
    github = next(c.secret for c in SECRET_CASES if c.rule == "github-token")
    data = {
        "title": f"deploy with {github}",
        "password": "hunter2",
        "count": 3,
        "ratio": 0.5,
        "ok": True,
        "none": None,
        "env": {"API_KEY": "abc123xyz", "HOME": "/home/me", "DB_PASSWORD": "${DB_PASSWORD}"},
        "headers": {"Authorization": "Bearer abcdef0123456789xyz"},
        "argv": ["mytool", "--api-key", "k3y-value-123", "--token", "$TOKEN", "--verbose"],
        "pair": ("--password", "s3cret!", "plain"),
        "turns": [{"role": "user", "text": "AWS key " + SECRET_CASES[0].secret}],
        github: "keys are kept",
    }
    out = redact_obj(data)
    assert out == {
        "title": "deploy with [REDACTED:github-token]",
        "password": "[REDACTED:secret-assignment]",
        "count": 3,
        "ratio": 0.5,
        "ok": True,
        "none": None,
        "env": {
            "API_KEY": "[REDACTED:secret-assignment]",
            "HOME": "/home/me",
            "DB_PASSWORD": "${DB_PASSWORD}",
        },
        "headers": {"Authorization": "Bearer [REDACTED:auth-header]"},
        "argv": [
            "mytool",
            "--api-key",
            "[REDACTED:cli-secret-flag]",
            "--token",
            "$TOKEN",
            "--verbose",
        ],
        "pair": ("--password", "[REDACTED:cli-secret-flag]", "plain"),
        "turns": [{"role": "user", "text": "AWS key [REDACTED:aws-access-key-id]"}],
        "[REDACTED:github-token]": "keys are kept",
    }
    assert isinstance(out["pair"], tuple)
    assert data["password"] == "hunter2"  # the input is not mutated
    assert redact_obj(out) == out
    assert redact_obj(42) == 42 and redact_obj(None) is None


def test_huge_clean_text_passes_unchanged() -> None:
    big = clean_text(20_000_000)
    assert len(big) > 19_000_000
    assert redact(big) == big
    assert not contains_secret(big)


def test_one_secret_in_a_huge_text_is_found_where_it_is() -> None:
    filler = clean_text(5_000_000, seed=1)
    case = next(c for c in SECRET_CASES if c.rule == "anthropic-api-key")
    text = filler + case.text + "\n" + filler
    found = find_secrets(text)
    assert [(f.rule, text[f.start : f.end]) for f in found] == [(case.rule, case.secret)]
    assert found[0].start == len(filler) + case.text.index(case.secret)


def test_every_rule_is_documented() -> None:
    doc = (REPO / "docs" / "privacy.md").read_text()
    for rule in {c.rule for c in SECRET_CASES} | {r.name for r in TOKEN_RULES}:
        assert f"`{rule}`" in doc, rule


def test_our_own_sources_and_docs_hold_no_secret() -> None:
    """The corpus builds its tokens at run time: no vendor-format token sits in a source file."""
    vendor_rules = {r.name for r in TOKEN_RULES} | {"private-key", "jwt"}
    for rel in (
        "tests/data/secrets_corpus.py",
        "tests/test_redact.py",
        "ctx/privacy/rules.py",
        "bench/bench_redact.py",
    ):
        found = find_secrets((REPO / rel).read_text())
        assert [f for f in found if f.rule in vendor_rules] == [], rel
    assert not contains_secret((REPO / "docs" / "privacy.md").read_text())


@pytest.mark.parametrize(
    "text",
    [
        "token" * 40_000,
        "token=" * 40_000,
        "--password " * 20_000,
        '"password": "' + "x" * 200_000,
        ("-----BEGIN RSA PRIVATE " + "KEY-----\nQUJDQUJDQUJDQUJDQUJD\n") * 6_000,
        "Authorization: " * 15_000,
        "eyJabcdefgh." * 20_000,
        "curl -u a:b " * 15_000,
        ":AA" * 60_000,
        "[REDACTED:dotenv]" * 12_000,
    ],
    ids=[
        "kw",
        "kw-op",
        "flags",
        "open-quote",
        "pem-begins",
        "auth",
        "jwt-run",
        "curl",
        "anchor",
        "markers",
    ],
)
def test_adversarial_inputs_stay_linear_and_idempotent(text: str) -> None:
    """Inputs that made an early version quadratic; a regression shows as a test timeout."""
    once = redact(text)
    assert redact(once) == once
    assert not contains_secret(once)
