"""Privacy at the store boundary: secrets are redacted before anything reaches `.contextfs/`.

Import from here; the implementation lives in :mod:`ctx.privacy.secrets` (engine),
:mod:`ctx.privacy.rules` (vendor token formats), :mod:`ctx.privacy.assign` (context rules),
:mod:`ctx.privacy.commands` (credential flags of common CLIs) and :mod:`ctx.privacy.formats`
(config formats, cards, cookies, secrets told in prose).
"""

from __future__ import annotations

from ctx.privacy.secrets import (
    MARKER_RE,
    Finding,
    contains_secret,
    find_secrets,
    redact,
    redact_obj,
)

__all__ = ["MARKER_RE", "Finding", "contains_secret", "find_secrets", "redact", "redact_obj"]
