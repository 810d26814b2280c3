"""Annotate dialog: a label (existing ones suggested) and an optional note. Quitting the app with
it open (``keep_draft``) saves what was typed, as enter would: typed work is never dropped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static

from ...core.safe_text import one_line, visible
from ..widgets.line_input import LineInput


COMPACT_BELOW = 20  # terminal rows under which the dialog is drawn compact


@dataclass(frozen=True)
class AnnotationInput:
    label: str
    note: str


class AnnotateDialog(ModalScreen[AnnotationInput | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    AnnotateDialog { align: center middle; }
    AnnotateDialog > Vertical {
        width: 64; max-width: 100%; height: auto;
        border: round $accent; background: $surface; padding: 0 1;
    }
    AnnotateDialog .quote { color: $text-muted; margin-bottom: 1; }
    AnnotateDialog .hint { color: $text-muted; }
    AnnotateDialog .error { color: $error; }
    """

    def __init__(self, quote: str, labels: list[str], label: str = "", note: str = "",
                 save: Callable[[AnnotationInput], bool] | None = None) -> None:
        super().__init__()
        self.quote = quote
        self.labels = labels
        self.initial_label = label
        self.initial_note = note
        self.save = save  # writes the annotation at once; True once committed
        # Labels are suggested as shown (a format character as its glyph: raw, a right-to-left
        # override reached the terminal); a suggestion taken is the stored label again.
        self.label_shown_as = {visible(known): known for known in reversed(labels)}

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Annotate"
            yield Static(Content(f"“{one_line(self.quote, 180)}”"), classes="quote")
            yield LineInput(self.initial_label, placeholder="label (tab completes)", id="label",
                        suggester=SuggestFromList(list(dict.fromkeys(map(visible, self.labels))),
                                                  case_sensitive=False))
            yield LineInput(self.initial_note, placeholder="note (optional)", id="note")
            known = ", ".join(one_line(label, 20) for label in self.labels[:8])
            yield Static(Content(f"labels: {known}" if known else "no labels yet: type one"), classes="hint",
                         id="labels-hint")
            # enter in the label box goes to the note; enter there saves
            yield Static(Content("tab completes · enter ×2 saves · esc cancels"), classes="hint")
            yield Static("", id="error", classes="error")

    def on_mount(self) -> None:
        self._fit(self.app.size.height)

    def on_resize(self) -> None:
        self._fit(self.app.size.height)

    def _fit(self, height: int) -> None:
        """On a short terminal the boxes lose their borders and the list of labels goes, so the
        box, its hints and its bottom edge stay on screen (50x15 cut them off)."""
        for box in self.query(Input):
            box.compact = height < COMPACT_BELOW
        self.query_one("#labels-hint", Static).display = height >= COMPACT_BELOW

    def on_key(self, event: events.Key) -> None:
        """Tab in the label box takes the label suggested (greyed after what is typed) before it
        moves on, as the box says: it only moved on, and "cl" was kept where "claim" was meant."""
        label = self.query_one("#label", Input)
        if event.key == "tab" and label.has_focus and label.cursor_at_end:
            label.action_cursor_right()  # accepts the suggestion shown, if there is one

    @on(Input.Submitted, "#label")
    def _label_done(self) -> None:
        if self.query_one("#label", Input).value.strip():
            self.query_one("#note", Input).focus()
        else:
            self.query_one("#error", Static).update(Content("a label is required"))

    def _label(self) -> str:
        typed = self.query_one("#label", Input).value.strip()
        return self.label_shown_as.get(typed, typed)

    @on(Input.Submitted, "#note")
    def _save(self) -> None:
        label = self._label()
        if not label:
            self.query_one("#error", Static).update(Content("a label is required"))
            self.query_one("#label", Input).focus()
            return
        self.dismiss(AnnotationInput(label, self.query_one("#note", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def keep_draft(self) -> bool:
        """Save what was typed (the app is quitting); False if it cannot be: a note without a
        label (said on the dialog, which stays open with the text), or a write that failed."""
        label = self._label()
        note = self.query_one("#note", Input).value.strip()
        if not label and not note:
            return True  # nothing typed
        if not label:
            self.query_one("#error", Static).update(
                Content("a label is required to keep this annotation (esc discards it)"))
            self.query_one("#label", Input).focus()
            return False
        if self.save is None or self.save(AnnotationInput(label, note)):
            self.save = None  # saved: quitting twice does not annotate twice
            return True
        return False
