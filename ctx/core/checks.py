"""One finding of `ctx doctor`: what was checked, how it went, and how to fix it.

Down here because the checks are written by many layers (git hooks, agent hooks, the embedding
model), and `ctx doctor` only gathers them."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)
