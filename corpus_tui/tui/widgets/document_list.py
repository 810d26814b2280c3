"""The document list: a Line-API view over thousands of ``DocRow``s.

Only visible rows are rendered, so 100,000 documents cost one list of small
records, not 100,000 widgets.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.listing import DocRow
from ..safe_text import one_line

STATUS_MARKERS = {"new": "○", "in_progress": "◐", "reviewed": "●", "skipped": "⊘"}
STATE_MARKERS = {"missing": "✗", "unreadable": "!"}
CURSOR_STYLE = Style(reverse=True)
CURRENT_STYLE = Style(bold=True)
CHIP_STYLE = Style(color="#8fbcbb")
DIM = Style(dim=True)


class DocumentList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False),
        Binding("k,up", "cursor(-1)", "Up", show=False),
        Binding("g,home", "jump(0)", "Top", show=False),
        Binding("G,end", "jump(-1)", "Bottom", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("enter", "open", "Open", show=False),
    ]

    DEFAULT_CSS = """
    DocumentList { background: $panel; }
    """

    class Opened(Message):
        """The user chose a document (enter or click)."""

        def __init__(self, document_id: int) -> None:
            self.document_id = document_id
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[DocRow] = []
        self.cursor = 0
        self.current_id: int | None = None

    def set_rows(self, rows: list[DocRow]) -> None:
        self.rows = rows
        self.cursor = min(self.cursor, max(0, len(rows) - 1))
        if self.current_id is not None:
            self.cursor = self.index_of(self.current_id, self.cursor)
        self.virtual_size = Size(self.size.width, len(rows))
        self._keep_visible()
        self.refresh()

    def update_row(self, row: DocRow) -> None:
        index = self.index_of(row.id, -1)
        if index != -1:
            self.rows[index] = row
            self.refresh()

    def index_of(self, document_id: int, default: int = -1) -> int:
        for index, row in enumerate(self.rows):
            if row.id == document_id:
                return index
        return default

    def set_current(self, document_id: int) -> None:
        self.current_id = document_id
        self.cursor = self.index_of(document_id, self.cursor)
        self._keep_visible()
        self.refresh()

    def neighbour(self, document_id: int | None, step: int) -> DocRow | None:
        """The row ``step`` away from ``document_id`` in the current filter and order."""
        if not self.rows:
            return None
        index = self.index_of(document_id, -1) if document_id is not None else -1
        if index == -1:
            return self.rows[0 if step > 0 else -1]
        target = index + step
        return self.rows[target] if 0 <= target < len(self.rows) else None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + int(self.scroll_offset.y)
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        marker = STATE_MARKERS.get(row.state) or STATUS_MARKERS.get(row.status, "?")
        share = f" {round(row.boilerplate_share * 100):>2}%" if row.boilerplate_share else ""
        chips = "".join(f" #{one_line(tag, 16)}" for tag in row.tags[:3])
        title = one_line(row.title or row.path, 300)
        room = max(4, width - 2 - len(share) - len(chips))
        segments = [
            Segment(marker + " ", DIM if row.status == "reviewed" else None),
            Segment(title[:room].ljust(room), CURRENT_STYLE if row.id == self.current_id else None),
            Segment(chips, CHIP_STYLE),
            Segment(share, DIM),
        ]
        strip = Strip(segments).adjust_cell_length(width, self.rich_style)
        if index == self.cursor and self.has_focus:
            strip = strip.apply_style(CURSOR_STYLE)
        elif index == self.cursor or row.id == self.current_id:
            strip = strip.apply_style(Style(bgcolor="#303846"))
        return strip.apply_style(self.rich_style)

    def _keep_visible(self) -> None:
        height = self.scrollable_content_region.height or 1
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            top = self.cursor
        elif self.cursor >= top + height:
            top = self.cursor - height + 1
        self.scroll_to(y=top, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))
            self._keep_visible()
            self.refresh()

    def action_jump(self, index: int) -> None:
        if self.rows:
            self.cursor = index % len(self.rows)
            self._keep_visible()
            self.refresh()

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_open(self) -> None:
        if self.rows:
            self.post_message(self.Opened(self.rows[self.cursor].id))

    def on_click(self, event: events.Click) -> None:
        index = event.y + int(self.scroll_offset.y)
        if 0 <= index < len(self.rows):
            self.cursor = index
            self.refresh()
            self.post_message(self.Opened(self.rows[index].id))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
