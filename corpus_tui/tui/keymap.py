"""The user's keys, from the config file's ``[keys]`` table, checked before the app starts:
every id must be one of the app's bindings, every key one Textual can report (a typo such
as ``ctrl+nonsense`` would leave the action with no key at all), and no key may end up doing
two things where both could answer it (the app's keys with the reader's, or with the list's)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from textual.binding import Binding
from textual.keys import KEY_ALIASES, KEY_NAME_REPLACEMENTS, Keys, key_to_character

from ..config import ConfigError
from .bindings import APP_BINDINGS, DOCUMENT_BINDINGS
from .widgets.document_list import DocumentList
from .widgets.reader import Reader


def all_bindings() -> list[Binding]:
    return [*DOCUMENT_BINDINGS, *APP_BINDINGS, *_bindings_of(Reader), *_bindings_of(DocumentList)]


def _bindings_of(widget: type) -> list[Binding]:
    return [b for b in widget.BINDINGS if isinstance(b, Binding)]


def check_keymap(keys: Mapping[str, str], source: str) -> dict[str, str]:
    """``keys`` (binding id -> key string) if the app can use it; else ConfigError naming ``source``."""
    known = sorted({b.id for b in all_bindings() if b.id})
    for name in keys:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (closest: {close[0]})" if close else ""
            raise ConfigError(f"{source}: [keys] {name!r} is not a binding id{hint}; "
                              "'corpus-tui keys' lists them")
    for name, value in keys.items():
        for key in (k.strip() for k in value.split(",")):
            if not is_key(key):
                raise ConfigError(f"{source}: [keys] {name} = {value!r}: {key!r} is not a key name "
                                  "(e.g. 'x', 'X', 'ctrl+y', 'f5', 'pageup', 'question_mark')")
            shifted = key.split("+")
            if shifted[:-1] == ["shift"] and len(shifted[-1]) == 1:
                # A terminal sends the shifted character itself: "shift+x" never arrives, "X" does.
                raise ConfigError(f"{source}: [keys] {name} = {value!r}: {key!r} never arrives from a terminal, "
                                  f"which sends the shifted character: write {shifted[-1].upper()!r} or its symbol")
            if key in RESERVED_KEYS:
                raise ConfigError(f"{source}: [keys] {name} = {value!r}: {key!r} is the app's own key for "
                                  f"{RESERVED_KEYS[key]}; give {name} another")
            if key in TERMINAL_TWINS:
                raise ConfigError(f"{source}: [keys] {name} = {value!r}: {key!r} never arrives as itself: "
                                  f"{TERMINAL_TWINS[key]}; give {name} another")
    app_level = [*DOCUMENT_BINDINGS, *APP_BINDINGS]
    for scope in (app_level + _bindings_of(Reader), app_level + _bindings_of(DocumentList)):
        owner: dict[str, str] = {}
        for binding in scope:
            effective = keys.get(binding.id, binding.key) if binding.id else binding.key
            for key in (k.strip() for k in effective.split(",")):
                other = owner.setdefault(key, binding.id or binding.action)
                if other != (binding.id or binding.action):
                    raise ConfigError(f"{source}: [keys] {key!r} is bound to both {other} and "
                                      f"{binding.id or binding.action}; give one of them another key")
    return dict(keys)


MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
# Textual's keys of every app, which the [keys] table cannot move: taken, they would be gone.
RESERVED_KEYS = {"ctrl+q": "quitting", "ctrl+p": "the command palette", "ctrl+c": "copying and quitting"}
# Keys a terminal sends as another key (the same control byte), or that move the focus first:
# accepted in a config, they never fired.
TERMINAL_TWINS = {
    "ctrl+m": "a terminal sends it as enter", "ctrl+i": "a terminal sends it as tab",
    "ctrl+h": "many terminals send it as backspace", "ctrl+left_square_bracket": "a terminal sends it as escape",
    "tab": "it moves the focus", "shift+tab": "it moves the focus back", "ctrl+j": "a terminal sends it as enter",
}
_NAMED_KEYS = frozenset({key.value for key in Keys} | set(KEY_NAME_REPLACEMENTS.values()) | set(KEY_ALIASES))


def is_key(key: str) -> bool:
    """Whether Textual can report ``key``: modifiers joined by ``+`` to a character, or to
    the name of a key (``escape``, ``f5``, ``pageup``) or of a character (``question_mark``)."""
    *modifiers, base = key.split("+")
    if not base or not MODIFIERS.issuperset(modifiers):
        return False
    if len(base) == 1 or base in _NAMED_KEYS:
        return True
    try:
        return key_to_character(base) is not None
    except (KeyError, ValueError):
        return False


def keep_binding_order() -> None:
    """Make Textual apply a keymap without moving the keys it changes to the end.

    Textual's ``BindingsMap.apply_keymap`` deletes a remapped binding and appends it under its
    new key; the footer shows bindings in that order, so with the README's example config the
    boilerplate key went from the footer's start to its end and was cut off at 120 columns.
    Each binding goes back to where its id was (stable: a binding without an id keeps its key's
    place). Applied once, before the app runs with a keymap."""
    from textual.binding import BindingsMap

    apply = BindingsMap.apply_keymap
    if getattr(apply, "keeps_order", False):
        return

    def apply_in_place(self: BindingsMap, keymap: Mapping[str, str]):  # type: ignore[no-untyped-def]
        places: dict[object, int] = {}
        for place, (key, bindings) in enumerate(self.key_to_bindings.items()):
            for binding in bindings:
                places.setdefault(binding.id or ("key", key), place)
        result = apply(self, keymap)
        unknown = len(places)

        def place_of(item: tuple[str, list[Binding]]) -> int:
            key, bindings = item
            return min((places.get(b.id or ("key", key), unknown) for b in bindings), default=unknown)

        self.key_to_bindings = dict(sorted(self.key_to_bindings.items(), key=place_of))
        return result

    apply_in_place.keeps_order = True  # type: ignore[attr-defined]
    BindingsMap.apply_keymap = apply_in_place  # type: ignore[method-assign]
