"""The list's filter box (``f``): typing filters as you type; enter, tab or esc go back to
the list with the filter kept (esc as in the find box, so a command key typed next is a
command, not more filter text)."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from .line_input import LineInput

PLACEHOLDER = "filter: words tag:X …"  # fits the list's width; the README and help say the rest


class FilterBox(LineInput):
    BINDINGS = [Binding("escape", "leave", "Back to the list", show=False)]

    class Left(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDER, id=id)

    def action_leave(self) -> None:
        self.post_message(self.Left())
