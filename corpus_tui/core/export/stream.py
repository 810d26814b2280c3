"""The line formats (jsonl, prodigy, doccano, csv), rendered a chunk of documents at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .json_formats import doccano_line, native_line, prodigy_line
from .native_lines import quick_line
from .records import ChunkRows, DocumentRecord, record_of, records_from
from .table import csv_header, csv_line

RENDERERS: dict[str, Callable[[DocumentRecord], bytes]] = {
    "jsonl": native_line, "prodigy": prodigy_line, "doccano": doccano_line, "csv": csv_line,
}
HEADERS: dict[str, Callable[[], bytes]] = {"csv": csv_header}


@dataclass
class Rendered:
    """One chunk's output and what went into it."""

    data: bytes = b""
    documents: int = 0
    annotations: int = 0
    boilerplate: int = 0
    stale_spans_omitted: int = 0
    left_out_stale: list[str] = field(default_factory=list)  # paths: spans could not be re-anchored

    def add(self, other: Rendered) -> None:
        """Count ``other`` in too (its data is not appended)."""
        add_counts(self, other)

    def counts(self) -> dict[str, Any]:
        """Everything but the data (what a worker process reports)."""
        return {"documents": self.documents, "annotations": self.annotations, "boilerplate": self.boilerplate,
                "stale_spans_omitted": self.stale_spans_omitted, "left_out_stale": self.left_out_stale}


class Counts(Protocol):
    documents: int
    annotations: int
    boilerplate: int
    stale_spans_omitted: int
    left_out_stale: list[str]


def add_counts(total: Counts, part: Counts) -> None:
    """Add ``part``'s counts to ``total`` (a ``Rendered`` or an ``ExportSummary``)."""
    total.documents += part.documents
    total.annotations += part.annotations
    total.boilerplate += part.boilerplate
    total.stale_spans_omitted += part.stale_spans_omitted
    total.left_out_stale += part.left_out_stale


def accept(record: DocumentRecord, allow_stale: bool, tally: Rendered) -> bool:
    """Whether ``record`` is exported (the stale rule), counting it in ``tally``."""
    if record.stale_spans and not allow_stale:
        tally.left_out_stale.append(record.path)
        return False
    tally.documents += 1
    tally.annotations += len(record.spans)
    tally.boilerplate += len(record.boilerplate)
    tally.stale_spans_omitted += record.stale_spans
    return True


def render_chunk(fmt: str, allow_stale: bool, ids: list[int], rows: ChunkRows) -> Rendered:
    """One fetched chunk as the bytes of ``fmt``."""
    if fmt == "jsonl":
        return _render_native(allow_stale, ids, rows)
    render = RENDERERS[fmt]
    tally = Rendered()
    tally.data = b"".join([render(r) for r in records_from(ids, rows) if accept(r, allow_stale, tally)])
    return tally


def _render_native(allow_stale: bool, ids: list[int], rows: ChunkRows) -> Rendered:
    """``jsonl``: each row the quick way (``native_lines``), or through its record when it must."""
    tally = Rendered()
    lines: list[bytes] = []
    by_id = {row[0]: row for row in rows}
    for doc_id in ids:
        row = by_id.get(doc_id)
        if row is None:
            continue
        quick = quick_line(row)
        if quick is not None:
            line, annotations, boilerplate = quick
            tally.documents += 1
            tally.annotations += annotations
            tally.boilerplate += boilerplate
            lines.append(line)
            continue
        record = record_of(row)
        if accept(record, allow_stale, tally):
            lines.append(native_line(record))
    tally.data = b"".join(lines)
    return tally


def header(fmt: str) -> bytes:
    return HEADERS[fmt]() if fmt in HEADERS else b""
