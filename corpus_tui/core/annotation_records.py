"""Reading a native ``jsonl`` export for ``import``: one record a line, each field checked.

The checks here need only the file (JSON, UTF-8, the schema version, the type
of every field the import reads); ``annotation_merge`` checks the records
against the corpus. Problems are collected as ``FILE:LINE: reason``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from .errors import InvalidValue
from .os_errors import os_reason
from .schema import STATUSES
from .tags import clean_tag_name, tag_key

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


class Problems:
    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, line: int, reason: str) -> None:
        self.items.append(f"{self.source}:{line}: {reason}")


def read_records(handle: IO[bytes], problems: Problems) -> Iterator[Record]:
    try:
        yield from _records(handle, problems)
    except OSError as error:  # stdin that is a folder (`< folder`), a disk failing, ...
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
            problems.add(number, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        try:
            yield _parse(number, data)
        except _Bad as bad:
            problems.add(number, str(bad))


class _Bad(Exception):
    pass


def _parse(number: int, data: Any) -> Record:
    if not isinstance(data, dict):
        raise _Bad("expected a JSON object (one document per line)")
    schema = data.get("schema", SCHEMA)
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise _Bad(f"schema must be a positive integer, not {schema!r}")
    if schema > SCHEMA:
        raise _Bad(f"schema {schema} is newer than this corpus-tui reads ({SCHEMA}); upgrade corpus-tui")
    path = _optional_str(data, "path")
    where = f"{path}: " if path else ""
    status = _optional_str(data, "status")
    if status is not None and status not in STATUSES:
        raise _Bad(f"{where}unknown status {status!r} (one of: {', '.join(STATUSES)})")
    tags = _tags(data, where)
    spans = [_span(item, "annotation", where) for item in _list(data, "spans", where)]
    boilerplate = [_span(item, "boilerplate", where) for item in _list(data, "boilerplate", where)]
    return Record(number, path, _optional_str(data, "sha256"), status, _optional_str(data, "note"),
                   tags, spans, boilerplate)


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _Bad(f"{key} must be a string, not {type(value).__name__}")
    return value


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise _Bad(f"{where}{key} must be a list")
    return value


def _tags(data: dict[str, Any], where: str) -> list[tuple[str, str | None, str | None]]:
    links: dict[str, tuple[str | None, str | None]] = {}
    for link in _list(data, "tag_links", where):
        if not isinstance(link, dict) or not isinstance(link.get("tag"), str):
            raise _Bad(f"{where}tag_links entries need a tag name")
        links[tag_key(link["tag"])] = (_text_or_none(link, "annotator", where), _text_or_none(link, "created", where))
    tags = []
    for name in _list(data, "tags", where):
        if not isinstance(name, str) or not name.strip():
            raise _Bad(f"{where}tags must be non-empty strings")
        clean = clean_tag_name(name)
        annotator, created = links.get(tag_key(clean), (None, None))
        tags.append((clean, annotator, created))
    return tags


def _text_or_none(item: dict[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise _Bad(f"{where}{key} must be a string")
    return value


def _span(item: Any, kind: str, where: str) -> dict[str, Any]:
    name = "span" if kind == "annotation" else "boilerplate range"
    if not isinstance(item, dict):
        raise _Bad(f"{where}each {name} must be an object")
    start, end = item.get("start"), item.get("end")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise _Bad(f"{where}{name} needs integer start and end")
    span = {
        "kind": kind, "start": start, "end": end, "label": None, "note": None, "reason": None,
        "text": _text_or_none(item, "text", where),
        "annotator": _text_or_none(item, "annotator", where),
        "created": _text_or_none(item, "created", where),
    }
    if kind == "annotation":
        label = item.get("label")
        if not isinstance(label, str) or not label.strip():
            raise _Bad(f"{where}span [{start}, {end}) needs a label")
        span["label"] = label.strip()
        span["note"] = _text_or_none(item, "note", where) or None
    else:
        span["reason"] = _text_or_none(item, "reason", where) or None
    return span
