"""A list of any length whose rows are fetched as they come into view (Line API).

The owner gives the number of rows and a function that renders row ``i`` or returns None
while it is not loaded yet; the list then asks for the rows on screen (``NeedRows``),
drawn as "…" until the owner has them and calls ``refresh``. 100,000 rows cost a
list of ids, not 100,000 widgets or one query per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .document_list import keep_row_visible

Piece = tuple[str, Style | None]  # text (already safe: one_line) and its style
RowRenderer = Callable[[int], Sequence[Piece] | None]

CURSOR_STYLE = Style(reverse=True)
UNFOCUSED_CURSOR_STYLE = Style(bgcolor="#303846")
LOADING = (("…", Style(dim=True)),)
PREFETCH_ROWS = 50  # rows asked for beyond the visible ones, so a page down is already there


class _RowMessage(Message):
    """A message about one row (no handler takes this class itself: Textual hands a message to
    the handlers of its base classes too)."""

    def __init__(self, lazy_list: "LazyList", index: int) -> None:
        self.lazy_list = lazy_list
        self.index = index
        super().__init__()

    @property
    def control(self) -> "LazyList":
        return self.lazy_list


class LazyList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home,g", "jump(0)", "Top", show=False),
        Binding("end,G", "jump(-1)", "Bottom", show=False),
        Binding("enter", "choose", "Choose", show=False),
    ]
    DEFAULT_CSS = """
    LazyList { background: $surface; overflow-x: hidden; }
    """

    class Chosen(_RowMessage):
        """Enter (or a click) on a row."""

    class Highlighted(_RowMessage):
        """The cursor moved to another row (or a new listing put it on one)."""

    class NeedRows(Message):
        """Rows [first, past) are on screen (or about to be) and not loaded. (Not ``stop``:
        that is Message's own method.)"""

        def __init__(self, lazy_list: LazyList, first: int, past: int) -> None:
            self.lazy_list = lazy_list
            self.first, self.past = first, past
            super().__init__()

        @property
        def control(self) -> LazyList:
            return self.lazy_list

    def __init__(self, render_row: RowRenderer, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.render_row = render_row
        self.count = 0
        self.cursor = 0
        self._asked: tuple[int, int] | None = None  # the last NeedRows, not repeated every paint
        self._base_style = Style()
        self._width = 0

    def reset(self, count: int, cursor: int = 0) -> None:
        """New rows (a new query): ``count`` of them, the cursor on ``cursor``."""
        self.count = count
        self.cursor = max(0, min(cursor, count - 1))
        self._asked = None
        self.virtual_size = Size(self.size.width, count)
        self.scroll_to(y=0, animate=False, immediate=True)
        self._keep_visible()
        self.refresh()
        if count:
            self.post_message(self.Highlighted(self, self.cursor))

    def loaded(self) -> None:
        """The owner has loaded rows it was asked for: paint them (and ask again if need be)."""
        self._asked = None
        self.refresh()

    def visible_rows(self) -> range:
        top = int(self.scroll_offset.y)
        return range(top, min(self.count, top + max(1, self.scrollable_content_region.height)))

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base_style = self.rich_style  # once per paint: it walks the CSS
        self._width = self.scrollable_content_region.width
        strips = super().render_lines(crop)
        self._ask_for_missing()
        return strips

    def render_line(self, y: int) -> Strip:
        width, base = self._width, self._base_style
        index = y + int(self.scroll_offset.y)
        if index >= self.count:
            return Strip.blank(width, base)
        pieces = self.render_row(index) or LOADING
        strip = Strip([Segment(text, style) for text, style in pieces]).adjust_cell_length(width)
        if index == self.cursor:
            strip = strip.apply_style(CURSOR_STYLE if self.has_focus else UNFOCUSED_CURSOR_STYLE)
        return strip.apply_style(base)

    def _ask_for_missing(self) -> None:
        visible = self.visible_rows()
        missing = [index for index in visible if self.render_row(index) is None]
        if not missing:
            return
        wanted = (max(0, missing[0] - PREFETCH_ROWS), min(self.count, missing[-1] + 1 + PREFETCH_ROWS))
        if wanted != self._asked:
            self._asked = wanted
            self.post_message(self.NeedRows(self, *wanted))

    def _keep_visible(self) -> None:
        keep_row_visible(self, self.cursor)

    def move_to(self, index: int) -> None:
        if not self.count:
            return
        old = self.cursor
        self.cursor = max(0, min(self.count - 1, index))
        top = self.scroll_offset.y
        self._keep_visible()
        if self.scroll_offset.y == top:
            self.refresh_lines(old)
            self.refresh_lines(self.cursor)
        if self.cursor != old:
            self.post_message(self.Highlighted(self, self.cursor))

    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, index: int) -> None:
        self.move_to(index % self.count if self.count else 0)

    def action_choose(self) -> None:
        if self.count:
            self.post_message(self.Chosen(self, self.cursor))

    def on_click(self, event: events.Click) -> None:
        index = event.y + int(self.scroll_offset.y)
        if 0 <= index < self.count:
            self.move_to(index)
            self.post_message(self.Chosen(self, index))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
