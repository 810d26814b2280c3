"""The find-in-document box (``/``), as in vim and less: typing finds as you type,
enter (or esc) goes back to the text with the matches kept; there n/N step and esc
clears them."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from .line_input import LineInput


class FindBar(LineInput):
    BINDINGS = [
        Binding("enter", "close", "Back to the text", show=False),
        Binding("escape", "close", "Close find", show=False),
    ]

    class Closed(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="find in document (enter: back to the text, then n/N step; esc: close)",
                         id=id)

    def action_close(self) -> None:
        self.post_message(self.Closed())
