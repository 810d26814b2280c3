"""The diff of a document and its nearest near-duplicate (``=``): lines only in the first
in red with ``-``, only in the second in green with ``+``, the words that differ inside a
changed line underlined, long runs of equal lines folded (``duplicates.diff``).

Document text is untrusted: it goes into ``Content`` built from plain strings, after
``visible`` (control characters become glyphs, one for one), never into markup. The
diff is computed in a worker: two 10 MB documents do not freeze the app.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from rich.segment import Segment
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import LoadingIndicator, Static

from ...core.duplicates.diff import DiffRow, diff_rows
from ...core.errors import CorpusError
from ...core.safe_text import one_line, path_line, visible
from ..widgets.quiet_resize import set_virtual_size

STYLES = {"removed": "#ff8080", "added": "#80e080", "same": "", "fold": "dim italic"}
SIGNS = {"removed": "- ", "added": "+ ", "same": "  ", "fold": "  "}


def row_content(row: DiffRow) -> Content:
    style = STYLES[row.kind]
    number = row.first_line if row.first_line is not None else row.second_line
    content = Content.styled(f"{number or '':>6} {SIGNS[row.kind]}", "dim")
    for text, differs in row.pieces:
        piece_style = f"{style} bold underline".strip() if differs and len(row.pieces) > 1 else style
        content += Content.styled(visible(text), piece_style) if piece_style else Content(visible(text))
    return content


class DiffView(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("j,down", "scroll_down", "Down", show=False),
        Binding("k,up", "scroll_up", "Up", show=False),
        Binding("pagedown,space", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("g,home", "scroll_home", "Top", show=False),
        Binding("G,end", "scroll_end", "Bottom", show=False),
        Binding("n", "next_change(1)", "Next change"),
        Binding("N", "next_change(-1)", "Previous change", show=False),
    ]
    DEFAULT_CSS = "DiffView { height: 1fr; overflow-x: hidden; }"

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[Content] = []
        self.kinds: list[str] = []
        self.rows: list[Content] = []  # wrapped to the width
        self.row_kinds: list[str] = []
        self._width = 0

    def set_diff(self, rows: list[DiffRow]) -> None:
        self.lines = [row_content(row) for row in rows]
        self.kinds = [row.kind for row in rows]
        self._width = 0
        self._rewrap()

    def _rewrap(self) -> None:
        width = max(10, self.scrollable_content_region.width or self.size.width or 80)
        if width == self._width:
            return
        self._width = width
        self.rows, self.row_kinds = [], []
        for line, kind in zip(self.lines, self.kinds):
            wrapped = line.wrap(width)
            self.rows += wrapped
            self.row_kinds += [kind] * len(wrapped)
        set_virtual_size(self, Size(width, len(self.rows)))
        self.refresh()

    def on_resize(self) -> None:
        self._rewrap()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + int(self.scroll_offset.y)
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        strip = Strip(self.rows[index].render_segments())
        if strip.cell_length > width:
            strip = Strip([*strip.crop(0, max(0, width - 1)), Segment("…")])
        return strip.adjust_cell_length(width).apply_style(self.rich_style)

    def action_next_change(self, step: int) -> None:
        """Scroll to the next (``step`` -1: previous) run of changed lines."""
        top = int(self.scroll_offset.y)
        index = top + step
        # Skip the run the top row is in, then find the next changed row.
        while 0 <= index < len(self.row_kinds) and self.row_kinds[index] in ("removed", "added") \
                and self.row_kinds[top] in ("removed", "added"):
            index += step
        while 0 <= index < len(self.row_kinds) and self.row_kinds[index] not in ("removed", "added"):
            index += step
        if 0 <= index < len(self.row_kinds):
            if step < 0:  # the start of that run
                while index > 0 and self.row_kinds[index - 1] in ("removed", "added"):
                    index -= 1
            self.scroll_to(y=index, animate=False)


class DuplicateDiffScreen(ModalScreen[None]):
    """Shows the diff of two texts; ``load`` returns them (run in a worker)."""

    BINDINGS = [Binding("escape,q,equals_sign", "dismiss", "Close")]
    DEFAULT_CSS = """
    DuplicateDiffScreen { align: center middle; }
    DuplicateDiffScreen > Vertical {
        width: 100%; height: 100%; border: round $accent; background: $surface; padding: 0 1;
    }
    DuplicateDiffScreen #diff-title { color: $text; }
    DuplicateDiffScreen #diff-help { color: $text-muted; }
    DuplicateDiffScreen LoadingIndicator { height: 1; }
    """

    def __init__(self, first_path: str, second_path: str, figures: str, load: Callable[[], tuple[str, str]]) -> None:
        super().__init__()
        self.first_path, self.second_path, self.figures, self.load = first_path, second_path, figures, load

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content.assemble(
                ("- ", "#ff8080"), (path_line(self.first_path, 200), "bold"), "\n",
                ("+ ", "#80e080"), (path_line(self.second_path, 200), "bold"), "\n",
                (self.figures, "dim"),
            ), id="diff-title")
            yield LoadingIndicator()
            yield DiffView()
            yield Static(Content("n / N next / previous change · j k scroll · esc close"), id="diff-help")

    def on_mount(self) -> None:
        self.query_one(DiffView).focus()
        self._compute()

    @work(thread=True, exclusive=True)
    def _compute(self) -> None:
        try:
            first, second = self.load()
            rows = diff_rows(first, second)
        except (CorpusError, sqlite3.Error) as error:  # a busy or changed database: say so, stay open
            self.app.call_from_thread(self._failed, str(error))
            return
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[DiffRow]) -> None:
        self.query_one(LoadingIndicator).display = False
        self.query_one(DiffView).set_diff(rows)

    def _failed(self, reason: str) -> None:
        self.query_one(LoadingIndicator).display = False
        self.query_one("#diff-help", Static).update(Content(f"No diff: {one_line(reason, 200)} · esc close"))
