"""Secrets in known file formats and in prose, found from cheap literal prefilters.

- base64 of a PEM private key (kubeconfig ``client-key-data``, Kubernetes secrets ``tls.key``):
  its first bytes are always the base64 of ``-----BEGIN``;
- ``.netrc`` entries (``machine HOST login USER password PASS``, also on several lines);
- ``Cookie:`` / ``Set-Cookie:`` header values (attributes such as ``Path`` stay);
- payment card numbers: 13-19 digits (groups of four, or Amex 4-6-5, with spaces or dashes)
  that start with a card network's prefix and pass the Luhn check;
- a password, token or key told in a sentence: "the database password is Zx81!qP@ss-2024w",
  "my token: ...", when the value looks generated (letters and digits or symbols); the keyword
  offsets come from the assignment scan, so the text is searched for keywords once;
- an AWS secret access key (40 base64 characters) close to an AWS access key id;
- Mailgun's current key format, ``<32 hex>-<8 hex>-<8 hex>``.

Every scanner starts from ``bytes.find`` on a rare literal, so clean text costs a few passes at
memchr speed. Each yields ``(rule, start, end)`` in byte offsets of the value to replace.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from ctx.privacy import assign

# ---------------------------------------------------------------- base64 of a PEM private key

_B64_PEM = b"LS0tLS1CRUdJTi"  # base64("-----BEGIN") at offset 0
_B64_RUN = re.compile(rb"[A-Za-z0-9+/=]+")


def scan_base64_pem(b: bytes) -> Iterator[tuple[str, int, int]]:
    i = b.find(_B64_PEM)
    while i >= 0:
        m = _B64_RUN.match(b, i)
        end = m.end() if m else i
        head = b[i : i + 80]
        try:
            decoded = base64.b64decode(head[: len(head) // 4 * 4])
        except (binascii.Error, ValueError):
            decoded = b""
        if b"PRIVATE KEY" in decoded and end - i >= 64:
            yield "private-key", i, end
        i = b.find(_B64_PEM, max(end, i + 1))


# ---------------------------------------------------------------- .netrc

_NETRC = re.compile(
    rb"machine[ \t\r\n]+\S+"
    rb"(?:[ \t\r\n]+(?:login|account|port|protocol|user)[ \t\r\n]+\S+){0,4}"
    rb"[ \t\r\n]+password[ \t\r\n]+(\S+)"
)


def scan_netrc(b: bytes, low: bytes) -> Iterator[tuple[str, int, int]]:
    for word in (b"machine",):  # `default login ... password ...` alone is not covered
        i = low.find(word)
        while i >= 0:
            if i == 0 or not low[i - 1 : i].isalnum():
                m = _NETRC.match(low, i)
                value = b[m.start(1) : m.end(1)].decode("utf-8", "replace") if m else ""
                if m and len(value.strip("`'\"")) >= 3 and not assign.is_placeholder(value):
                    yield "netrc-password", m.start(1), m.end(1)
            i = low.find(word, i + len(word))


# ---------------------------------------------------------------- cookies

_COOKIE_HEAD = re.compile(rb"""(?:set-)?cookie2?\\?["']?[ \t]*(?::|=>?)[ \t]*(?:\\?["'])?""")
_COOKIE_PAIR = re.compile(rb"""[ \t]*([!#$%&*+.^_`|~0-9A-Za-z-]{1,128})=([^;\s"'\\,]*)""")
_COOKIE_ATTRS = frozenset(
    {
        b"path",
        b"domain",
        b"expires",
        b"max-age",
        b"samesite",
        b"secure",
        b"httponly",
        b"priority",
        b"partitioned",
        b"version",
        b"comment",
    }
)
CURL_COOKIE = re.compile(rb"""(?:[ \t]-b|[ \t]--cookie)[ \t]+(?:["'])?""")


def cookie_pairs(b: bytes, p: int) -> Iterator[tuple[str, int, int]]:
    while True:
        m = _COOKIE_PAIR.match(b, p)
        if not m:
            return
        name, vs, ve = m.group(1).lower(), m.start(2), m.end(2)
        value = b[vs:ve].decode("utf-8", "replace")
        if (
            name not in _COOKIE_ATTRS
            and not assign.is_placeholder(value)
            and (len(value) >= 16 or (len(value) >= 6 and assign.looks_random(value)))
        ):
            yield "cookie", vs, ve
        p = m.end()
        if b[p : p + 1] != b";":
            return
        p += 1


def scan_cookies(b: bytes, low: bytes) -> Iterator[tuple[str, int, int]]:
    i = low.find(b"cookie")
    while i >= 0:
        s = i - 4 if low[max(0, i - 4) : i] == b"set-" else i
        if s == 0 or not low[s - 1 : s].isalnum():
            m = _COOKIE_HEAD.match(low, s)
            if m:
                yield from cookie_pairs(b, m.end())
        i = low.find(b"cookie", i + 6)


# ---------------------------------------------------------------- payment cards

_DIGIT_MAP = bytes(
    0x30 if 0x30 <= c <= 0x39 else c if c in (0x20, 0x2D) else 0x78 for c in range(256)
)
_CARD_PREFILTER = re.compile(rb"0000[0 -]{9,19}")
_CARD = re.compile(
    rb"[2-6][0-9]{12,18}(?![0-9])"
    rb"|[2-6][0-9]{3}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,4}(?:\1[0-9]{1,3})?(?![0-9])"
    rb"|3[0-9]{3}([ -])[0-9]{6}\2[0-9]{4,5}(?![0-9])"
)
_BEFORE_CARD = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.-/:#+")
_AFTER_CARD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-/:")


def luhn_ok(digits: str) -> bool:
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if k % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_network(digits: str) -> bool:
    """The number starts with a card network's prefix and has that network's length."""
    n = len(digits)
    p2, p4 = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16  # Mastercard
    if p2 in (34, 37):
        return n == 15  # American Express
    if (
        p4 == 6011
        or p2 == 65
        or 644 <= int(digits[:3]) <= 649
        or 622126 <= int(digits[:6]) <= 622925
    ):
        return 16 <= n <= 19  # Discover
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19  # JCB
    if p2 in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return 14 <= n <= 19  # Diners Club
    if p2 == 62:
        return 16 <= n <= 19  # UnionPay
    return p2 in (50, 56, 57, 58, 63, 67) and 12 <= n <= 19  # Maestro


def scan_cards(b: bytes) -> Iterator[tuple[str, int, int]]:
    t = b.translate(_DIGIT_MAP)
    for hit in _CARD_PREFILTER.finditer(t):
        s = hit.start()
        if s > 0 and b[s - 1] in _BEFORE_CARD:
            continue
        m = _CARD.match(b, s)
        if not m or (m.end() < len(b) and b[m.end()] in _AFTER_CARD):
            continue
        if b[m.end() : m.end() + 1] == b"." and b[m.end() + 1 : m.end() + 2].isdigit():
            continue  # a decimal number
        end = m.end()
        digits = re.sub(rb"[ -]", b"", m.group()).decode()
        if not luhn_ok(digits) and m.group(1) and m.group().count(m.group(1)) == 4:
            end = m.start() + m.group().rindex(m.group(1))  # 16 digits and then something else
            digits = re.sub(rb"[ -]", b"", b[s:end]).decode()
        if len(set(digits)) > 2 and card_network(digits) and luhn_ok(digits):
            yield "payment-card", s, end


# ---------------------------------------------------------------- secrets told in prose

_PROSE_BEFORE = frozenset(b" \t\n\r\"'(*_`")
_KEY_QUALIFIERS = (
    b"api ",
    b"api-",
    b"api_",
    b"access ",
    b"secret ",
    b"license ",
    b"licence ",
    b"the ",  # "the key is ..." (a bare "key" needs an article or a qualifier)
    b"my ",
    b"our ",
    b"your ",
)
_PROSE = re.compile(
    rb"(?:pass(?:word|phrase|wd|code)?|pwd|token|secret|key|credentials?)"
    rb"(?:[ \t]+(?:for|of|on|to|in|at)(?:[ \t]+[\w.@/:-]+){1,3}?)?"
    rb"(?:[ \t]+(?:is now|is set to|was set to|has been|will be|should be|is|was|are|were)"
    rb"[ \t]*:?|[ \t]*:)[ \t]+"
)
_PROSE_VALUE = re.compile(
    rb"""`([^`\r\n]{1,200})`|"([^"\r\n]{1,200})"|'([^'\r\n]{1,200})'|(\S{1,200})"""
)
_TRAILING = ".,;:)]}>'\"`"
_CODE_CHARS = frozenset("()[]{}\"'`")
_NOT_A_VALUE = frozenset(
    {
        "required",
        "incorrect",
        "wrong",
        "invalid",
        "expired",
        "missing",
        "stored",
        "saved",
        "set",
        "the",
        "not",
        "now",
        "being",
        "correct",
        "valid",
        "used",
        "rotated",
        "revoked",
        "generated",
        "encrypted",
        "hashed",
        "sent",
        "kept",
        "read",
        "passed",
    }
)


def credential_shaped(value: str) -> bool:
    """Letters with digits or symbols, or a long digit run: not an English word."""
    value = value.strip("*_~")  # markdown emphasis around a word
    if len(value) < 6 or any(c.isspace() for c in value):
        return False
    has_alpha = any(c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    if value.isdigit():
        return len(value) >= 6
    if has_alpha and has_digit:
        return True
    inner_symbol = any(not c.isalnum() and c not in "-_." for c in value[1:-1])
    mixed = value != value.lower() and value != value.upper()
    return has_alpha and inner_symbol and mixed and len(value) >= 8


def scan_prose(b: bytes, low: bytes, starts: list[int]) -> Iterator[tuple[str, int, int]]:
    """``starts``: offsets of secret keywords followed by a blank (from the assignment scan)."""
    for i in sorted(set(starts)):
        ok = i == 0 or low[i - 1] in _PROSE_BEFORE
        if ok and low.startswith(b"key", i):
            ok = low[max(0, i - 8) : i].endswith(_KEY_QUALIFIERS)
        m = _PROSE.match(low, i) if ok else None
        if not m:
            continue
        v = _PROSE_VALUE.match(b, m.end())
        if not v:
            continue
        g = next(k for k in range(1, 5) if v.group(k) is not None)
        vs, ve = v.start(g), v.end(g)
        raw = b[vs:ve].decode("utf-8", "replace")
        value = raw.rstrip(_TRAILING) if g == 4 else raw
        ve = vs + len(value.encode("utf-8", "replace"))
        if (
            not _CODE_CHARS.intersection(value)
            and value.lower() not in _NOT_A_VALUE
            and not assign.is_placeholder(value)
            and not assign.names_a_secret(value)
            and not value.startswith(("$", "%", "{", "<", "http://", "https://", "/", "~/", "./"))
            and credential_shaped(value)
        ):
            yield "secret-in-prose", vs, ve


# ---------------------------------------------------------------- AWS secret next to a key id

_AWS_ID = re.compile(rb"(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])")
_AWS_SECRET = re.compile(rb"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_NEAR = 400


def scan_aws_pairs(b: bytes, ids: list[int]) -> Iterator[tuple[str, int, int]]:
    """``ids``: offsets of the AWS access key ids the token scan found."""
    last = -1
    for i in ids:
        if _AWS_ID.match(b, i) and i > last:
            lo, hi = max(0, i - _AWS_NEAR), min(len(b), i + _AWS_NEAR)
            for m in _AWS_SECRET.finditer(b, lo, hi):
                v = m.group()
                if (
                    any(c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in v)
                    and any(c in b"abcdefghijklmnopqrstuvwxyz" for c in v)
                    and any(c in b"0123456789/+" for c in v)
                    and b"EXAMPLE" not in v
                ):
                    yield "aws-secret-access-key", m.start(), m.end()
            last = hi


__all__ = [
    "card_network",
    "luhn_ok",
    "scan_aws_pairs",
    "scan_base64_pem",
    "scan_cards",
    "scan_cookies",
    "scan_netrc",
    "scan_prose",
]
