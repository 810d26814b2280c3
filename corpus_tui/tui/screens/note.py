"""Document note editor. Esc or ctrl+s keeps the note (there is no unsaved state)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea


class NoteDialog(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape,ctrl+s", "keep", "Keep note"),
    ]
    DEFAULT_CSS = """
    NoteDialog { align: center middle; }
    NoteDialog > Vertical {
        width: 72; max-width: 100%; height: 16;
        border: round $accent; background: $surface; padding: 0 1;
    }
    NoteDialog TextArea { height: 1fr; }
    NoteDialog .hint { color: $text-muted; }
    """

    def __init__(self, note: str, title: str) -> None:
        super().__init__()
        self.note = note
        self.doc_title = title

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Note"
            yield Static(Content(self.doc_title), classes="hint")
            yield TextArea(self.note, id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Static(Content("esc or ctrl+s keeps the note · u undoes it afterwards"), classes="hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_keep(self) -> None:
        self.dismiss(self.query_one(TextArea).text)
