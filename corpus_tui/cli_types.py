"""Number options that say what they take in plain words.

click's ``IntRange`` and ``FloatRange`` answer ``--min-docs abc`` with "'abc' is not a valid
integer range" and ``--min-docs 1`` with "1 is not in the range x>=2"; these answer "takes a
whole number, 2 or more, not abc" (and "..., not 1"), and ``--help`` shows ``[2 or more]``.
"""

from __future__ import annotations

from typing import Any

import click


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
        except click.BadParameter:
            self.fail(f"takes {self.kind}, {self._describe_range()}, not {value}", param, ctx)  # type: ignore[attr-defined]
        return number


def _shown(bound: Any) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


class WholeNumber(_PlainRange, click.IntRange):
    name = "number"
    kind = "a whole number"


class Number(_PlainRange, click.FloatRange):
    name = "number"
    kind = "a number"
