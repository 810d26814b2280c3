"""Reading a native ``jsonl`` export for ``import``: one record a line, each field checked.

The checks here need only the file (JSON, UTF-8, the schema version, the type
of every field the import reads); ``annotation_merge`` checks the records
against the corpus. Problems are collected as ``FILE:LINE: reason``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from .errors import InvalidValue
from .json_types import json_kind
from .os_errors import os_reason
from .schema import STATUSES
from .safe_text import control_character_problem
from .tags import clean_tag_name, tag_key
from .wording import json_problem

SCHEMA = 1


@dataclass
class Record:
    line: int
    path: str | None
    sha256: str | None
    status: str | None
    note: str | None
    tags: list[tuple[str, str | None, str | None]]  # (name, annotator, created)
    spans: list[dict[str, Any]]
    boilerplate: list[dict[str, Any]]
    duplicate_of: str | None = None  # the path of the document this one duplicates, in the exporting corpus


class Problems:
    """The problems of a file, each naming its line; ``items`` in line order, whichever check
    (reading, then matching documents) found them."""

    def __init__(self, source: str):
        self.source = source
        self._found: list[tuple[int, int, str]] = []  # (line, order found, message)

    def add(self, line: int, reason: str) -> None:
        self._found.append((line, len(self._found), f"{self.source}:{line}: {reason}"))

    @property
    def items(self) -> list[str]:
        return [message for _, _, message in sorted(self._found)]


def read_records(handle: IO[bytes], problems: Problems) -> Iterator[Record]:
    """The records of ``handle``, one a line; a line that cannot be one is added to ``problems``."""
    try:
        yield from _records(handle, problems)
    except OSError as error:  # stdin that cannot be read (EBADF), a failing disk (EIO), ...
        raise InvalidValue(f"{problems.source}: cannot read: {os_reason(error)}") from None


def _records(handle: IO[bytes], problems: Problems) -> Iterator[Record]:
    for number, raw in enumerate(handle, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as error:
            problems.add(number, f"not UTF-8 text (byte {error.start})")
            continue
        except json.JSONDecodeError as error:
            problems.add(number, f"not valid JSON ({json_problem(error)})")
            continue
        except RecursionError:  # 100,000 '[': the decoder recurses once a level
            problems.add(number, "not valid JSON here: nested too deeply (a record is a few levels deep)")
            continue
        except ValueError as error:  # a number of more than 4,300 digits
            problems.add(number, f"not valid JSON here: {str(error).split(';')[0]}")
            continue
        try:
            yield _parse(number, data)
        except _Bad as bad:
            problems.add(number, str(bad))


class _Bad(Exception):
    pass


def _parse(number: int, data: Any) -> Record:
    if not isinstance(data, dict):
        raise _Bad(f"expected a JSON object (one document per line), not {json_kind(data)}")
    schema = data.get("schema", SCHEMA)
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise _Bad(f"field 'schema' must be a positive integer, not {json_kind(schema)}")
    if schema > SCHEMA:
        raise _Bad(f"schema {schema} is newer than this corpus-tui reads ({SCHEMA}); upgrade corpus-tui")
    path = _string(data, "path")
    fields = _Fields(f"{path}: " if path else "")
    sha256 = fields.string(data, "sha256")
    status = fields.string(data, "status")
    if status is not None and status not in STATUSES:
        raise _Bad(f"{fields.where}unknown status {status!r} (one of: {', '.join(STATUSES)})")
    note = fields.string(data, "note")
    tags = _tags(data, fields)
    spans = [_span(item, "annotation", f"spans[{n}]", fields) for n, item in enumerate(fields.items(data, "spans"))]
    boilerplate = [_span(item, "boilerplate", f"boilerplate[{n}]", fields)
                   for n, item in enumerate(fields.items(data, "boilerplate"))]
    duplicate_of = fields.string(data, "duplicate_of") or None
    return Record(number, path, sha256, status, note, tags, spans, boilerplate, duplicate_of)


def _string(data: dict[str, Any], key: str, name: str | None = None, where: str = "") -> str | None:
    """``data[key]`` when it is a string; None when it is null or missing."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _Bad(f"{where}field '{name or key}' must be a string, not {json_kind(value)}")
    return value


class _Fields:
    """Reads a record's fields by their JSON type; a wrong type is a ``_Bad`` naming the field
    (``spans[2].start``) and, in ``where``, the record's path."""

    def __init__(self, where: str):
        self.where = where

    def string(self, data: dict[str, Any], key: str, name: str | None = None) -> str | None:
        return _string(data, key, name, self.where)

    def annotator(self, data: dict[str, Any], name: str) -> str | None:
        """Who made it: a printable name, else None, so the importer's (a blank one; one with a
        control character, which an earlier version stored and exported: not a reason to refuse
        restoring a backup, nor to store it again)."""
        value = _string(data, "annotator", name, self.where)
        if value is None or not value.strip() or control_character_problem(value.strip(), "annotator"):
            return None
        return value.strip()

    def created(self, data: dict[str, Any], name: str) -> str | None:
        """When: an ISO 8601 time as the export writes it, else None, so the import's time
        ("yesterday" was stored as it was; an earlier version exports what it stored)."""
        value = _string(data, "created", name, self.where)
        if value is None:
            return None
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return value

    def items(self, data: dict[str, Any], key: str, name: str | None = None) -> list[Any]:
        """``data[key]`` when it is a list; empty when it is null or missing (``0`` is no list)."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _Bad(f"{self.where}field '{name or key}' must be a list, not {json_kind(value)}")
        return value

    def mapping(self, value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Bad(f"{self.where}field '{name}' must be an object, not {json_kind(value)}")
        return value

    def integer(self, data: dict[str, Any], key: str, name: str) -> int:
        value = data.get(key)
        if key not in data:
            raise _Bad(f"{self.where}field '{name}' is missing")
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Bad(f"{self.where}field '{name}' must be an integer, not {json_kind(value)}")
        return value


def _tags(data: dict[str, Any], fields: _Fields) -> list[tuple[str, str | None, str | None]]:
    links: dict[str, tuple[str | None, str | None]] = {}
    for n, item in enumerate(fields.items(data, "tag_links")):
        link = fields.mapping(item, f"tag_links[{n}]")
        tag = fields.string(link, "tag", f"tag_links[{n}].tag")
        if tag is None:
            raise _Bad(f"{fields.where}field 'tag_links[{n}].tag' is missing")
        links[tag_key(tag)] = (fields.annotator(link, f"tag_links[{n}].annotator"),
                               fields.created(link, f"tag_links[{n}].created"))
    tags = []
    for n, name in enumerate(fields.items(data, "tags")):
        if not isinstance(name, str):
            raise _Bad(f"{fields.where}field 'tags[{n}]' must be a string, not {json_kind(name)}")
        if not name.strip():
            raise _Bad(f"{fields.where}field 'tags[{n}]' is empty: tags must be non-empty strings")
        clean = clean_tag_name(name)
        # Control characters only: ";" (refused where tags are made, for CSV's sake) may be in a tag
        # an earlier corpus-tui made, and a backup (an export) must restore as it was.
        if problem := control_character_problem(clean, "tag"):
            raise _Bad(f"{fields.where}{problem}")
        annotator, created = links.get(tag_key(clean), (None, None))
        tags.append((clean, annotator, created))
    return tags


def _span(value: Any, kind: str, name: str, fields: _Fields) -> dict[str, Any]:
    item = fields.mapping(value, name)
    start, end = fields.integer(item, "start", f"{name}.start"), fields.integer(item, "end", f"{name}.end")
    span = {
        "kind": kind, "start": start, "end": end, "label": None, "note": None, "reason": None,
        "text": fields.string(item, "text", f"{name}.text"),
        "annotator": fields.annotator(item, f"{name}.annotator"),
        "created": fields.created(item, f"{name}.created"),
    }
    if kind == "annotation":
        label = fields.string(item, "label", f"{name}.label")
        if label is None or not label.strip():
            raise _Bad(f"{fields.where}span [{start}, {end}) needs a label")
        if problem := control_character_problem(label.strip(), "label"):
            raise _Bad(f"{fields.where}{problem}")
        span["label"] = label.strip()
        span["note"] = fields.string(item, "note", f"{name}.note") or None
    else:
        span["reason"] = fields.string(item, "reason", f"{name}.reason") or None
    return span
