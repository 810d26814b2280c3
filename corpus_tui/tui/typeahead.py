"""Keys typed faster than a box opens go into the box.

A paste, key repeat or a slow SSH link delivers ``/war`` in one read of the
terminal. Textual hands every key of it to the widget focused at that instant,
before ``/`` has run and the find box has the focus: ``w`` would turn wrapping
off and ``a`` open the annotate dialog. vim and less put such keys in their
prompt, and so does the app:

- a key bound to an action that opens a box (``OPENS_A_BOX``) runs as soon as the
  app reads it, not after the keys before it reached the focused widget;
- the keys read after it wait (``hold_keys_for``) until the box has the focus,
  then go to it in the order they were typed;
- if the box never takes the focus (it could not open), they are let go after
  ``HOLD_SECONDS`` and handled as they would have been without the wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, TextArea

if TYPE_CHECKING:
    from .app import CorpusApp

# The actions, by binding action name, after which the user types into a box.
OPENS_A_BOX = frozenset({"find", "focus_filter", "tag_picker", "annotate", "edit_note", "search_corpus", "repeats"})
HOLD_SECONDS = 1.0
TEXT_WIDGETS = (Input, TextArea)


def action_name(action: str) -> str:
    """``"app.next_suggestion(1)"`` -> ``"next_suggestion"``."""
    return action.split("(", 1)[0].rsplit(".", 1)[-1]


def binding_chains(screen: Screen) -> tuple[list, list]:  # type: ignore[type-arg]
    """Textual's binding chains of ``screen`` (all of them; from the focused widget up to the
    modal boundary). Private to Textual: a version without them only loses the early run."""
    return getattr(screen, "_binding_chain", []), getattr(screen, "_modal_binding_chain", [])


class TypeaheadMixin:
    """For ``CorpusApp``: ``on_event`` runs box-opening keys at once and holds the keys after them."""

    _held_keys: list[events.Key | events.Paste] | None = None
    _hold_target: Widget | Screen | None = None
    _hold_timer: Timer | None = None

    async def on_event(self: "CorpusApp", event: events.Event) -> None:  # type: ignore[misc]
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if self._held_keys is not None:
                self._held_keys.append(event)
                return
            if isinstance(event, events.Key) and await self._open_box_now(event.key):
                return
        await super().on_event(event)  # type: ignore[misc]

    async def _open_box_now(self: "CorpusApp", key: str) -> bool:
        """Run ``key``'s binding now when it opens a box from a widget that does not take text.
        Mirrors Textual's own order: priority bindings first (left to it), then the focused
        widget's chain up to the app."""
        if isinstance(self.focused, TEXT_WIDGETS):
            return False
        screen = self.screen
        chain, modal_chain = binding_chains(screen)
        if any(binding.priority for _, bindings in chain for binding in bindings.key_to_bindings.get(key, ())):
            return False
        for namespace, bindings in modal_chain:
            for binding in bindings.key_to_bindings.get(key, ()):
                if action_name(binding.action) not in OPENS_A_BOX:
                    return False  # the key's first binding does something else: Textual's path
                if not await self.run_action(binding.action, namespace):
                    return False
                if self.screen is not screen:  # a dialog: hold for its text box
                    self.hold_keys_for(self.screen)
                return True
        return False

    def hold_keys_for(self: "CorpusApp", target: Widget | Screen) -> None:  # type: ignore[misc]
        """Hold the keys read from now on until ``target`` (a box, or a screen's first box)
        has the focus."""
        if self._held_keys is None:
            self._held_keys = []
        self._hold_target = target
        if self._hold_timer is not None:
            self._hold_timer.stop()
        self._hold_timer = self.set_timer(HOLD_SECONDS, self._let_held_keys_go)

    def _is_hold_target(self, widget: Widget) -> bool:
        target = self._hold_target
        if widget is target:
            return True
        if isinstance(target, Screen) and widget.screen is target:
            return isinstance(widget, TEXT_WIDGETS) or not target.query("Input, TextArea")
        return False

    async def on_descendant_focus(self: "CorpusApp", event: events.DescendantFocus) -> None:  # type: ignore[misc]
        if self._held_keys is not None and self._is_hold_target(event.widget):
            await self._let_held_keys_go()

    async def _let_held_keys_go(self: "CorpusApp") -> None:  # type: ignore[misc]
        """Handle the held keys in order, as Textual would have (to the focused widget)."""
        held, self._held_keys, self._hold_target = self._held_keys or [], None, None
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        for event in held:
            if self._held_keys is not None:  # a held key opened another box: the rest wait for it
                self._held_keys.append(event)
            else:
                await self.on_event(event)
