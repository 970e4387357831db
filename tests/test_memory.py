"""Typed memories through the CLI, as a user types them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git
from tests.helpers import run_ctx, store_contains


def test_add_list_show_edit_rm(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_ctx(
        capsys, "memory", "add", "-t", "decision", "--tag", "auth,jwt", "We sign JWTs with RS256"
    )
    assert r.code == 0, r.err
    mid = r.out.strip()
    assert mid.startswith("m-")

    listed = run_ctx(capsys, "memory", "list", "--json").json()
    assert [m["id"] for m in listed] == [mid]
    m = listed[0]
    assert m["type"] == "decision" and m["tags"] == ["auth", "jwt"]
    assert m["author"] == "Test User <test@example.com>"
    assert m["branch"] == "main"
    assert len(m["commit"]) == 40
    assert m["created_at"].endswith("Z") and m["kind"] == "memory"

    text = run_ctx(capsys, "memory", "show", mid[2:8])  # a unique prefix without m-
    assert "We sign JWTs with RS256" in text.out and "decision" in text.out

    r = run_ctx(
        capsys,
        "memory",
        "edit",
        mid,
        "--content",
        "We sign JWTs with EdDSA",
        "--type",
        "fact",
        "--tag",
        "crypto",
        "--untag",
        "jwt",
        "--json",
    )
    assert r.code == 0, r.err
    edited = r.json()
    assert edited["content"] == "We sign JWTs with EdDSA"
    assert edited["type"] == "fact"
    assert edited["tags"] == ["auth", "crypto"]
    assert edited["updated_at"] >= edited["created_at"]

    assert run_ctx(capsys, "memory", "rm", "--yes", mid).code == 0
    assert run_ctx(capsys, "memory", "list", "--json").json() == []
    gone = run_ctx(capsys, "memory", "show", mid)
    assert gone.code == 1 and "no memory matches" in gone.err


def test_filters(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_ctx(capsys, "memory", "add", "-t", "fact", "--tag", "db", "Postgres 16 in production")
    run_ctx(
        capsys,
        "memory",
        "add",
        "-t",
        "procedure",
        "--tag",
        "db",
        "--tag",
        "ops",
        "Restore: pg_restore -d app dump",
    )
    run_ctx(capsys, "memory", "add", "-t", "preference", "Use ruff, not black")
    assert len(run_ctx(capsys, "memory", "list", "--json").json()) == 3
    assert [
        m["type"] for m in run_ctx(capsys, "memory", "list", "-t", "procedure", "--json").json()
    ] == ["procedure"]
    assert len(run_ctx(capsys, "memory", "list", "--tag", "db", "--json").json()) == 2
    assert (
        len(run_ctx(capsys, "memory", "list", "--tag", "db", "--tag", "ops", "--json").json()) == 1
    )
    assert len(run_ctx(capsys, "memory", "list", "--since", "1h", "--json").json()) == 3
    assert run_ctx(capsys, "memory", "list", "--since", "2999-01-01", "--json").json() == []
    bad = run_ctx(capsys, "memory", "list", "--since", "last tuesday")
    assert bad.code == 1 and "--since" in bad.err


def test_stdin_content_and_source_link(
    store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = run_ctx(capsys, "capture", "--tool", "chat").out.strip()
    run_ctx(capsys, "append", "How do we rotate keys?")
    run_ctx(capsys, "complete")
    import io

    monkeypatch.setattr(
        "sys.stdin", io.TextIOWrapper(io.BytesIO(b"Rotate keys monthly\nwith kms\n"))
    )
    r = run_ctx(
        capsys,
        "memory",
        "add",
        "-",
        "-t",
        "procedure",
        "--session",
        sid[:8],
        "--turn",
        "0",
        "--json",
    )
    assert r.code == 0, r.err
    m = r.json()
    assert m["content"] == "Rotate keys monthly\nwith kms"
    assert m["source_session"] == sid and m["source_turn"] == 0


def test_invalid_input(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_ctx(capsys, "memory", "add", "-t", "opinion", "x")
    assert r.code == 1 and "invalid memory type 'opinion'" in r.err and "decision" in r.err
    r = run_ctx(capsys, "memory", "add", "--tag", "two words", "x")
    assert r.code == 1 and "invalid tag" in r.err
    r = run_ctx(capsys, "memory", "add", "   ")
    assert r.code == 1 and "needs some content" in r.err
    r = run_ctx(capsys, "memory", "show", "m-doesnotexist", "--json")
    assert r.code == 1
    import json

    err = json.loads(r.err)
    assert err["error"] == "not_found" and err["advice"]
    r = run_ctx(capsys, "memory", "add", "--session", "s-nope", "x")
    assert r.code == 1 and "no session matches" in r.err
    r = run_ctx(capsys, "memory", "edit", "m-x")
    assert r.code == 1


def test_secrets_are_redacted_before_writing(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "AKIA" + "IOSFODNN7" + "EXAMPLQ"
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    r = run_ctx(capsys, "memory", "add", f"deploy uses {key} and {token}", "--json")
    assert r.code == 0, r.err
    content = r.json()["content"]
    assert key not in content and token not in content and "[REDACTED:" in content
    assert store_contains(store, key) == [] and store_contains(store, token) == []


def test_a_secret_as_a_tag_is_refused(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    r = run_ctx(capsys, "memory", "add", "--tag", token, "deploy notes")
    assert r.code == 1 and "looks like a secret (github-token)" in r.err
    assert token not in r.err  # the message does not repeat it either
    assert run_ctx(capsys, "memory", "list", "--json").json() == []
    mid = run_ctx(capsys, "memory", "add", "--tag", "deploy", "deploy notes").out.strip()
    r = run_ctx(capsys, "memory", "edit", mid, "--tag", token)
    assert r.code == 1 and "looks like a secret" in r.err
    r = run_ctx(capsys, "memory", "edit", mid, "--tags", f"deploy,{token}")
    assert r.code == 1 and "looks like a secret" in r.err
    assert run_ctx(capsys, "memory", "show", mid, "--json").json()["tags"] == ["deploy"]
    assert store_contains(store, token) == []


def test_private_memory_stays_local(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_ctx(capsys, "memory", "add", "--private", "my local note", "--json")
    assert r.json()["private"] is True
    git(store, "add", ".contextfs")
    tracked = git(store, "ls-files", ".contextfs")
    assert "local/" not in tracked
    assert store_contains(store, "my local note", tracked_only=True) == []
    assert store_contains(store, "my local note") != []  # it is there, locally
    assert len(run_ctx(capsys, "memory", "list", "--json").json()) == 1
