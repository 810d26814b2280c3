"""Reading tag-import rows: the bytes of a file as lines, and CSV and TSV rows as ``RawRow``s.

(JSONL and Python rows, and ``read_rows`` for every format, are in ``tag_jsonl``.)

Files are read a megabyte of whole lines at a time, so memory stays flat; the
bytes are hashed on the way (the import record keeps the file's sha256).
UTF-8 with or without BOM, LF or CRLF, quoted CSV fields with commas and
newlines, and blank lines are all accepted; bad UTF-8 is reported with its line.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from .export.table import FORMULA_STARTS

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
            ref = unguarded(cells[index]).strip()
            if ref:
                break
        else:
            kind, ref = self.naming[0][0], ""
        value = unguarded(cells[self.tags])
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


def unguarded(cell: str) -> str:
    """A cell without the ``'`` a spreadsheet and the csv export (``safe_cell``) put before
    ``= + - @``, tab or CR, and before a value guarded so already: the export's ``path`` and
    ``tags`` columns are an import-tags file, and ``'=SUM(A1).txt`` named no document (a trial)."""
    return cell[1:] if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS) else cell


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
