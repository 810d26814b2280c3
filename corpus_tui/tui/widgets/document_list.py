"""The document list: a Line-API view over thousands of ``DocRow``s.

Only visible rows are rendered, so 100,000 documents cost one list of small
records, not 100,000 widgets.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.listing import DocRow
from ..colors import DEFAULT_CHIP_STYLE
from ...core.safe_text import one_line, path_line

STATUS_MARKERS = {"new": "○", "in_progress": "◐", "reviewed": "●", "skipped": "⊘"}
STATE_MARKERS = {"missing": "✗", "unreadable": "!"}
CURSOR_STYLE = Style(reverse=True)
CURRENT_STYLE = Style(bold=True)
DIM = Style(dim=True)
CURRENT_ROW_STYLE = Style(bgcolor="#303846")


def boilerplate_percent(share: float) -> str:
    """``6%``; a first small mark is ``<1%``, never a ``0%`` that looks like nothing happened,
    and a share short of all is ``>99%``, never a ``100%`` that says nothing is left."""
    percent = round(share * 100)
    if percent == 0 and share > 0:
        return "<1%"
    return ">99%" if percent == 100 and share < 1 else f"{percent}%"


def keep_row_visible(view: ScrollView, row: int) -> None:
    """Scroll a one-line-a-row view only when ``row`` leaves it, and then by a chunk (a third
    of the view kept before it going down, two thirds going up)."""
    height = view.scrollable_content_region.height or 1
    top = int(view.scroll_offset.y)
    if top <= row < top + height:
        return
    top = max(0, row - (2 * height) // 3) if row < top else row - height // 3
    view.scroll_to(y=top, animate=False, immediate=True)


TITLE_MIN = 12  # cells of a row's title that tags never take (or half the row, if less)


class DocumentList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", id="cursor_down", show=False),
        Binding("k,up", "cursor(-1)", "Up", id="cursor_up", show=False),
        Binding("g,home", "jump(0)", "Top", id="top", show=False),
        Binding("G,end", "jump(-1)", "Bottom", id="bottom", show=False),
        Binding("pagedown", "page(1)", "Page down", id="page_down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="page_up", show=False),
        Binding("enter", "open", "Open", id="list_open", show=False),
    ]

    DEFAULT_CSS = """
    DocumentList { background: $panel; overflow-x: hidden; }
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
        self.moved = False  # the cursor was moved off the open document (keys in the list)
        self._base_style = Style()
        self._width = 0
        self._positions: dict[int, int] = {}
        self.tag_styles: dict[str, Style] = {}  # tag name -> chip style, for tags with a colour

    def set_rows(self, rows: list[DocRow]) -> None:
        # The row the analyst moved the cursor to (not one it sits on for want of the open one:
        # at start-up the list is read in two pages, and the first holds no reopened document).
        highlighted = self.rows[self.cursor].id if self.moved and self.cursor < len(self.rows) else None
        self.rows = rows
        self._positions = {row.id: index for index, row in enumerate(rows)}
        self.cursor = min(self.cursor, max(0, len(rows) - 1))
        if highlighted in self._positions:
            # On the row it was on: a list read again (a scan's progress, ctrl+l) must not move
            # the cursor off the document about to be opened with enter (a review).
            self.cursor = self._positions[highlighted]
        elif self.current_id is not None:
            # Else on the open document; a filter that leaves it out starts at the top, not on
            # whatever row took its old place (enter then opened an unrelated document).
            self.cursor = self.index_of(self.current_id, 0)
        self.virtual_size = Size(self.size.width, len(rows))
        self._keep_visible()
        self.refresh()

    def update_row(self, row: DocRow) -> None:
        index = self.index_of(row.id, -1)
        if index != -1:
            self.rows[index] = row
            self.refresh_lines(index)

    def index_of(self, document_id: int | None, default: int = -1) -> int:
        index = self._positions.get(document_id, -1) if document_id is not None else -1
        return index if index != -1 else default

    def set_current(self, document_id: int) -> None:
        old_rows = (self.cursor, self.index_of(self.current_id, self.cursor) if self.current_id else self.cursor)
        self.moved = False  # back on the open document
        self.current_id = document_id
        self.cursor = self.index_of(document_id, self.cursor)
        self._move_refresh(old_rows)

    def _move_refresh(self, old_rows: tuple[int, ...]) -> None:
        """Keep the cursor in view; repaint only the rows that changed when the view did not move."""
        top = self.scroll_offset.y
        self._keep_visible()
        if self.scroll_offset.y == top:
            for index in {*old_rows, self.cursor}:
                self.refresh_lines(index)

    def neighbour(self, document_id: int | None, step: int) -> DocRow | None:
        """The row ``step`` away from ``document_id`` in the current filter and order."""
        if not self.rows:
            return None
        index = self.index_of(document_id, -1) if document_id is not None else -1
        if index == -1:
            return self.rows[0 if step > 0 else -1]
        target = index + step
        return self.rows[target] if 0 <= target < len(self.rows) else None

    def render_lines(self, crop: Region) -> list[Strip]:
        self._base_style = self.rich_style  # once per paint: it walks the CSS
        self._width = self.scrollable_content_region.width
        return super().render_lines(crop)

    def _chips(self, tags: list[str], room: int) -> list[Segment]:
        """Up to three tags in ``room`` cells: tags give way to the title and the status columns
        (a long tag is cut, the ones that do not fit are left out)."""
        chips: list[Segment] = []
        for tag in tags[:3]:
            left = room - sum(chip.cell_length for chip in chips)
            chip = Segment(f" #{one_line(tag, 16)}", self.tag_styles.get(tag, DEFAULT_CHIP_STYLE))
            if chip.cell_length > left:
                if left < 5:  # " #ab…" at least
                    break
                chip = Segment(f" #{one_line(tag, left - 2)}", chip.style)
                while chip.cell_length > left:  # wide characters take two cells
                    chip = Segment(chip.text[:-2] + "…", chip.style)
            chips.append(chip)
        return chips

    def render_line(self, y: int) -> Strip:
        width, base = self._width, self._base_style
        index = y + int(self.scroll_offset.y)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        marker = STATE_MARKERS.get(row.state) or STATUS_MARKERS.get(row.status, "?")
        share = f" {boilerplate_percent(row.boilerplate_share):>3}" if row.boilerplate_share else ""
        if row.marked_duplicate:  # left out by export --dedup
            share = f" dup{share}"
        elif row.cluster is not None:
            share = f" ≈{row.cluster}{share}"
        title = one_line(row.title, 300) if row.title else path_line(row.path, 300)
        title_room = min(cell_len(title), max(TITLE_MIN, (width - 2) // 2))  # cells: CJK takes two each
        chips = self._chips(row.tags, width - 2 - cell_len(share) - title_room)
        room = max(4, width - 2 - cell_len(share) - sum(chip.cell_length for chip in chips))
        segments = [
            Segment(marker + " ", DIM if row.status == "reviewed" else None),
            # Cut by cells, not characters: a CJK title cut at ``room`` characters took twice its
            # room and pushed the tags and the share off the row.
            Segment(set_cell_size(title, room), CURRENT_STYLE if row.id == self.current_id else None),
            *chips,
            Segment(share, DIM),
        ]
        strip = Strip(segments).adjust_cell_length(width)
        if index == self.cursor and self.has_focus:
            strip = strip.apply_style(CURSOR_STYLE)
        elif index == self.cursor or row.id == self.current_id:
            strip = strip.apply_style(CURRENT_ROW_STYLE)
        return strip.apply_style(base)

    def _keep_visible(self) -> None:
        """Scroll only when the cursor leaves the view, and then by a chunk: a scroll
        repaints the whole list, so stepping through documents one by one should
        not scroll on every step."""
        keep_row_visible(self, self.cursor)

    def action_cursor(self, step: int) -> None:
        if self.rows:
            self.moved = True
            old = self.cursor
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))
            self._move_refresh((old,))

    def action_jump(self, index: int) -> None:
        if self.rows:
            self.moved = True
            old = self.cursor
            self.cursor = index % len(self.rows)
            self._move_refresh((old,))

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
