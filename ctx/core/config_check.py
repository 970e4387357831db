"""Validate config files before anything reads them: a committed config.toml is pulled
content, and a wrong type (``store = 5``, a string type weight) must become one clear error
naming the file, the key, the bad value and what is allowed, not a crash later.

Unknown keys are left alone (a newer ctx may add some); every known key is checked. The
keys and their defaults are documented in `.contextfs.example`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ctx.core.errors import CtxError

Check = Callable[[Any], str | None]  # None when fine, else what is allowed


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int(lo: int, hi: int | None = None) -> Check:
    def check(v: Any) -> str | None:
        if _is_int(v) and v >= lo and (hi is None or v <= hi):
            return None
        return f"an integer {f'from {lo} to {hi}' if hi is not None else f'of at least {lo}'}"

    return check


def _num(lo: float) -> Check:
    return lambda v: None if _is_num(v) and v >= lo else f"a number of at least {lo:g}"


def _unit(v: Any) -> str | None:
    return None if _is_num(v) and 0 <= v <= 1 else "a number from 0 to 1"


def _str(v: Any) -> str | None:
    return None if isinstance(v, str) else "a string"


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def _one_of(*values: str) -> Check:
    return lambda v: None if v in values else "one of " + ", ".join(f'"{x}"' for x in values)


def _table(v: Any) -> str | None:
    return None if isinstance(v, dict) else "a table of memory type = number"


SCHEMA: dict[str, dict[str, Check]] = {
    "store": {"format": _int(1)},
    "embedding": {
        "model": _str,
        "model_path": _str,
        "precision": _one_of("int8", "fp32"),
        "threads": _int(0, 1024),
    },
    "search": {
        "mode": _one_of("hybrid", "keyword", "semantic"),
        "limit": _int(1, 1000),
        "half_life_days": _num(0),
        "type_weights": _table,
    },
    "capture": {"record_input": _bool, "keep_recordings": _bool},
    "sessions": {"default_private": _bool},
    "import": {"all_agents": _bool},
    "memory": {"similar_threshold": _unit, "similar_lexical_threshold": _unit},
}


def _show(v: Any) -> str:
    if isinstance(v, str):
        return f'"{v}" (a string)'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "a list"
    return repr(v)


def validate(data: dict[str, Any], source: Path | str) -> None:
    """Raise a CtxError for the first known key of ``data`` with a value of the wrong kind."""
    for section, keys in SCHEMA.items():
        if section not in data:
            continue
        table = data[section]
        if not isinstance(table, dict):
            raise _bad(source, section, table, f"a table ([{section}])")
        for key, check in keys.items():
            if key in table:
                allowed = check(table[key])
                if allowed is not None:
                    raise _bad(source, f"{section}.{key}", table[key], allowed)
    _check_weights(data, source)


def _check_weights(data: dict[str, Any], source: Path | str) -> None:
    from ctx.core.models import MEMORY_TYPES

    weights = data.get("search", {}).get("type_weights", {})
    for name, w in weights.items():
        key = f"search.type_weights.{name}"
        if name not in MEMORY_TYPES:
            raise CtxError(
                f"{source}: {key}: '{name}' is not a memory type;"
                f" the types are {', '.join(MEMORY_TYPES)}",
                "fix the value (every key is documented in .contextfs.example)",
                code="bad_config",
            )
        if not _is_num(w) or w < 0:
            raise _bad(source, key, w, "a number of at least 0")


def _bad(source: Path | str, key: str, value: Any, allowed: str) -> CtxError:
    return CtxError(
        f"{source}: {key} is {_show(value)}; it must be {allowed}",
        "fix the value (every key is documented in .contextfs.example)",
        code="bad_config",
    )
