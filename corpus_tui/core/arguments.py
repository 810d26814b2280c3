"""Checking what a Python caller passes to the library: ids and offsets are whole numbers.

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
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import InvalidSpan, InvalidValue

Method = TypeVar("Method", bound=Callable[..., Any])
OFFSETS = frozenset({"start", "end", "offset"})


def whole_number(value: Any, name: str) -> int:
    """``value`` as an int: any integer type (``operator.index``), never a bool, a float or a string."""
    if not isinstance(value, bool):
        try:
            return operator.index(value)
        except TypeError:
            pass
    error = InvalidSpan if name in OFFSETS else InvalidValue
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
                    bound.arguments[name] = [whole_number(item, name) for item in value]
            return method(*bound.args, **bound.kwargs)

        return checked  # type: ignore[return-value]

    return decorate
