"""Keys typed faster than a box opens go into the box.

Key repeat or a slow SSH link delivers ``/war`` in one read of the terminal.
Textual hands every key of it to the widget focused at that instant, before ``/``
has run and the find box has the focus: ``w`` would turn wrapping off and ``a``
open the annotate dialog. vim and less put such keys in their prompt, and so does
the app:

- a key bound to an action that opens a box (``OPENS_A_BOX``, found the way
  Textual will find it) goes its usual way, in order after the keys before it;
  the keys read after it are held (``hold_keys``);
- once a box has the focus, the held keys are handed over in the order typed,
  one step at a time: a key that is not text (enter, esc, tab, ctrl+…) is handed
  over only when the keys before it have been handled, and the keys after it only
  when it has been (enter closes the find box: what follows is a command again);
- if the action refuses (``a`` with nothing to annotate), the keys held are dropped
  (``drop_held_keys``), as vim flushes what was typed ahead when a command fails: they were
  the box's text, and run as commands they would change statuses and tags; if no box takes
  the focus otherwise, they are let go after ``HOLD_SECONDS`` the same way;
- in a box, the keys after one that is not text (enter, esc, tab, backspace, the arrows, ctrl+…)
  wait the same way until it has been handled: Textual runs such a key's binding once it has
  bubbled up to the app, after the letters behind it were typed (``xyz``, backspace, ``qq``
  read ``xyzq``; ↓ enter in the tag picker took the row above), and after enter, esc or tab
  the keys are for the next box, or commands again. Tab and shift+tab hold the keys after them
  from any widget (the export dialog's format list: the path typed after tab was lost);
- alt+X that nothing binds is esc then X: a terminal sends esc and a key typed right after it
  as one read, which Textual takes for alt+X (esc, ``j`` typed ``j`` into the note and left it
  open; in the reader both keys were lost). Only for letters: before another key (``/``, a
  space, backspace) Textual's parser drops the esc.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import events
from textual.screen import Screen
from textual.keys import _character_to_key
from textual.timer import Timer
from textual.widgets import Input, TextArea

if TYPE_CHECKING:
    from .app import CorpusApp

# The actions, by binding action name, after which the user types into a box.
OPENS_A_BOX = frozenset({
    "find", "focus_filter", "tag_picker", "annotate", "edit_note", "search_corpus", "repeats",
    "filter",  # the repeats view's / back to its box
    "export",  # a dialog whose list has the focus first: `e` tab went to the screen underneath
})
# Keys that move the focus from any widget: what is typed after them is for the next one.
MOVES_FOCUS = frozenset({"tab", "shift+tab"})
HOLD_SECONDS = 1.0
SETTLE_SECONDS = 0.005  # how often a paced hand-over looks whether the last key was handled
SETTLE_AT_MOST = 3.0  # a screen that never goes quiet (a progress bar) does not stall the keys for ever
TEXT_WIDGETS = (Input, TextArea)

HeldEvent = events.Key | events.Paste


def action_name(action: str) -> str:
    """``"app.next_suggestion(1)"`` -> ``"next_suggestion"``."""
    return action.split("(", 1)[0].rsplit(".", 1)[-1]


def binding_chains(screen: Screen) -> tuple[list, list]:  # type: ignore[type-arg]
    """Textual's binding chains of ``screen`` (all of them; from the focused widget up to the
    modal boundary). Private to Textual: a version without them only loses the holding."""
    return getattr(screen, "_binding_chain", []), getattr(screen, "_modal_binding_chain", [])


def is_text_key(event: HeldEvent) -> bool:
    """A key a box takes as text, which moves no focus."""
    return isinstance(event, events.Key) and event.is_printable


class TypeaheadMixin:
    """For ``CorpusApp``: ``on_event`` holds the keys after a box-opening key until the box has them."""

    _held_keys: list[HeldEvent] | None = None  # None: not holding
    _hold_timer: Timer | None = None
    _handing_over = False  # the box has the focus: the held keys are going to it
    _pending_settle = False  # a key that may move the focus was handed over: wait for it
    _settle_since: float | None = None  # when the hand-over started waiting for quiet
    _held_on: Screen | None = None  # the screen on top when the keys began to be held

    async def on_event(self: "CorpusApp", event: events.Event) -> None:  # type: ignore[misc]
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if self._held_keys is not None:
                self._held_keys.append(event)
                return
            if isinstance(event, events.Key):
                split = self._escape_then_key(event)
                if split is not None:
                    for part in split:
                        await self.on_event(part)
                    return
                if self._opens_a_box(event.key):
                    self.hold_keys()
                elif self._moves_on_later(event):
                    await super().on_event(event)  # type: ignore[misc]
                    self._hold_until_handled()
                    return
        await super().on_event(event)  # type: ignore[misc]

    def _moves_on_later(self: "CorpusApp", event: events.Key) -> bool:  # type: ignore[misc]
        """Whether the keys after this one must wait for it: a key that is not text in a box
        (its binding runs when it has bubbled up) or in a dialog (enter in the export dialog's
        list moves to the path: what was typed after it was lost), or tab and shift+tab anywhere."""
        if event.key in MOVES_FOCUS:
            return True
        return not event.is_printable and (isinstance(self.focused, TEXT_WIDGETS)
                                           or self.screen is not self.screen_stack[0])

    def _escape_then_key(self: "CorpusApp", event: events.Key) -> list[events.Key] | None:  # type: ignore[misc]
        """alt+X, when nothing binds it: esc, then X (see the module docstring). Textual reads an
        esc before a letter so; before other keys it drops the esc, which cannot be undone here."""
        character = event.character
        if not (event.key.startswith("alt+") and character and len(character) == 1 and character.isprintable()):
            return None
        chain = binding_chains(self.screen)[0]
        if any(bindings.key_to_bindings.get(event.key) for _, bindings in chain):
            return None
        return [events.Key("escape", "\x1b"), events.Key(_character_to_key(character), character)]

    def _hold_until_handled(self: "CorpusApp") -> None:  # type: ignore[misc]
        """The keys read after one that may move the focus out of a box wait until it has been
        handled: Textual would hand them to the box it leaves (``abc``, tab, ``def`` typed fast
        in the annotate dialog would put ``abcdef`` in the label and nothing in the note)."""
        self._held_keys, self._handing_over, self._pending_settle = [], True, True
        self.set_timer(SETTLE_SECONDS, self._hand_over)

    def _opens_a_box(self: "CorpusApp", key: str) -> bool:  # type: ignore[misc]
        """Whether Textual will run a box-opening action for ``key``: no priority binding,
        a focused widget that does not take text, and the first binding on the chain from
        it up to the app opens a box."""
        if isinstance(self.focused, TEXT_WIDGETS):
            return False
        chain, modal_chain = binding_chains(self.screen)
        if any(binding.priority for _, bindings in chain for binding in bindings.key_to_bindings.get(key, ())):
            return False
        for namespace, bindings in modal_chain:
            for binding in bindings.key_to_bindings.get(key, ()):
                if not self._check_action_state(binding.action, namespace):
                    continue  # an action off or dimmed here (no document): Textual goes on to the next
                return action_name(binding.action) in OPENS_A_BOX
        return False

    def hold_keys(self: "CorpusApp") -> None:  # type: ignore[misc]
        """Hold the keys read from now on until a box (an Input or TextArea) has the focus."""
        if self._held_keys is None:
            self._held_keys = []
        self._held_on = self.screen
        self._handing_over = False
        self._restart_hold_timer()

    def drop_held_keys(self: "CorpusApp") -> int:  # type: ignore[misc]
        """The box-opening action refused: drop the keys read after its key (the box's text);
        how many were dropped. Keys read from now on are commands again."""
        if self._held_keys is None or self._handing_over:
            return 0
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        dropped = len(self._held_keys)
        self._held_keys, self._held_on = None, None
        return dropped

    def _restart_hold_timer(self: "CorpusApp") -> None:  # type: ignore[misc]
        if self._hold_timer is not None:
            self._hold_timer.stop()
        self._hold_timer = self.set_timer(HOLD_SECONDS, self._hand_over)

    async def on_descendant_focus(self: "CorpusApp", event: events.DescendantFocus) -> None:  # type: ignore[misc]
        # A box, or any widget of a dialog opened since the keys were held (the export dialog's list).
        if self._held_keys is not None and not self._handing_over and (
                isinstance(event.widget, TEXT_WIDGETS) or event.widget.screen is not self._held_on):
            await self._hand_over()

    async def _hand_over(self: "CorpusApp") -> None:  # type: ignore[misc]
        """Hand the held keys to the focused widget in order, pacing the ones that may move
        the focus; keys typed meanwhile queue behind them."""
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        self._handing_over = True
        while self._held_keys:
            event = self._held_keys[0]
            # A key after one that may move the focus, or one that may itself (enter, esc,
            # ctrl+q), waits until the keys before it have been handled.
            if (self._pending_settle or not is_text_key(event)) and not self._settled():
                self.set_timer(SETTLE_SECONDS, self._hand_over)
                return
            self._settle_since = None
            self._held_keys.pop(0)
            # Text for a box moves nothing; any other key, or a letter that is a command (the box
            # closed, the reader has the focus), may open a screen or move the focus.
            self._pending_settle = not is_text_key(event) or not isinstance(self.focused, TEXT_WIDGETS)
            if isinstance(event, events.Key) and (split := self._escape_then_key(event)) is not None:
                self._held_keys[:0] = split  # type: ignore[index]
                continue
            if isinstance(event, events.Key) and self._opens_a_box(event.key):
                await super().on_event(event)  # type: ignore[misc]
                self.hold_keys()  # the rest wait for the box it opens
                return
            await super().on_event(event)  # type: ignore[misc]
        self._held_keys, self._handing_over = None, False

    def _settled(self: "CorpusApp") -> bool:  # type: ignore[misc]
        """Every key handed over so far has been handled: no message waits in the focused
        widget, its ancestors or the app (the path a key takes, bubbling up to the bindings),
        nor in any widget of the screen on top."""
        now = time.monotonic()
        if self._settle_since is None:
            self._settle_since = now
        elif now - self._settle_since > SETTLE_AT_MOST:
            return True
        node = self.focused
        while node is not None:
            if node.message_queue_size:
                return False
            node = node.parent
        # A screen just pushed (help, a dialog) is still mounting its widgets: keys for it wait.
        screen = self.screen
        return not (self.message_queue_size or screen.message_queue_size
                    or any(widget.message_queue_size for widget in screen.walk_children()))
