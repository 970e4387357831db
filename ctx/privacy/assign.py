"""Secrets that show only by their context: a secret-named key followed by a value.

Covers ``.env`` and shell lines (``API_KEY=...``, ``export SECRET_TOKEN=...``), JSON / YAML / TOML /
dict entries (``"password": "..."``), ``Authorization:`` headers, ``--password value`` flags and
``<password>...</password>``. Only the value is redacted; the name stays readable.

The hard part is what must *not* be redacted: code that merely mentions a secret
(``token = request.headers["Authorization"]``, ``connect(password=password)``), placeholders
(``${DB_PASSWORD}``, ``<your-key>``, ``xxx``, ``changeme``), type annotations (``password: str``)
and prose. The rules for that are in :func:`classify_value`; docs/privacy.md lists them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Keywords searched in the lower-cased text; every secret-looking name contains one of them.
KEYWORDS: tuple[bytes, ...] = (b"pass", b"pwd", b"secret", b"token", b"key", b"credential", b"auth")

# The last word of a name that makes its value a secret.
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "passwort",
        "pass",
        "pwd",
        "secret",
        "token",
        "credential",
        "credentials",
        "apikey",
        "pat",
    }
)
# "<qualifier>_key" is a secret; a bare "key" (sort key, cache key, primary key) is not.
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "access",
        "secret",
        "private",
        "signing",
        "encryption",
        "master",
        "client",
        "app",
        "auth",
        "account",
        "license",
        "licence",
        "service",
        "consumer",
        "session",
        "webhook",
        "admin",
        "deploy",
        "ssh",
        "gpg",
        "pgp",
        "jwt",
        "hmac",
        "shared",
        "root",
        "storage",
        "subscription",
        "sas",
        "crypt",
        "cipher",
        "decryption",
        "write",
        "read",
        "ingest",
        "management",
    }
)
# Lower-case names glued without separators: "mytoken", "dbpassword", "accesskey".
_GLUED_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "authkey",
)
# "<first word>_token" that name counts or tokenizer symbols, not credentials.
_NOT_CREDENTIAL_TOKENS = frozenset(
    {
        "max",
        "min",
        "num",
        "n",
        "total",
        "count",
        "input",
        "output",
        "prompt",
        "completion",
        "reasoning",
        "cached",
        "special",
        "eos",
        "bos",
        "pad",
        "unk",
        "sep",
        "cls",
        "mask",
        "start",
        "end",
        "stop",
        "image",
        "audio",
        "video",
        "default",
    }
)
# Values that are not secrets: placeholders, literals, type names.
_PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change_me",
        "change-me",
        "changeit",
        "placeholder",
        "example",
        "value",
        "redacted",
        "removed",
        "hidden",
        "masked",
        "secret",
        "password",
        "passwd",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "key",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "undefined",
        "nan",
        "todo",
        "tbd",
        "tba",
        "n/a",
        "na",
        "empty",
        "required",
        "optional",
        "string",
        "str",
        "bytes",
        "int",
        "bool",
        "boolean",
        "number",
        "any",
        "object",
        "secretstr",
        "secretbytes",
        "env",
        "inherit",
        "auto",
        "default",
        "unset",
        "not set",
        "notset",
        "foo",
        "bar",
        "baz",
        "qux",
        "foobar",
        "test",
        "testing",
        "dummy",
        "fake",
        "sample",
        "demo",
    }
)
_PLACEHOLDER_PREFIXES = (
    "your",
    "my_",
    "my-",
    "insert",
    "replace",
    "enter",
    "put_",
    "put-",
    "example",
    "sample",
    "dummy",
    "fake",
    "placeholder",
    "change",
    "redacted",
)
_AUTH_SCHEMES = (
    rb"bearer|basic|token|bot|digest|negotiate|apikey|api-key|sso-key|ssws|oauth|jwt|hmac|key"
)

_NAME_CHAR = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
# One regex per keyword, on the lower-cased text: the keyword (literal prefix, so the scan is
# fast), the rest of the name, then an operator, a closing quote or XML's ">" must follow.
# ... or a verb or preposition: "the password is ...", left to the prose rule (formats.py).
_VERB = rb"[ \t]+(?:is|was|are|were|has|will|should|for|of|on|to|in|at)[ \t:]"
_KW_OP = tuple(
    # (?=(...))\1 is an atomic group (Python 3.10 has no possessive quantifiers): the name tail
    # is taken whole, never backtracked into, so a long run of name characters costs one pass.
    re.compile(kw + rb"""(?=([a-z0-9_.-]{0,64}))\1(?=(?:\\?["'])?\]?[ \t]*[:=?>]|""" + _VERB + b")")
    for kw in KEYWORDS
)
_FLAG = re.compile(rb"--([A-Za-z0-9][A-Za-z0-9_.-]{0,64})[ \t]+[^ \t\r\n=-]")
_OP = re.compile(rb"""(\\?["'])?\]?([ \t]*)(:=|=>|\?=|=(?!=)|:(?![:=]))([ \t]*)""")
_FLAG_GAP = re.compile(rb"[ \t]+")
_VALUE_MAX = 4096  # longer "values" are blobs or runaway lines, never redacted as one
_VAL_DQ = re.compile(rb'"((?:[^"\\\r\n]|\\[^\r\n]){0,4096})"')
_VAL_SQ = re.compile(rb"'((?:[^'\\\r\n]|\\[^\r\n]){0,4096})'")
_VAL_BQ = re.compile(rb"`([^`\r\n]{0,4096})`")
_VAL_EDQ = re.compile(rb'\\"((?:[^"\\\r\n]|\\[^"\r\n]){0,4096})\\"')
# Unquoted: up to a space, quote, bracket or separator; "&" ends it only before "name=" (a query).
_VAL_UQ = re.compile(rb"""(?:[^\s"'`,;&|()\[\]{}<>\\]|&(?![A-Za-z0-9_.\[\]-]+=)){1,4096}""")
_VAL_XML = re.compile(rb"([^<\r\n]{1,4096})</")
_AUTH_VALUE = re.compile(
    rb"""(?:\\?["'])?(?:(?i:""" + _AUTH_SCHEMES + rb""")[ \t]+)?([A-Za-z0-9._~+/=:-]+)"""
)
_AUTH_SCHEME_ONLY = re.compile(rb"""(?:\\?["'])?(?i:""" + _AUTH_SCHEMES + rb""")[ \t]+""")
_BEARER = re.compile(rb"(?i:bearer)[ \t]+([A-Za-z0-9._~+/-]{16,}=*)")

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)+")
_VARIABLE = re.compile(
    r"\$\{\{.*\}\}|\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%"
    r"|%\(\w+\)[sd]"
)
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{[A-Za-z_][\w.\[\]'\"]*\}|%\(\w+\)[sd]|%s|\$\{")
_BRACKETED = re.compile(r"<[^<>]*>|\[[^\[\]]*\]|\([^()]*\)|\{[^{}]*\}")
_ANNOTATION = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*=[^=].*")
_URLISH = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_PATHISH = re.compile(r"(?:~|\.{1,2})?/[\w.@-]+(?:/[\w.@-]*)*|[A-Za-z]:\\[\w\\. -]*")
_MARKER = "[REDACTED:"
_MARKER_B = _MARKER.encode()


# Single words that name a password only in some tools' flags and config keys.
_PASS_NAMES = frozenset(
    {
        "storepass",
        "keypass",
        "srcstorepass",
        "deststorepass",
        "srckeypass",
        "destkeypass",
        "passin",
        "passout",
        "keystorepass",
        "truststorepass",
    }
)
# Key names of config formats whose value is a credential: kubeconfig, docker, npm.
_CONFIG_SECRET_NAMES = frozenset({"client-key-data", "client_key_data", "clientkeydata"})
# YAML tags that make the value a reference, not a secret: `password: !vault |`.
_YAML_TAG = re.compile(
    rb"!(?i:vault|secret|env|env_var|include|ref|sub|getatt|importvalue|join|if|select|base64"
    rb"|findinmap|sops|encrypted|reference|var|file|expr|func)(?=[ \t\r\n|>]|$)"
)
# Words after `--password` in prose ("use the --token flag"), never values.
_FLAG_FOLLOWERS = frozenset(
    {
        "flag",
        "flags",
        "option",
        "options",
        "argument",
        "arguments",
        "parameter",
        "switch",
        "or",
        "and",
        "to",
        "is",
        "are",
        "was",
        "with",
        "for",
        "the",
        "a",
        "an",
        "in",
        "on",
        "of",
        "instead",
        "when",
        "if",
        "must",
        "should",
        "can",
        "will",
        "value",
        "here",
        "only",
        "as",
        "that",
        "this",
        "it",
        "not",
        "also",
        "from",
        "which",
        "then",
        "but",
        "so",
        "at",
        "by",
        "we",
        "you",
        "i",
        "isn't",
        "doesn't",
        "too",
        "again",
        "first",
    }
)


def name_words(name: str) -> list[str]:
    """Split ``DB_PASSWORD``, ``clientSecret``, ``x-api-key`` into lower-case words."""
    return [w.lower() for w in _WORDS.findall(name)]


def secret_name_kind(name: str) -> str | None:
    """``"auth"`` for Authorization-like names, ``"secret"`` for secret-named keys, else None."""
    words = name_words(name.lstrip("-"))
    if not words:
        return None
    bare = name.lstrip("-_").lower()
    if bare == "auth":
        return "b64auth"  # docker config.json "auth", .npmrc _auth: base64 of user:password
    if bare in _PASS_NAMES or bare in _CONFIG_SECRET_NAMES:
        return "secret"
    last = words[-1]
    if last == "authorization":
        return "auth"
    if last in _SECRET_WORDS:
        if last in ("pwd", "pass") and len(words) == 1:
            return None  # the shell's PWD is the working directory; "pass" alone is a word
        if last == "token" and len(words) > 1 and words[0] in _NOT_CREDENTIAL_TOKENS:
            return None
        return "secret"
    if last == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS:
        return "secret"
    if last.endswith(_GLUED_SUFFIXES) and last != "oldpwd":
        return "secret"
    return None


def vendor_label(name: str, default: str) -> str:
    """A more telling rule name when the key names the vendor (AWS, Heroku, Twilio, ...)."""
    words = name_words(name)
    joined = "".join(words)
    if ("aws" in joined and "secret" in joined) or joined.endswith("secretaccesskey"):
        return "aws-secret-access-key"
    if "aws" in joined and "session" in joined:
        return "aws-session-token"
    for vendor, label in (
        ("heroku", "heroku-api-key"),
        ("twilio", "twilio-auth-token"),
        ("mailgun", "mailgun-api-key"),
        ("atlassian", "atlassian-api-token"),
        ("jira", "atlassian-api-token"),
        ("confluence", "atlassian-api-token"),
        ("databricks", "databricks-token"),
        ("discord", "discord-bot-token"),
    ):
        if vendor in joined:
            return label
    return default


def is_placeholder(value: str) -> bool:
    """True for values that stand for a secret without being one."""
    v = value.strip()
    if not v or v.startswith(_MARKER):
        return True
    low = v.lower()
    if low in _PLACEHOLDERS:
        return True
    if _VARIABLE.fullmatch(v) or _BRACKETED.fullmatch(v):
        return True
    if "EXAMPLE" in v:
        return True  # AWS documentation keys: AKIAIOSFODNN7EXAMPLE, wJalr...EXAMPLEKEY
    if "..." in v or "***" in v or "\u2026" in v or "\u2022" in v:
        return True  # masked or truncated: sk-...abcd, ****1234
    squeezed = re.sub(r"[\s_.:/-]", "", low)
    if len(v) >= 3 and len(set(squeezed)) <= 1:
        return True  # xxx, ****, 0000-0000
    return low.startswith(_PLACEHOLDER_PREFIXES) and re.fullmatch(r"[a-z_\- ]+", low) is not None


def _looks_like_code(value: str, name: str, next_byte: int, spaced: bool, flag: bool) -> bool:
    """An unquoted value that is an expression, a variable or a literal of the language."""
    if next_byte in b"([":
        return True  # a call or a subscript: get_token(), request.headers["..."]
    if _DOTTED.fullmatch(value):
        return True  # attribute access: self.token, settings.SECRET_KEY, process.env.TOKEN
    if _ANNOTATION.fullmatch(value):
        return True  # offendingToken:Token=None (an annotation with a default)
    if value.isdigit():
        return len(value) < 6  # counts and ids, not PINs of six digits or more
    if _IDENT.fullmatch(value) is None:
        return False
    low = value.lower()
    if low.endswith(_GLUED_SUFFIXES) or low.endswith(("key", "pwd", "pass", "creds", "auth")):
        return True  # password=db_password, api_key=self_key
    has_digit = any(c.isdigit() for c in value)
    if flag:  # "--password hunter2" but not "use the --token flag"
        return not (has_digit or value != value.lower())
    if any(c.isalpha() for c in name) and name == name.upper():
        return False  # .env, shell, compose: PASSWORD=swordfish, POSTGRES_PASSWORD: swordfish
    return not (has_digit and len(value) >= 4)


def classify_value(value: str, quoted: bool) -> bool:
    """Common checks for a candidate secret value: True when it should be redacted."""
    if is_placeholder(value):
        return False
    if _URLISH.match(value) or _PATHISH.fullmatch(value):
        return False  # the URL rule handles passwords in URLs; paths are not secrets
    if quoted:
        if _TEMPLATE.search(value):
            return False
        if value.count(" ") >= 4:
            return False  # a sentence, not a passphrase
    return not _names_a_secret(value)


def names_a_secret(value: str) -> bool:
    """The name of a secret, not its value (public for the prose rule)."""
    return _names_a_secret(value)


def b64_credentials(value: str) -> bool:
    """Base64 of ``user:password`` (docker ``auth``, npm ``_auth``), or a long generated value."""
    import base64
    import binascii

    v = value.strip()
    if len(v) < 8 or is_placeholder(v):
        return False
    try:
        raw = base64.b64decode(v + "=" * (-len(v) % 4), validate=True)
    except (binascii.Error, ValueError):
        return len(v) >= 16 and looks_random(v)
    return (b":" in raw and raw.isascii()) or (len(v) >= 16 and looks_random(v))


def _names_a_secret(value: str) -> bool:
    """``'aws_secret_access_key'``, ``"GITHUB_TOKEN"``: the name of a secret, not its value."""
    if _IDENT.fullmatch(value) is None or any(c.isdigit() for c in value):
        return False
    low = value.lower()
    if re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", value):
        return True  # an environment variable's name: 'LAMBDA_TASK_ROOT', "OPENAI_API_KEY"
    return ("_" in value or value != low) and any(k.decode() in low for k in KEYWORDS)


def _name_start(b: bytes, i: int) -> int:
    j = i
    lo = max(0, i - 128)
    while j > lo and b[j - 1] in _NAME_CHAR:
        j -= 1
    return j


def _parse_value(b: bytes, p: int) -> tuple[int, int, bool] | None:
    """Span of the value starting at ``p`` and whether it was quoted."""
    if p >= len(b):
        return None
    c = b[p]
    m: re.Match[bytes] | None
    if c == 0x22:  # "
        m = _VAL_DQ.match(b, p)
    elif c == 0x27:  # '
        m = _VAL_SQ.match(b, p)
    elif c == 0x60:  # `
        m = _VAL_BQ.match(b, p)
    elif c == 0x5C and b[p + 1 : p + 2] == b'"':
        m = _VAL_EDQ.match(b, p)
    else:
        m = _VAL_UQ.match(b, p)
        return (m.start(), m.end(), False) if m else None
    return (m.start(1), m.end(1), True) if m else None


def _auth_value(b: bytes, p: int, end: int) -> tuple[int, int] | None:
    """The credential of an Authorization value: after the scheme word when there is one."""
    m = _AUTH_VALUE.match(b, p, end)
    if not m:
        return None
    cred = m.group(1).decode("utf-8", "replace")
    scheme = _AUTH_SCHEME_ONLY.match(b, p, end)
    if scheme is None and (len(cred) < 12 or not looks_random(cred)):
        return None
    if m.end(1) < end and b[m.end(1)] in b"([":
        return None  # code: authorization = base64.decodebytes(authorization)
    if scheme is None and _DOTTED.fullmatch(cred):
        return None
    if scheme is not None and m.start(1) < scheme.end():
        return None  # only the scheme word, no credential after it ("Bearer " + token)
    if len(cred) < 4 or is_placeholder(cred):
        return None
    return m.start(1), m.end(1)


def looks_random(value: str) -> bool:
    """Letters and digits mixed, as in generated credentials (not English words)."""
    has_alpha = any(c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    return has_alpha and has_digit and len(set(value)) >= 6


def _decode(b: bytes) -> str:
    return b.decode("utf-8", "replace")


_kind_cache: dict[bytes, str | None] = {}


def _cached_kind(raw: bytes) -> str | None:
    kind = _kind_cache.get(raw, "?")
    if kind == "?":
        if len(_kind_cache) > 4096:
            _kind_cache.clear()
        kind = _kind_cache[raw] = secret_name_kind(_decode(raw).lstrip("-"))
    return kind


def _assignment(b: bytes, ns: int, ne: int) -> tuple[tuple[str, int, int] | None, int]:
    """The finding for the name ``b[ns:ne]`` if a secret value is assigned to it, and where the
    parsed assignment ends (scanning resumes there)."""
    raw = b[ns:ne]
    kind = _cached_kind(raw)
    if (
        kind is None
        or b[max(0, ns - 2) : ns] in (b"//", b"::")
        or b[max(0, ns - 10) : ns] == _MARKER_B
    ):
        return None, ne  # not a secret name, a URL's user (the URL rule owns those), a namespace,
        # or the rule name inside a marker ("[REDACTED:github-token]")
    flag = raw.startswith(b"-")
    name = _decode(raw).lstrip("-")
    if ns > 0 and b[ns - 1] == 0x3C and b[ne : ne + 1] == b">":  # <password>value</password>
        m = _VAL_XML.match(b, ne + 1)
        if m and classify_value(_decode(m.group(1)), quoted=True):
            return (vendor_label(name, "secret-assignment"), m.start(1), m.end(1)), m.end()
        return None, ne
    op = _OP.match(b, ne)
    if op:
        p = op.end()
        spaced = bool(op.group(2) or op.group(4))
        rule = "dotenv" if op.group(3) == b"=" else "secret-assignment"
    elif flag:
        gap = _FLAG_GAP.match(b, ne)
        if not gap:
            return None, ne
        p, spaced, rule = gap.end(), True, "cli-secret-flag"
    else:
        return None, ne
    if p < len(b) and b[p] == 0x21 and _YAML_TAG.match(b, p):
        return None, p  # password: !vault | (Ansible), !Ref, !secret name: references
    if kind == "b64auth":
        parsed = _parse_value(b, p)
        if parsed and b64_credentials(_decode(b[parsed[0] : parsed[1]])):
            return ("basic-auth-credentials", parsed[0], parsed[1]), parsed[1]
        return None, p
    if kind == "auth":
        line_end = b.find(b"\n", p, p + _VALUE_MAX)
        span = _auth_value(b, p, min(len(b), p + _VALUE_MAX) if line_end < 0 else line_end)
        return (("auth-header", *span), span[1]) if span else (None, p)
    if p < len(b) and (b[p] in b"${%<:" or (spaced and b[p] == 0x23)):
        return (
            None,
            p,
        )  # $VAR, ${VAR}, $(cmd), ${{ secrets.X }}, %VAR%, <your-key>, :role:, # comment
    parsed = _parse_value(b, p)
    if parsed is None:
        return None, p
    vs, ve, quoted = parsed
    if ve - vs < 3 or ve - vs >= _VALUE_MAX:
        return None, ve  # too short to protect anything, or not a value (a blob, a runaway line)
    value = _decode(b[vs:ve])
    if not classify_value(value, quoted):
        return None, ve
    if not quoted:
        nxt = b[ve] if ve < len(b) else 0x20
        if flag and value.startswith("-"):
            return None, ne  # the next flag, not a value
        if flag and not spaced and op is not None:
            pass  # --password=VALUE, -Dx.password=VALUE: a command line, never code
        elif flag and rule == "cli-secret-flag":
            if value.lower() in _FLAG_FOLLOWERS or nxt in b"([":
                return None, ve  # "use the --token flag"
        elif _looks_like_code(value, name, nxt, spaced, flag):
            return None, ve
        if spaced and not flag and len(value) < 6:
            return None, ve  # "token = 1*" in a grammar, "password: abc" in prose
    return (vendor_label(name, rule), vs, ve), ve


def scan_assignments(
    b: bytes, low: bytes, prose: list[int] | None = None
) -> Iterator[tuple[str, int, int]]:
    """Findings for secret-named keys in ``b`` (``low`` is ``b.lower()``).

    Keywords followed by a verb ("the password is ...") are left for the prose rule: their
    offsets are appended to ``prose``, so the text is searched for keywords only once.
    """
    hits: list[tuple[int, int, bool]] = []  # (keyword or flag start, name end, is a --flag)
    for finder in _KW_OP:
        for m in finder.finditer(low):
            ne = m.end()
            while b[ne - 1] in b".-":
                ne -= 1
            if prose is not None and b[ne : ne + 1] in (b" ", b"\t"):
                prose.append(m.start())
            hits.append((m.start(), ne, False))
    hits.extend((m.start(), m.end(1), True) for m in _FLAG.finditer(b))  # --password value
    hits.sort()
    seen: set[int] = set()
    consumed = 0  # a keyword inside a value already parsed is part of that value, not a name
    for start, ne, is_flag in hits:
        if start < consumed or ne in seen:
            continue
        seen.add(ne)
        found, consumed = _assignment(b, start if is_flag else _name_start(b, start), ne)
        if found:
            yield found


def scan_bearer(b: bytes, low: bytes) -> Iterator[tuple[str, int, int]]:
    """``Bearer <token>`` anywhere (curl lines, logs), when the token looks generated."""
    i = low.find(b"bearer")
    while i >= 0:
        if i == 0 or not chr(b[i - 1]).isalnum():
            m = _BEARER.match(b, i)
            if m and looks_random(_decode(m.group(1))):
                yield "bearer-token", m.start(1), m.end(1)
        i = low.find(b"bearer", i + 6)


def flag_takes_secret(arg: str) -> bool:
    """``--password`` / ``--api-key`` (without ``=value``): the next argv item is a secret."""
    return (
        arg.startswith("-")
        and "=" not in arg
        and len(arg.lstrip("-")) > 1
        and _IDENT.fullmatch(arg.lstrip("-").replace("-", "_").replace(".", "_")) is not None
        and secret_name_kind(arg) == "secret"
    )


def keyed_value_secret(key: str, value: str) -> tuple[str, int, int] | None:
    """The finding for ``value`` stored under ``key`` in a dict (JSON-like data)."""
    kind = secret_name_kind(key)
    if kind is None:
        return None
    if kind == "b64auth":
        return ("basic-auth-credentials", 0, len(value)) if b64_credentials(value) else None
    if kind == "auth":
        data = value.encode("utf-8", "surrogatepass")
        span = _auth_value(data, 0, len(data))
        if span is None:
            return None
        start = len(data[: span[0]].decode("utf-8", "surrogatepass"))
        end = start + len(data[span[0] : span[1]].decode("utf-8", "surrogatepass"))
        return "auth-header", start, end
    if not classify_value(value, quoted=True):
        return None
    return vendor_label(key, "secret-assignment"), 0, len(value)
