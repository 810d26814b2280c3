"""The app's one-line text box."""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size
from rich.text import Text
from textual import events
from textual.widgets import Input

from ...core.safe_text import visible


class LineInput(Input):
    """An ``Input`` that keeps its text when it gets the focus again, the cursor at its end:
    Textual selected it all, so the first key typed replaced it (`f` back in the filter, then
    `x`, left `x` alone: a trial). Keys typed in a burst keep their order (``typeahead``).
    Its text is drawn with control and format characters as glyphs, one for one (the cursor
    stays where it is): Textual's box sent them to the terminal as they were, so a folder name's
    escape sequence in the export path set the terminal's title (a review)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def on_focus(self, event: events.Focus) -> None:
        # The cursor stayed where it was left (a trial). Not when the terminal itself gets the
        # focus back (another window, a tmux pane): the box never lost it (a review).
        if not self.select_on_focus and not event.from_app_focus:
            self.cursor_position = len(self.value)

    @property
    def _value(self) -> Text:
        if self.password:
            return super()._value
        text = Text(visible(self.value), no_wrap=True, overflow="ignore", end="")
        return self.highlighter(text) if self.highlighter is not None else text

    # Where the cursor is, and what a click lands on, measured on the text as drawn: Textual measured
    # the raw text, where these characters take no cell, so the box scrolled the cursor out of view.
    def _position_to_cell(self, position: int) -> int:
        return cell_len(visible(self.value[:position]))

    def _cell_offset_to_index(self, offset: int) -> int:
        scroll_x, _ = self.scroll_offset
        offset += scroll_x
        cell_offset = 0
        for index, char in enumerate(visible(self.value)):
            width = get_character_cell_size(char)
            if cell_offset <= offset < cell_offset + width:
                return index
            cell_offset += width
        return max(0, min(offset, len(self.value)))
