"""Arrow keys for a dialog whose text box keeps focus while a list below it is browsed."""

from __future__ import annotations

from textual.widgets import OptionList


def move_highlight(options: OptionList, step: int) -> None:
    """Move the list's highlight by ``step``, clamped to the list."""
    if options.option_count:
        current = options.highlighted if options.highlighted is not None else -step
        options.highlighted = max(0, min(options.option_count - 1, current + step))
