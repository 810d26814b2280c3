"""Counts in messages: "1 span", "2 spans", never "1 spans"."""

from __future__ import annotations

import json


def plural(count: int, one: str, many: str | None = None) -> str:
    """``plural(1, "span")`` is ``"1 span"``; ``plural(2, "match", "matches")`` is ``"2 matches"``;
    ``plural(1304, "range")`` is ``"1,304 ranges"`` (a count people read, grouped as the README's are)."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def agreeing(count: int, one: str, many: str) -> str:
    """The word agreeing with ``count`` things: ``agreeing(1, "it", "them")`` is ``"it"``."""
    return one if count == 1 else many


def json_problem(error: json.JSONDecodeError) -> str:
    """``Unterminated string starting at column 9``: json's own message ends in "at" for some
    errors ("…starting at"), which a column added after it would double."""
    return f"{error.msg.removesuffix(' at')} at column {error.colno}"
