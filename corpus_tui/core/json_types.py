"""How a problem names the JSON value it found: ``a string``, ``a list``, ``an object``,
or the value itself for ``null``, ``true``, ``false`` and numbers (``0``, ``1.5``)."""

from __future__ import annotations

import json
from typing import Any


def json_kind(value: Any) -> str:
    """``field 'spans' must be a list, not {json_kind(0)}`` reads ``..., not 0``."""
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    try:
        shown = json.dumps(value)
    except (TypeError, ValueError):  # a Python row's value that JSON has no name for
        return f"a {type(value).__name__}"
    return shown if len(shown) <= 20 else shown[:19] + "…"
