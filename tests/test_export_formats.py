"""Every export format, read back by its real consumer."""

from __future__ import annotations

import csv
import itertools
import json
import re
from pathlib import Path

import frontmatter
import pytest

from corpus_tui.core.export import clean_text, export

EXTRA = {
    # a nested folder, front matter, CRLF line ends, a title a spreadsheet would run
    "sub/deeper/extra.md": "---\r\ntitle: Extra piece\r\nsource: web\r\n---\r\nNAV | HOME\r\n\r\nBody one.\r\n\r\nBody two.\r\n",
    "formula.txt": "=HYPERLINK(\"http://x\")\n\nSome\u2028text\x85here.\x1b[0m\n",
}
KEYS = ["schema", "id", "path", "sha256", "title", "status", "tags", "note", "duplicate_of", "meta", "text", "clean_text",
        "spans", "boilerplate", "tag_links"]


def span_of(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def annotate(corpus, other) -> None:
    """Tags, spans with notes, boilerplate with reasons, statuses and notes, by two annotators."""
    doc = corpus.document_by_path("000_017fdcef885307d4.txt")
    text = corpus.text(doc.id)
    corpus.mark_boilerplate(doc.id, *span_of(text, "By [South Front](#)\n"), reason="byline")
    corpus.mark_boilerplate(doc.id, 0, 2)  # leading blank lines
    corpus.add_annotation(doc.id, *span_of(text, "Mosul"), "GPE", note="city\nin Iraq")
    corpus.add_annotation(doc.id, *span_of(text, "Old Mosul"), "Place name")
    corpus.add_tag(doc.id, "Iraq")
    corpus.add_tag(doc.id, "civil war")
    corpus.set_status(doc.id, "reviewed")
    corpus.set_note(doc.id, "checked twice\n– ünïcode note")

    doc = corpus.document_by_path("001_07e63e06108ae30e.txt")
    text = corpus.text(doc.id)
    start = text.index("South front")
    corpus.add_annotation(doc.id, start, text.index("On Saturday"), "DATELINE", note="spans a paragraph break")
    other.add_annotation(doc.id, *span_of(text, "Mosul"), "GPE")
    other.add_tag(doc.id, "iraq")
    other.set_status(doc.id, "in_progress")

    doc = corpus.document_by_path("002_a7de4bf8afd987b8.txt")
    text = corpus.text(doc.id)
    corpus.mark_boilerplate(doc.id, *span_of(text, "Support SouthFront"), reason="donation")
    corpus.mark_boilerplate(doc.id, text.index("If you’re able"), text.index("Voiceover"))
    corpus.set_status(doc.id, "skipped")
    corpus.set_note(doc.id, "=cmd|' /C calc'!A0")

    doc = corpus.document_by_path("sub/deeper/extra.md")
    text = corpus.text(doc.id)
    corpus.mark_boilerplate(doc.id, *span_of(text, "NAV | HOME"), reason="navigation")
    corpus.add_annotation(doc.id, *span_of(text, "Body two."), "CLAIM")
    other.add_tag(doc.id, "=formula tag")


@pytest.fixture
def corpus(seeds_copy, open_corpus):
    for rel, content in EXTRA.items():
        path = seeds_copy / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8"))
    corpus = open_corpus(seeds_copy, annotator="alice")
    corpus.scan()
    annotate(corpus, open_corpus(seeds_copy, annotator="bob"))
    return corpus


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- jsonl ----------------------------------------------------------------------------------------


def test_jsonl_records_keys_and_invariants(corpus, tmp_path):
    out = tmp_path / "out.jsonl"
    summary = export(corpus, "jsonl", out)
    records = read_jsonl(out)
    assert summary.documents == len(records) == 7
    assert [r["path"] for r in records] == sorted(r["path"] for r in records)
    for record in records:
        assert list(record) == KEYS and record["schema"] == 1
        text = record["text"]
        assert text == corpus.text(record["id"])
        for span in record["spans"]:
            assert list(span) == ["start", "end", "label", "note", "text", "annotator", "created"]
            assert text[span["start"]:span["end"]] == span["text"]
        for piece in record["boilerplate"]:
            assert list(piece) == ["start", "end", "reason", "text", "annotator", "created"]
            assert text[piece["start"]:piece["end"]] == piece["text"]
        cuts = [(b["start"], b["end"]) for b in record["boilerplate"]]
        assert all(a[1] < b[0] for a, b in itertools.pairwise(cuts))  # merged, sorted, not touching
        assert record["clean_text"] == clean_text(text, cuts)
        assert record["tags"] == sorted(record["tags"], key=str.casefold)
    first = records[0]
    assert first["path"] == "000_017fdcef885307d4.txt"
    assert first["tags"] == ["civil war", "Iraq"] and first["status"] == "reviewed"
    assert first["note"] == "checked twice\n– ünïcode note"
    assert [(s["label"], s["note"], s["annotator"]) for s in first["spans"]] == [
        ("Place name", None, "alice"), ("GPE", "city\nin Iraq", "alice")]
    assert first["clean_text"].startswith("Video: Iraqi Forces") and "By [South Front]" not in first["clean_text"]
    extra = next(r for r in records if r["path"] == "sub/deeper/extra.md")
    assert extra["meta"] == {"source": "web", "title": "Extra piece"}
    assert extra["tags"] == ["=formula tag"] and extra["tag_links"][0]["annotator"] == "bob"
    assert "\r\n" in extra["clean_text"] and "NAV" not in extra["clean_text"]


def test_native_line_is_the_native_record(corpus):
    """The bytes-assembled jsonl line decodes to exactly the record every other format uses."""
    from corpus_tui.core.export.json_formats import dumps, native_line
    from corpus_tui.core.export.records import iter_records

    ids = [d.id for d in corpus.documents() if d.state == "ok"]
    corpus.db.conn.execute("BEGIN")
    try:
        records = list(iter_records(corpus, ids))
    finally:
        corpus.db.conn.execute("ROLLBACK")
    assert len(records) == 7
    for record in records:
        line = native_line(record)
        assert json.loads(line) == record.native()
        assert line == (dumps(record.native()) + "\n").encode()  # the same bytes, too


def test_offsets_past_a_nul_and_far_into_a_long_text(make_corpus, open_corpus, tmp_path):
    """Spans far into a long non-ASCII text, or past a NUL, are exported at the right
    offsets, and the clean text is cut at the right bytes."""
    long_text = "é" * 250_000 + " far away\n"
    nul_text = "x" * 9000 + "\x00 after the NUL\n"  # past git's 8,000-byte binary sniff
    corpus = open_corpus(make_corpus({"long.txt": long_text, "nul.txt": nul_text}))
    corpus.scan()
    for path, text, needle in (("long.txt", long_text, "far"), ("nul.txt", nul_text, "after")):
        doc = corpus.document_by_path(path)
        corpus.add_annotation(doc.id, text.index(needle), text.index(needle) + len(needle), "X")
        corpus.mark_boilerplate(doc.id, 0, 3)
    export(corpus, "jsonl", tmp_path / "out.jsonl")
    for record in read_jsonl(tmp_path / "out.jsonl"):
        (span,) = record["spans"]
        assert record["text"][span["start"]:span["end"]] == span["text"] in ("far", "after")
        assert record["clean_text"] == record["text"][3:]


def test_two_exports_are_byte_identical(corpus, tmp_path):
    export(corpus, "jsonl", tmp_path / "a.jsonl")
    export(corpus, "jsonl", tmp_path / "b.jsonl")
    data = (tmp_path / "a.jsonl").read_bytes()
    assert data == (tmp_path / "b.jsonl").read_bytes()
    assert b"\r\n" not in data.replace(b"\\r\\n", b"") and data.endswith(b"}\n")
    assert "ünïcode".encode() in data  # ensure_ascii=False
    # U+2028 and U+0085 are escaped: even str.splitlines sees one record per line
    assert len(data.decode().splitlines()) == 7 and b"Some\\u2028text\\u0085here" in data


# -- prodigy and doccano --------------------------------------------------------------------------


def test_prodigy_tasks(corpus, tmp_path):
    export(corpus, "prodigy", tmp_path / "p.jsonl")
    tasks = {t["meta"]["path"]: t for t in read_jsonl(tmp_path / "p.jsonl")}
    task = tasks["000_017fdcef885307d4.txt"]
    assert list(task) == ["text", "spans", "meta", "answer"]
    assert task["answer"] == "accept" and tasks["formula.txt"]["answer"] == "ignore"
    assert tasks["002_a7de4bf8afd987b8.txt"]["answer"] == "ignore"  # skipped
    for span in task["spans"]:
        assert set(span) == {"start", "end", "label"}
    assert [task["text"][s["start"]:s["end"]] for s in task["spans"]] == ["Old Mosul", "Mosul"]
    assert task["meta"]["tags"] == ["civil war", "Iraq"] and task["meta"]["status"] == "reviewed"


def test_doccano_records(corpus, tmp_path):
    export(corpus, "doccano", tmp_path / "d.jsonl")
    records = {r["path"]: r for r in read_jsonl(tmp_path / "d.jsonl")}
    record = records["001_07e63e06108ae30e.txt"]
    assert list(record)[:3] == ["text", "label", "cats"]
    assert sorted(label for _, _, label in record["label"]) == ["DATELINE", "GPE"]
    for start, end, label in record["label"]:
        assert isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(record["text"])
    assert record["cats"] == ["Iraq"]  # bob's "iraq" is the tag alice spelled "Iraq" first
    assert records["004_75dea042fe9fdb9a.txt"]["label"] == [] and records["004_75dea042fe9fdb9a.txt"]["cats"] == []


def test_prodigy_and_doccano_hold_a_span_once_when_only_its_notes_differ(corpus, tmp_path):
    """Neither format carries notes: two spans differing only in them were the same span twice
    there (a trial); Label Studio's regions and brat keep both, with their notes."""
    doc = corpus.document_by_path("004_75dea042fe9fdb9a.txt")
    corpus.add_annotation(doc.id, 0, 5, "DUP", note="first")
    corpus.add_annotation(doc.id, 0, 5, "DUP", note="second")
    corpus.add_annotation(doc.id, 0, 5, "OTHER")
    export(corpus, "prodigy", tmp_path / "p.jsonl")
    export(corpus, "doccano", tmp_path / "d.jsonl")
    task = next(t for t in read_jsonl(tmp_path / "p.jsonl") if t["meta"]["path"] == doc.path)
    assert task["spans"] == [{"start": 0, "end": 5, "label": "DUP"}, {"start": 0, "end": 5, "label": "OTHER"}]
    record = next(r for r in read_jsonl(tmp_path / "d.jsonl") if r["path"] == doc.path)
    assert record["label"] == [[0, 5, "DUP"], [0, 5, "OTHER"]]


# -- csv ------------------------------------------------------------------------------------------


def test_csv_rows_and_formula_neutralisation(corpus, tmp_path):
    export(corpus, "csv", tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        rows = {row["path"]: row for row in csv.DictReader(handle)}
    assert list(next(iter(rows.values()))) == ["path", "title", "status", "tags", "boilerplate_share",
                                               "annotations", "note", "duplicate_of"]
    first = rows["000_017fdcef885307d4.txt"]
    assert (first["status"], first["tags"], first["annotations"]) == ("reviewed", "civil war;Iraq", "2")
    assert first["note"] == "checked twice\n– ünïcode note"
    assert 0 < float(first["boilerplate_share"]) < 0.05
    assert rows["002_a7de4bf8afd987b8.txt"]["note"] == "'=cmd|' /C calc'!A0"
    assert rows["formula.txt"]["title"] == "'=HYPERLINK(\"http://x\")"
    assert rows["sub/deeper/extra.md"]["tags"] == "'=formula tag"
    for row in rows.values():
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())


# -- markdown and text folders ----------------------------------------------------------------------


def test_markdown_folder_read_by_python_frontmatter(corpus, tmp_path):
    out = tmp_path / "md"
    export(corpus, "markdown", out)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.md"))
    assert files == ["000_017fdcef885307d4.md", "001_07e63e06108ae30e.md", "002_a7de4bf8afd987b8.md",
                     "003_e3a33125ca4d3b23.md", "004_75dea042fe9fdb9a.md", "formula.md", "sub/deeper/extra.md"]
    post = frontmatter.load(out / "000_017fdcef885307d4.md")
    assert post["path"] == "000_017fdcef885307d4.txt" and post["status"] == "reviewed"
    assert post["tags"] == ["civil war", "Iraq"] and post["note"] == "checked twice\n– ünïcode note"
    assert [a["label"] for a in post["annotations"]] == ["Place name", "GPE"]
    text = corpus.text(corpus.document_by_path("000_017fdcef885307d4.txt").id)
    for annotation in post["annotations"]:
        assert text[annotation["start"]:annotation["end"]] == annotation["text"]
    record = {r["path"]: r for r in _native(corpus, tmp_path)}
    assert post.content == record["000_017fdcef885307d4.txt"]["clean_text"].strip()
    extra = frontmatter.load(out / "sub/deeper/extra.md")
    assert extra.content == "Body one.\n\nBody two."  # no second front matter block (read with universal newlines)
    assert extra["front_matter"] == {"source": "web", "title": "Extra piece"}
    assert extra["sha256"] == record["sub/deeper/extra.md"]["sha256"]
    hostile = frontmatter.load(out / "002_a7de4bf8afd987b8.md")
    assert hostile["note"] == "=cmd|' /C calc'!A0"


def test_text_folder_is_the_clean_corpus(corpus, tmp_path):
    out = tmp_path / "clean"
    export(corpus, "text", out)
    records = _native(corpus, tmp_path)
    for record in records:
        name = re.sub(r"\.(txt|md)$", ".txt", record["path"])
        expected = record["clean_text"]
        if record["meta"]:  # the front matter block is metadata, not text
            expected = expected[expected.index("Body one."):]
        assert (out / name).read_bytes() == expected.encode("utf-8")
    assert (out / "sub/deeper/extra.txt").read_bytes() == b"Body one.\r\n\r\nBody two.\r\n"
    assert sorted(p.name for p in out.iterdir()) == [
        ".corpus-tui-export.json", "000_017fdcef885307d4.txt", "001_07e63e06108ae30e.txt",
        "002_a7de4bf8afd987b8.txt", "003_e3a33125ca4d3b23.txt", "004_75dea042fe9fdb9a.txt", "formula.txt", "sub"]


def test_colliding_names_keep_their_full_name(make_corpus, open_corpus, tmp_path):
    folder = make_corpus({"a.txt": "plain\n", "a.md": "markdown\n"})
    corpus = open_corpus(folder)
    corpus.scan()
    export(corpus, "text", tmp_path / "clean")
    assert (tmp_path / "clean/a.txt.txt").read_text() == "plain\n"
    assert (tmp_path / "clean/a.md.txt").read_text() == "markdown\n"


def test_a_front_matter_block_that_is_not_yaml_stays_in_the_folder_formats_text(make_corpus, open_corpus, tmp_path):
    """A block that did not parse is not in front_matter: cutting it would lose it from the export."""
    folder = make_corpus({"bad.md": "---\ntitle: [unclosed\n---\nBody\n", "good.md": "---\ntitle: Good\n---\nBody\n",
                          "empty.md": "---\n---\nBody\n"})
    corpus = open_corpus(folder)
    corpus.scan()
    export(corpus, "text", tmp_path / "clean")
    assert (tmp_path / "clean/bad.txt").read_text() == "---\ntitle: [unclosed\n---\nBody\n"
    assert (tmp_path / "clean/good.txt").read_text() == "Body\n"
    assert (tmp_path / "clean/empty.txt").read_text() == "Body\n"
    export(corpus, "markdown", tmp_path / "md")
    assert (tmp_path / "md/bad.md").read_text().endswith("---\n\n---\ntitle: [unclosed\n---\nBody\n")


def _native(corpus, tmp_path) -> list[dict]:
    out = tmp_path / "native-for-comparison.jsonl"
    if not out.exists():
        export(corpus, "jsonl", out)
    return read_jsonl(out)


# -- brat -------------------------------------------------------------------------------------------


def parse_ann(ann: str) -> tuple[dict[str, tuple[str, list[tuple[int, int]], str]], dict[str, tuple[str, str]]]:
    """A small brat standoff reader: text-bound annotations and AnnotatorNotes."""
    entities: dict[str, tuple[str, list[tuple[int, int]], str]] = {}
    notes: dict[str, tuple[str, str]] = {}
    for line in ann.split("\n")[:-1]:
        ident, middle, tail = line.split("\t", 2)
        if ident.startswith("T"):
            kind, _, offsets = middle.partition(" ")
            assert re.fullmatch(r"[\w-]+", kind), kind
            fragments = [tuple(int(n) for n in piece.split(" ")) for piece in offsets.split(";")]
            entities[ident] = (kind, fragments, tail)
        else:
            assert ident.startswith("#") and middle.startswith("AnnotatorNotes T")
            notes[ident] = (middle.split(" ")[1], tail)
    return entities, notes


def test_brat_offsets_index_the_txt_beside_them(corpus, tmp_path):
    out = tmp_path / "brat"
    export(corpus, "brat", out)
    checked = 0
    for ann_path in sorted(out.rglob("*.ann")):
        text = ann_path.with_suffix(".txt").read_bytes().decode("utf-8")
        entities, notes = parse_ann(ann_path.read_text(encoding="utf-8"))
        for kind, fragments, quoted in entities.values():
            for start, end in fragments:
                assert 0 <= start < end <= len(text)
                assert "\n" not in text[start:end] and "\r" not in text[start:end]
            assert quoted == " ".join(text[s:e] for s, e in fragments)
            checked += 1
        for target, note in notes.values():
            assert target in entities and "\n" not in note
    assert checked == 9  # the boilerplate [0, 2) is two line breaks: nothing brat could show
    entities, notes = parse_ann((out / "001_07e63e06108ae30e.ann").read_text())
    dateline = next(e for e in entities.values() if e[0] == "DATELINE")
    assert len(dateline[1]) == 2  # "South front" and "08.07.2017": no empty fragments
    entities, notes = parse_ann((out / "000_017fdcef885307d4.ann").read_text())
    assert sorted(e[0] for e in entities.values()) == ["Boilerplate", "GPE", "Place_name"]
    assert sorted(n[1] for n in notes.values()) == ["byline", "city in Iraq"]
    conf = (out / "annotation.conf").read_text()
    assert conf.startswith("[entities]\nBoilerplate\nCLAIM\nDATELINE\nGPE\nPlace_name\n")
    assert (out / "sub/deeper/extra.txt").read_bytes() == EXTRA["sub/deeper/extra.md"].encode()


def test_brat_lines_survive_every_line_break_brat_reads_and_labels_keep_their_own_types(make_corpus, open_corpus,
                                                                                          tmp_path):
    """A span holding U+2028, U+0085, VT or FF was written raw: brat reads the .ann with
    str.splitlines, which cut the T line in two. And 'Place name', 'Place/name' and a label
    'Boilerplate' all became one type (a trial, reading the files as brat does)."""
    breaks = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"
    text = "Start " + "".join(f"w{index}{char}" for index, char in enumerate(breaks)) + "end\n"
    folder = make_corpus({"a.txt": text})
    corpus = open_corpus(folder, annotator="tester")
    corpus.scan()
    doc = corpus.documents()[0]
    corpus.add_annotation(doc.id, 0, len(text) - 1, "Place name", note="a\u2028note")
    for label in ("Place/name", "Place_name", "Boilerplate"):
        corpus.add_annotation(doc.id, 0, 5, label)
    corpus.mark_boilerplate(doc.id, 6, 9)
    out = tmp_path / "brat"
    export(corpus, "brat", out)
    ann = (out / "a.ann").read_text(encoding="utf-8")
    lines = ann.splitlines()  # as brat reads it
    assert len(lines) == 6 and all(line[0] in "T#" and line.count("\t") == 2 for line in lines)
    entities, notes = parse_ann(ann)
    for kind, fragments, quoted in entities.values():
        assert all(not set(text[s:e]) & set(breaks + "\r\n") for s, e in fragments)
        assert quoted == " ".join(text[s:e] for s, e in fragments)
    types = {kind for kind, _, _ in entities.values()}
    assert types == {"Boilerplate", "Boilerplate_2", "Place_name", "Place_name_2", "Place_name_3"}
    # The label that is a type name already keeps it; the others, sorted, take the numbers.
    visual = (out / "visual.conf").read_text(encoding="utf-8")
    assert visual == "[labels]\nBoilerplate_2 | Boilerplate\nPlace_name_2 | Place name\nPlace_name_3 | Place/name\n"


def test_brat_type_names_are_ones_brat_reads(make_corpus, open_corpus, tmp_path):
    """brat keeps ASCII letters, digits, "_" and "-" in a type name and reads a line of hyphens in
    annotation.conf as a separator: '人名', 'Ünï', '-' and '---' were types brat did not define,
    so their spans were errors there (a trial, with brat's own rules)."""
    import re

    folder = make_corpus({"a.txt": "Mosul and Raqqa and Idlib\n"})
    corpus = open_corpus(folder, annotator="tester")
    corpus.scan()
    doc = corpus.documents()[0]
    labels = ("人名", "Ünï", "-", "---", "ä")
    for label in labels:
        corpus.add_annotation(doc.id, 0, 5, label)
    out = tmp_path / "brat"
    export(corpus, "brat", out)
    entities, _ = parse_ann((out / "a.ann").read_text(encoding="utf-8"))
    types = [kind for kind, _, _ in entities.values()]
    assert len(set(types)) == len(labels)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", kind) and kind.strip("-") for kind in types), types
    conf = (out / "annotation.conf").read_text(encoding="utf-8")
    assert set(types) <= set(conf.split("[relations]")[0].split("\n")[1:])
    visual = (out / "visual.conf").read_text(encoding="utf-8")
    assert all(f" | {label}\n" in visual for label in labels)  # brat shows each as its label


# -- parquet ------------------------------------------------------------------------------------------


def test_parquet_has_the_jsonl_columns(corpus, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    export(corpus, "parquet", tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column_names == KEYS
    rows = table.to_pylist()
    native = _native(corpus, tmp_path)
    for row, record in zip(rows, native, strict=True):
        assert json.loads(row.pop("meta")) == record.pop("meta")
        assert row == record


def test_markdown_of_a_crlf_document_ends_every_line_with_crlf(corpus, tmp_path):
    # A Windows file's export must not mix LF front matter with a CRLF body.
    out = tmp_path / "md"
    export(corpus, "markdown", out)
    data = (out / "sub/deeper/extra.md").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > 8 and data.endswith(b"Body two.\r\n")
    assert data.startswith(b"---\r\npath: sub/deeper/extra.md\r\n")
    extra = frontmatter.loads(data.decode("utf-8"))
    assert extra.content == "Body one.\n\nBody two." and extra["front_matter"] == {"source": "web", "title": "Extra piece"}
    lf = (out / "formula.md").read_bytes()  # a document of LF lines keeps them
    assert b"\r\n" not in lf and lf.startswith(b"---\npath: formula.txt\n")
