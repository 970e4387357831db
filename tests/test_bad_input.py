"""Bad input is skipped, counted and reported, never an abort of the rest: every import
format, every kind of bad line; config values checked with the key, the value and what is
allowed; per-file format versions honoured; absurd arguments refused with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_ctx

FIXTURES = Path(__file__).parent / "adapters" / "fixtures"

# Each a whole line that no reader may choke on.
BAD_LINES: dict[str, bytes] = {
    "nested 100k deep": b"[" * 100_000 + b"]" * 100_000,
    "nested object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "invalid JSON": b"{not json",
    "a number": b"42",
    "a string": b'"just a string"',
    "null": b"null",
    "a list": b"[1, 2, 3]",
}


def _turns(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    """(role, text) of every stored turn, session by session."""
    out = []
    for s in sorted(run_ctx(capsys, "sessions", "list", "--json").json(), key=lambda s: s["id"]):
        full = run_ctx(capsys, "sessions", "show", s["id"], "--json").json()
        out += [(t["role"], t["text"]) for t in full["turns"]]
    return out


def _memories(capsys: pytest.CaptureFixture[str]) -> set[str]:
    r = run_ctx(capsys, "memory", "list", "--json")
    assert r.code == 0, r.err
    return {m["content"] for m in r.json()}


def _with_bad_lines(good: list[bytes], bad: list[bytes]) -> tuple[bytes, list[int]]:
    """Good lines with a bad one after each of the first ones; the bad lines' numbers."""
    lines: list[bytes] = []
    where: list[int] = []
    for i, line in enumerate(good):
        lines.append(line)
        if i < len(bad):
            lines.append(bad[i])
            where.append(len(lines))
    return b"\n".join(lines) + b"\n", where


def _assert_reported(err: str, path: Path, where: list[int]) -> None:
    summary = [ln for ln in err.splitlines() if f"skipped {len(where)} bad line" in ln]
    assert summary, err
    for n in where[:5]:
        assert f"{path}:{n}:" in summary[0], (n, summary[0])


def test_generic_jsonl_every_bad_line_is_skipped(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = [json.dumps({"type": "session", "tool": "t"}).encode()] + [
        json.dumps({"role": "user", "text": f"good turn {i}"}).encode() for i in range(12)
    ]
    bad = [
        *BAD_LINES.values(),
        b'{"role": "user", "text": "lone \\ud800 surrogate"}',
        b'{"role": "user", "text": 5}',
        b'{"role": 7, "text": "x"}',
        b'{"type": "mystery", "text": "x"}',
    ]
    data, where = _with_bad_lines(good, bad)
    path = store / "in.jsonl"
    path.write_bytes(data)
    r = run_ctx(capsys, "import", "jsonl", str(path))
    assert r.code == 0, r.err
    _assert_reported(r.err, path, where)
    assert _turns(capsys) == [("user", f"good turn {i}") for i in range(12)]
    # a good surrogate pair is not a bad line
    emoji = store / "emoji.jsonl"
    emoji.write_text('{"role": "user", "text": "ok \\ud83d\\ude00"}\n')
    r = run_ctx(capsys, "import", "jsonl", str(emoji))
    assert r.code == 0 and "skipped" not in r.err
    assert ("user", "ok \U0001f600") in _turns(capsys)


def _parsed(source: str, path: Path) -> list[tuple[str, str]]:
    """(role, text) of the turns the adapter reads from a clean file."""
    from ctx.capture.adapters.aider import parse_aider_history
    from ctx.capture.adapters.claude import parse_claude_transcript
    from ctx.capture.adapters.codex import parse_codex_rollout

    if source == "aider":
        return [(t.role, t.text) for _h, turns in parse_aider_history(path) for t in turns]
    parse = parse_claude_transcript if source == "claude" else parse_codex_rollout
    return [(t.role, t.text) for t in parse(path)[1]]


def _import_damaged(
    capsys: pytest.CaptureFixture[str], store: Path, source: str, clean: Path, bad: list[bytes]
) -> None:
    """The clean file with bad lines in it imports exactly the clean file's turns."""
    want = _parsed(source, clean)
    assert want
    data, where = _with_bad_lines(clean.read_bytes().splitlines(), bad)
    damaged = store / "damaged" / clean.name
    damaged.parent.mkdir()
    damaged.write_bytes(data)
    r = run_ctx(capsys, "import", source, str(damaged))
    assert r.code == 0, r.err
    _assert_reported(r.err, damaged, where)
    assert _turns(capsys) == want


def test_claude_transcript_bad_lines(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = next((FIXTURES / "claude").glob("*.jsonl"))
    bad = [
        *BAD_LINES.values(),
        b'{"type": "user", "message": {"role": "user", "content": "lone \\udc00"}, "uuid": "z"}',
        b'{"type": "user", "message": 5}',
    ]
    _import_damaged(capsys, store, "claude", clean, bad)


def test_codex_rollout_bad_lines(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = next((FIXTURES / "codex").rglob("rollout-*.jsonl"))
    bad = [
        *BAD_LINES.values(),
        b'{"type": "response_item", "payload": {"type": "message", "role": "user",'
        b' "content": [{"type": "input_text", "text": "lone \\ud800"}]}}',
        b'{"type": "response_item", "payload": 5}',
    ]
    _import_damaged(capsys, store, "codex", clean, bad)


def test_aider_history_with_broken_bytes(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = next((FIXTURES / "aider").rglob("*.md"))
    want = _parsed("aider", clean)
    copy = store / ".aider.chat.history.md"
    copy.write_bytes(clean.read_bytes() + b"\n\xff\xfe\x00 \\ud800 " + b"[" * 100_000 + b"\n")
    r = run_ctx(capsys, "import", "aider", str(copy))
    assert r.code == 0, r.err
    assert _turns(capsys)[: len(want)] == want


def test_a_file_that_is_not_an_aider_history_is_refused(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any text file parsed as one long aider reply: `ctx import aider /etc/passwd` made a
    session of it, to be committed for the team. Now one line, exit 1, nothing stored."""
    other = store / "notes.txt"
    other.write_text("root:x:0:0:root:/root:/bin/bash\n# a heading\n### not a user line\n")
    r = run_ctx(capsys, "import", "aider", str(other))
    assert r.code == 1, r
    [line] = r.err.splitlines()
    assert "is not an aider chat history" in line
    assert run_ctx(capsys, "sessions", "list", "--json").out.strip() == "[]"
    only_turns = store / "turns-only.md"  # a history whose header was cut off: still aider's
    only_turns.write_text("#### how do I run the tests?\n\nRun `make test`.\n")
    assert run_ctx(capsys, "import", "aider", str(only_turns)).code == 0


def test_export_file_bad_lines(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_ctx(capsys, "memory", "add", "exported memory one").code == 0
    assert run_ctx(capsys, "memory", "add", "exported memory two").code == 0
    r = run_ctx(capsys, "export")
    lines = r.out.encode().splitlines()
    bad = [*BAD_LINES.values(), b'{"kind": "memory", "id": "m-zzzzzzzzzzzz", "content": "\\ud800"}']
    data, where = _with_bad_lines(lines, bad)
    path = store / "export.jsonl"
    path.write_bytes(data)
    r = run_ctx(capsys, "import", "jsonl", str(path))
    assert r.code == 0, r.err
    _assert_reported(r.err, path, where)
    assert _memories(capsys) == {"exported memory one", "exported memory two"}


def test_export_records_of_the_wrong_shape_are_skipped(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = {"kind": "ctx-export", "version": 1, "format": 1}
    good_m = {"kind": "memory", "id": "m-aaaaaaaaaaaa", "content": "good memory", "type": "fact"}
    good_s = {"kind": "session", "id": "s-aaaaaaaaaaaa", "tool": "t"}
    good_t = {"kind": "turn", "session_id": "s-aaaaaaaaaaaa", "role": "user", "text": "good turn"}
    bad = [
        {**good_m, "id": "m-bbbbbbbbbbbb", "tags": [1]},
        {**good_m, "id": "m-cccccccccccc", "content": ["a list"]},
        {**good_m, "id": "m-dddddddddddd", "content": "  "},
        {**good_m, "id": "m-eeeeeeeeeeee", "type": "rumour"},
        {**good_m, "id": "../../escape"},
        {**good_s, "id": "s-bbbbbbbbbbbb", "cwd": 5},
        {**good_s, "id": "s-cccccccccccc", "title": ["x"]},
        {**good_s, "id": "s"},
        {**good_t, "text": 5},
        {**good_t, "role": "wizard"},
        {**good_t, "session_id": "../x"},
    ]
    path = store / "shapes.jsonl"
    recs = [head, good_m, good_s, good_t, *bad]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    r = run_ctx(capsys, "import", "jsonl", str(path))
    assert r.code == 0, r.err
    assert f"skipped {len(bad)} bad lines" in r.err and "--json lists them" in r.err
    assert _memories(capsys) == {"good memory"}
    assert _turns(capsys) == [("user", "good turn")]


BAD_CONFIGS = [
    ("store = 5\n", "store is 5", "a table"),
    ('[store]\nformat = "1"\n', 'store.format is "1"', "must be an integer"),
    ("[store]\nformat = -1\n", "store.format is -1", "at least 1"),
    ("[store]\nformat = 0\n", "store.format is 0", "at least 1"),
    ("[store]\nformat = true\n", "store.format is true", "must be an integer"),
    ('[search.type_weights]\nfact = "high"\n', "search.type_weights.fact", "a number"),
    ("[search.type_weights]\nrumour = 2\n", "'rumour' is not a memory type", "decision"),
    ("[search]\ntype_weights = 3\n", "search.type_weights is 3", "a table"),
    ("[search]\nlimit = 0\n", "search.limit is 0", "from 1 to 1000"),
    ('[search]\nlimit = "10"\n', 'search.limit is "10"', "an integer"),
    ('[search]\nmode = "fuzzy"\n', 'search.mode is "fuzzy"', '"hybrid", "keyword"'),
    ('[search]\nhalf_life_days = "long"\n', "search.half_life_days", "a number"),
    ('[embedding]\nprecision = "int4"\n', 'embedding.precision is "int4"', '"int8", "fp32"'),
    ("[embedding]\nthreads = -1\n", "embedding.threads is -1", "from 0 to 1024"),
    ("[embedding]\nmodel = 5\n", "embedding.model is 5", "a string"),
    ('[capture]\nrecord_input = "yes"\n', 'capture.record_input is "yes"', "true or false"),
    ("[sessions]\ndefault_private = 1\n", "sessions.default_private is 1", "true or false"),
]


@pytest.mark.parametrize("text,names,allowed", BAD_CONFIGS)
def test_bad_config_value_is_a_clear_error(
    store: Path, capsys: pytest.CaptureFixture[str], text: str, names: str, allowed: str
) -> None:
    assert run_ctx(capsys, "memory", "add", "kept").code == 0
    cfg = store / ".contextfs" / "config.toml"
    good = cfg.read_text()
    body = text if text.startswith(("store", "[store]")) else "[store]\nformat = 1\n" + text
    cfg.write_text(body)
    for cmd in (["memory", "list"], ["search", "kept", "--mode", "keyword"], ["status"]):
        r = run_ctx(capsys, *cmd)
        assert r.code == 1, (cmd, r.err)
        assert names in r.err and allowed in r.err and "config.toml" in r.err, r.err
        assert "upgrade" not in r.err and "internal" not in r.err
    cfg.write_text(good)
    assert _memories(capsys) == {"kept"}


def test_user_config_is_checked_too(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ctx.core import paths

    paths.user_config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.user_config_file().write_text('[search]\nmode = "fuzzy"\n')
    r = run_ctx(capsys, "search", "x")
    assert r.code == 1 and str(paths.user_config_file()) in r.err and "search.mode" in r.err


def test_newer_transcript_is_reported_and_skipped(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = store / "a.jsonl", store / "b.jsonl"
    a.write_text('{"role": "user", "text": "from the newer ctx"}\n')
    b.write_text('{"role": "user", "text": "an ordinary session"}\n')
    sid_a = run_ctx(capsys, "import", "jsonl", str(a)).out.split()[0]
    sid_b = run_ctx(capsys, "import", "jsonl", str(b)).out.split()[0]
    part = store / ".contextfs" / "sessions" / sid_a / "000.jsonl"
    lines = part.read_text().splitlines()
    head = json.loads(lines[0])
    assert head["format"] == 1
    part.write_text("\n".join([json.dumps({**head, "format": 2}), *lines[1:]]) + "\n")
    r = run_ctx(capsys, "sessions", "show", sid_a)
    assert r.code == 1 and str(part.relative_to(store)) in r.err and "format 2" in r.err
    r = run_ctx(capsys, "sessions", "show", sid_b, "--json")
    assert r.code == 0 and r.json()["turns"][0]["text"] == "an ordinary session"
    r = run_ctx(capsys, "export")
    assert r.code == 0 and sid_a not in r.out and sid_b in r.out
    assert "format 2" in r.err and "not exported" in r.err
    r = run_ctx(capsys, "search", "ctx", "--mode", "keyword", "--json")
    assert r.code == 0 and {h["session_id"] for h in r.json()["hits"]} <= {sid_b}
    # an older (format 1) transcript is read as always
    part.write_text("\n".join([json.dumps(head), *lines[1:]]) + "\n")
    assert run_ctx(capsys, "sessions", "show", sid_a).code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["search", "x", "--since", "99999999d"],
        ["search", "x", "--until", "999999999999999999999999y"],
        ["sessions", "list", "--since", "99999999d"],
        ["memory", "list", "--since", "400000y"],
    ],
)
def test_absurd_durations_are_usage_errors(
    store: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    r = run_ctx(capsys, *args)
    assert r.code == 2 and "1000 years" in r.err and "internal" not in r.err, r.err


def test_empty_session_is_refused(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_ctx(capsys, "memory", "add", "--session", "", "x")
    assert r.code == 2 and "--session must not be empty" in r.err
    r = run_ctx(capsys, "memory", "add", "--session", "  ", "x")
    assert r.code == 2
    assert _memories(capsys) == set()
