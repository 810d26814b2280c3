"""JSON Lines formats: the native ``jsonl``, ``prodigy`` and ``doccano``.

One JSON object per line, UTF-8 (``ensure_ascii=False``), compact separators,
``\\n`` after every record, keys in a fixed order (never ``sort_keys``): two
exports of the same state are byte-identical. The three characters JSON allows
raw in strings that Python's ``str.splitlines`` (and some JavaScript) treat as
line breaks, U+0085, U+2028 and U+2029, are written escaped, so a reader that
splits on them still sees one record per line.

- ``jsonl``: ``DocumentRecord.native()``, the schema in the README's Export section. The
  line is assembled from the UTF-8 bytes of the text (``native_line``): no
  decoding, and JSON-escaping a text is a few ``bytes.replace`` calls. It
  decodes to exactly ``native()`` (a test holds both to that).
- ``prodigy``: Prodigy's task format as its ``db-in`` and recipes read it:
  ``text``, ``spans`` (``start``, ``end``, ``label``; character offsets into
  ``text``), ``meta`` (shown in the annotation card) and ``answer``
  (``accept`` for reviewed documents, ``ignore`` for any other status: only
  reviewed work is a confirmed answer; ``meta.status`` keeps the real status).
- ``doccano``: doccano's JSONL import: ``text``; ``label`` as
  ``[[start, end, label], ...]`` (sequence labelling); ``cats``, the document
  tags (for a text-classification project, set the import's label column to
  ``cats``); every other key (``id``, ``path``, ``title``, ``status``,
  ``note``) becomes the example's metadata in doccano. With ``spans="entities"``
  the spans are under ``entities`` instead, the fixed column doccano's "Intent
  Detection and Slot Filling" import reads them from (with ``cats``; its
  ``ColumnBuilder`` ignores ``label`` there, and keeps any other key as metadata).
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring  # the C implementation when available
from typing import Any

from .records import SCHEMA, DocumentRecord

compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # separators not escaped
_LINE_SEPARATORS = re.compile(rb"\xe2\x80[\xa8\xa9]")  # U+2028, U+2029 in UTF-8 (U+0085 is \xc2\x85)
_RARE_CONTROLS = bytes(c for c in range(32) if c not in (9, 10, 13))  # control characters but tab, LF, CR
SEPARATOR_BYTES = b"\x85\xa8\xa9"  # the last bytes of U+0085, U+2028, U+2029 in UTF-8
# Deleting every byte but these leaves nothing for almost every text: then no
# rare control character and no U+0085/2028/2029 can be in it (one C pass).
NOT_SUSPECT = bytes(c for c in range(256) if c not in _RARE_CONTROLS and c not in SEPARATOR_BYTES)


def dumps(value: Any) -> str:
    """One line of JSON (see the module docstring)."""
    return escape_separators(compact_json(value))


def escape_separators(text: str) -> str:
    return text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def escape_separators_utf8(encoded: bytes) -> bytes:
    """``escape_separators`` on UTF-8 bytes (``apply`` keeps a record's own bytes). Their
    encodings cannot be part of another character's: a plain replace finds them alone."""
    if b"\xe2\x80" not in encoded and b"\xc2\x85" not in encoded:
        return encoded
    return encoded.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029").replace(
        b"\xc2\x85", b"\\u0085")


def or_null(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def quote_plain(text: bytes) -> bytes:
    """UTF-8 ``text`` as a JSON string, when it holds no control character but tab, LF
    and CR and no U+0085/2028/2029: then only these five need escaping."""
    return b'"%s"' % (
        text.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n")
        .replace(b"\r", b"\\r").replace(b"\t", b"\\t")
    )


def small_bytes(text: str) -> bytes:
    """The small fields of a line, assembled as str: escape separators, encode once."""
    return (text if text.isascii() else escape_separators(text)).encode("utf-8")


class _Quoter:
    """JSON-quotes a document's text and clean text, as UTF-8 bytes.

    Whether the text holds anything rarer than what ``quote_plain`` escapes is
    checked once per document; then the general path is taken.
    """

    def __init__(self, raw: bytes):
        suspects = raw.translate(None, NOT_SUSPECT)
        self.plain = not suspects or (
            not suspects.translate(None, SEPARATOR_BYTES)  # no rare control character
            and (b"\x85" not in suspects or b"\xc2\x85" not in raw)
            and ((b"\xa8" not in suspects and b"\xa9" not in suspects) or _LINE_SEPARATORS.search(raw) is None)
        )

    def __call__(self, piece: bytes) -> bytes:
        if not self.plain:
            return escape_separators(encode_basestring(piece.decode("utf-8"))).encode("utf-8")
        return quote_plain(piece)


def native_line(record: DocumentRecord) -> bytes:
    """``dumps(record.native()) + "\\n"`` as UTF-8, built from the text's bytes."""
    q = encode_basestring
    meta = "{}" if record.meta_json == "{}" else compact_json(record.meta)
    tags = ",".join(map(q, record.tags))
    head = (
        f'{{"schema":{SCHEMA},"id":{record.id},"path":{q(record.path)},"sha256":{or_null(record.sha256)},'
        f'"title":{or_null(record.title)},"status":{q(record.status)},"tags":[{tags}],"note":{q(record.note)},'
        f'"duplicate_of":{or_null(record.duplicate_of)},"meta":{meta},"text":'
    )
    spans = ",".join(
        f'{{"start":{s.start},"end":{s.end},"label":{or_null(s.label)},"note":{or_null(s.note)},"text":{q(s.text)},'
        f'"annotator":{q(s.annotator)},"created":{q(s.created)}}}'
        for s in record.spans
    )
    boilerplate = ",".join(
        f'{{"start":{b.start},"end":{b.end},"reason":{or_null(b.reason)},"text":{q(b.text)},'
        f'"annotator":{q(b.annotator)},"created":{q(b.created)}}}'
        for b in record.boilerplate
    )
    links = ",".join(
        f'{{"tag":{q(name)},"annotator":{q(annotator)},"created":{q(created)}}}'
        for _, name, annotator, created in record.links
    )
    quote = _Quoter(record.raw)
    text = quote(record.raw)
    clean = record.clean_raw
    return b"".join((
        small_bytes(head), text, b',"clean_text":', text if clean is record.raw else quote(clean),
        small_bytes(f',"spans":[{spans}],"boilerplate":[{boilerplate}],"tag_links":[{links}]}}\n'),
    ))


def labelled_ranges(record: DocumentRecord) -> list[tuple[int, int, str | None]]:
    """The spans as ``(start, end, label)``, each once: two spans that differ only in their notes
    (which these formats do not carry) were the same span twice there (a trial)."""
    return list(dict.fromkeys((s.start, s.end, s.label) for s in record.spans))


def prodigy_line(record: DocumentRecord) -> bytes:
    task = {
        "text": record.text,
        "spans": [{"start": start, "end": end, "label": label} for start, end, label in labelled_ranges(record)],
        "meta": {
            "id": record.id, "path": record.path, "title": record.title, "status": record.status,
            "tags": record.tags, "note": record.note, "sha256": record.sha256,
            "duplicate_of": record.duplicate_of,
        },
        "answer": "accept" if record.status == "reviewed" else "ignore",
    }
    return (dumps(task) + "\n").encode("utf-8")


DOCCANO_SPANS = ("label", "entities")


def doccano_line(record: DocumentRecord, spans: str = "label") -> bytes:
    """``spans``: the key the spans go under, ``label`` (sequence labelling) or
    ``entities`` (intent detection and slot filling)."""
    example = {
        "text": record.text,
        spans: [list(span) for span in labelled_ranges(record)],
        "cats": record.tags,
        "id": record.id,
        "path": record.path,
        "title": record.title,
        "status": record.status,
        "note": record.note,
        "duplicate_of": record.duplicate_of,
    }
    return (dumps(example) + "\n").encode("utf-8")
