"""``csv``: one row per document, for a spreadsheet or pandas.

Columns: ``path``, ``title``, ``status``, ``tags`` (joined with ``;``),
``boilerplate_share`` (live boilerplate characters / text length, 4 decimals),
``annotations`` (count), ``note``, ``duplicate_of`` (the path of the document an analyst
marked this one a duplicate of, or empty), then the optional ``TEXT_COLUMNS`` asked
for: ``text`` (the exact text the offsets of the other formats index) and
``clean_text`` (boilerplate removed), so the file stands on its own. RFC 4180
quoting, UTF-8 without a BOM, ``\\n`` line ends. A text cell a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) gets a leading ``'``, the neutralisation OWASP recommends
against CSV injection; the text columns too (a front matter block starts with
``-``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from ..errors import InvalidValue
from .records import DocumentRecord

COLUMNS = ("path", "title", "status", "tags", "boilerplate_share", "annotations", "note", "duplicate_of")
TEXT_COLUMNS = ("text", "clean_text")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula, and when
    it is a guarded value already (``'=x``, ``''=x``): taking one ``'`` off (import-tags, or
    the README's pandas line) then gives every value back, ``'=a.txt`` as well as ``=a.txt``
    (both were ``'=a.txt``: a review)."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_STARTS) else value


def check_text_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """The text columns asked for, in their fixed order; an unknown one is an error."""
    for column in columns:
        if column not in TEXT_COLUMNS:
            raise InvalidValue(f"unknown csv text column {column!r} (one of: {', '.join(TEXT_COLUMNS)})")
    return tuple(column for column in TEXT_COLUMNS if column in columns)


def _row(cells: list[object]) -> bytes:
    buffer = io.StringIO()
    # Python's csv quotes a cell holding a character of the line terminator: with "\n" alone a
    # lone CR (an old Mac file) went out unquoted, and readers split the row there (RFC 4180
    # quotes both). Rows still end in "\n".
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return (buffer.getvalue()[:-2] + "\n").encode("utf-8")


def csv_header(text_columns: Sequence[str] = ()) -> bytes:
    return _row([*COLUMNS, *text_columns])


def csv_line(record: DocumentRecord, text_columns: Sequence[str] = ()) -> bytes:
    share = record.boilerplate_chars / len(record.text) if record.boilerplate else 0.0
    cells: list[object] = [
        safe_cell(record.path),
        safe_cell(record.title or ""),
        record.status,
        safe_cell(";".join(record.tags)),
        f"{share:.4f}",
        len(record.spans),
        safe_cell(record.note),
        safe_cell(record.duplicate_of or ""),
    ]
    for column in text_columns:
        cells.append(safe_cell(record.text if column == "text" else record.clean_text))
    return _row(cells)
