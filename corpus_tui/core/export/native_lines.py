"""The native ``jsonl`` line of a document, built straight from its fetched row.

``json_formats.native_line`` renders a ``DocumentRecord``; ``quick_line``
renders the same bytes (tests hold the two to that) without building the
record and its span objects, which was most of the time of a large export.
A row it cannot take the quick way is handed back (None) to the record path:
a span that is stale or no longer matches its quote (the record path leaves it
out and counts it), or a text holding a character that needs escaping beyond
``\\`` ``"`` ``\\n`` ``\\r`` ``\\t`` (another control character, U+0085,
U+2028, U+2029; rare in real text).

The row is ``records.fetch_chunk``'s: the text as UTF-8 bytes, spans and tag
links as JSON arrays. The text is JSON-quoted as bytes (a few
``bytes.replace`` calls), and the clean text is cut from those bytes at byte
offsets, so a text is decoded only to check its spans against their quotes.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as quote
from typing import Any

from .clean import clean_text
from .json_formats import NOT_SUSPECT, SEPARATOR_BYTES, compact_json, or_null, quote_plain, small_bytes
from .records import SCHEMA

_parse_array = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # json.loads minus two Python calls


def _annotation_key(span: list[Any]) -> tuple[Any, ...]:
    # the order of records.SpanRecord annotations: start, end, label, note, annotator, created
    return span[1], span[2], span[3], span[4] is not None, span[4] or "", span[7], span[8]


def _boilerplate_key(span: list[Any]) -> tuple[Any, ...]:
    return span[1], span[2], span[5] is not None, span[5] or "", span[7], span[8]


def _byte_range(text: str, size: int, start: int, piece: str) -> tuple[int, int]:
    """Where ``piece``, found at code point ``start`` of ``text``, lies in its UTF-8 bytes
    (``size`` of them): the shorter side of the text is encoded to count them."""
    if start <= len(text) >> 1:
        first = len(text[:start].encode("utf-8"))
    else:  # typically a footer: count from the end
        first = size - len(text[start:].encode("utf-8"))
    return first, first + len(piece.encode("utf-8"))


def quick_line(row: tuple[Any, ...]) -> tuple[bytes, int, int] | None:
    """``(line, annotations, boilerplate ranges)`` for ``row``, or None: use the record path."""
    doc_id, path, _state, sha256, title, status, note, meta, _body_start, raw, span_json, link_json, duplicate_of = row
    raw = raw or b""
    suspects = raw.translate(None, NOT_SUSPECT)
    if suspects and suspects.translate(None, SEPARATOR_BYTES):
        return None  # a control character other than tab, LF, CR
    text: str | None = None
    annotations: list[list[Any]] = []
    boilerplate: list[list[Any]] = []
    if span_json != "[]":
        text = raw.decode("utf-8")
        for span in _parse_array(span_json, 0)[0]:
            # kind, start, end, label, note, reason, anchor, annotator, created, quote
            if span[6] == "stale" or text[span[1] : span[2]] != span[9]:
                return None
            (annotations if span[0] == "annotation" else boilerplate).append(span)
    if suspects:
        if text is None:
            text = raw.decode("utf-8")
        if "\u2028" in text or "\u2029" in text or "\x85" in text:
            return None

    if link_json == "[]":
        tags = links = ""
    else:
        tag_links = sorted(_parse_array(link_json, 0)[0])  # key, name, annotator, created
        tags = ",".join([quote(name) for _, name, _, _ in tag_links])
        links = ",".join([f'{{"tag":{quote(name)},"annotator":{quote(annotator)},"created":{quote(created)}}}'
                          for _, name, annotator, created in tag_links])
    spans = ""
    if annotations:
        annotations.sort(key=_annotation_key)
        spans = ",".join([
            f'{{"start":{s[1]},"end":{s[2]},"label":{or_null(s[3])},"note":{or_null(s[4])},"text":{quote(s[9])},'
            f'"annotator":{quote(s[7])},"created":{quote(s[8])}}}'
            for s in annotations
        ])
    ranges = ""
    clean = raw
    if boilerplate:
        assert text is not None
        boilerplate.sort(key=_boilerplate_key)
        ranges = ",".join([
            f'{{"start":{s[1]},"end":{s[2]},"reason":{or_null(s[5])},"text":{quote(s[9])},'
            f'"annotator":{quote(s[7])},"created":{quote(s[8])}}}'
            for s in boilerplate
        ])
        clean = clean_text(raw, [_byte_range(text, len(raw), span[1], span[9]) for span in boilerplate])

    head = (
        f'{{"schema":{SCHEMA},"id":{doc_id},"path":{quote(path)},"sha256":{or_null(sha256)},'
        f'"title":{or_null(title)},"status":{quote(status)},"tags":[{tags}],"note":{quote(note)},'
        f'"duplicate_of":{or_null(duplicate_of)},"meta":{"{}" if meta == "{}" or not meta else compact_json(json.loads(meta))},"text":'
    )
    tail = f',"spans":[{spans}],"boilerplate":[{ranges}],"tag_links":[{links}]}}\n'
    text_json = quote_plain(raw)
    line = b"".join((small_bytes(head), text_json, b',"clean_text":', text_json if clean is raw else quote_plain(clean),
                     small_bytes(tail)))
    return line, len(annotations), len(boilerplate)
