"""Property: whatever spans and boilerplate were marked on whatever text, the export holds its invariants."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_tui.core import Corpus, ranges
from corpus_tui.core.export import clean_text, export

# No NUL (binary), no leading BOM (not part of the text); CRLF, tabs, quotes,
# backslashes, escape characters, non-BMP and line separators are all fair game.
_alphabet = st.sampled_from(list("ab \n\t.é\"\\\x1b\x85") + ["\r\n", "\u2028", "😀", "—"])
_text = st.lists(_alphabet, min_size=1, max_size=50).map("".join)


@st.composite
def marked(draw):
    text = draw(_text)
    size = len(text)
    bounds = st.integers(0, size)
    pair = st.tuples(bounds, bounds).map(lambda r: (min(r), max(r))).filter(lambda r: r[0] < r[1])
    operations = draw(st.lists(st.tuples(st.sampled_from(["mark", "unmark", "annotate"]), pair), max_size=8))
    return text, operations


@settings(max_examples=40, deadline=None, database=None)
@given(marked())
def test_export_invariants(tmp_path_factory, case):
    text, operations = case
    folder = tmp_path_factory.mktemp("prop")
    (folder / "doc.txt").write_bytes(text.encode("utf-8"))
    out = folder.parent / f"{folder.name}.jsonl"
    with Corpus.open(folder) as corpus:
        corpus.scan()
        doc_id = corpus.document_by_path("doc.txt").id
        model: set[int] = set()
        labels = []
        for operation, (start, end) in operations:
            if operation == "mark":
                corpus.mark_boilerplate(doc_id, start, end, reason="r")
                model |= set(range(start, end))
            elif operation == "unmark":
                corpus.unmark_boilerplate(doc_id, start, end)
                model -= set(range(start, end))
            else:
                corpus.add_annotation(doc_id, start, end, "L")
                labels.append((start, end))
        export(corpus, "jsonl", out)
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["text"] == text
    for span in record["spans"] + record["boilerplate"]:
        assert text[span["start"]:span["end"]] == span["text"]
    assert sorted((s["start"], s["end"]) for s in record["spans"]) == sorted(labels)
    cuts = [(b["start"], b["end"]) for b in record["boilerplate"]]
    assert cuts == ranges.merge(cuts)  # stored and exported merged: sorted, disjoint, not touching
    assert {i for start, end in cuts for i in range(start, end)} == model
    assert record["clean_text"] == clean_text(text, cuts)
    kept = "".join(c for i, c in enumerate(text) if i not in model)
    squeeze = lambda s: "".join(s.split())
    assert squeeze(record["clean_text"].replace("\u2028", "")) == squeeze(kept.replace("\u2028", ""))
