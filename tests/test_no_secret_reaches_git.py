"""No secret of the leak corpus reaches git, whatever entry point it came through (issue 11).

Every kind of ``tests/data/leak_corpus.py`` goes through: `ctx memory add` (argument and stdin),
`ctx memory edit`, `ctx capture/append` (title too), `ctx import jsonl` (header and turn ids,
title, command, meta), `ctx import claude/aider/codex` (fixtures with the corpus as the user's
prompt), `ctx wrap -- sh -c 'cat FILE'`, `ctx wrap -- tool -p VALUE` (command line), MCP
`remember`, `ctx sessions edit --title`. Then a real commit (the pre-commit hook installed, so it
must find nothing to refuse) and a search of the working tree and of every blob in history, CRDT
logs decoded. Raw pty recordings under `local/recordings/` are machine-local by design
(docs/privacy.md) and are the one place not searched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, git
from tests.data.leak_corpus import KINDS, LOOKALIKES
from tests.helpers import ctx_proc, decoded_bytes, run_ctx

BIG = "\n\n".join(k.text for k in KINDS)
FIXTURES = REPO_ROOT / "tests" / "adapters" / "fixtures"


def test_every_kind_is_redacted_and_every_lookalike_kept() -> None:
    """Detection 100% and false positives 0% on this corpus (one test: the names of the
    failures are the message)."""
    from ctx.privacy import contains_secret, redact

    missed = []
    for kind in KINDS:
        out = redact(kind.text)
        if kind.needle in out or redact(out) != out or not contains_secret(kind.text):
            missed.append(kind.name)
    assert missed == []
    changed = [text[:60] for text in LOOKALIKES if redact(text) != text]
    assert changed == []


def test_corpus_sizes() -> None:
    assert len({k.name for k in KINDS}) == len(KINDS) >= 120
    assert len(LOOKALIKES) >= 100


def _history_blobs(root: Path) -> list[tuple[str, bytes]]:
    """Every blob of every commit (decoded like a CRDT log when it is one)."""
    out: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for rev in git(root, "rev-list", "--all").split():
        for line in git(root, "ls-tree", "-r", rev).splitlines():
            meta, path = line.split("\t", 1)
            sha = meta.split()[2]
            if sha in seen:
                continue
            seen.add(sha)
            raw = subprocess.run(
                ["git", "cat-file", "blob", sha], cwd=root, capture_output=True, check=True
            ).stdout
            tmp = root / ".git" / "blob.tmp"
            tmp.write_bytes(raw)
            out.append((path, decoded_bytes(tmp) if path.endswith(".log") else raw))
            tmp.unlink()
    return out


def _leaks(root: Path, needles: dict[str, str]) -> list[str]:
    store = root / ".contextfs"
    places: list[tuple[str, bytes]] = [
        (str(p.relative_to(root)), decoded_bytes(p))
        for p in store.rglob("*")
        if p.is_file() and "recordings" not in p.parts
    ]
    places += _history_blobs(root)
    places.append(("git log -p --all", git(root, "log", "-p", "--all").encode()))
    found = []
    for name, needle in needles.items():
        for where, data in places:
            if needle.encode() in data:
                found.append(f"{name} in {where}")
                break
    return found


def _claude_fixture(tmp: Path, text: str) -> Path:
    src = next((FIXTURES / "claude").glob("*.jsonl"))
    prompt = "Why did we pick RS256 for JWT?"
    data = src.read_text().replace(prompt, json.dumps(text)[1:-1])
    out = tmp / "claude" / src.name
    out.parent.mkdir(parents=True)
    out.write_text(data)
    return out


def _codex_fixture(tmp: Path, text: str) -> Path:
    src = next((FIXTURES / "codex").rglob("rollout-*.jsonl"))
    prompt = "Why do the JWT tests fail? We switched to RS256 last week."
    data = src.read_text()
    assert prompt in data
    out = tmp / "codex" / src.name
    out.parent.mkdir(parents=True)
    out.write_text(data.replace(prompt, json.dumps(text)[1:-1]))
    return out


def _aider_fixture(tmp: Path, text: str) -> Path:
    src = FIXTURES / "aider" / "aider.chat.history.md"
    prompt = "#### add a /health endpoint to app.py  \n"
    data = src.read_text()
    assert prompt in data
    lines = text.replace("\r", "").split("\n")  # markdown lines: no carriage returns
    quoted = "".join(f"#### {line}  \n" if line else "#### <blank>  \n" for line in lines)
    out = tmp / "aider.chat.history.md"
    out.write_text(data.replace(prompt, quoted))
    return out


def _jsonl(path: Path, header_id: str, texts: list[str]) -> Path:
    header = {
        "type": "session",
        "tool": "mytool",
        "id": header_id,
        "title": texts[0],
        "command": ["mytool", "--token", texts[0]],
        "cwd": str(Path.home() / "work"),
        "meta": {"note": texts[0], "nested": {"list": texts}},
    }
    lines = [json.dumps(header)]
    for i, t in enumerate(texts):
        lines.append(
            json.dumps({"role": "user", "text": t, "id": f"msg-{i}: {t}", "meta": {"raw": t}})
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_no_corpus_secret_reaches_git_through_any_entry_point(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    assert run_ctx(capsys, "init").code == 0
    assert run_ctx(capsys, "hooks", "install").code == 0
    needles = {k.name: k.needle for k in KINDS}
    texts = [k.text for k in KINDS]

    # memories: argument, stdin, edit; MCP remember
    r = run_ctx(capsys, "memory", "add", "--json", "--", BIG)
    assert r.code == 0, r.err
    mid = r.json()["id"]
    assert ctx_proc(repo, "memory", "add", "-", input=BIG).code == 0
    assert run_ctx(capsys, "memory", "edit", mid, "--content", "edited:\n" + BIG).code == 0
    from ctx.store.project import Project
    from mcp_server.tools import remember

    remember(
        Project.open(repo),
        {"content": BIG, "type": "fact", "tags": [], "source_session": None, "source_turn": None},
    )

    # manual capture: title, turn text and turn ids
    r = run_ctx(capsys, "capture", "--json", "--title", texts[10])
    assert r.code == 0, r.err
    sid = r.json()["id"]
    for k in KINDS[:40]:
        assert run_ctx(capsys, "append", "--id", k.text, "--", k.text).code == 0
    assert run_ctx(capsys, "append", "--", BIG).code == 0
    assert run_ctx(capsys, "complete").code == 0
    assert run_ctx(capsys, "sessions", "edit", sid, "--title", BIG).code == 0

    # generic jsonl: header id, title, command, cwd, meta; turn ids and meta
    for i, k in enumerate(KINDS):
        path = _jsonl(tmp_path / f"s{i}.jsonl", k.text, [k.text])
        assert run_ctx(capsys, "import", "jsonl", str(path)).code == 0
    path = _jsonl(tmp_path / "all.jsonl", "all-kinds", texts)
    assert run_ctx(capsys, "import", "jsonl", str(path)).code == 0

    # tool transcripts with the corpus as the user's prompt
    assert run_ctx(capsys, "import", "claude", str(_claude_fixture(tmp_path, BIG))).code == 0
    assert run_ctx(capsys, "import", "codex", str(_codex_fixture(tmp_path, BIG))).code == 0
    assert run_ctx(capsys, "import", "aider", str(_aider_fixture(tmp_path, BIG))).code == 0

    # ctx wrap: output of a child, and secrets on the wrapped command line
    corpus_file = tmp_path / "corpus.txt"
    corpus_file.write_text(BIG + "\n")
    r = ctx_proc(repo, "wrap", "--", "sh", "-c", f"cat {corpus_file}", timeout=120)
    assert r.code == 0, r.err
    argv = ["sh", "-c", "true", "sh"]
    for k in KINDS:
        argv += ["-p", k.needle]
    r = ctx_proc(repo, "wrap", "--", *argv, timeout=120)
    assert r.code == 0, r.err
    argv = ["sh", "-c", "true", "sh"]
    for k in KINDS:
        argv += [k.text]
    r = ctx_proc(repo, "wrap", "--", *argv, timeout=120)
    assert r.code == 0, r.err

    # a real commit through the installed pre-commit hook, then search everything
    git(repo, "add", "-A")
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "context"], cwd=repo, capture_output=True, text=True
    )
    assert commit.returncode == 0, commit.stderr
    leaks = _leaks(repo, needles)
    assert leaks == [], "\n".join(leaks)


def test_mysql_style_flags_in_a_wrapped_command_line(repo: Path, capsys, monkeypatch) -> None:
    """`ctx wrap -- mysql -pX`, `sshpass -p X`, `tool -p X`: the value never reaches the store."""
    from ctx.privacy import redact_obj

    pw = "Zx81!qP@ss-2024w"
    cases = [
        ["mysql", "-uroot", f"-p{pw}", "shop"],
        ["sshpass", "-p", pw, "ssh", "host"],
        ["/usr/bin/docker", "login", "-u", "me", "-p", pw],
        ["keytool", "-list", "-storepass", pw],
        ["openssl", "rsa", "-passin", f"pass:{pw}"],
        ["htpasswd", "-b", "file", "alice", pw],
        ["sudo", "mysql", f"--password={pw}"],
        ["mytool", "-p", pw],
        ["mytool", "--db-password", pw],
    ]
    for argv in cases:
        out = redact_obj(argv)
        assert pw not in json.dumps(out), argv
        assert out[0] == argv[0]
    kept = [
        ["docker", "run", "-p", "8080:80", "nginx"],
        ["claude", "-p", "summarize"],
        ["ssh", "-p", "2222", "host"],
        ["mysql", "-p", "shop"],
        ["python", "-m", "pytest", "-p", "no:randomly"],
        ["mkdir", "-p", "build2/out"],
        ["grep", "-P", "a+b"],
        ["cp", "-a", "src", "dst"],
    ]
    for argv in kept:
        assert redact_obj(argv) == argv


def test_usage_error_does_not_echo_a_key(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ctx memory add "-----BEGIN … KEY-----…"` was a usage error that printed the key."""
    from tests.data.leak_corpus import pem

    key, needle = pem("RSA PRIVATE KEY")
    r = ctx_proc(repo, "memory", "add", key)
    assert r.code == 2
    assert needle not in r.err and needle not in r.out
    assert "--" in r.err  # says how to pass it
    r = ctx_proc(repo, "memory", "add", f"--token={needle}")
    assert needle not in r.err
    # any error message that quotes user input is redacted (the one error handler)
    monkeypatch.chdir(repo)
    assert run_ctx(capsys, "init").code == 0
    shown = []
    for kind in KINDS:
        r = run_ctx(capsys, "sessions", "show", "--", kind.text)
        assert r.code != 0
        if kind.needle in r.err:
            shown.append(kind.name)
    assert shown == []


def test_hook_import_commits_no_home_or_absolute_path(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SessionEnd hook import stores the transcript's file name, never its path, and tool
    calls with paths relative to the repository or under ``~``."""
    monkeypatch.chdir(repo)
    assert run_ctx(capsys, "init").code == 0
    home = Path(os.environ["HOME"])
    src = next((FIXTURES / "claude").glob("*.jsonl"))
    data = src.read_text().replace("/home/dev/project", str(repo))
    data = data.replace("/home/dev", str(home))
    tdir = home / ".claude" / "projects" / ("-" + str(repo).strip("/").replace("/", "-"))
    tdir.mkdir(parents=True)
    transcript = tdir / src.name
    transcript.write_text(data)
    event = {
        "session_id": src.stem,
        "transcript_path": str(transcript),
        "cwd": str(repo),
        "hook_event_name": "SessionEnd",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "ctx", "hook", "claude-session-end"],
        cwd=repo,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stderr
    # the hook returns at once; the import runs detached (docs/mcp.md): wait for it
    from tests.helpers import wait_until

    def imported() -> bool:
        return len(run_ctx(capsys, "sessions", "list", "--json").json()) == 1

    wait_until(imported, timeout=60)
    shown = run_ctx(capsys, "sessions", "list", "--json").json()
    assert len(shown) == 1
    committed = [
        p for p in (repo / ".contextfs").rglob("*") if p.is_file() and "local" not in p.parts
    ]
    assert committed
    for p in committed:
        data_b = decoded_bytes(p)
        assert str(home).encode() not in data_b, p
        assert str(repo).encode() not in data_b, p
        assert tdir.name.encode() not in data_b, p
    meta = run_ctx(capsys, "sessions", "show", shown[0]["id"], "--json").json()["meta"]
    assert meta.get("source_file") == src.name and "source_path" not in meta


def test_pre_commit_check_finds_every_kind_in_decoded_crdt_logs(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second line of defence: a memory written past redaction (a hand edit, an older
    ctx) into a CRDT log is found by the pre-commit check, for every kind of the corpus."""
    from ctx.store import crdt_log
    from ctx.store.project import Project
    from ctx.sync.precommit import staged_leaks

    monkeypatch.chdir(repo)
    assert run_ctx(capsys, "init").code == 0
    project = Project.open(repo)
    project.refresh()
    doc = project.shared
    for i, k in enumerate(KINDS):
        with doc.change() as out:
            fields = {"type": "fact", "content": k.text}
            doc.put_record(doc.memories, f"m-sneaky{i:06d}", fields, [])
        crdt_log.append_update(project.own_log, out[0], project.replica)
    git(repo, "add", ".contextfs")
    flagged = {leak.line for leak in staged_leaks(repo) if leak.path.endswith(".log")}
    lines = project.own_log.read_bytes().splitlines()
    missed = [k.name for i, k in enumerate(KINDS) if len(lines) - len(KINDS) + i + 1 not in flagged]
    assert missed == []


def test_reimport_with_secret_ids_adds_nothing(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Turn ids are stored redacted; a re-import compares redacted ids, so it stays idempotent,
    and a longer transcript adds only its new turns."""
    monkeypatch.chdir(repo)
    assert run_ctx(capsys, "init").code == 0
    texts = [k.text for k in KINDS[:20]]
    path = _jsonl(tmp_path / "a.jsonl", "ext-1", texts)
    first = run_ctx(capsys, "import", "jsonl", str(path), "--json")
    assert first.code == 0, first.err
    again = run_ctx(capsys, "import", "jsonl", str(path), "--json")
    assert again.code == 0 and '"added_turns": 0' in again.out
    longer = _jsonl(tmp_path / "b.jsonl", "ext-1", [*texts, "one more turn"])
    more = run_ctx(capsys, "import", "jsonl", str(longer), "--json")
    assert more.code == 0 and '"added_turns": 1' in more.out
    shown = run_ctx(capsys, "sessions", "list", "--json").json()
    assert len(shown) == 1 and shown[0]["turn_count"] == 21
