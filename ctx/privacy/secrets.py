"""Secret detection and redaction at the store boundary.

Everything written under ``.contextfs/`` passes through :func:`redact` / :func:`redact_obj`, and
the git pre-commit hook calls :func:`contains_secret` as a second line of defence. A secret's
*value* becomes ``[REDACTED:<rule>]``; names, users, hosts and the text around it stay.

Speed matters because a captured session can be many megabytes, so the scan works on bytes in
cheap stages:

1. Token-shaped secrets (``ghp_...``, ``AKIA...``, JWTs) always sit in a run of at least
   ``RUN_MIN`` token characters. One ``bytes.translate`` marks token characters, ``bytes.find``
   jumps from long run to long run, and the runs are joined into a much smaller buffer. A rule's
   regex runs only if one of its literal anchors occurs in that buffer.
2. Context secrets (``PASSWORD=...``, ``Authorization:``) are found from a handful of keywords in
   the lower-cased text, each hit checked by an anchored regex.
3. Passwords in URLs and PEM private key blocks are found from ``://`` and ``-----BEGIN``.
4. Credential flags of known commands (:mod:`ctx.privacy.commands`), config formats, cards,
   cookies and secrets told in prose (:mod:`ctx.privacy.formats`), each from a rare literal or
   from the keyword hits of stage 2.

Overlapping findings are merged (the most specific rule names the result), and anything that
overlaps an existing marker is left alone, so redaction is idempotent.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any

from ctx.privacy import assign, commands, formats
from ctx.privacy.rules import TOKEN_RULES, TokenRule

MARKER_PREFIX = "[REDACTED:"
MARKER_RE = re.compile(r"\[REDACTED:[a-z0-9-]+\]")
RUN_MIN = 20  # every token rule matches at least this many token characters

_TOKEN_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.+/=~:%"
_RUN_TABLE = bytes(0x61 if i in _TOKEN_CHARS else 0x20 for i in range(256))
_RUN_RE = re.compile(b"a" * RUN_MIN + b"a*")  # a literal prefix: sre scans for it quickly
_LOWER_PUNCT = b"abcdefghijklmnopqrstuvwxyz_-.+/=~:%"
# A run longer than this made only of standard base64 is an encoded blob (an inline image, a
# certificate): no vendor token can be told apart inside it, so it is left out of the scan.
_BLOB_MIN = 512
_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_MARKER_B = re.compile(rb"\[REDACTED:[a-z0-9-]+\]")

# Context-dependent rules: the lower the number, the more specific the rule (it names a merge).
_PRIORITY = {
    **{rule.name: 0 for rule in TOKEN_RULES},
    "private-key": 0,
    "dotenv": 3,
    "secret-assignment": 3,
    "cli-secret-flag": 3,
    "bearer-token": 2,
    "secret-in-prose": 4,
    "cookie": 3,
}

_URL_PW = re.compile(rb"""://([^\s:/?#@"'<>\[\]]*):([^\s/?#"'<>]+)@""")
_PEM_BEGIN = re.compile(rb"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(rb"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_PEM_TRUNCATED = re.compile(
    rb"(?:(?:\\r\\n|\\n|\r?\n)[A-Za-z-]+: [^\r\n\\]*)*(?:\\r|\\n|[\r\nA-Za-z0-9+/=])*"
)
# A body whose line breaks became spaces (`echo $KEY`): base64 words of 16+ characters.
_PEM_SPACED = re.compile(
    rb"(?:[ \t]+[A-Za-z0-9+/=]{16,})+(?:[ \t]+[A-Za-z0-9+/=]{1,15}(?![^ \t\r\n]))?"
)
_PEM_WORD = re.compile(rb"[A-Za-z0-9+/=]+|[A-Za-z-]+:|[A-Za-z0-9,-]+")
_PEM_MAX = 256 * 1024
_PEM_BODY = re.compile(rb"[A-Za-z0-9+/=]{16}")
_PEM_SPLIT = re.compile(rb"\\r\\n|\\n|\\r|\r?\n")
_PEM_LINE = re.compile(rb"[A-Za-z0-9+/=]+")
_PEM_HEADER = re.compile(rb"[A-Za-z-]+: [^\r\n]*")
_LINE_MAX = 4096  # how far a one-line rule looks for the end of its line
_CURL_USER = re.compile(rb"""(?:\s-u|\s--user)[ \t]+["']?([^\s:"'`]+):([^\s"'`]+)""")


@dataclass(frozen=True)
class Finding:
    """One secret: ``text[start:end]`` is the value to replace, ``rule`` says what it was."""

    rule: str
    start: int
    end: int


def _priority(rule: str) -> int:
    return _PRIORITY.get(rule, 1)


# ---------------------------------------------------------------- stage 1: token-shaped secrets


def _long_runs(b: bytes) -> tuple[bytes, list[int], list[int]]:
    """Join the runs that may hold a token with spaces; return offset tables too.

    A run qualifies with at least RUN_MIN token characters, an upper-case letter or a digit
    (generated tokens always have one; ``some_long_function_name`` has neither) and not being a
    long base64 blob.
    """
    spans = [m.span() for m in _RUN_RE.finditer(b.translate(_RUN_TABLE))]
    kept = [
        (s, run)
        for s, e in spans
        if (run := b[s:e]).translate(None, _LOWER_PUNCT)
        and (e - s < _BLOB_MIN or run.translate(None, _BASE64))
    ]
    if not kept:
        return b"", [], []
    orig_starts = [s for s, _ in kept]
    parts = [run for _, run in kept]
    red_starts = list(accumulate((len(p) + 1 for p in parts[:-1]), initial=0))
    return b" ".join(parts), red_starts, orig_starts


@lru_cache(maxsize=1)
def _anchor_groups() -> tuple[tuple[re.Pattern[bytes], tuple[TokenRule, ...]], ...]:
    """Compiled on the first text with a long token run (most short texts have none)."""
    groups: dict[str, list[TokenRule]] = {}
    for rule in TOKEN_RULES:
        groups.setdefault(rule.anchor, []).append(rule)
    return tuple((re.compile(a.encode()), tuple(rules)) for a, rules in groups.items())


def warm() -> None:
    """Compile the anchors every text with a long token run needs (a background thread does it
    while a wrapped program runs); a rule's own regex still waits for its anchor's first hit."""
    _anchor_groups()


def _scan_tokens(b: bytes) -> Iterator[tuple[str, int, int]]:
    red, red_starts, orig_starts = _long_runs(b)
    if not red:
        return
    n_runs = len(red_starts)
    for anchor, rules in _anchor_groups():
        done = -1  # anchor hits inside the last finding add nothing
        for hit in anchor.finditer(red):
            h = hit.start()
            if h < done:
                continue
            k = bisect_right(red_starts, h) - 1
            run_start = red_starts[k]
            run_end = red_starts[k + 1] - 1 if k + 1 < n_runs else len(red)
            for rule in rules:
                found = _match_near(rule, red, h, run_start, run_end)
                if found is None:
                    continue
                m_end, s, e = found
                done = max(done, m_end)
                delta = orig_starts[k] - red_starts[k]
                yield rule.name, s + delta, e + delta


def _match_near(
    rule: TokenRule, red: bytes, h: int, run_start: int, run_end: int
) -> tuple[int, int, int] | None:
    """The leftmost match of ``rule`` starting at most ``rule.reach`` bytes before hit ``h``."""
    pattern = rule.pattern
    for p in range(max(run_start, h - rule.reach), h + 1):
        m = pattern.match(red, p, run_end)
        if m is None or (p > 0 and red[p - 1] in rule.left):
            continue
        s, e = m.span(rule.group)
        if b"EXAMPLE" in red[s:e]:
            return None  # a documented sample key (AKIAIOSFODNN7EXAMPLE)
        if rule.check is None or rule.check(red[s:e]):
            return m.end(), s, e
    return None


# ---------------------------------------------------------------- stage 3: URLs, PEM, curl


def _scan_url_passwords(b: bytes) -> Iterator[tuple[str, int, int]]:
    i = b.find(b"://")
    while i >= 0:
        if i > 0 and chr(b[i - 1]).isalnum():
            m = _URL_PW.match(b, i)
            if m:
                pw = m.group(2).decode("utf-8", "replace")
                if not assign.is_placeholder(pw):
                    yield "url-password", m.start(2), m.end(2)
        i = b.find(b"://", i + 3)


def _pem_shaped(body: bytes) -> bool:
    """Only base64 lines and ``Name: value`` headers between BEGIN and END (real or ``\\n``)."""
    for line in _PEM_SPLIT.split(body):
        line = line.strip(b" \t\\")
        if (
            line
            and not _PEM_LINE.fullmatch(line)
            and not _PEM_HEADER.fullmatch(line)
            # a body joined by spaces: every word base64 or a header part
            and not all(_PEM_WORD.fullmatch(w) for w in line.split())
        ):
            return False
    return True


def _scan_private_keys(b: bytes) -> Iterator[tuple[str, int, int]]:
    i = b.find(b"-----BEGIN ")
    next_end: re.Match[bytes] | None = None  # the first END line after the last search start
    no_end_from = len(b) + 1  # no END line at or after this offset
    while i >= 0:
        m = _PEM_BEGIN.match(b, i)
        if not m:
            i = b.find(b"-----BEGIN ", i + 11)
            continue
        if (next_end is None or next_end.start() < m.end()) and m.end() < no_end_from:
            next_end = _PEM_END.search(b, m.end())  # once per block, not once per BEGIN line
            if next_end is None:
                no_end_from = m.end()
        end = None
        if (
            next_end is not None
            and 0 <= next_end.start() - m.end() <= _PEM_MAX
            and _pem_shaped(b[m.end() : next_end.start()])
        ):
            end = next_end  # else that END closes something else: treat this block as cut off
        if end is not None:
            stop = end.end()
        else:  # truncated block: take the header lines and the base64 body that follow
            t = _PEM_TRUNCATED.match(b, m.end())
            stop = t.end() if t else m.end()
            if stop == m.end():
                sp = _PEM_SPACED.match(b, m.end())
                stop = sp.end() if sp else stop
            while stop > m.end() and b[stop - 1] in b"\r\n":
                stop -= 1
            if b[stop - 2 : stop] in (b"\\n", b"\\r"):
                stop -= 2
        if _PEM_BODY.search(b, m.end(), stop):
            yield "private-key", i, stop
        # else a header with no key material: documentation ("...") or a format name in prose
        i = b.find(b"-----BEGIN ", max(stop, m.end()))


def _scan_curl(b: bytes, low: bytes) -> Iterator[tuple[str, int, int]]:
    i = low.find(b"curl")
    while i >= 0:
        line_end = b.find(b"\n", i, i + _LINE_MAX)
        line_end = min(len(b), i + _LINE_MAX) if line_end < 0 else line_end
        for m in _CURL_USER.finditer(b, i, line_end):
            pw = m.group(2).decode("utf-8", "replace")
            if not assign.is_placeholder(pw) and not pw.startswith("$"):
                yield "basic-auth-credentials", m.start(2), m.end(2)
        for m in formats.CURL_COOKIE.finditer(b, i, line_end):  # curl -b 'session=...'
            yield from formats.cookie_pairs(b, m.end())
        i = low.find(b"curl", line_end)


# ---------------------------------------------------------------- the engine


def _raw(b: bytes) -> Iterator[tuple[str, int, int]]:
    """Every candidate finding, in byte offsets, unmerged (cheap stages first)."""
    yield from _scan_private_keys(b)
    aws_ids: list[int] = []
    for found in _scan_tokens(b):
        if found[0] == "aws-access-key-id":
            aws_ids.append(found[1])
        yield found
    yield from formats.scan_aws_pairs(b, aws_ids)
    low = b.lower()
    prose: list[int] = []
    yield from assign.scan_assignments(b, low, prose)
    yield from formats.scan_prose(b, low, prose)
    yield from assign.scan_bearer(b, low)
    yield from _scan_url_passwords(b)
    yield from _scan_curl(b, low)
    yield from commands.scan_commands(b, low)
    yield from formats.scan_base64_pem(b)
    yield from formats.scan_netrc(b, low)
    yield from formats.scan_cookies(b, low)
    yield from formats.scan_cards(b)


def _markers(b: bytes) -> list[tuple[int, int]]:
    """Spans of the markers already in the text (sorted, non-overlapping)."""
    if b"[REDACTED:" not in b:
        return []
    return [m.span() for m in _MARKER_B.finditer(b)]


def _overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    if not spans:
        return False
    k = bisect_right(spans, (e, -1)) - 1  # the last marker starting before e
    return k >= 0 and spans[k][1] > s


def _merge(found: Iterable[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Sort and merge overlapping spans; the most specific rule names the union."""
    out: list[tuple[str, int, int]] = []
    for rule, s, e in sorted(found, key=lambda f: (f[1], -f[2])):
        if out and s < out[-1][2]:
            prev_rule, ps, pe = out[-1]
            best = rule if _priority(rule) < _priority(prev_rule) else prev_rule
            out[-1] = (best, ps, max(pe, e))
        else:
            out.append((rule, s, e))
    return out


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _to_char_offsets(text: str, b: bytes, found: list[tuple[str, int, int]]) -> list[Finding]:
    if len(b) == len(text):  # ASCII: byte offsets are character offsets
        return [Finding(rule, s, e) for rule, s, e in found]
    out: list[Finding] = []
    last_b = last_c = 0

    def char_at(off: int) -> int:
        nonlocal last_b, last_c
        last_c += len(b[last_b:off].decode("utf-8", "surrogatepass"))
        last_b = off
        return last_c

    for rule, s, e in found:
        cs = char_at(s)
        out.append(Finding(rule, cs, char_at(e)))
    return out


def _find_once(text: str) -> list[Finding]:
    if not text:
        return []
    b = _encode(text)
    markers = _markers(b)
    found = [f for f in _raw(b) if f[1] < f[2] and not _overlaps(markers, f[1], f[2])]
    if not found:
        return []
    return _to_char_offsets(text, b, _merge(found))


def find_secrets(text: str) -> list[Finding]:
    """Every secret value in ``text``: non-overlapping, sorted by start (character offsets)."""
    findings = _find_once(text)
    # Replacing a secret changes what its neighbours touch: a key that failed a boundary check
    # next to another token may pass it next to the marker. Scan the result again until nothing
    # new shows, so that redaction is idempotent (one extra pass, and only when something was
    # found).
    for _ in range(4):
        if not findings:
            break
        out, pieces = _apply_mapped(text, findings)
        extra = _find_once(out)
        if not extra:
            break
        starts = [p[0] for p in pieces]
        mapped = []
        for f in extra:
            k = bisect_right(starts, f.start) - 1
            shift = pieces[k][1] - pieces[k][0]
            mapped.append((f.rule, f.start + shift, f.end + shift))
        spans = [(f.rule, f.start, f.end) for f in findings]
        findings = [Finding(r, s, e) for r, s, e in _merge([*spans, *mapped])]
    return findings


def contains_secret(text: str) -> bool:
    """True as soon as one secret is found (the pre-commit check; stops at the first hit)."""
    if not text:
        return False
    b = _encode(text)
    markers = _markers(b)
    return any(s < e and not _overlaps(markers, s, e) for _, s, e in _raw(b))


def _apply_mapped(text: str, findings: list[Finding]) -> tuple[str, list[tuple[int, int]]]:
    """Redacted text and its unchanged pieces as (offset in result, offset in ``text``)."""
    parts: list[str] = []
    pieces: list[tuple[int, int]] = []
    pos = out_len = 0
    for f in findings:
        pieces.append((out_len, pos))
        parts.append(text[pos : f.start])
        marker = f"{MARKER_PREFIX}{f.rule}]"
        parts.append(marker)
        out_len += f.start - pos + len(marker)
        pos = f.end
    pieces.append((out_len, pos))
    parts.append(text[pos:])
    return "".join(parts), pieces


def _apply(text: str, findings: list[Finding]) -> str:
    return _apply_mapped(text, findings)[0] if findings else text


def redact(text: str) -> str:
    """``text`` with each secret value replaced by ``[REDACTED:<rule>]``; idempotent."""
    return _apply(text, find_secrets(text))


def _redact_seq(items: list[Any]) -> list[Any]:
    """Redact a list; an argv-style ``["--password", "x"]`` pair loses its value too, and so
    do the credential flags of known tools (``mysql -pX``, ``sshpass -p X``, ``tool -p X``)."""
    out: list[Any] = []
    secret_next = False
    is_argv = bool(items) and isinstance(items[0], str)
    by_table = commands.argv_secrets(items) if is_argv else {}
    known = is_argv and commands.known_command(items)  # its flags are in the table
    tool = items[0] if is_argv else ""
    prev = ""
    for k, item in enumerate(items):
        if k in by_table and isinstance(item, str):
            s, e = by_table[k]
            out.append(redact(item[:s]) + f"{MARKER_PREFIX}cli-secret-flag]" + redact(item[e:]))
            secret_next = False
            prev = item
            continue
        if isinstance(item, str) and (
            (secret_next and not item.startswith("-"))
            or (not known and commands.generic_short_flag(tool, prev, item))
        ):
            secret_next = False
            prev = item
            if not assign.is_placeholder(item) and not item.startswith("$"):
                out.append(f"{MARKER_PREFIX}cli-secret-flag]")
                continue
        secret_next = isinstance(item, str) and assign.flag_takes_secret(item)
        prev = item if isinstance(item, str) else ""
        out.append(redact_obj(item))
    return out


def _redact_keyed(key: Any, value: Any) -> Any:
    if isinstance(key, str) and isinstance(value, str) and not key.startswith(MARKER_PREFIX):
        hit = assign.keyed_value_secret(key, value)
        if hit is not None:
            spans = [(f.rule, f.start, f.end) for f in find_secrets(value)]
            merged = _merge([*spans, hit])
            return _apply(value, [Finding(rule, s, e) for rule, s, e in merged])
    return redact_obj(value)


def redact_obj(obj: Any) -> Any:
    """Redact every string in JSON-like data (dict / list / tuple), dict keys included.

    A value stored under a secret-named key (``{"password": "x"}``) is redacted as a whole, and
    in a list the item after ``--password`` / ``--api-key`` is redacted too (command lines).
    """
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, dict):
        return {
            (redact(k) if isinstance(k, str) else k): _redact_keyed(k, v) for k, v in obj.items()
        }
    if isinstance(obj, list):
        return _redact_seq(obj)
    if isinstance(obj, tuple):
        return tuple(_redact_seq(list(obj)))
    return obj


__all__ = [
    "MARKER_RE",
    "RUN_MIN",
    "Finding",
    "contains_secret",
    "find_secrets",
    "redact",
    "redact_obj",
]
