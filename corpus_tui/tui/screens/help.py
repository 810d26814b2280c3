"""The help screen: every binding, read from the same declarations the footer uses,
with the keys as the user has them (a remapped key shows as remapped) and as typed."""

from __future__ import annotations

import textwrap

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...core.safe_text import one_line
from ..scrolling import scroll_lines


KEY_COLUMN = 24
BOX_WIDTH = 72
# What the box gives its text: its border and padding (4) and the scrollbar (2).
BOX_FRAME = 6
MIN_DESCRIPTION_WIDTH = 16

HelpRows = list[tuple[str, list[tuple[str, str]]]]  # (section title, [(keys as typed, description)])


def binding_rows(sections: HelpRows, screen_width: int = BOX_WIDTH) -> Content:
    """The sections as two columns, keys and descriptions, in a box on a screen this wide; a
    long description wraps under itself, not under the keys. Where two columns do not fit (a
    40-column terminal) each description goes under its keys instead of breaking mid-row."""
    text_width = min(BOX_WIDTH, screen_width) - BOX_FRAME
    longest = max((len(one_line(keys, KEY_COLUMN - 1)) for _, rows in sections for keys, _ in rows), default=0)
    key_column = min(KEY_COLUMN, longest + 2)
    width = text_width - 2 - key_column
    lines: list[Content] = []
    for title, rows in sections:
        lines.append(Content.styled(title, "bold underline"))
        for keys, description in rows:
            shown_keys = one_line(keys, KEY_COLUMN - 1)
            if width >= MIN_DESCRIPTION_WIDTH:
                wrapped = textwrap.wrap(description, width) or [""]
                lines.append(Content.styled(f"  {shown_keys:<{key_column}}", "bold") + Content(wrapped[0]))
                lines += [Content(" " * (key_column + 2) + more) for more in wrapped[1:]]
            else:
                lines.append(Content.styled(f"  {shown_keys}", "bold"))
                lines += [Content("    " + more) for more in textwrap.wrap(description, max(8, text_width - 4))]
        lines.append(Content(""))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
        Binding("j,down", "scroll(1)", "Down", show=False),
        Binding("k,up", "scroll(-1)", "Up", show=False),
        Binding("g,home", "scroll_to(0)", "Top", show=False),
        Binding("G,end", "scroll_to(1)", "Bottom", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72; max-width: 100%; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, sections: HelpRows) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "corpus-tui keys (esc to close)"
            yield Static(binding_rows(self.sections, self.app.size.width))

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(Static).update(binding_rows(self.sections, event.size.width))

    # After the next refresh: a key typed as the screen opens must not scroll it before its
    # text is laid out (the scroll would be clamped to nothing).
    def action_scroll(self, lines: int) -> None:
        scroll_lines(self.query_one(VerticalScroll), lines)  # a burst of j adds up

    def action_scroll_to(self, end: int) -> None:
        scroll = self.query_one(VerticalScroll)
        self.call_after_refresh(scroll.scroll_end if end else scroll.scroll_home, animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
