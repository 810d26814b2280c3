"""The help screen: every binding, read from the same declarations the footer uses,
with the keys as the user has them (a remapped key shows as remapped) and as typed."""

from __future__ import annotations

import textwrap

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...core.safe_text import one_line


KEY_COLUMN = 24
DESCRIPTION_WIDTH = 42  # the box's 68 columns less the key column and its indent

HelpRows = list[tuple[str, list[tuple[str, str]]]]  # (section title, [(keys as typed, description)])


def binding_rows(sections: HelpRows) -> Content:
    """The sections as two columns; a long description wraps under itself, not under the keys."""
    lines: list[Content] = []
    for title, rows in sections:
        lines.append(Content.styled(title, "bold underline"))
        for keys, description in rows:
            wrapped = textwrap.wrap(description, DESCRIPTION_WIDTH) or [""]
            lines.append(Content.styled(f"  {one_line(keys, KEY_COLUMN - 1):<{KEY_COLUMN}}", "bold")
                         + Content(wrapped[0]))
            lines += [Content(" " * (KEY_COLUMN + 2) + more) for more in wrapped[1:]]
        lines.append(Content(""))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
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
            yield Static(binding_rows(self.sections))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
