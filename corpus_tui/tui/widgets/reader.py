"""The document reader: line numbers, cursor, selection, spans, find matches.

A Line-API ``ScrollView``: only visible rows are rendered, from a
``TextLayout`` built once per document and width, so a 10 MB document opens
and scrolls like a small one. Document text is turned into plain ``Segment``s
after ``visible()`` — it never passes through markup.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate
from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.models import Span
from ..colors import label_color
from ...core.safe_text import one_line, visible
from ..text_layout import TextLayout
from .quiet_resize import set_virtual_size

LABEL_MARGIN = 12
BOILERPLATE_STYLE = Style(dim=True, strike=True)
SELECTION_STYLE = Style(reverse=True)
MATCH_STYLE = Style(bgcolor="#8a7a00", color="#ffffff")
CURRENT_MATCH_STYLE = Style(bgcolor="#d08000", color="#000000", bold=True)
CURSOR_STYLE = Style(reverse=True, bold=True)
CURSOR_UNFOCUSED_STYLE = Style(underline=True)
GUTTER_STYLE = Style(dim=True)
# Suggested boilerplate: faint and italic (a mark is dim and struck through), with a marker
# in the margin, so a suggestion never passes for a decision.
SUGGESTION_STYLE = Style(italic=True, color="#c8a050")
SUGGESTION_MARKER = "▍"
SUGGESTION_MARKER_STYLE = Style(color="#e0a030", bold=True)


_NON_BLANK = re.compile(r"\S")  # a character that shows


@dataclass(frozen=True)
class _Paint:
    start: int
    end: int
    style: Style
    order: int  # later paints win where styles conflict


def paints_overlapping(paints: list[_Paint], starts: list[int], reach: list[int], start: int, end: int) -> list[_Paint]:
    """The ``paints`` (sorted by start) that overlap ``[start, end)``, in their order, by two
    bisections: ``starts`` holds each one's start, ``reach`` the furthest end of those up to it
    (never decreasing). Every row scanned all of them: 2 ms a row with a 10 MB document's 50,000
    suggestions, 100 ms a frame when scrolling."""
    first = bisect_right(reach, start)  # those before it all end at or before ``start``
    last = bisect_left(starts, end)  # those from it on all start at or after ``end``
    return [p for p in paints[first:last] if p.end > start]


class Reader(ScrollView, can_focus=True):
    """Shows one document; reports cursor moves upward, never edits anything."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", id="cursor_down", show=False),
        Binding("k,up", "cursor_up", "Up", id="cursor_up", show=False),
        Binding("h,left", "cursor_left", "Left", id="cursor_left", show=False),
        Binding("l,right", "cursor_right", "Right", id="cursor_right", show=False),
        Binding("g,home", "top", "Top", id="top", show=False),
        Binding("G,end", "bottom", "Bottom", id="bottom", show=False),
        Binding("pageup", "page_up", "Page up", id="page_up", show=False),
        Binding("pagedown", "page_down", "Page down", id="page_down", show=False),
        Binding("0", "row_start", "Row start", id="row_start", show=False),
        Binding("$", "row_end", "Row end", id="row_end", show=False),
        Binding("shift+down", "select_down", "Select down", id="select_down", show=False),
        Binding("shift+up", "select_up", "Select up", id="select_up", show=False),
        Binding("shift+left", "select_left", "Select left", id="select_left", show=False),
        Binding("shift+right", "select_right", "Select right", id="select_right", show=False),
        Binding("v", "line_select", "Line select", id="line_select", show=False),
        Binding("escape", "clear_selection", "Clear", id="clear_selection", show=False),
        Binding("w", "toggle_wrap", "Wrap", id="wrap", show=False),
        Binding("n", "next_match", "Next match", id="next_match", show=False),
        Binding("N", "previous_match", "Prev match", id="previous_match", show=False),
    ]

    DEFAULT_CSS = """
    Reader { background: $surface; overflow-y: scroll; overflow-x: hidden; }
    """

    class MatchesChanged(Message):
        """The find matches, or the current one, changed (for the status line)."""

    class CursorMoved(Message):
        """The cursor or selection changed (for the inspector and status line)."""

        def __init__(self, offset: int) -> None:
            self.offset = offset
            super().__init__()

    wrap: reactive[bool] = reactive(True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""
        self._line_total = 1
        self.layout_: TextLayout | None = None
        self.spans: list[Span] = []
        self.matches: list[tuple[int, int]] = []
        self.current_match = -1
        self.matches_complete = True  # False: ``matches`` are the nearest of more (``find_around``)
        self.refind: Callable[[int], None] | None = None  # finds the matches around an offset again
        # Finds the last search again in this text (n after moving to another document, as in vim);
        # False when there is none, or it is not in this text (said by the app).
        self.find_again: Callable[[], bool] | None = None
        self.cursor = 0
        self.anchor: int | None = None  # selection anchor
        self.line_mode = False
        self._sticky_x: int | None = None
        self._paints: list[_Paint] = []
        self._paint_starts: list[int] = []  # each paint's start, in ``_paints``' order
        self._paint_reach: list[int] = []  # the furthest end of the paints up to each: never decreases
        self.suggested: list[tuple[int, int]] = []  # suggested boilerplate ranges, in order
        self._labels: list[tuple[int, str]] = []
        self._dragging = False
        self._base_style = Style()
        self._width = 0
        self._geometry_key: tuple[int, int] | None = None
        self._geometry_value = (2, 0, 8)

    # -- content -----------------------------------------------------------------

    def show(self, text: str, spans: list[Span], cursor: int = 0) -> None:
        self.text = text
        self._line_total = text.count("\n") + 1  # TextLayout's line_count, before it is built
        self.spans = spans
        self.suggested = []  # the new document's come when they are scored
        self.matches, self.current_match, self.matches_complete, self.refind = [], -1, True, None
        self.anchor, self.line_mode, self._sticky_x = None, False, None
        self.cursor = max(0, min(cursor, len(text)))
        self.layout_ = None
        self._repaint_spans()
        if self.size.width:
            self._relayout()
            self._scroll_to_cursor(center=True)
        # else: not laid out yet; the first resize builds the layout once, at the real width

    def set_spans(self, spans: list[Span]) -> None:
        """New spans for the same text: repaint only the rows whose spans changed."""
        def drawn(span_list: list[Span]) -> set[tuple[object, ...]]:
            return {(s.kind, s.start, s.end, s.label) for s in span_list if not s.stale}

        changed = drawn(self.spans) ^ drawn(spans)
        self.spans = spans
        self._repaint_spans(full=False)
        if self.layout_ is None:
            return
        top = int(self.scroll_offset.y)
        bottom = top + self.scrollable_content_region.height
        for _kind, start, end, _label in changed:
            first = max(top, self.layout_.row_of(start))  # type: ignore[arg-type]
            last = min(bottom, self.layout_.row_of(end))  # type: ignore[arg-type]
            if first <= last:
                self.refresh_lines(first, last - first + 1)

    def set_suggestions(self, ranges: list[tuple[int, int]]) -> None:
        """Suggested boilerplate to draw (sorted, not overlapping); [] draws none."""
        if ranges != self.suggested:
            self.suggested = ranges
            self._repaint_spans()

    def _suggested_in(self, start: int, end: int) -> bool:
        index = bisect_left(self.suggested, (start, -1))
        return any(s_start < end and s_end > start for s_start, s_end in self.suggested[max(0, index - 1) : index + 1])

    def set_matches(self, matches: list[tuple[int, int]], current: int = -1, complete: bool = True) -> None:
        self.matches, self.current_match, self.matches_complete = matches, current, complete
        self.refresh()
        self.post_message(self.MatchesChanged())

    @property
    def text_width(self) -> int:
        return self._geometry()[2]

    @property
    def _gutter_width(self) -> int:
        return self._geometry()[0]

    @property
    def _label_width(self) -> int:
        return self._geometry()[1]

    def _geometry(self) -> tuple[int, int, int]:
        """(gutter, label margin, text) widths for the current size; cached per size."""
        width = self.scrollable_content_region.width or self.size.width or 80
        # The text's own line count, not its layout's: the layout is built at the width this
        # returns, so a gutter sized for another text (the one shown before, or none) would
        # lay rows out a digit too wide, and their last characters would be cropped.
        lines = self._line_total
        key = (width, lines)
        if self._geometry_key != key:
            gutter = len(str(lines)) + 1
            labels = LABEL_MARGIN if width >= 72 else 8 if width >= 36 else 0  # less room when narrow
            self._geometry_key, self._geometry_value = key, (gutter, labels, max(8, width - gutter - labels))
        return self._geometry_value

    def _relayout(self) -> None:
        self.layout_ = TextLayout(self.text, self.text_width, self.wrap)
        width = self.text_width if self.wrap else self.layout_.max_cells + 1
        set_virtual_size(self, Size(width + self._gutter_width + self._label_width, self.layout_.row_count))
        self.refresh()

    def _repaint_spans(self, full: bool = True) -> None:
        paints, labels = [], []
        for span in self.spans:
            if span.stale:
                continue  # never drawn on text it may no longer describe
            if span.kind == "boilerplate":
                paints.append(_Paint(span.start, span.end, BOILERPLATE_STYLE, 0))
            else:
                paints.append(_Paint(span.start, span.end, Style(bgcolor=label_color(span.label or "")), 1))
                # On the row of its first visible character: a span that starts on a blank line
                # (a selection from the line above) starts on a row of no text, and had no label.
                visible = _NON_BLANK.search(self.text, span.start, span.end)
                labels.append((visible.start() if visible else span.start, span.label or ""))
        paints += [_Paint(start, end, SUGGESTION_STYLE, -1) for start, end in self.suggested]
        self._paints = sorted(paints, key=lambda p: (p.start, p.order))
        self._paint_starts = [p.start for p in self._paints]
        self._paint_reach = list(accumulate((p.end for p in self._paints), max))
        self._labels = sorted(labels)
        if full:
            self.refresh()

    def watch_wrap(self) -> None:
        if self.layout_ is not None:
            self._relayout()
            self._scroll_to_cursor()

    def on_resize(self, event: events.Resize) -> None:
        if self.layout_ is None:
            self._relayout()
            self._scroll_to_cursor(center=True)
        elif self.layout_.width != self.text_width:
            self._relayout()
            self._scroll_to_cursor()

    # -- selection ---------------------------------------------------------------

    def selection(self) -> tuple[int, int] | None:
        """The selected [start, end), or None when nothing is selected."""
        if self.anchor is None or self.layout_ is None:
            return None
        start, end = sorted((self.anchor, self.cursor))
        if self.line_mode:
            layout = self.layout_
            start = layout.line_starts[layout.line_of(start)]
            end = layout.line_end(layout.line_of(end))
        return (start, end) if end > start else None

    def target(self) -> tuple[int, int] | None:
        """What an action applies to: the selection, else the paragraph at the cursor."""
        selected = self.selection()
        if selected:
            return selected
        if self.layout_ is None:
            return None
        start, end = self.layout_.paragraph_at(self.cursor)
        return (start, end) if end > start else None

    # -- rendering ---------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # Computing rich_style walks the CSS; once per paint, not once per row.
        self._base_style = self.rich_style
        self._width = self.scrollable_content_region.width
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, base = self._width, self._base_style
        layout = self.layout_
        row = y + int(self.scroll_offset.y)
        if layout is None or row >= layout.row_count:
            return Strip.blank(width, base)
        start, end = layout.row_span(row)
        gutter, labels, text_width = self._geometry()
        number = f"{layout.row_line[row] + 1:>{gutter - 1}} " if layout.row_col[row] == 0 else " " * gutter
        body = self._segments(start, end)
        if not self.wrap:
            left = int(self.scroll_offset.x)
            body = list(Strip(body).crop(left, left + text_width))
        used = sum(segment.cell_length for segment in body)
        if used > text_width:
            body = list(Strip(body).crop(0, text_width))
        elif used < text_width:
            body.append(Segment(" " * (text_width - used)))
        if self.suggested and self._suggested_in(start, end):
            segments = [Segment(number[:-1], GUTTER_STYLE), Segment(SUGGESTION_MARKER, SUGGESTION_MARKER_STYLE), *body]
        else:
            segments = [Segment(number, GUTTER_STYLE), *body]
        if labels:
            segments += self._label_segments(start, end)
        return Strip(segments).adjust_cell_length(width).apply_style(base)

    def _paints_for(self, start: int, end: int) -> list[_Paint]:
        paints = paints_overlapping(self._paints, self._paint_starts, self._paint_reach, start, end)
        selected = self.selection()
        if selected and selected[0] < end and selected[1] > start:
            paints.append(_Paint(selected[0], selected[1], SELECTION_STYLE, 3))
        if self.matches:
            first = max(0, bisect_left(self.matches, (start, -1)) - 1)
            for index in range(first, len(self.matches)):
                m_start, m_end = self.matches[index]
                if m_start >= end:
                    break
                if m_end > start:
                    style = CURRENT_MATCH_STYLE if index == self.current_match else MATCH_STYLE
                    paints.append(_Paint(m_start, m_end, style, 2))
        if start <= self.cursor < end or (self.cursor == end and self._cursor_row_is(start, end)):
            style = CURSOR_STYLE if self.has_focus else CURSOR_UNFOCUSED_STYLE
            paints.append(_Paint(self.cursor, self.cursor + 1, style, 4))
        return paints

    def _cursor_row_is(self, start: int, end: int) -> bool:
        return self.layout_ is not None and self.layout_.row_span(self.layout_.row_of(self.cursor)) == (start, end)

    def _segments(self, start: int, end: int) -> list[Segment]:
        paints = self._paints_for(start, end)
        shown = visible(self.text[start:end])
        cuts = {start, end}
        for paint in paints:
            cuts.add(max(start, min(end, paint.start)))
            cuts.add(max(start, min(end, paint.end)))
        points = sorted(cuts)
        segments = []
        for a, b in zip(points, points[1:]):
            if b <= a:
                continue
            style = Style()
            for paint in sorted((p for p in paints if p.start < b and p.end > a), key=lambda p: p.order):
                style += paint.style
            segments.append(Segment(shown[a - start : b - start], style or None))
        cursor_paint = next((p for p in paints if p.order == 4), None)
        if cursor_paint is not None and self.cursor >= end:
            segments.append(Segment(" ", cursor_paint.style))  # cursor on the line break
        elif self.text.startswith(("\n", "\r\n"), end):
            # A selection or a span that holds the line break shows it, one cell past the text, as
            # vim does: a span crossing a line looked as if it stopped at the line's end (a trial).
            style = Style()
            for paint in sorted((p for p in paints if p.start <= end < p.end), key=lambda p: p.order):
                style += paint.style
            if style:
                segments.append(Segment(" ", style))
        return segments

    def _label_segments(self, start: int, end: int) -> list[Segment]:
        room = self._label_width - 1
        first = bisect_left(self._labels, (start, ""))
        if first < len(self._labels) and self._labels[first][0] < end:
            label = self._labels[first][1]
            return [Segment(" "), Segment(f"◂{one_line(label, room)}"[:room].ljust(room),
                                          Style(bgcolor=label_color(label), color="#ffffff"))]
        return [Segment(" " * (room + 1))]

    # -- cursor movement ---------------------------------------------------------

    def move_to(self, offset: int, select: bool = False, center: bool = False) -> None:
        before = self._marked_rows()
        if select and self.anchor is None:
            self.anchor = self.cursor
        elif not select and not self.line_mode:
            self.anchor = None
        self.cursor = self._on_a_cell(max(0, min(offset, len(self.text))), -1)
        top = self.scroll_offset.y
        self._scroll_to_cursor(center=center)
        if self.scroll_offset.y == top:
            # Same view: repaint only the rows whose cursor or selection changed.
            after = self._marked_rows()
            first, last = min(before[0], after[0]), max(before[1], after[1])
            self.refresh_lines(first, last - first + 1)
        self.post_message(self.CursorMoved(self.cursor))

    def _marked_rows(self) -> tuple[int, int]:
        """First and last row showing the cursor or the selection."""
        if self.layout_ is None:
            return 0, 0
        start, end = self.selection() or (self.cursor, self.cursor)
        start, end = min(start, self.cursor), max(end, self.cursor)
        return self.layout_.row_of(start), self.layout_.row_of(end)

    def _scroll_to_cursor(self, center: bool = False) -> None:
        if self.layout_ is None:
            return
        row, x = self.layout_.cell_of(self.cursor)
        height = self.scrollable_content_region.height or 1
        top = int(self.scroll_offset.y)
        if center:
            top = max(0, row - height // 2)
        elif row < top:
            top = row
        elif row >= top + height:
            top = row - height + 1
        left = int(self.scroll_offset.x)
        if not self.wrap:
            if x < left:
                left = x
            elif x >= left + self.text_width:
                left = x - self.text_width + 1
        # force: overflow-x is hidden (no scrollbar, the gutter shows where we are), and
        # Textual ignores a horizontal scroll_to on such a view unless forced.
        self.scroll_to(x=left, y=top, animate=False, immediate=True, force=True)

    def _vertical(self, rows: int, select: bool = False) -> None:
        if self.layout_ is None:
            return
        row, x = self.layout_.cell_of(self.cursor)
        if self._sticky_x is None:
            self._sticky_x = x
        target = max(0, min(self.layout_.row_count - 1, row + rows))
        sticky = self._sticky_x
        self.move_to(self.layout_.offset_at(target, sticky), select)
        self._sticky_x = sticky

    def _horizontal(self, step: int, select: bool = False) -> None:
        self._sticky_x = None
        offset = self.cursor + step
        # A CRLF break is one stop for the cursor, like an LF.
        if step > 0 and self.text.startswith("\r\n", self.cursor):
            offset = self.cursor + 2
        elif step < 0 and offset > 0 and self.text.startswith("\r\n", offset - 1):
            offset -= 1
        self.move_to(self._on_a_cell(offset, step), select)

    def _on_a_cell(self, offset: int, step: int) -> int:
        """``offset``, or the nearest one in the direction of ``step`` that is not a character
        drawn in no cell (a combining accent, a variation selector): the cursor there showed
        nowhere, and a selection ending there took "Cafe" of "Café" while the screen showed
        the accent selected (a trial). A character with its marks is one stop."""
        text = self.text
        while 0 < offset < len(text) and get_character_cell_size(visible(text[offset])) == 0:
            offset += 1 if step > 0 else -1
        return offset

    def action_cursor_down(self) -> None:
        self._vertical(1)

    def action_cursor_up(self) -> None:
        self._vertical(-1)

    def action_cursor_left(self) -> None:
        self._horizontal(-1)

    def action_cursor_right(self) -> None:
        self._horizontal(1)

    def action_select_down(self) -> None:
        self._vertical(1, select=True)

    def action_select_up(self) -> None:
        self._vertical(-1, select=True)

    def action_select_left(self) -> None:
        self._horizontal(-1, select=True)

    def action_select_right(self) -> None:
        self._horizontal(1, select=True)

    def action_top(self) -> None:
        self._sticky_x = None
        self.move_to(0, select=self.line_mode)

    def action_bottom(self) -> None:
        self._sticky_x = None
        self.move_to(len(self.text), select=self.line_mode)

    def action_page_down(self) -> None:
        self._vertical(max(1, self.scrollable_content_region.height - 1), select=self.line_mode)

    def action_page_up(self) -> None:
        self._vertical(-max(1, self.scrollable_content_region.height - 1), select=self.line_mode)

    def action_row_start(self) -> None:
        if self.layout_:
            self.move_to(self.layout_.row_span(self.layout_.row_of(self.cursor))[0], select=self.line_mode)

    def action_row_end(self) -> None:
        if self.layout_:
            self.move_to(self.layout_.row_span(self.layout_.row_of(self.cursor))[1], select=self.line_mode)

    def action_line_select(self) -> None:
        if self.line_mode:
            self.action_clear_selection()
            return
        self.line_mode = True
        self.anchor = self.cursor
        first, last = self._marked_rows()
        self.refresh_lines(first, last - first + 1)
        self.post_message(self.CursorMoved(self.cursor))

    def action_clear_selection(self) -> None:
        """Esc: drop the selection, or with none, the find highlights."""
        if self.anchor is None and not self.line_mode:
            if self.matches:
                self.set_matches([])
                self.refind = None
            return
        self.drop_selection()

    def drop_selection(self) -> None:
        """The selection a key acted on is done with: dropped, and nothing else (the find's
        highlights stay: b on a paragraph, with no selection, cleared them as esc does)."""
        if self.anchor is None and not self.line_mode:
            return
        first, last = self._marked_rows()
        self.anchor, self.line_mode = None, False
        self.refresh_lines(first, last - first + 1)
        self.post_message(self.CursorMoved(self.cursor))

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap

    def action_next_match(self) -> None:
        self.goto_match(+1)

    def action_previous_match(self) -> None:
        self.goto_match(-1)

    def goto_match(self, step: int, inclusive: bool = False) -> None:
        """Move to the next (step 1) or previous (-1) match from the cursor, as vim's n and N;
        ``inclusive`` accepts one at the cursor. Past the last match it wraps to the first."""
        if not self.matches and (self.find_again is None or not self.find_again()):
            return
        index = self._match_index(step, inclusive)
        if not self.matches_complete and self.refind is not None and not 0 <= index < len(self.matches):
            # Only the matches nearest where the find was are held: find them again around the
            # cursor, and past the text's last (or before its first) wrap round.
            self.refind(self.cursor)
            index = self._match_index(step, inclusive)
            if not 0 <= index < len(self.matches):
                self.refind(0 if step > 0 else len(self.text))
                index = 0 if step > 0 else len(self.matches) - 1
        self.current_match = index % len(self.matches)
        self.move_to(self.matches[self.current_match][0])
        self.post_message(self.MatchesChanged())

    def _match_index(self, step: int, inclusive: bool) -> int:
        """The index of the match ``step`` goes to from the cursor (out of range: none held there)."""
        current = self.current_match
        if 0 <= current < len(self.matches) and self.matches[current][0] == self.cursor and not inclusive:
            return current + step
        after = bisect_left(self.matches, (self.cursor + (1 if step > 0 and not inclusive else 0), -1))
        index = after if step > 0 else after - 1
        if self.matches_complete or self.refind is None:
            return index
        # A cursor outside the matches held may have others nearer: out of range asks for them.
        first, last = self.matches[0][0], self.matches[-1][0]
        return index if first <= self.cursor <= last else -1

    # -- mouse ---------------------------------------------------------------------

    def _offset_at_mouse(self, event: events.MouseEvent) -> int | None:
        if self.layout_ is None:
            return None
        x = event.x - self._gutter_width + (int(self.scroll_offset.x) if not self.wrap else 0)
        row = event.y + int(self.scroll_offset.y)
        if row >= self.layout_.row_count:
            return len(self.text)
        return self.layout_.offset_at(row, max(0, x))

    def on_mouse_down(self, event: events.MouseDown) -> None:
        offset = self._offset_at_mouse(event)
        if offset is None:
            return
        self.focus()
        self.line_mode = False
        self.anchor = None
        self.move_to(offset)
        self.anchor = offset
        self._dragging = True
        self.capture_mouse()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging:
            offset = self._offset_at_mouse(event)
            if offset is not None:
                self.move_to(offset, select=True)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()
            if self.anchor == self.cursor:
                self.anchor = None
                self.refresh()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
