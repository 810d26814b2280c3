"""YAML front matter: parsed safely, offsets stay on the whole text."""

from __future__ import annotations

import codecs
import json

from corpus_tui.core.export import export
from corpus_tui.core.front_matter import parse_front_matter

FRONT = "---\ntitle: A Title\nauthor: Someone\n---\nBody line one.\nMore body.\n"


def _row(corpus, path="a.md"):
    (row,) = corpus.query(
        "SELECT d.*, t.text FROM documents d JOIN document_texts t ON t.document_id = d.id WHERE path = ?", [path]
    )
    return row


def test_valid_front_matter_is_stored(scanned):
    corpus, _ = scanned({"a.md": FRONT})
    row = _row(corpus)
    assert json.loads(row["meta"]) == {"title": "A Title", "author": "Someone"}
    assert row["title"] == "A Title"
    assert row["body_start"] == FRONT.index("Body")
    assert row["problem"] is None
    # offsets index the whole text, front matter included
    assert row["text"] == FRONT and row["char_count"] == len(FRONT)
    assert corpus.document(row["id"]).meta["author"] == "Someone"


def test_span_offsets_include_front_matter(scanned):
    corpus, _ = scanned({"a.md": FRONT})
    row = _row(corpus)
    start = FRONT.index("Body")
    span = corpus.add_annotation(row["id"], start, start + 4, "B")
    assert corpus.query("SELECT start, quote FROM spans WHERE id = ?", [span.id]) == [{"start": start, "quote": "Body"}]


def test_front_matter_with_crlf(scanned):
    text = "---\r\ntitle: T\r\n---\r\nBody\r\n"
    corpus, _ = scanned({"a.md": text})
    row = _row(corpus)
    assert row["title"] == "T" and row["body_start"] == text.index("Body")


def test_front_matter_after_utf8_bom(scanned):
    corpus, _ = scanned({"a.md": codecs.BOM_UTF8 + FRONT.encode()})
    row = _row(corpus)
    assert row["title"] == "A Title"
    assert row["text"] == FRONT and row["body_start"] == FRONT.index("Body")


def test_malformed_yaml_is_a_problem_not_a_crash(scanned):
    text = "---\ntitle: [unclosed\n---\nFirst body line\n"
    corpus, _ = scanned({"a.md": text, "ok.md": "fine"})
    summary = corpus.scan()  # nothing changed: the problem was reported by the first scan
    row = _row(corpus)
    assert row["state"] == "ok"
    assert "front matter is not valid YAML" in row["problem"]
    assert json.loads(row["meta"]) == {}
    assert row["title"] == "First body line"
    assert summary.unchanged == 2


def test_malformed_yaml_listed_in_summary(make_corpus, open_corpus):
    folder = make_corpus({"a.md": "---\nkey: : bad: [\n---\nBody\n"})
    summary = open_corpus(folder).scan()
    assert summary.added == 1
    assert len(summary.problems) == 1
    assert summary.problems[0].startswith("a.md: front matter is not valid YAML at line 2")


def test_python_yaml_tag_is_not_executed(make_corpus, open_corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    text = f'---\nx: !!python/object/apply:os.system ["touch {marker}"]\n---\nBody\n'
    folder = make_corpus({"a.md": text})
    corpus = open_corpus(folder)
    summary = corpus.scan()
    assert not marker.exists()
    row = _row(corpus)
    assert row["state"] == "ok" and row["problem"].startswith("front matter is not valid YAML")
    assert json.loads(row["meta"]) == {}
    assert summary.problems and "a.md" in summary.problems[0]


def test_non_mapping_front_matter(scanned):
    corpus, _ = scanned({"a.md": "---\n- one\n- two\n---\nBody\n"})
    row = _row(corpus)
    assert row["state"] == "ok"
    assert row["problem"] == "front matter is not a mapping of keys to values"
    assert json.loads(row["meta"]) == {} and row["title"] == "Body"


def test_dates_become_iso_strings(scanned):
    corpus, _ = scanned({"a.md": "---\ndate: 2017-07-08\nwhen: 2017-07-08 10:30:00\n---\nBody\n"})
    meta = json.loads(_row(corpus)["meta"])
    assert meta == {"date": "2017-07-08", "when": "2017-07-08T10:30:00"}


def test_lone_horizontal_rule_is_not_front_matter(scanned):
    text = "---\nNot front matter at all\nanother line\n"
    corpus, _ = scanned({"a.md": text})
    row = _row(corpus)
    assert (row["body_start"], row["meta"], row["problem"]) == (0, "{}", None)
    assert row["title"] == "Not front matter at all"  # "---" has no letters: not a title


def test_title_falls_back_to_first_non_empty_body_line(scanned):
    corpus, _ = scanned({"a.md": "---\nauthor: X\n---\n\n   \n  The real title  \nrest\n"})
    assert _row(corpus)["title"] == "The real title"


def test_title_without_front_matter_skips_blank_lines(scanned):
    corpus, _ = scanned({"a.txt": "\n\n  Hello there\nbody\n"})
    assert _row(corpus, "a.txt")["title"] == "Hello there"


def test_parse_front_matter_unit():
    parsed = parse_front_matter(FRONT)
    assert parsed.meta["title"] == "A Title"
    assert FRONT[parsed.body_start:].startswith("Body")
    assert parse_front_matter("no front matter").body_start == 0
    assert parse_front_matter("---\n---\nbody").body_start == len("---\n---\n")


def test_yaml_nan_and_infinity_are_stored_as_their_yaml_text(scanned, tmp_path):
    """A page whose front matter held `score: .nan` (as yaml.safe_dump writes a pandas NaN) was
    stored as JSON's NaN: every later scan failed with "not an SQLite database or damaged
    (malformed JSON)", the repeats were empty and export --dedup left out real articles (a trial)."""
    pages = {f"site/{n}.txt": f"Menu\nPage {n} headline\n\nBody of page {n} with words.\n" for n in range(4)}
    pages["site/zz.md"] = "---\ntitle: T\nscore: .nan\nhigh: .inf\nlow: -.inf\nlist: [.nan, 1.5]\n---\nBody text here.\n"
    corpus, _ = scanned(pages)
    document = corpus.document_by_path("site/zz.md")
    assert document.meta == {"title": "T", "score": ".nan", "high": ".inf", "low": "-.inf", "list": [".nan", 1.5]}
    assert corpus.scan().line().startswith("0 added, 0 changed, 5 unchanged")  # and every later scan works
    assert corpus.document_by_path("site/1.txt").title == "Page 1 headline"  # the site-line step ran
    out = tmp_path / "out.jsonl"
    export(corpus, "jsonl", out)

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    assert len([json.loads(line, parse_constant=refuse) for line in out.read_text().splitlines()]) == 5
