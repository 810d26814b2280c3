"""Reading tag-import rows: CSV, TSV and JSONL files, or Python rows, as ``RawRow``s.

Files are read a megabyte of whole lines at a time, so memory stays flat; the
bytes are hashed on the way (the import record keeps the file's sha256).
UTF-8 with or without BOM, LF or CRLF, quoted CSV fields with commas and
newlines, and blank lines are all accepted; bad UTF-8 is reported with its line.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, NamedTuple

from .errors import InvalidValue

FORMATS = ("csv", "tsv", "jsonl")
NAMING = ("path", "id", "sha256")  # a row names its document by the first of these it fills
READ_CHUNK = 1 << 20  # bytes read (and decoded) at a time
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_BOM = b"\xef\xbb\xbf"


class _Fatal(Exception):
    """A problem after which no further row can be read (bad header, bad UTF-8)."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line
        self.reason = reason


class RawRow(NamedTuple):
    line: int
    kind: str  # "path" | "id" | "sha256"
    ref: str
    tags: tuple[str, ...]
    action: str | None
    problem: str | None = None


def _problem(line: int, reason: str) -> RawRow:
    return RawRow(line, "path", "", (), None, reason)


def detect_format(name: str, first_line: str) -> str:
    """By extension; else ``{`` starts JSONL, a tab without a comma TSV, anything else CSV."""
    by_extension = _EXTENSIONS.get(Path(name).suffix.lower())
    if by_extension:
        return by_extension
    line = first_line.strip()
    if line.startswith("{"):
        return "jsonl"
    return "tsv" if "\t" in line and "," not in line else "csv"


def read_rows(stream: IO[bytes], source: str, fmt: str | None, hasher: Any) -> Iterator[RawRow]:
    """Parse a CSV/TSV/JSONL byte stream into rows, feeding every byte to ``hasher``."""
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
        return _jsonl_rows(chained)
    return _csv_rows(chained, "\t" if fmt == "tsv" else ",")


def _decoded_lines(stream: IO[bytes], hasher: Any) -> Iterator[str]:
    """The lines of the stream (split on "\\n" only, endings kept), decoded as UTF-8.

    Whole lines are decoded a chunk at a time and split by ``StringIO`` (C code
    all the way to the CSV reader: per-line Python here doubled the import time).
    """
    return itertools.chain.from_iterable(_decoded_chunks(stream, hasher))


def _decoded_chunks(stream: IO[bytes], hasher: Any) -> Iterator[io.StringIO]:
    carry, lines_before, first = b"", 0, True
    while True:
        data = stream.read(READ_CHUNK)
        hasher.update(data)
        chunk = carry + data
        if first and (len(chunk) >= len(_BOM) or not data):
            chunk, first = chunk.removeprefix(_BOM), False
        cut = chunk.rfind(b"\n") + 1 if data else len(chunk)
        whole, carry = chunk[:cut], chunk[cut:]
        if whole:
            try:
                text = whole.decode("utf-8")
            except UnicodeDecodeError as error:
                start = whole.rfind(b"\n", 0, error.start) + 1  # the bad line
                yield io.StringIO(whole[:start].decode("utf-8"), newline="\n")
                line = lines_before + whole.count(b"\n", 0, start) + 1
                raise _Fatal(line, f"not valid UTF-8 (byte 0x{whole[error.start]:02x} at byte "
                                   f"{error.start - start + 1} of the line); save the file as UTF-8") from None
            yield io.StringIO(text, newline="\n")
            lines_before += whole.count(b"\n")
        if not data:
            return


class _Header:
    def __init__(self, cells: list[str], line: int):
        names = [cell.strip().lower() for cell in cells]
        found = ", ".join(n for n in names if n) or "nothing"
        self.naming = [(kind, names.index(kind)) for kind in NAMING if kind in names]
        if not self.naming:
            raise _Fatal(line, f"missing column: need 'path', 'id' or 'sha256' (found: {found})")
        if "tag" in names and "tags" in names:
            raise _Fatal(line, "use a 'tag' column or a 'tags' column, not both")
        if "tag" not in names and "tags" not in names:
            raise _Fatal(line, f"missing column: need 'tag' or 'tags' (found: {found})")
        self.single = "tag" in names
        self.tags = names.index("tag" if self.single else "tags")
        self.action = names.index("action") if "action" in names else None
        self.width = len(names)

    def row(self, line: int, cells: list[str]) -> RawRow:
        if len(cells) != self.width:
            if any(cell.strip() for cell in cells[self.width:]):
                return _problem(line, f"malformed row: {len(cells)} fields, the header has {self.width}")
            cells = cells + [""] * (self.width - len(cells))  # a short row: the missing cells are empty
        for kind, index in self.naming:
            ref = cells[index].strip()
            if ref:
                break
        else:
            kind, ref = self.naming[0][0], ""
        value = cells[self.tags]
        if self.single:
            if not value or value.isspace():
                return _problem(line, "empty tag")
            tags: tuple[str, ...] = (value,)
        else:
            tags = tuple(name for name in value.split(";") if name.strip())
        action = None
        if self.action is not None:
            action = cells[self.action].strip().lower() or None
        return RawRow(line, kind, ref, tags, action)


def _csv_rows(lines: Iterator[str], delimiter: str) -> Iterator[RawRow]:
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: _Header | None = None
    last = 0  # a quoted field may span lines: a record starts on the line after the last one read
    while True:
        try:
            for cells in reader:
                start, last = last + 1, reader.line_num
                if not any(cells) or not any(cell.strip() for cell in cells):
                    continue
                if header is None:
                    header = _Header(cells, start)
                else:
                    yield header.row(start, cells)
        except csv.Error as error:
            start, last = last + 1, reader.line_num
            if header is None:
                raise _Fatal(start, f"malformed header: {error}") from None
            yield _problem(start, f"malformed row: {error}")
            continue
        if header is None:
            raise _Fatal(max(last, 1), "empty file: no header row")
        return


def _jsonl_rows(lines: Iterator[str]) -> Iterator[RawRow]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            reason = f"{error.msg} at column {error.colno}" if isinstance(error, json.JSONDecodeError) else str(error)
            yield _problem(number, f"malformed JSON: {reason}")
            continue
        yield mapping_row(number, value)


def mapping_row(line: int, value: Any) -> RawRow:
    """A JSONL object or a Python mapping: ``{"path"|"id"|"sha256": …, "tags": [...]|"tag": …, "action": …}``."""
    if isinstance(value, (tuple, list)) and len(value) in (2, 3):
        value = dict(zip(("path", "tag", "action"), value))
    if not isinstance(value, Mapping):
        return _problem(line, "not an object with 'path' (or 'id', 'sha256') and 'tags'")
    kind, ref = "path", ""
    for kind in NAMING:
        raw = value.get(kind)
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            return _problem(line, f"'{kind}' must be a string")
        ref = str(raw).strip()
        if ref:
            break
    if "tag" in value:
        tag = value["tag"]
        if not isinstance(tag, str):
            return _problem(line, "'tag' must be a string")
        if not tag.strip():
            return _problem(line, "empty tag")
        tags: tuple[str, ...] = (tag,)
    elif "tags" in value:
        listed = value["tags"]
        if not isinstance(listed, (list, tuple)) or not all(isinstance(name, str) for name in listed):
            return _problem(line, "'tags' must be a list of strings")
        tags = tuple(name for name in listed if name.strip())
    else:
        return _problem(line, "missing 'tags' (or 'tag')")
    action = value.get("action")
    if action is not None and not isinstance(action, str):
        return _problem(line, "'action' must be \"add\" or \"remove\"")
    return RawRow(line, kind, ref, tags, (action or "").strip().lower() or None)


def python_rows(rows: Iterable[Any]) -> Iterator[RawRow]:
    """Rows given to ``Corpus.import_tags``: mappings, or (path, tag[, action]) tuples; LINE is the 1-based index."""
    for number, value in enumerate(rows, 1):
        yield mapping_row(number, value)


