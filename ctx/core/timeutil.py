"""Timestamps as ISO-8601 UTC strings (sortable as text), and parsing of `--since` values."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from ctx.core.errors import CtxError

_REL = re.compile(r"^\s*(\d+)\s*(s|sec|m|min|h|d|w|mo|y)\s*$", re.IGNORECASE)
_UNITS = {
    "s": 1,
    "sec": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
    "mo": 30 * 86400,
    "y": 365 * 86400,
}


MAX_BACK_SECONDS = 1000 * 365 * 86400  # past this a duration is a typo, not a filter


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(now())


def parse_iso(value: str) -> datetime:
    """Parse the ISO forms we write and the common ones tools write (``Z``, offsets, dates)."""
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def normalize_iso(value: str | None) -> str | None:
    """Best effort: any parseable time becomes our canonical form; garbage becomes None."""
    if not value:
        return None
    try:
        return iso(parse_iso(str(value)))
    except ValueError:
        return None


def to_unix(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return parse_iso(value).timestamp()
    except ValueError:
        return 0.0


def from_unix_iso(seconds: float | None) -> str | None:
    """Unix seconds as our ISO form; 0 or nonsense (no time known) as None."""
    if not seconds:
        return None
    try:
        return iso(datetime.fromtimestamp(float(seconds), timezone.utc))
    except (OverflowError, OSError, ValueError):
        return None


def parse_since(value: str, *, option: str = "--since") -> datetime:
    """`7d`, `12h`, `2w`, `30min`, `today`, `yesterday`, or an ISO date/time."""
    v = value.strip().lower()
    if v == "today":
        n = now()
        return n.replace(hour=0, minute=0, second=0, microsecond=0)
    if v == "yesterday":
        n = now() - timedelta(days=1)
        return n.replace(hour=0, minute=0, second=0, microsecond=0)
    m = _REL.match(v)
    if m:
        seconds = int(m.group(1)) * _UNITS[m.group(2).lower()]
        if seconds > MAX_BACK_SECONDS:
            raise CtxError(
                f"{option} {value.strip()} reaches more than 1000 years back",
                "use a shorter duration like 7d or 2y, or leave the filter out for everything",
                exit_code=2,
                code="usage",
            )
        return now() - timedelta(seconds=seconds)
    try:
        return parse_iso(value)
    except (ValueError, OverflowError):
        raise CtxError(
            f"cannot read {option} value '{value}'",
            "use a duration like 7d, 12h, 2w, or a date like 2026-01-31",
        ) from None
