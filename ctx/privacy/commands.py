"""Credentials passed on the command line of common tools, in text and in argv lists.

``mysql -pSECRET``, ``sshpass -p SECRET``, ``docker login -p SECRET``, ``keytool -storepass
SECRET``, ``openssl ... -passin pass:SECRET``, ``redis-cli -a SECRET``, ``mongosh -p SECRET``,
``ldapsearch -w SECRET``, ``sqlcmd -P SECRET``, ``smbclient -U user%SECRET``, ``htpasswd -b file
user SECRET``, ``az login -p SECRET``, ``npm config set //host/:_authToken SECRET``, ``aws
configure set aws_secret_access_key SECRET``. Long ``--password``/``--token`` style flags of any
tool are handled by :mod:`ctx.privacy.assign`; this module knows the short and single-dash flags,
which mean a password only for these commands (``docker run -p`` is a port).
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from ctx.privacy import assign
from ctx.privacy.formats import credential_shaped


@dataclass(frozen=True)
class Spec:
    value_flags: frozenset[str] = frozenset()  # the next argument is the secret
    glued: tuple[str, ...] = ()  # -pSECRET: the rest of the argument is the secret
    sub: str | None = None  # only after this subcommand (docker *login*)
    special: str = ""


def _spec(flags: str = "", glued: str = "", sub: str | None = None, special: str = "") -> Spec:
    return Spec(frozenset(flags.split()), tuple(glued.split()), sub, special)


_MYSQL = _spec("", "-p")
_MONGO = _spec("-p --password")
_LDAP = _spec("-w")
_SQLCMD = _spec("-P", "-P")
_LOGIN = _spec("-p --password", sub="login")
_KEYTOOL = _spec(
    "-storepass -keypass -srcstorepass -deststorepass -srckeypass -destkeypass -new -password"
)
_SMB = _spec("", special="smb")
COMMANDS: dict[str, Spec] = {
    **dict.fromkeys(
        (
            "mysql",
            "mysqldump",
            "mysqladmin",
            "mysqlimport",
            "mysqlshow",
            "mysqlcheck",
            "mysqlpump",
            "mysqlsh",
            "mariadb",
            "mariadb-dump",
            "mariadb-admin",
        ),
        _MYSQL,
    ),
    **dict.fromkeys(
        (
            "mongo",
            "mongosh",
            "mongodump",
            "mongorestore",
            "mongoexport",
            "mongoimport",
            "mongostat",
            "mongotop",
        ),
        _MONGO,
    ),
    **dict.fromkeys(
        (
            "ldapsearch",
            "ldapadd",
            "ldapmodify",
            "ldapdelete",
            "ldappasswd",
            "ldapwhoami",
            "ldapcompare",
            "ldapmodrdn",
        ),
        _LDAP,
    ),
    **dict.fromkeys(("sqlcmd", "bcp", "osql"), _SQLCMD),
    **dict.fromkeys(
        ("docker", "podman", "nerdctl", "buildah", "skopeo", "oras", "helm", "az", "regctl"),
        _LOGIN,
    ),
    **dict.fromkeys(("keytool", "jarsigner"), _KEYTOOL),
    **dict.fromkeys(("smbclient", "rpcclient", "smbmap"), _SMB),
    "sshpass": _spec("-p", "-p"),
    "redis-cli": _spec("-a --pass"),
    "openssl": _spec("-passin -passout -pass -password -k", special="openssl"),
    "htpasswd": _spec(special="htpasswd"),
    "npm": _spec(special="config-set"),
    "yarn": _spec(special="config-set"),
    "pnpm": _spec(special="config-set"),
    "aws": _spec(special="config-set"),
}
# Tools whose -p takes a prompt, not a password (their argv keeps it, redacted as text).
PROMPT_TOOLS = frozenset({"claude", "codex", "gemini", "llm", "aider", "ollama", "sgpt"})
# Tools whose -p is a path, a port, a plugin or a flag of its own, never a password.
_P_NOT_PASSWORD = frozenset(
    {
        "mkdir",
        "cp",
        "ls",
        "ps",
        "git",
        "ssh",
        "scp",
        "sftp",
        "python",
        "python3",
        "pytest",
        "nc",
        "ncat",
        "patch",
        "install",
        "rsync",
        "kubectl",
        "npm",
        "npx",
        "yarn",
        "pnpm",
        "perl",
        "tar",
        "sed",
        "cargo",
        "go",
        "make",
        "uvicorn",
        "gunicorn",
        "pip",
        "uv",
    }
)

# Every table command that carries a secret has a flag (`-p`, `-storepass`, `-b`, ...) except
# `config set`: one regex with the literal prefix " -" finds flags at memchr-like speed, and
# only a line with a candidate flag is tokenized.
_FLAG_HIT = re.compile(rb" --?[a-z][a-z0-9-]*")
_SET_NEEDLES = (b"onfig set ", b"onfigure set ")
_ALL_FLAGS = frozenset(
    f.lower().encode() for spec in set(COMMANDS.values()) for f in (*spec.value_flags, *spec.glued)
) | {b"-u", b"--user"}
_TOKEN = re.compile(rb"""\"((?:[^"\\\r\n]|\\.)*)\"|'([^'\r\n]*)'|([^\s"';|&<>()`]+)|([;|&<>()`])""")
_LINE_MAX = 4096


def _tokens(b: bytes, p: int, end: int) -> list[tuple[str, int, int]]:
    """Shell-like words of ``b[p:end]``; ``;``, ``|``, ``&&`` become empty separator words."""
    out: list[tuple[str, int, int]] = []
    for m in _TOKEN.finditer(b, p, end):
        if m.group(4):
            out.append(("", m.start(), m.start()))
            continue
        g = next(k for k in (1, 2, 3) if m.group(k) is not None)
        out.append((b[m.start(g) : m.end(g)].decode("utf-8", "replace"), m.start(g), m.end(g)))
    return out


def _secret_value(value: str) -> bool:
    return len(value) >= 3 and not value.startswith("$") and not assign.is_placeholder(value)


def _scan_words(spec: Spec, words: list[tuple[str, int, int]]) -> Iterator[tuple[int, int]]:
    """Spans (into whatever ``words`` index) of the secrets among a command's arguments."""
    texts = [w for w, _, _ in words]
    if spec.sub and spec.sub not in texts:
        return
    if spec.special == "htpasswd":
        flags = "".join(w[1:] for w in texts if w.startswith("-") and not w.startswith("--"))
        positional = [k for k, w in enumerate(texts) if not w.startswith("-")]
        if "b" in flags and positional:
            k = positional[min(len(positional), 2 if "n" in flags else 3) - 1]
            if _secret_value(texts[k]):
                yield words[k][1], words[k][2]
        return
    if spec.special == "config-set":
        for k in range(len(texts) - 2):
            if texts[k] == "set":
                name = re.split(r"[/:]", texts[k + 1])[-1]
                if assign.secret_name_kind(name) and _secret_value(texts[k + 2]):
                    yield words[k + 2][1], words[k + 2][2]
        return
    for k, w in enumerate(texts):
        if spec.special == "smb" and w in ("-U", "--user") and k + 1 < len(texts):
            user = texts[k + 1]
            if "%" in user:
                cut = user.index("%") + 1
                if _secret_value(user[cut:]):
                    yield words[k + 1][1] + len(user[:cut].encode()), words[k + 1][2]
            continue
        if w in spec.value_flags and k + 1 < len(texts):
            value = texts[k + 1]
            start = words[k + 1][1]
            if spec.special == "openssl":
                if not value.startswith("pass:") and w != "-k":
                    continue  # env:VAR, file:path, fd:N, stdin
                if value.startswith("pass:"):
                    start += 5
                    value = value[5:]
            if value.startswith("-") and w != "-k":
                continue  # -p followed by another flag: a password prompt
            if _secret_value(value):
                yield start, words[k + 1][2]
            continue
        for g in spec.glued:
            glued = w.startswith(g) and len(w) > len(g) and not w.startswith("--")
            if glued and _secret_value(w[len(g) :]):
                yield words[k][1] + len(g), words[k][2]


def _command_words(
    line: list[tuple[str, int, int]], b: bytes | None = None
) -> Iterator[tuple[int, int]]:
    for k, (w, ws, we) in enumerate(line):
        if b is not None and " " in w and w.split(" ", 1)[0].rsplit("/", 1)[-1] in COMMANDS:
            yield from _command_words(_tokens(b, ws, we))  # 'mysql -pX' quoted as one word
            continue
        spec = COMMANDS.get(w.rsplit("/", 1)[-1])
        if spec is not None:
            stop = next((j for j in range(k + 1, len(line)) if not line[j][0]), len(line))
            yield from _scan_words(spec, line[k + 1 : stop])


def _candidate(flag: bytes) -> bool:
    if flag in _ALL_FLAGS or flag.startswith(b"-p"):
        return True
    return not flag.startswith(b"--") and len(flag) <= 5 and b"b" in flag  # htpasswd -nb


def scan_commands(b: bytes, low: bytes) -> Iterator[tuple[str, int, int]]:
    """Findings for credential flags of known commands in text (shell lines, logs)."""
    starts: list[int] = []
    for m in _FLAG_HIT.finditer(low):
        if _candidate(m.group()[1:]):
            starts.append(m.start())
    for needle in _SET_NEEDLES:
        i = low.find(needle)
        while i >= 0:
            starts.append(i)
            i = low.find(needle, i + len(needle))
    done: set[int] = set()  # line starts already tokenized
    for i in starts:
        ls = low.rfind(b"\n", max(0, i - _LINE_MAX), i) + 1
        if ls in done:
            continue
        done.add(ls)
        le = low.find(b"\n", i, i + _LINE_MAX)
        le = min(len(b), i + _LINE_MAX) if le < 0 else le
        for s, e in _command_words(_tokens(b, ls, le), b):
            yield "cli-secret-flag", s, e


def argv_secrets(argv: list[str]) -> dict[int, tuple[int, int]]:
    """Secrets among argv items, per the table: item index -> character span in that item."""
    out: dict[int, tuple[int, int]] = {}
    for k, item in enumerate(argv):
        spec = COMMANDS.get(os.path.basename(item)) if isinstance(item, str) else None
        if spec is None:
            continue  # `sudo mysql ...`, `env X=1 mysql ...`: the command may come later
        words: list[tuple[str, int, int]] = []
        offsets: list[int] = []
        pos = 0
        for w in argv[k + 1 :]:
            w = w if isinstance(w, str) else ""
            words.append((w, pos, pos + len(w)))
            offsets.append(pos)
            pos += len(w) + 1
        for s, e in _scan_words(spec, words):
            j = bisect_right(offsets, s) - 1
            out[k + 1 + j] = (s - offsets[j], e - offsets[j])
        break
    return out


def known_command(argv: list[str]) -> bool:
    """A command of the table is in this argv (then only its own flags count)."""
    return any(isinstance(a, str) and os.path.basename(a) in COMMANDS for a in argv)


def generic_short_flag(tool: str, flag: str, value: str) -> bool:
    """``tool -p VALUE`` for a tool not in the table: VALUE is taken as a password when it looks
    like one (letters with digits, or a symbol inside a mixed-case word): ``-p 8080:80`` is a
    port, ``mkdir -p build/out`` a path, ``pytest -p no:randomly`` a plugin, ``claude -p`` a
    prompt."""
    name = os.path.basename(tool)
    if flag != "-p" or name in PROMPT_TOOLS or name in _P_NOT_PASSWORD:
        return False
    if not value or value.startswith(("-", "/", "./", "~/", "$")) or "://" in value:
        return False
    return credential_shaped(value) and not assign.is_placeholder(value)


__all__ = [
    "COMMANDS",
    "PROMPT_TOOLS",
    "argv_secrets",
    "generic_short_flag",
    "known_command",
    "scan_commands",
]
