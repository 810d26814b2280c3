"""Resize a Line-API widget's scrollable area without a screen-wide layout."""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Like ``view.virtual_size = size``, minus the layout of the whole screen.

    A layout costs ~30 ms a frame here; a Line-API view only needs its
    scrollbars told. Views using this keep their vertical scrollbar always
    shown; if scrollbar visibility changes anyway, we fall back to a layout.
    """
    if size == view.virtual_size:
        return
    shown = (view.show_vertical_scrollbar, view.show_horizontal_scrollbar)
    view.set_reactive(ScrollView.virtual_size, size)
    view._scroll_update(size)
    if (view.show_vertical_scrollbar, view.show_horizontal_scrollbar) != shown:
        view.refresh(layout=True)
