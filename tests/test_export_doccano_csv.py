"""doccano's "Intent Detection and Slot Filling" file (``--doccano-spans entities``) and
CSV with the text itself (``--text``, ``--clean-text``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from corpus_tui.core.export import export, parallel

BIG = "Big document.\n" + "word " * 220_000 + "\nMosul at the end.\n"  # over a MiB: more than one chunk
FILES = {
    "a.md": "---\r\ntitle: Front matter\r\n---\r\nNAV | HOME\r\n\r\nMosul, \"quoted\", with, commas.\r\n",
    "b.txt": "=HYPERLINK(\"http://x\")\n\nMosul again 😀.\n",
    "c.txt": "Nothing marked, @mention.\n",
    "d.txt": BIG,
}


@pytest.fixture
def corpus(scanned):
    corpus, _ = scanned(FILES)
    for doc in corpus.documents():
        text = corpus.text(doc.id)
        if "Mosul" in text:
            corpus.add_annotation(doc.id, text.index("Mosul"), text.index("Mosul") + 5, "GPE")
    doc = corpus.document_by_path("a.md")
    text = corpus.text(doc.id)
    corpus.mark_boilerplate(doc.id, text.index("NAV"), text.index("Mosul"))
    corpus.add_tag(doc.id, "iraq")
    corpus.add_tag(corpus.document_by_path("b.txt").id, "=formula tag")
    return corpus


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def intent_detection_import(row: dict) -> tuple[str, list[tuple[int, int, str]], list[str], dict]:
    """What doccano's importer makes of a row in an Intent Detection and Slot Filling project:
    ``create_builder`` fixes the columns to ``text``, ``cats`` and ``entities`` (each span
    ``[start, end, label]``) and keeps every other key as the example's metadata."""
    row = dict(row)
    text = row.pop("text")
    cats = row.pop("cats", [])
    entities = [(start, end, label) for start, end, label in row.pop("entities", [])]
    return text, entities, cats, row


def test_doccano_entities_is_what_intent_detection_reads(corpus, tmp_path):
    export(corpus, "doccano", tmp_path / "seq.jsonl")
    export(corpus, "doccano", tmp_path / "intent.jsonl", doccano_spans="entities")
    sequence, intent = read_jsonl(tmp_path / "seq.jsonl"), read_jsonl(tmp_path / "intent.jsonl")
    assert [list(r) for r in intent] == [["text", "entities", "cats", "id", "path", "title", "status", "note", "duplicate_of"]] * 4
    found = {}
    for row in intent:
        text, entities, cats, meta = intent_detection_import(row)
        assert set(meta) == {"id", "path", "title", "status", "note", "duplicate_of"}  # no "label" left behind as metadata
        assert all(text[start:end] == "Mosul" and label == "GPE" for start, end, label in entities)
        found[meta["path"]] = (len(entities), cats)
    assert found == {"a.md": (1, ["iraq"]), "b.txt": (1, ["=formula tag"]), "c.txt": (0, []), "d.txt": (1, [])}
    # the same examples as the sequence-labelling file, the spans under the other key
    assert [{("label" if k == "entities" else k): v for k, v in r.items()} for r in intent] == sequence


def test_csv_text_columns_stand_on_their_own(corpus, tmp_path):
    export(corpus, "csv", tmp_path / "out.csv", text_columns=["clean_text", "text"])
    export(corpus, "jsonl", tmp_path / "native.jsonl")
    native = {r["path"]: r for r in read_jsonl(tmp_path / "native.jsonl")}
    limit = csv.field_size_limit()
    csv.field_size_limit(len(BIG) * 2)  # Python's reader refuses fields over 128 KiB by default
    try:
        with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    finally:
        csv.field_size_limit(limit)
    assert list(rows[0]) == ["path", "title", "status", "tags", "boilerplate_share", "annotations", "note", "duplicate_of", "text",
                             "clean_text"]  # the fixed order, whatever order they were asked in
    for row in rows:
        record = native[row["path"]]
        for column in ("text", "clean_text"):
            cell, value = row[column], record[column]
            if value.startswith(("=", "+", "-", "@", "\t", "\r")):
                assert cell == "'" + value  # never run as a formula
            else:
                assert cell == value  # CRLF, quotes, commas and emoji kept
    by_path = {row["path"]: row for row in rows}
    assert by_path["a.md"]["text"].startswith("'---\r\ntitle:")  # front matter starts with '-'
    assert by_path["b.txt"]["text"].startswith("'=HYPERLINK")
    assert "NAV" not in by_path["a.md"]["clean_text"] and "NAV" in by_path["a.md"]["text"]
    assert by_path["d.txt"]["text"] == BIG


def test_csv_clean_text_alone(corpus, tmp_path):
    export(corpus, "csv", tmp_path / "out.csv", text_columns=["clean_text"])
    header = (tmp_path / "out.csv").read_bytes().split(b"\n", 1)[0]
    assert header == b"path,title,status,tags,boilerplate_share,annotations,note,duplicate_of,clean_text"


@pytest.mark.parametrize("fmt, options", [("doccano", {"doccano_spans": "entities"}),
                                          ("csv", {"text_columns": ["text", "clean_text"]})])
def test_workers_write_the_bytes_of_one_process(corpus, tmp_path, monkeypatch, capfdbinary, fmt, options):
    monkeypatch.setattr(parallel, "BLOCK", 1)  # four documents, four blocks
    export(corpus, fmt, tmp_path / "one", jobs=1, **options)
    assert export(corpus, fmt, tmp_path / "three", jobs=3, **options).workers == 3
    assert (tmp_path / "three").read_bytes() == (tmp_path / "one").read_bytes()
    capfdbinary.readouterr()
    export(corpus, fmt, "-", jobs=2, **options)
    assert capfdbinary.readouterr().out == (tmp_path / "one").read_bytes()


def test_the_command_line_options(corpus, tmp_path, run_cli):
    result = run_cli("export", corpus.folder, "-f", "csv", "--clean-text", "--text", "-o", tmp_path / "t.csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "t.csv").read_bytes().split(b"\n", 1)[0].endswith(b",note,duplicate_of,text,clean_text")
    result = run_cli("export", corpus.folder, "-f", "doccano", "--doccano-spans", "entities",
                     "-o", tmp_path / "i.jsonl")
    assert result.exit_code == 0, result.output
    assert all("entities" in row and "label" not in row for row in read_jsonl(tmp_path / "i.jsonl"))


def test_csv_quotes_a_cell_holding_a_lone_carriage_return(scanned, tmp_path):
    """An old Mac file (CR line breaks) went out unquoted: one document became three rows."""
    corpus, _ = scanned({"mac.txt": b"old mac title\rsecond line\r", "b.txt": "normal\n"})
    export(corpus, "csv", tmp_path / "out.csv", text_columns=["text"])
    raw = (tmp_path / "out.csv").read_bytes()
    assert b'"old mac title\rsecond line\r"' in raw and raw.endswith(b"\r\"\n")  # rows still end in \n
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["path"] for row in rows] == ["b.txt", "mac.txt"]
    assert rows[1]["text"] == "old mac title\rsecond line\r"
