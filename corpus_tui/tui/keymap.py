"""The user's keys, from the config file's ``[keys]`` table, checked before the app starts:
every id must be one of the app's bindings, and no key may end up doing two things
where both could answer it (the app's keys with the reader's, or with the list's)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from textual.binding import Binding

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
