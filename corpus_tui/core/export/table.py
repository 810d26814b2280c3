"""``csv``: one row per document, for a spreadsheet or pandas.

Columns: ``path``, ``title``, ``status``, ``tags`` (joined with ``;``),
``boilerplate_share`` (live boilerplate characters / text length, 4 decimals),
``annotations`` (count), ``note``. RFC 4180 quoting, UTF-8 without a BOM,
``\\n`` line ends. A text cell a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading
``'``, the neutralisation OWASP recommends against CSV injection.
"""

from __future__ import annotations

import csv
import io

from .records import DocumentRecord

COLUMNS = ("path", "title", "status", "tags", "boilerplate_share", "annotations", "note")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _row(cells: list[object]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def csv_header() -> bytes:
    return _row(list(COLUMNS))


def csv_line(record: DocumentRecord) -> bytes:
    share = record.boilerplate_chars / len(record.text) if record.boilerplate else 0.0
    return _row([
        safe_cell(record.path),
        safe_cell(record.title or ""),
        record.status,
        safe_cell(";".join(record.tags)),
        f"{share:.4f}",
        len(record.spans),
        safe_cell(record.note),
    ])
