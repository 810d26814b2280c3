"""Text boxes that take a burst of keys in the order it was typed.

Textual hands a key to the focused box, where a printable one is typed at once; a key the box
binds (backspace, delete, ctrl+u, ctrl+a, the arrows, enter) goes on up to the app, which runs
the binding later, after the keys behind it in the burst. Over a slow SSH link that delivers
several keys in one piece, ``xyz`` then backspace ``qq`` became ``xyzq``, and ctrl+a ``W``
typed the ``W`` before the cursor moved (a trial; Textual 8.2's own ``Input`` does it). Here
the box runs its own bindings itself, in turn.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea


class KeysInOrder:
    """Mixin for a text widget: its own (not priority) bindings run as their key arrives."""

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable:
            return  # the widget's own handler types it, in turn
        for binding in self._bindings.key_to_bindings.get(event.key, ()):  # type: ignore[attr-defined]
            if not binding.priority and await self.app.run_action(binding.action, self):  # type: ignore[attr-defined]
                event.stop()
                event.prevent_default()  # handled: neither the widget's handler nor the app runs it again
                return


class LineInput(KeysInOrder, Input):
    """A one-line text box (``Input``) that keeps a burst of keys in order."""


class TextBox(KeysInOrder, TextArea):
    """A text area (``TextArea``) that keeps a burst of keys in order."""
