"""Tag-import files as rows, with a JSONL row's every field checked for its JSON type.

A JSONL line is one object: ``path`` and ``sha256`` strings, ``id`` a whole
number (or its digits as a string), ``tag`` a string or ``tags`` a list of
strings (not both), ``action`` a string; ``null`` is the same as leaving a key
out. Anything else is an invalid row, ``FILE:LINE: reason``: ``{"path": 5}``
is not the path ``'5'``, and ``["a.txt", "war"]`` is not a row. Nor does a
line of 100,000 nested ``[`` or a 5,000-digit number stop the import: it is a
malformed row like any other.

Python rows given to ``Corpus.import_tags`` (``python_rows``) are held to the
same types; they may also be ``(path, tag[, action])`` tuples.
``read_rows`` reads a file of any format; CSV and TSV rows come from ``tag_rows``.
"""

from __future__ import annotations

import itertools
import json
import operator
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from .errors import InvalidValue
from .json_types import json_kind
from .wording import json_problem
from .tag_rows import FORMATS, NAMING, RawRow, _csv_rows, _decoded_lines, detect_format


def read_rows(stream: IO[bytes], source: str, fmt: str | None, hasher: Any) -> Iterator[RawRow]:
    """Parse a CSV/TSV/JSONL byte stream into rows, feeding every byte to ``hasher``.

    The format is ``fmt``, else guessed from the name and the first line (``detect_format``).
    """
    if fmt is not None and fmt not in FORMATS:
        raise InvalidValue(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    lines = _decoded_lines(stream, hasher)
    head: list[str] = []
    for line in lines:
        head.append(line)
        if line.strip():
            break
    if fmt is None:
        fmt = detect_format(source, head[-1] if head else "")
    chained = itertools.chain(head, lines)
    if fmt == "jsonl":
        return jsonl_rows(chained)
    return _csv_rows(chained, "\t" if fmt == "tsv" else ",")


def jsonl_rows(lines: Iterable[str]) -> Iterator[RawRow]:
    """A row per non-blank line; LINE is the line's number in the file."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            # Without its line break: a line cut short was "at column 1" (of the line after it).
            value = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as error:
            yield _problem(number, f"malformed JSON: {json_problem(error)}")
            continue
        except RecursionError:  # the decoder recurses once a level: 100,000 '[' is too deep
            yield _problem(number, "malformed JSON: nested too deeply (a row is one flat object)")
            continue
        except ValueError as error:  # a number of more than 4,300 digits
            yield _problem(number, f"malformed JSON: {str(error).split(';')[0]}")
            continue
        yield json_row(number, value)


def json_row(line: int, value: Any) -> RawRow:
    """One JSONL line's value as a row (see the module docstring)."""
    if not isinstance(value, dict):
        return _problem(line, "not an object with 'path' (or 'id', 'sha256') and 'tags'")
    named = [key for key in NAMING if value.get(key) is not None]
    if not named:
        return _problem(line, "missing 'path' (or 'id', 'sha256')")
    kind, ref = named[0], ""
    for key in named:  # a row names its document by the first of these it fills
        raw = value[key]
        if key == "id" and not isinstance(raw, str):
            try:  # any integer type: a row built from a pandas frame holds numpy's
                raw = operator.index(raw) if not isinstance(raw, bool) else None
            except TypeError:
                raw = None
            if raw is None:
                return _problem(line, f"'id' must be a whole number, not {json_kind(value[key])}")
        if key != "id" and not isinstance(raw, str):
            return _problem(line, f"'{key}' must be a string, not {json_kind(raw)}")
        if str(raw).strip():
            kind, ref = key, str(raw).strip()
            break
    tag, listed = value.get("tag"), value.get("tags")
    if tag is not None and listed is not None:
        return _problem(line, "use 'tag' or 'tags', not both")
    if tag is not None:
        if not isinstance(tag, str):
            return _problem(line, f"'tag' must be a string, not {json_kind(tag)}")
        if not tag.strip():
            return _problem(line, "empty tag")
        tags: tuple[str, ...] = (tag,)
    elif listed is not None:
        if not isinstance(listed, list):
            return _problem(line, f"'tags' must be a list of strings, not {json_kind(listed)}")
        for number, name in enumerate(listed, 1):
            if not isinstance(name, str):
                return _problem(line, f"'tags' must be a list of strings, not {json_kind(name)} (item {number})")
        tags = tuple(name for name in listed if name.strip())
    else:
        return _problem(line, "missing 'tags' (or 'tag')")
    action = value.get("action")
    if action is not None and not isinstance(action, str):
        return _problem(line, f"'action' must be \"add\" or \"remove\", not {json_kind(action)}")
    return RawRow(line, kind, ref, tags, (action or "").strip().lower() or None)


def python_rows(rows: Iterable[Any]) -> Iterator[RawRow]:
    """Rows given to ``Corpus.import_tags``: mappings as a JSONL line's object, or
    ``(path, tag[, action])`` tuples; LINE is the row's 1-based index."""
    for number, value in enumerate(rows, 1):
        if isinstance(value, (tuple, list)) and len(value) in (2, 3):
            value = dict(zip(("path", "tag", "action"), value))
        elif isinstance(value, Mapping):
            value = dict(value)
            if isinstance(value.get("tags"), tuple):
                value["tags"] = list(value["tags"])
        if isinstance(value, dict) and isinstance(value.get("path"), os.PathLike):
            value["path"] = os.fspath(value["path"])  # a Path is a path, in Python
        yield json_row(number, value)


def _problem(line: int, reason: str) -> RawRow:
    return RawRow(line, "path", "", (), None, reason)
