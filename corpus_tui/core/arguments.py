"""Checking what a Python caller passes to the library: ids and offsets are whole numbers, names
and notes are strings.

A notebook's ids and offsets are often numpy or pandas integers. Taken as they come, one bound
to SQLite became a BLOB (sqlite3 binds anything with a buffer), another could not be written to
the event log (JSON), and an id matched no document. ``whole_numbers`` makes every integer an
``int`` and refuses anything else with ``InvalidValue`` (or ``InvalidSpan`` for offsets),
before the method runs.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .errors import CorpusError, InvalidSpan, InvalidValue

Method = TypeVar("Method", bound=Callable[..., Any])
OFFSETS = frozenset({"start", "end", "offset"})


SQLITE_INTEGERS = range(-(2**63), 2**63)  # what SQLite stores as an integer (beyond: OverflowError on binding)
_THINGS = {"document_id": "document", "span_id": "span", "repeat_id": "repeated passage", "rule_id": "rule",
           "event_id": "batch or event", "import_id": "tag import", "of": "document"}


def whole_number(value: Any, name: str, sqlite_range: bool = True) -> int:
    """``value`` as an int: any integer type (``operator.index``), never a bool, a float or a
    string, nor (``sqlite_range``) one past SQLite's 64 bits."""
    error = InvalidSpan if name in OFFSETS else InvalidValue
    if not isinstance(value, bool):
        try:
            number = operator.index(value)
        except TypeError:
            pass
        else:
            if sqlite_range and number not in SQLITE_INTEGERS:
                if name in _THINGS:  # an id no row can have: what the lookup would say, and why
                    raise error(f"no {_THINGS[name]} with id {number} (past the 64 bits of SQLite's integers)")
                raise error(f"{name} {number} is past the 64 bits of SQLite's integers")
            return number
    raise error(f"{name} must be a whole number, not {type(value).__name__} {value!r}")


def whole_numbers(*names: str, nullable: tuple[str, ...] = (), lists: tuple[str, ...] = ()) -> Callable[[Method], Method]:
    """Decorate a method so that these parameters, when given, are ``whole_number``s (or None,
    where that is their default or they are ``nullable``), and these ``lists`` lists of them."""

    def decorate(method: Method) -> Method:
        signature = inspect.signature(method)
        # None passes where the method means something by it (``stale_spans(document_id=None)``).
        optional = {name for name in names if signature.parameters[name].default is None} | set(nullable)

        @functools.wraps(method)
        def checked(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)  # a few µs: these run once an action
            for name in names:
                if name in bound.arguments and not (bound.arguments[name] is None and name in optional):
                    bound.arguments[name] = whole_number(bound.arguments[name], name)
            for name in lists:
                if name in bound.arguments:
                    value = bound.arguments[name]
                    if isinstance(value, (str, bytes)):
                        raise InvalidValue(f"{name} must be whole numbers, not {type(value).__name__} {value!r}")
                    # a list's methods bind it as JSON: an impossible id matches nothing
                    bound.arguments[name] = [whole_number(item, name, sqlite_range=False) for item in value]
            return method(*bound.args, **bound.kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def strings(*names: str, nullable: tuple[str, ...] = (), lists: tuple[str, ...] = (),
            error: type[CorpusError] = InvalidValue) -> Callable[[Method], Method]:
    """Decorate a method so that these parameters, when given, are ``str`` (or None, where that
    is their default or they are ``nullable``), and these ``lists`` iterables of ``str`` that
    are not one string: ``add_tags(id, "war")`` made the tags "w", "a" and "r", and
    ``reason=5`` was stored as the text "5". ``error``: what is raised otherwise (``InvalidSpan``
    for a span's fields, as for its offsets)."""

    def decorate(method: Method) -> Method:
        signature = inspect.signature(method)
        optional = {name for name in names if signature.parameters[name].default is None} | set(nullable)

        @functools.wraps(method)
        def checked(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            for name in names:
                value = bound.arguments.get(name)
                if value is ...:  # ``update_tag``'s "leave it as it is"
                    continue
                if name in bound.arguments and not isinstance(value, str) and not (value is None and name in optional):
                    raise error(f"{name} must be a string, not {type(value).__name__} {value!r}")
            for name in lists:
                if name in bound.arguments:
                    value = bound.arguments[name]
                    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                        raise InvalidValue(f"{name} must be a list of strings, not {type(value).__name__} {value!r}")
                    value = list(value)
                    for item in value:
                        if not isinstance(item, str):
                            raise InvalidValue(f"{name} must be strings, not {type(item).__name__} {item!r}")
                    bound.arguments[name] = value
            return method(*bound.args, **bound.kwargs)

        return checked  # type: ignore[return-value]

    return decorate
