"""The native export record of a document, streamed in path order.

Documents are read in chunks of ``CHUNK`` documents (or ``CHUNK_BYTES`` of
files) with one query per chunk (each row: the document, its text, and its
spans and tag links gathered into JSON arrays), so the cost is flat per
document and memory holds one chunk at a time, whatever the corpus size.

Texts are read as UTF-8 bytes and boilerplate ranges carry byte offsets as
well as their code-point offsets, so the clean text is cut from the bytes;
every format but ``jsonl`` reads ``record.text`` (decoded once, on demand),
and ``jsonl`` lines are mostly built from the rows without a record at all
(``native_lines``). A span is exported only when its offsets are known good
on the exported text: ``anchor`` not ``stale`` and ``text[start:end]`` equal
to its stored quote.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .clean import clean_text

if TYPE_CHECKING:
    from ..base import CorpusBase

SCHEMA = 1  # the "schema" key of every native record
CHUNK = 500  # documents per round of queries at most
CHUNK_BYTES = 4 << 20  # and about this much text (file sizes): a chunk of big documents is a short one
# One row per document: its text as UTF-8 bytes, and its spans and tag links
# gathered by SQLite into one JSON array each, so a chunk of documents costs one
# query and a handful of Python objects per document (not one per span column).
_CHUNK_SQL = (
    "SELECT d.id, d.path, d.state, d.sha256, d.title, d.status, d.note, d.meta, d.body_start, "
    "CAST(t.text AS BLOB), "
    # A range a rule made exports its provenance as its reason, "rule:ID" (see ``rules``).
    "(SELECT json_group_array(json_array(s.kind, s.start, s.\"end\", s.label, s.note, "
    "CASE WHEN s.rule_id IS NULL THEN s.reason ELSE 'rule:' || s.rule_id END, s.anchor, "
    "s.annotator, s.created_at, s.quote)) FROM spans s WHERE s.document_id = d.id), "
    "(SELECT json_group_array(json_array(g.key, g.name, l.annotator, l.created_at)) "
    "FROM document_tags l JOIN tags g ON g.id = l.tag_id WHERE l.document_id = d.id), "
    "(SELECT o.path FROM documents o WHERE o.id = d.duplicate_of) "
    "FROM documents d LEFT JOIN document_texts t ON t.document_id = d.id WHERE d.id IN ({})"
)


@dataclass(slots=True)
class SpanRecord:
    """An exported annotation (``label``, ``note``) or boilerplate range (``reason``)."""

    start: int
    end: int
    label: str | None
    note: str | None
    reason: str | None
    annotator: str
    created: str
    text: str
    byte_start: int = 0  # byte offsets into the UTF-8 text (set for boilerplate ranges)
    byte_end: int = 0

    def annotation(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "label": self.label, "note": self.note, "text": self.text,
                "annotator": self.annotator, "created": self.created}

    def boilerplate(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "reason": self.reason, "text": self.text,
                "annotator": self.annotator, "created": self.created}


@dataclass
class DocumentRecord:
    """One document as exported: what every format is written from."""

    id: int
    path: str
    state: str
    sha256: str | None
    title: str | None
    status: str
    tags: list[str]
    note: str
    meta_json: str  # the front matter as stored (JSON)
    body_start: int  # where the body after the front matter begins
    raw: bytes  # the text, UTF-8
    spans: list[SpanRecord]  # annotations, sorted
    boilerplate: list[SpanRecord]  # merged ranges, sorted
    links: list[list[str]]  # [key, name, annotator, created] per tag, sorted by key
    stale_spans: int = 0  # spans left out because their offsets cannot be trusted
    duplicate_of: str | None = None  # the path of the document an analyst said this one duplicates
    _text: str | None = field(default=None, repr=False)
    _clean_raw: bytes | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.raw.decode("utf-8")
        return self._text

    @property
    def meta(self) -> dict[str, Any]:
        return json.loads(self.meta_json) if self.meta_json != "{}" else {}

    @property
    def clean_raw(self) -> bytes:
        """``clean_text`` as UTF-8 (computed on the bytes: the rules only involve ASCII)."""
        if self._clean_raw is None:
            self._clean_raw = clean_text(self.raw, [(b.byte_start, b.byte_end) for b in self.boilerplate])
        return self._clean_raw

    @property
    def clean_text(self) -> str:
        return self.clean_raw.decode("utf-8")

    @property
    def clean_body(self) -> bytes:
        """The clean text without the front matter block (the folder formats' body), UTF-8.
        A block that did not parse is not metadata (``front_matter`` is empty): it stays text."""
        if not self.body_start or (not self.meta and self._front_matter_is_broken()):
            return self.clean_raw
        cut = len(self.text[: self.body_start].encode("utf-8"))
        return clean_text(self.raw, [(0, cut)] + [(b.byte_start, b.byte_end) for b in self.boilerplate])

    def _front_matter_is_broken(self) -> bool:
        from ..front_matter import parse_front_matter  # YAML only for the rare empty block

        return parse_front_matter(self.text).problem is not None

    @property
    def tag_links(self) -> list[dict[str, Any]]:
        """Who added each tag and when: ``tag``, ``annotator``, ``created``."""
        return [{"tag": name, "annotator": annotator, "created": created} for _, name, annotator, created in self.links]

    @property
    def boilerplate_chars(self) -> int:
        return sum(b.end - b.start for b in self.boilerplate)

    def native(self) -> dict[str, Any]:
        """The ``jsonl`` record as a dict, keys in their documented order."""
        return {
            "schema": SCHEMA,
            "id": self.id,
            "path": self.path,
            "sha256": self.sha256,
            "title": self.title,
            "status": self.status,
            "tags": self.tags,
            "note": self.note,
            "duplicate_of": self.duplicate_of,
            "meta": self.meta,
            "text": self.text,
            "clean_text": self.clean_text,
            "spans": [s.annotation() for s in self.spans],
            "boilerplate": [b.boilerplate() for b in self.boilerplate],
            "tag_links": self.tag_links,
        }


ChunkRows = list[tuple[Any, ...]]
_json_array = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # json.loads minus two Python calls


def fetch_chunk(conn: sqlite3.Connection, ids: list[int]) -> ChunkRows:
    """The rows of ``ids``: one per document, spans and tag links as JSON arrays."""
    return conn.execute(_CHUNK_SQL.format(", ".join("?" for _ in ids)), ids).fetchall()


def chunked(rows: Iterable[tuple[int, int]], count: int = CHUNK, max_bytes: int = CHUNK_BYTES) -> Iterator[list[int]]:
    """Ids from ``(id, size)`` rows, in order, ``count`` at most at a time, and no more
    than ``max_bytes`` of documents unless one document alone is larger."""
    ids: list[int] = []
    size = 0
    for doc_id, doc_size in rows:
        if ids and (len(ids) >= count or size + doc_size > max_bytes):
            yield ids
            ids, size = [], 0
        ids.append(doc_id)
        size += doc_size
    if ids:
        yield ids


def records_from(ids: list[int], rows: ChunkRows) -> Iterator[DocumentRecord]:
    """The records of one fetched chunk, in the order of ``ids``."""
    by_id = {row[0]: row for row in rows}
    for doc_id in ids:
        row = by_id.get(doc_id)
        if row is not None:
            yield record_of(row)


def iter_records(corpus: CorpusBase, document_ids: Sequence[int]) -> Iterator[DocumentRecord]:
    """Records for ``document_ids``, in that order. Call inside one read snapshot."""
    for first in range(0, len(document_ids), CHUNK):
        part = list(document_ids[first : first + CHUNK])
        yield from records_from(part, fetch_chunk(corpus.db.conn, part))


def record_of(row: tuple[Any, ...]) -> DocumentRecord:
    """The record of one fetched row."""
    doc_id, path, state, sha256, title, status, note, meta, body_start, raw, span_json, link_json, duplicate_of = row
    links = sorted(_json_array(link_json, 0)[0]) if link_json != "[]" else []  # by case-folded name
    record = DocumentRecord(
        id=doc_id, path=path, state=state, sha256=sha256, title=title, status=status,
        tags=[link[1] for link in links], note=note, meta_json=meta or "{}", body_start=body_start,
        raw=raw or b"", spans=[], boilerplate=[], links=links, duplicate_of=duplicate_of,
    )
    if span_json == "[]":
        return record
    text = record.text
    annotations, boilerplate = record.spans, record.boilerplate
    for kind, start, end, label, note_, reason, anchor, annotator, created, quote in _json_array(span_json, 0)[0]:
        piece = text[start:end]
        if anchor == "stale" or piece != quote:
            record.stale_spans += 1  # never exported at offsets that may be wrong
        elif kind == "annotation":
            annotations.append(SpanRecord(start, end, label, note_, reason, annotator, created, piece))
        else:
            boilerplate.append(SpanRecord(start, end, label, note_, reason, annotator, created, piece))
    # Sorted on every exported field, so the order never depends on row ids:
    # two databases holding the same annotations export the same bytes.
    if len(record.spans) > 1:
        record.spans.sort(key=lambda s: (s.start, s.end, s.label, s.note is not None, s.note or "",
                                         s.annotator, s.created))
    if record.boilerplate:
        record.boilerplate.sort(key=lambda s: (s.start, s.end, s.reason is not None, s.reason or "",
                                               s.annotator, s.created))
        _byte_offsets(text, record.boilerplate)
    return record


def _byte_offsets(text: str, spans: list[SpanRecord]) -> None:
    """Set ``byte_start``/``byte_end`` of spans sorted by start, in one pass over the text."""
    position = byte = 0
    for span in spans:
        byte += len(text[position : span.start].encode("utf-8"))
        position = span.start
        span.byte_start = byte
        span.byte_end = byte + len(span.text.encode("utf-8"))
