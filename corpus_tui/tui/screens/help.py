"""The help screen: every binding, read from the same declarations the footer uses."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...core.safe_text import one_line


def binding_rows(sections: list[tuple[str, list[Binding]]]) -> Content:
    lines: list[Content] = []
    for title, bindings in sections:
        lines.append(Content.styled(title, "bold underline"))
        for binding in bindings:
            keys = " / ".join(key.strip() for key in binding.key.split(","))
            lines.append(Content.styled(f"  {one_line(keys, 24):<24}", "bold") + Content(binding.description))
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

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "corpus-tui keys (esc to close)"
            yield Static(binding_rows(self.sections))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
