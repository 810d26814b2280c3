"""Counts in messages: "1 span", "2 spans", never "1 spans"."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """``plural(1, "span")`` is ``"1 span"``; ``plural(2, "match", "matches")`` is ``"2 matches"``."""
    return f"{count} {one if count == 1 else many or one + 's'}"
