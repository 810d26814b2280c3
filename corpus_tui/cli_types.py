"""Number options that say what they take in plain words.

click's ``IntRange`` and ``FloatRange`` answer ``--min-docs abc`` with "'abc' is not a valid
integer range" and ``--min-docs 1`` with "1 is not in the range x>=2"; these answer "takes a
whole number, 2 or more, not 'abc'" (and "..., not 1"), and ``--help`` shows ``[2 or more]``.
NaN and infinities are refused too (click's ranges let NaN through, and a timeout of infinity
overflowed). What was typed is shown on one line, control characters as glyphs.
"""

from __future__ import annotations

import math
from typing import Any

import click

from .core.safe_text import one_line


class _PlainRange:
    """What ``WholeNumber`` and ``Number`` share: the range and the error in words."""

    kind: str  # "a whole number" / "a number"
    min: Any
    max: Any

    def _describe_range(self) -> str:
        low, high = _shown(self.min), _shown(self.max)
        if self.max is None:
            return f"{low} or more"
        if self.min is None:
            return f"at most {high}"
        return f"from {low} to {high}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            number = super().convert(value, None, None)  # type: ignore[misc]
            if not math.isfinite(number):
                raise click.BadParameter("not finite")
        except click.BadParameter:
            said = f"takes {self.kind}, {self._describe_range()}, not {_typed(value)}"
            self.fail(said, param, ctx)  # type: ignore[attr-defined]
        return number


def _typed(value: Any) -> str:
    """What was typed, as the error shows it: a number as it is, anything else quoted."""
    text = one_line(str(value), 40)
    try:
        float(text)
    except ValueError:
        return f"'{text}'"
    return text


def _shown(bound: Any) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


class WholeNumber(_PlainRange, click.IntRange):
    name = "number"
    kind = "a whole number"


class Number(_PlainRange, click.FloatRange):
    name = "number"
    kind = "a number"
