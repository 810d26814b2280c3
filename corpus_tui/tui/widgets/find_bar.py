"""The find-in-document box (``/``): typing finds, enter/shift+enter step, esc closes."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FindBar(Input):
    BINDINGS = [
        Binding("enter", "step(1)", "Next match", show=False),
        Binding("shift+enter", "step(-1)", "Previous match", show=False),
        Binding("escape", "close", "Close find", show=False),
    ]

    class Step(Message):
        def __init__(self, step: int) -> None:
            self.step = step
            super().__init__()

    class Closed(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="find in document (enter next, shift+enter previous, esc close)", id=id)

    def action_step(self, step: int) -> None:
        self.post_message(self.Step(step))

    def action_close(self) -> None:
        self.post_message(self.Closed())
