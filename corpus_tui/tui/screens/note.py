"""Document note editor. Esc or ctrl+s keeps the note, and so does quitting the app with the
editor open (``keep_draft``): there is no unsaved state to lose. A note another process changed
since the editor opened is not replaced unasked: the editor says so and stays open.

The note is untrusted text (an import may have brought it): its control and format characters
are edited as their glyphs (``editable``), never sent to the terminal, and put back on saving
(``restored``). Only an edited note is saved: the editor's own normalization (line breaks)
is no change, and esc without typing leaves the note exactly as it was."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from ...core.safe_text import editable, restored
from ..bindings import key_for


class NoteDialog(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape,ctrl+s", "keep", "Keep note"),
    ]
    DEFAULT_CSS = """
    NoteDialog { align: center middle; }
    NoteDialog > Vertical {
        width: 72; max-width: 100%; height: 16; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    NoteDialog TextArea { height: 1fr; }
    NoteDialog .hint { color: $text-muted; }
    """

    def __init__(self, note: str, title: str, save: Callable[[str, str | None], bool] | None = None,
                 current: Callable[[], str] | None = None) -> None:
        super().__init__()
        self.note = note
        self.shown = editable(note)  # as the editor holds it (set again once it has it): no change
        self.expected: str | None = note  # what saving expects to replace (None: whatever is there)
        self.doc_title = title
        self.save = save  # writes a note at once (text, expected); True once committed
        # The note as the database holds it now: after a refused save, the next one expects that
        # one (what the message told of), not whatever may come later (a lock timed out, say).
        self.current = current

    def _expect_what_is_there(self) -> None:
        try:
            self.expected = self.current() if self.current is not None else None
        except Exception:  # the read failed too: the next save replaces whatever is there, as asked twice
            self.expected = None

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Note"
            yield Static(Content(self.doc_title), classes="hint")
            yield TextArea(editable(self.note), id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Static(Content(f"esc or ctrl+s keeps the note · {key_for(self.app, 'undo', 'u')} undoes it afterwards"),
                         classes="hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        self.shown = area.text  # the note as the editor holds it: what counts as no change
        area.focus()
        area.move_cursor(area.document.end)

    def _edited(self) -> str | None:
        """The note as typed, with its original characters; None when nothing was typed."""
        text = self.query_one(TextArea).text
        return None if text == self.shown else restored(text, self.note)

    def action_keep(self) -> None:
        """Save and close; the editor stays open, the text in it, when the save is refused (another
        process changed the note since it opened: a second esc keeps this text over theirs)."""
        text = self._edited()
        if self.save is None:
            self.dismiss(self.note if text is None else text)
        elif text is None or self.save(text, self.expected):
            self.dismiss(None)
        else:
            self._expect_what_is_there()

    def keep_draft(self, force: bool = False) -> bool:
        """Commit the text as it stands (the app is quitting); False if that failed. ``force``:
        over a note another process changed since (the terminal went away: nobody is left to ask,
        and theirs stays in the history, for undo)."""
        text = self._edited()
        if text is None or self.save is None:
            return True
        if self.save(text, None if force else self.expected):
            self.note = self.expected = text
            self.shown = self.query_one(TextArea).text
            return True
        self._expect_what_is_there()  # told why; ctrl+q again keeps this text over the note told of
        return False
