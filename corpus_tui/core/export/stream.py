"""The line formats (jsonl, prodigy, doccano, csv, label-studio), rendered a chunk of documents at a time.

A line format and its options are named by one key, ``FORMAT`` or ``FORMAT:OPTION``
(``line_format``): what ``render_chunk``, ``header`` and a worker process take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from ..errors import InvalidValue
from . import label_studio
from .json_formats import DOCCANO_SPANS, doccano_line, native_line, prodigy_line
from .native_lines import quick_line
from .records import ChunkRows, DocumentRecord, record_of, records_from
from .table import check_text_columns, csv_header, csv_line

STREAM_FORMATS = ("jsonl", "prodigy", "doccano", "csv", "label-studio")


def line_format(fmt: str, *, text_columns: Sequence[str] = (), doccano_spans: str = "label",
                offsets: str = "code-points") -> str:
    """The key of ``fmt`` rendered with these options; an option given to a format
    it does not apply to, or an unknown value, is an error."""
    if text_columns and fmt != "csv":
        raise InvalidValue("the text columns (--text, --clean-text) are for the csv format")
    if doccano_spans != "label" and fmt != "doccano":
        raise InvalidValue("the doccano spans key (--doccano-spans) is for the doccano format")
    if offsets != "code-points" and fmt != "label-studio":
        raise InvalidValue("the offset unit (--label-studio-offsets) is for the label-studio format")
    if doccano_spans not in DOCCANO_SPANS:
        raise InvalidValue(f"unknown doccano spans key {doccano_spans!r} (one of: {', '.join(DOCCANO_SPANS)})")
    if offsets not in label_studio.OFFSETS:
        raise InvalidValue(f"unknown offset unit {offsets!r} (one of: {', '.join(label_studio.OFFSETS)})")
    option = {"csv": ",".join(check_text_columns(text_columns)),
              "doccano": "" if doccano_spans == "label" else doccano_spans,
              "label-studio": "" if offsets == "code-points" else offsets}.get(fmt, "")
    return f"{fmt}:{option}" if option else fmt


def format_of(key: str) -> str:
    return key.partition(":")[0]


def renderer(key: str) -> Callable[[DocumentRecord], bytes]:
    """How each document of the line format ``key`` is rendered."""
    fmt, _, option = key.partition(":")
    if fmt == "csv":
        return partial(csv_line, text_columns=check_text_columns(option.split(",")) if option else ())
    if fmt == "doccano":
        return partial(doccano_line, spans=option or "label")
    if fmt == "label-studio":
        return partial(label_studio.task_line, offsets=option or "code-points")
    return {"jsonl": native_line, "prodigy": prodigy_line}[fmt]


def header(key: str) -> bytes:
    """What comes before the first document: the csv header row, the opening of a JSON array."""
    fmt, _, option = key.partition(":")
    if fmt == "csv":
        return csv_header(check_text_columns(option.split(",")) if option else ())
    return label_studio.OPEN if fmt == "label-studio" else b""


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
    """One fetched chunk as the bytes of the line format ``fmt`` (a ``line_format`` key)."""
    if fmt == "jsonl":
        return _render_native(allow_stale, ids, rows)
    render = renderer(fmt)
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
