"""The app's one-line text box."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class LineInput(Input):
    """An ``Input`` that keeps its text when it gets the focus again, the cursor at its end:
    Textual selected it all, so the first key typed replaced it (`f` back in the filter, then
    `x`, left `x` alone: a trial). Keys typed in a burst keep their order (``typeahead``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def on_focus(self, event: events.Focus) -> None:
        # The cursor stayed where it was left (a trial). Not when the terminal itself gets the
        # focus back (another window, a tmux pane): the box never lost it (a review).
        if not self.select_on_focus and not event.from_app_focus:
            self.cursor_position = len(self.value)
