"""Scrolling by keys that may come in a burst (key repeat, a paste, a slow SSH link).

Textual's ``scroll_down`` adds one line to the scroll target and applies it after the next
refresh; ten presses before that refresh all add one to the same target, and nine are lost.
``scroll_lines`` adds up the lines asked for until the scroll is applied.
"""

from __future__ import annotations

from textual.widget import Widget

_PENDING = "_corpus_tui_pending_scroll"


def scroll_lines(widget: Widget, lines: int) -> None:
    """Scroll ``widget`` by ``lines`` (negative: up) after the next refresh, with every other
    call made before then: a key typed as a screen opens waits for its text to be laid out."""
    pending: list[int] | None = getattr(widget, _PENDING, None)
    if pending is not None:
        pending[0] += lines
        return
    pending = [lines]
    setattr(widget, _PENDING, pending)

    def apply() -> None:
        setattr(widget, _PENDING, None)
        widget.scroll_to(y=widget.scroll_target_y + pending[0], animate=False, immediate=True)

    widget.call_after_refresh(apply)
