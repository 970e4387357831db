"""The store's single entry point to secret redaction: nothing reaches `.contextfs/` unredacted."""

from __future__ import annotations

from typing import Any


def redact_text(text: str) -> str:
    from ctx.privacy.secrets import redact

    return redact(text)


def redact_data(obj: Any) -> Any:
    from ctx.privacy.secrets import redact_obj

    return redact_obj(obj)
