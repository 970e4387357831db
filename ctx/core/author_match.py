"""`--author` as `git log --author` reads it: a case-insensitive regular expression over
"Name <email>"; one that does not compile is taken as plain text (git would refuse it: here
`[bot]` or `c++` still finds what the user meant)."""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=32)
def author_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return re.compile(re.escape(pattern), re.IGNORECASE)


def author_matches(pattern: str, author: str) -> bool:
    return author_pattern(pattern).search(author) is not None
