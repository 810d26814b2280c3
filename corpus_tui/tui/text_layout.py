"""Where each character of a document lands on screen: lines, wrapped rows, cells.

Pure Python (no Textual) so it is testable on its own and cheap to rebuild on a
resize. Rows are stored in compact arrays: a 10 MB document with ~150k rows
costs a few MB. Lines are separated by '\\n'; a '\\r' before it belongs to the
line break and is not drawn.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right

from rich.cells import cell_len, get_character_cell_size

from ..core.safe_text import single_cell, visible

_NEWLINE = re.compile("\n")


class TextLayout:
    def __init__(self, text: str, width: int, wrap: bool = True):
        self.text = text
        self.width = max(width, 8)
        self.wrap = wrap
        starts = array("l", [0])
        starts.extend(match.end() for match in _NEWLINE.finditer(text))
        self.line_starts = starts
        self.row_line = array("l")
        self.row_col = array("l")
        self.line_first_row = array("l")
        self.max_cells = 0
        # Hot loop (200k lines for 10 MB): a line of at most half the width fits
        # on one row whatever its characters (none is wider than 2 cells), and
        # cannot be wider than the view, so it does not change max_cells either.
        half = self.width // 2
        text_length = len(text)
        row_line, row_col, first_row = self.row_line, self.row_col, self.line_first_row
        for line_no in range(len(starts)):
            first_row.append(len(row_line))
            end = starts[line_no + 1] - 1 if line_no + 1 < len(starts) else text_length
            if end - starts[line_no] <= half:
                row_line.append(line_no)
                row_col.append(0)
                continue
            self._add_rows(line_no)


    # -- geometry of lines -----------------------------------------------------

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    @property
    def row_count(self) -> int:
        return len(self.row_line)

    def line_end(self, line_no: int) -> int:
        """Offset just past the line's last drawn character (before '\\r\\n' or '\\n')."""
        if line_no + 1 < len(self.line_starts):
            end = self.line_starts[line_no + 1] - 1
            if end > self.line_starts[line_no] and self.text[end - 1] == "\r":
                end -= 1
            return end
        return len(self.text)

    def line_text(self, line_no: int) -> str:
        return self.text[self.line_starts[line_no] : self.line_end(line_no)]

    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset) - 1

    def _add_rows(self, line_no: int) -> None:
        line = self.line_text(line_no)
        if line.isascii() or single_cell(line):
            cells = len(line)
            breaks = self._narrow_breaks(line) if self.wrap else [0]
        else:
            cells = cell_len(visible(line))
            breaks = self._wide_breaks(line) if self.wrap else [0]
        self.max_cells = max(self.max_cells, cells)
        for col in breaks:
            self.row_line.append(line_no)
            self.row_col.append(col)

    def _narrow_breaks(self, line: str) -> list[int]:
        """Breaks for a line whose every character is one cell wide (the common case)."""
        width, breaks, pos = self.width, [0], 0
        while len(line) - pos > width:
            space = line.rfind(" ", pos, pos + width)
            pos = space + 1 if space > pos else pos + width
            breaks.append(pos)
        return breaks

    def _wide_breaks(self, line: str) -> list[int]:
        """Breaks by cell width: after the last space that fits, else before the character
        that does not fit (so a wide character never overflows the row)."""
        width, breaks = self.width, [0]
        used, last_space = 0, -1
        shown = visible(line)
        for index, char in enumerate(shown):
            size = get_character_cell_size(char)
            if used + size > width and index > breaks[-1]:
                cut = last_space + 1 if last_space >= breaks[-1] else index
                used = cell_len(shown[cut:index])
                if used + size > width:  # what follows the space still does not fit with this character
                    cut, used = index, 0
                breaks.append(cut)
                last_space = -1
            used += size
            if char == " ":
                last_space = index
        return breaks

    # -- rows ---------------------------------------------------------------------

    def row_span(self, row: int) -> tuple[int, int]:
        """Absolute [start, end) offsets drawn on ``row``."""
        line_no = self.row_line[row]
        start = self.line_starts[line_no] + self.row_col[row]
        if row + 1 < len(self.row_line) and self.row_line[row + 1] == line_no:
            end = self.line_starts[line_no] + self.row_col[row + 1]
        else:
            end = self.line_end(line_no)
        return start, end

    def row_of(self, offset: int) -> int:
        offset = max(0, min(offset, len(self.text)))
        line_no = self.line_of(offset)
        first = self.line_first_row[line_no]
        last = self.line_first_row[line_no + 1] if line_no + 1 < len(self.line_first_row) else len(self.row_line)
        col = offset - self.line_starts[line_no]
        row = first
        while row + 1 < last and self.row_col[row + 1] <= col:
            row += 1
        return row

    def cell_of(self, offset: int) -> tuple[int, int]:
        """(row, cell x) where ``offset`` is drawn."""
        row = self.row_of(offset)
        start, _ = self.row_span(row)
        return row, cell_len(visible(self.text[start:offset]))

    def offset_at(self, row: int, x: int) -> int:
        """The offset drawn at cell ``x`` of ``row`` (clamped to the row)."""
        row = max(0, min(row, len(self.row_line) - 1))
        start, end = self.row_span(row)
        shown = visible(self.text[start:end])
        used = 0
        for index, char in enumerate(shown):
            used += get_character_cell_size(char)
            if used > x:
                return start + index
        return end

    def paragraph_at(self, offset: int) -> tuple[int, int]:
        """[start, end) of the paragraph (lines between blank lines) holding ``offset``.

        On a blank line, the paragraph is that blank line alone (empty ranges are
        no use to annotate), so callers get ``start == end`` there.
        """
        line_no = self.line_of(offset)
        blank = lambda n: not self.line_text(n).strip()  # noqa: E731
        if blank(line_no):
            return self.line_starts[line_no], self.line_starts[line_no]
        first = line_no
        while first > 0 and not blank(first - 1):
            first -= 1
        last = line_no
        while last + 1 < self.line_count and not blank(last + 1):
            last += 1
        return self.line_starts[first], self.line_end(last)
