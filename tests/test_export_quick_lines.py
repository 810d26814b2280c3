"""``native_lines.quick_line`` writes exactly the bytes of the record path, or declines.

The rows are built by hand in the shape ``records.fetch_chunk`` returns, so
every input the database could hold is fair game: NULs, stale spans, quotes
that no longer match, overlapping boilerplate, odd characters in any field.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_tui.core.export.json_formats import native_line
from corpus_tui.core.export.native_lines import quick_line
from corpus_tui.core.export.records import record_of
from corpus_tui.core.export.stream import render_chunk

_PLAIN = list("ab \n\t.é\"\\{}") + ["\r\n", "😀", "—", "“", "©", "Щ", "х"]  # nothing the quick path declines
_RARE = ["\x00", "\x0b", "\x1b", "\x1f", "\x85", "\u2028", "\u2029"]
_names = st.text(alphabet=st.sampled_from(list("aZ \"\\\n{") + ["\u2028", "é", "\x85", "\x07"]), max_size=6)


@st.composite
def rows(draw, rare: bool = True):
    text = "".join(draw(st.lists(st.sampled_from(_PLAIN + (_RARE if rare else [])), max_size=40)))
    size = len(text)
    spans = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(st.integers(0, max(size - 1, 0)))
        end = draw(st.integers(start + 1, max(size, start + 1)))
        kind = draw(st.sampled_from(["annotation", "boilerplate"]))
        quote = text[start:end]
        if draw(st.integers(0, 9)) == 0:  # a stored quote the text no longer holds, or a stale anchor
            quote = quote + "x"
        anchor = draw(st.sampled_from(["ok", "ok", "ok", "reanchored", "stale"]))
        label = draw(_names) if kind == "annotation" else draw(st.none() | _names)
        note = draw(st.none() | _names)
        reason = None if kind == "annotation" else draw(st.none() | _names)
        spans.append([kind, start, end, label, note, reason, anchor, draw(_names), draw(_names), quote])
    links = [[name.casefold(), name, draw(_names), draw(_names)] for name in draw(st.lists(_names, max_size=3, unique=True))]
    meta = draw(st.sampled_from(["{}", '{"title": "T\\u2028", "n": 1.5, "list": [1, "\\u00e9"]}', None]))
    return (
        draw(st.integers(1, 10**6)), draw(_names), "ok", draw(st.none() | st.just("ab" * 32)), draw(st.none() | _names),
        draw(st.sampled_from(["new", "reviewed"])), draw(_names), meta, 0, text.encode("utf-8", "surrogatepass"),
        json.dumps(spans, ensure_ascii=draw(st.booleans())), json.dumps(links), draw(st.none() | _names),
    )


def reference(row):
    record = record_of(row)
    return record, native_line(record)


@settings(max_examples=400, deadline=None, database=None)
@given(rows())
def test_quick_line_is_the_record_line_or_declines(row):
    quick = quick_line(row)
    record, line = reference(row)
    if quick is None:
        return
    assert record.stale_spans == 0  # a row with spans the record path would drop is never quick
    assert quick == (line, len(record.spans), len(record.boilerplate))
    json.loads(quick[0])  # and a valid line


@settings(max_examples=200, deadline=None, database=None)
@given(rows(rare=False))
def test_plain_rows_with_good_spans_take_the_quick_path(row):
    record, line = reference(row)
    if record.stale_spans:
        assert quick_line(row) is None
    else:
        assert quick_line(row) == (line, len(record.spans), len(record.boilerplate))


def test_declined_rows_are_exported_by_the_record_path():
    text = "one\x0btwo and three"
    good = (1, "a.txt", "ok", None, None, "new", "", "{}", 0, text.encode(), json.dumps(
        [["annotation", 4, 7, "L", None, None, "ok", "me", "t", "two"]]), "[]", None)
    stale = (2, "b.txt", "ok", None, None, "new", "", "{}", 0, b"plain text", json.dumps(
        [["annotation", 0, 5, "L", None, None, "stale", "me", "t", "plain"]]), "[]", "a.txt")
    assert quick_line(good) is None and quick_line(stale) is None
    chunk = render_chunk("jsonl", False, [1, 2], [good, stale])
    assert chunk.data == native_line(record_of(good)) and chunk.left_out_stale == ["b.txt"]
    assert json.loads(chunk.data)["text"] == text and chunk.documents == 1 and chunk.annotations == 1
    kept = render_chunk("jsonl", True, [2], [stale])
    assert json.loads(kept.data)["spans"] == [] and kept.stale_spans_omitted == 1
