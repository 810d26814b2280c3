"""Scanning and rescanning: discovery, incremental work, re-anchoring, moves."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from conftest import SEED_NAMES, snapshot_files
from corpus_tui.core import Corpus, scanner
from corpus_tui.core.titles import reads_like_title

# -- the CLI on the seeds ------------------------------------------------------------


def test_cli_scan_seeds_then_rescan(seeds_copy, run_cli, open_corpus):
    first = run_cli("scan", seeds_copy)
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == ("5 added, 0 changed, 0 unchanged, 0 missing, 0 unreadable, "
                                    "1 near-duplicate pair in the corpus")
    second = run_cli("scan", seeds_copy)
    assert second.stdout.strip() == "0 added, 0 changed, 5 unchanged, 0 missing, 0 unreadable"
    corpus = open_corpus(seeds_copy)
    rows = corpus.query("SELECT path, state FROM documents ORDER BY path")
    assert rows == [{"path": name, "state": "ok"} for name in SEED_NAMES]
    assert corpus.query("SELECT COUNT(*) AS n FROM events WHERE action = 'scan'")[0]["n"] == 2
    # The corpus's pairs, as 'duplicates' lists them, not only those of the documents changed
    # (a rescan of one changed file said nothing, its --json 0, beside a listed pair).
    with open(seeds_copy / SEED_NAMES[3], "a", encoding="utf-8") as handle:
        handle.write("extra line\n")
    third = run_cli("scan", seeds_copy, "--json")
    assert json.loads(third.stdout)["duplicate_pairs"] == 1 == len(run_cli("duplicates", seeds_copy, "--json")
                                                                    .stdout.splitlines())
    assert json.loads(run_cli("scan", seeds_copy, "--json").stdout)["duplicate_pairs"] == 1


def test_cli_scan_json(seeds_copy, run_cli):
    first = json.loads(run_cli("scan", seeds_copy, "--json").stdout)
    assert (first["added"], first["unchanged"], first["problems"]) == (5, 0, [])
    second = json.loads(run_cli("scan", seeds_copy, "--json").stdout)
    assert (second["added"], second["unchanged"], second["changed"]) == (0, 5, 0)


def test_seed_texts_stored_exactly(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    for name in SEED_NAMES:
        doc = corpus.document_by_path(name)
        text = (seeds_copy / name).read_bytes().decode("utf-8")
        assert corpus.text(doc.id) == text and doc.char_count == len(text)
        assert doc.title == next(line.strip() for line in text.splitlines() if reads_like_title(line.strip()))


# -- originals are never modified ------------------------------------------------------------


def test_originals_untouched_by_everything(seeds_copy, run_cli, open_corpus):
    before = snapshot_files(seeds_copy)
    assert run_cli("scan", seeds_copy).exit_code == 0
    assert run_cli("stats", seeds_copy).exit_code == 0
    assert run_cli("set-encoding", seeds_copy, SEED_NAMES[0], "utf-8").exit_code == 0
    corpus = open_corpus(seeds_copy)
    doc = corpus.document_by_path(SEED_NAMES[1])
    corpus.add_annotation(doc.id, 0, 10, "HEADLINE")
    corpus.mark_boilerplate(doc.id, 20, 40, reason="byline")
    corpus.add_tag(doc.id, "war")
    corpus.set_status(doc.id, "reviewed")
    corpus.set_note(doc.id, "checked")
    corpus.undo()
    corpus.scan()
    assert snapshot_files(seeds_copy) == before
    assert sorted(p.name for p in seeds_copy.iterdir() if not p.name.startswith("annotations.db")) == SEED_NAMES


# -- where the database lives ----------------------------------------------------------------


def test_database_defaults_to_folder_annotations_db(seeds_copy, run_cli):
    run_cli("scan", seeds_copy)
    assert (seeds_copy / "annotations.db").is_file()


def test_db_option_puts_database_elsewhere(seeds_copy, tmp_path, run_cli, open_corpus):
    db = tmp_path / "elsewhere" / "my.db"
    db.parent.mkdir()
    result = run_cli("scan", seeds_copy, "--db", db)
    assert result.exit_code == 0, result.output
    assert db.is_file() and not (seeds_copy / "annotations.db").exists()
    assert run_cli("stats", seeds_copy, "--db", db, "--json").exit_code == 0
    corpus = open_corpus(seeds_copy, db=db)
    assert corpus.query("SELECT COUNT(*) AS n FROM documents")[0]["n"] == 5


# -- discovery ------------------------------------------------------------------------------


def _paths(corpus):
    return [r["path"] for r in corpus.query("SELECT path FROM documents ORDER BY path")]


def test_discovery_recursive_default_patterns(scanned):
    corpus, _ = scanned({
        "a.txt": "a", "sub/b.md": "b", "sub/deeper/c.markdown": "c", "UPPER.TXT": "u",
        "d.html": "<p>d</p>", "e.csv": "x,y", "noext": "n",
    })
    assert _paths(corpus) == ["UPPER.TXT", "a.txt", "sub/b.md", "sub/deeper/c.markdown"]


def test_discovery_include_and_exclude(make_corpus, run_cli, open_corpus):
    folder = make_corpus({"a.txt": "a", "b.html": "b", "drafts/c.txt": "c", "keep/d.txt": "d"})
    result = run_cli("scan", folder, "--include", "*.txt", "--include", "*.html", "--exclude", "drafts/*")
    assert result.exit_code == 0, result.output
    assert _paths(open_corpus(folder)) == ["a.txt", "b.html", "keep/d.txt"]


def test_a_file_outside_a_later_scans_patterns_is_left_as_it_was_and_counted(make_corpus, run_cli, open_corpus):
    """Patterns are the scan's own, not remembered: a document another scan's --include indexed
    is neither re-read nor missing, and the scan line says how many were left so."""
    folder = make_corpus({"a.txt": "a text", "d.html": "html text"})
    assert run_cli("scan", folder, "--include", "*.html").exit_code == 0
    (folder / "d.html").write_text("html text changed")
    result = run_cli("scan", folder)
    assert result.exit_code == 0, result.output
    assert "1 added, 0 changed, 0 unchanged, 0 missing, 0 unreadable, 1 outside the patterns, left as they were" \
        in result.output
    corpus = open_corpus(folder)
    html = corpus.document_by_path("d.html")
    assert (html.state, corpus.text(html.id)) == ("ok", "html text")
    summary = corpus.scan(include=["*.html"])
    assert (summary.changed, summary.outside) == (1, 1)  # now a.txt is the one left out


def test_discovery_skips_hidden_files_and_folders(scanned):
    corpus, _ = scanned({"a.txt": "a", ".hidden.txt": "h", ".git/x.txt": "g", "sub/.cache/y.txt": "y"})
    assert _paths(corpus) == ["a.txt"]


def test_database_and_wal_files_never_indexed(make_corpus, run_cli, open_corpus):
    folder = make_corpus({"a.txt": "a"})
    assert run_cli("scan", folder).exit_code == 0
    holder = open_corpus(folder)  # an open connection keeps -wal/-shm on disk
    holder.set_state("x", "y")
    assert (folder / "annotations.db-wal").exists() and (folder / "annotations.db-shm").exists()
    result = run_cli("scan", folder, "--include", "*")
    assert result.exit_code == 0, result.output
    assert _paths(holder) == ["a.txt"]


def test_database_elsewhere_in_folder_not_indexed(make_corpus, run_cli, open_corpus):
    folder = make_corpus({"a.txt": "a"})
    db = folder / "sub" / "store.db"
    db.parent.mkdir()
    assert run_cli("scan", folder, "--db", db, "--include", "*").exit_code == 0
    assert _paths(open_corpus(folder, db=db)) == ["a.txt"]


def test_symlink_leaving_folder_is_skipped(make_corpus, tmp_path, open_corpus):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    folder = make_corpus({"a.txt": "a", "inner/b.txt": "b"})
    os.symlink(outside, folder / "out_dir")
    os.symlink(outside / "secret.txt", folder / "out_file.txt")
    os.symlink(folder / "inner" / "b.txt", folder / "in_link.txt")
    corpus = open_corpus(folder)
    corpus.scan()
    assert _paths(corpus) == ["a.txt", "in_link.txt", "inner/b.txt"]


def test_a_link_whose_file_is_gone_is_missing_and_check_says_so(make_corpus, open_corpus):
    """It stayed "ok", counted "outside the patterns", and check said every document matched its
    file; the export then found it missing (a trial)."""
    from corpus_tui.core.check import check_corpus

    folder = make_corpus({"d1.txt": "Document number one here\n", "d2.txt": "Document number two here\n"})
    os.symlink("d1.txt", folder / "link.txt")
    corpus = open_corpus(folder)
    corpus.scan()
    (folder / "d1.txt").unlink()
    report = check_corpus(folder)
    assert "link.txt" in json.dumps(report.as_dict()), report.as_dict()
    summary = corpus.scan()
    assert (summary.missing, summary.vanished, summary.outside) == (2, 2, 0)
    assert corpus.document_by_path("link.txt").state == "missing"
    again = corpus.scan()  # missing before: counted, not found gone again
    assert (again.missing, again.vanished) == (2, 0) and not again.changed_anything()


def test_symlink_loop_does_not_hang(make_corpus, open_corpus):
    folder = make_corpus({"a.txt": "a", "sub/b.txt": "b"})
    os.symlink(folder, folder / "sub" / "loop")
    os.symlink(folder / "sub", folder / "sub" / "self")
    corpus = open_corpus(folder)
    summary = corpus.scan()
    assert summary.added == 2
    assert _paths(corpus) == ["a.txt", "sub/b.txt"]


# -- rescan: changed files and re-anchoring -------------------------------------------------------

TEXT = "Header menu\nThe quick brown fox jumps over the lazy dog.\nFooter links\n"


def _rewrite(folder, name, new_text):
    (folder / name).write_text(new_text, encoding="utf-8")


def test_changed_file_is_detected_and_spans_reanchored(scanned):
    # Spans move when all of their context is still around them: the new paragraph goes in
    # further than 32 characters from both (a span whose context was cut by the document's
    # start, with text added above it, would go stale: test_reanchoring.py).
    text = "Header menu\n\nAn opening paragraph, long enough for context.\n\n" + TEXT[len("Header menu\n"):]
    corpus, folder = scanned({"a.txt": text})
    doc = corpus.document_by_path("a.txt")
    fox = text.index("fox")
    ann = corpus.add_annotation(doc.id, fox, fox + 3, "ANIMAL")
    footer = text.index("Footer links")
    (bp,) = corpus.mark_boilerplate(doc.id, footer, footer + len("Footer links"), reason="nav")
    new_text = text.replace("Header menu\n\n", "Header menu\n\nNEW PARAGRAPH\n\n")
    _rewrite(folder, "a.txt", new_text)
    summary = corpus.scan()
    assert (summary.changed, summary.reanchored_spans, summary.stale_spans) == (1, 2, 0)
    assert corpus.text(doc.id) == new_text
    rows = corpus.query('SELECT id, start, "end", quote, anchor FROM spans ORDER BY id')
    assert {r["id"] for r in rows} == {ann.id, bp.id}
    for row in rows:
        assert new_text[row["start"]:row["end"]] == row["quote"]
        assert row["anchor"] == "reanchored"
    assert corpus.query("SELECT changed_at FROM documents")[0]["changed_at"] is not None
    assert corpus.query("SELECT COUNT(*) AS n FROM events WHERE action = 'document.changed'")[0]["n"] == 1


def test_reanchor_picks_occurrence_by_context(scanned):
    text = ("The alpha line names a target first, then goes on.\nThe beta line names a target second, and stops.\n"
            "A closing line, long enough for context.\n")
    corpus, folder = scanned({"a.txt": text})
    doc = corpus.document_by_path("a.txt")
    second = text.index("target", text.index("beta"))
    span = corpus.add_annotation(doc.id, second, second + 6, "T")
    new_text = "intro\nA gamma line names a target third.\n" + text
    _rewrite(folder, "a.txt", new_text)
    corpus.scan()
    row = corpus.query('SELECT start, "end" FROM spans WHERE id = ?', [span.id])[0]
    assert row["start"] == new_text.index("target", new_text.index("beta"))


def test_deleted_quote_makes_span_stale_not_misplaced(scanned):
    corpus, folder = scanned({"a.txt": TEXT})
    doc = corpus.document_by_path("a.txt")
    fox = TEXT.index("fox")
    span = corpus.add_annotation(doc.id, fox, fox + 3, "ANIMAL")
    _rewrite(folder, "a.txt", TEXT.replace("brown fox ", ""))
    summary = corpus.scan()
    assert (summary.changed, summary.stale_spans) == (1, 1)
    row = corpus.query('SELECT start, "end", quote, anchor FROM spans WHERE id = ?', [span.id])[0]
    assert row == {"start": fox, "end": fox + 3, "quote": "fox", "anchor": "stale"}
    assert corpus.spans_at(doc.id, fox) == []  # stale spans are never shown on the text
    assert corpus.stats()["stale_spans"] == 1


def test_reanchored_boilerplate_that_now_touches_is_merged(scanned):
    # Only whitespace between the two menus, and it goes: each keeps all of its context
    # (whitespace aside), so both move, and now touch.
    text = "MENU ONE | Home\n\nMENU TWO | Contact\n"
    corpus, folder = scanned({"a.txt": text})
    doc = corpus.document_by_path("a.txt")
    corpus.mark_boilerplate(doc.id, 0, len("MENU ONE | Home"), reason="nav")
    two = text.index("MENU TWO")
    corpus.mark_boilerplate(doc.id, two, two + len("MENU TWO | Contact"))
    new_text = "MENU ONE | HomeMENU TWO | Contact\n"
    _rewrite(folder, "a.txt", new_text)
    corpus.scan()
    rows = corpus.query(
        "SELECT start, \"end\", quote, reason, anchor FROM spans WHERE kind = 'boilerplate' AND anchor != 'stale'"
    )
    assert rows == [{"start": 0, "end": len(new_text) - 1, "quote": new_text[:-1], "reason": "nav",
                     "anchor": "reanchored"}]


def test_unchanged_content_with_new_mtime_is_not_changed(scanned):
    corpus, folder = scanned({"a.txt": TEXT})
    doc = corpus.document_by_path("a.txt")
    corpus.add_annotation(doc.id, 0, 6, "H")
    os.utime(folder / "a.txt", ns=(1_000_000_000, 1_000_000_000))
    summary = corpus.scan()
    assert (summary.changed, summary.unchanged) == (0, 1)
    assert corpus.query("SELECT anchor, mtime_ns FROM spans, documents")[0] == {
        "anchor": "ok", "mtime_ns": 1_000_000_000,
    }


def test_unchanged_files_are_not_reread(seeds_copy, open_corpus, monkeypatch):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    calls = []
    real = scanner.read_file
    monkeypatch.setattr(scanner, "read_file", lambda *a: calls.append(a) or real(*a))
    summary = corpus.scan()
    assert calls == [] and summary.unchanged == 5


def test_only_changed_file_is_reread(seeds_copy, open_corpus, monkeypatch):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    with open(seeds_copy / SEED_NAMES[2], "a", encoding="utf-8") as handle:
        handle.write("\nappended\n")
    calls = []
    real = scanner.read_file
    monkeypatch.setattr(scanner, "read_file",
                        lambda folder, found, o, sites=None, place=None: calls.append(found.path)
                        or real(folder, found, o, sites, place))
    summary = corpus.scan()
    assert calls == [SEED_NAMES[2]]
    assert (summary.changed, summary.unchanged) == (1, 4)


# -- rescan: missing, moved, returning --------------------------------------------------------------


def _annotate_everything(corpus, doc_id):
    corpus.add_annotation(doc_id, 0, 6, "H")
    corpus.mark_boilerplate(doc_id, 7, 11)
    corpus.add_tag(doc_id, "keep")
    corpus.set_status(doc_id, "reviewed")
    corpus.set_note(doc_id, "a note")


def _annotations_of(corpus, doc_id):
    return {
        "spans": corpus.query('SELECT kind, start, "end", label, anchor FROM spans WHERE document_id = ? ORDER BY id', [doc_id]),
        "tags": [t.name for t in corpus.document_tags(doc_id)],
        "doc": corpus.query("SELECT status, note FROM documents WHERE id = ?", [doc_id]),
    }


def test_removed_file_is_missing_and_keeps_everything(scanned):
    corpus, folder = scanned({"a.txt": TEXT, "b.txt": "other"})
    doc = corpus.document_by_path("a.txt")
    _annotate_everything(corpus, doc.id)
    before = _annotations_of(corpus, doc.id)
    (folder / "a.txt").unlink()
    summary = corpus.scan()
    assert (summary.missing, summary.unchanged) == (1, 1)
    assert corpus.document(doc.id).state == "missing"
    assert _annotations_of(corpus, doc.id) == before
    assert corpus.text(doc.id) == TEXT


def test_missing_file_that_returns_is_ok_again(scanned):
    corpus, folder = scanned({"a.txt": TEXT, "b.txt": "other"})
    doc = corpus.document_by_path("a.txt")
    _annotate_everything(corpus, doc.id)
    before = _annotations_of(corpus, doc.id)
    shutil.move(folder / "a.txt", folder.parent / "a.txt.bak")
    corpus.scan()
    assert corpus.document(doc.id).state == "missing"
    shutil.move(folder.parent / "a.txt.bak", folder / "a.txt")
    summary = corpus.scan()
    assert summary.missing == 0
    assert (summary.returned, summary.unchanged) == (1, 1)  # said, not counted as unchanged (a new user's trial)
    assert "1 back from missing" in summary.line()
    assert corpus.document(doc.id).state == "ok"
    assert _annotations_of(corpus, doc.id) == before


@pytest.mark.parametrize("new_path", ["renamed.txt", "sub/dir/a.txt"])
def test_moved_file_keeps_id_and_annotations(scanned, new_path):
    corpus, folder = scanned({"a.txt": TEXT, "b.txt": "other"})
    doc = corpus.document_by_path("a.txt")
    _annotate_everything(corpus, doc.id)
    before = _annotations_of(corpus, doc.id)
    (folder / new_path).parent.mkdir(parents=True, exist_ok=True)
    os.rename(folder / "a.txt", folder / new_path)
    summary = corpus.scan()
    assert (summary.renamed, summary.added, summary.missing) == (1, 0, 0)
    assert "1 renamed" in summary.line()
    moved = corpus.document_by_path(new_path)
    assert moved.id == doc.id and moved.state == "ok"
    assert _annotations_of(corpus, doc.id) == before
    assert corpus.query("SELECT COUNT(*) AS n FROM documents")[0]["n"] == 2
    (event,) = corpus.query("SELECT payload FROM events WHERE action = 'document.moved'")
    assert json.loads(event["payload"]) == {"from": "a.txt", "to": new_path}


def test_file_moved_while_missing_is_found_later(scanned):
    corpus, folder = scanned({"a.txt": TEXT, "b.txt": "other"})
    doc = corpus.document_by_path("a.txt")
    corpus.add_annotation(doc.id, 0, 6, "H")
    shutil.move(folder / "a.txt", folder.parent / "parked.txt")
    corpus.scan()
    shutil.move(folder.parent / "parked.txt", folder / "back.txt")
    summary = corpus.scan()
    assert summary.renamed == 1
    assert corpus.document(doc.id).path == "back.txt" and corpus.document(doc.id).state == "ok"
    assert len(corpus.spans(doc.id)) == 1


def test_file_name_that_is_not_utf8_is_listed_unreadable_not_a_crash(make_corpus):
    folder = make_corpus({"ok.txt": "fine\n"})
    with open(os.fsencode(folder) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"hi\n")
    with Corpus.open(folder) as corpus:
        summary = corpus.scan()
        again = corpus.scan()
        rows = corpus.query("SELECT path, state, problem FROM documents ORDER BY path")
    assert (summary.added, summary.unreadable) == (1, 1)
    assert (again.unchanged, again.unreadable, again.added) == (1, 1, 0)
    assert rows[0]["path"] == "caf\\xe9.txt" and rows[0]["state"] == "unreadable"
    assert "not valid UTF-8" in rows[0]["problem"]


def test_narrower_include_does_not_mark_files_on_disk_missing(make_corpus):
    folder = make_corpus({"a.txt": "a\n", "b.md": "b\n"})
    with Corpus.open(folder) as corpus:
        corpus.scan()
        summary = corpus.scan(include=["*.txt"])
        states = {r["path"]: r["state"] for r in corpus.query("SELECT path, state FROM documents")}
    assert summary.missing == 0
    assert states == {"a.txt": "ok", "b.md": "ok"}


def test_a_script_without_a_main_guard_can_scan_with_the_reader_process(make_corpus, tmp_path):
    import subprocess
    import sys

    folder = make_corpus({f"d{i}.txt": f"doc {i}\n" for i in range(20)})
    script = tmp_path / "script.py"
    script.write_text(
        "from corpus_tui import Corpus\n"
        "import corpus_tui.core.scanner as scanner\n"
        "scanner.PARALLEL_READ_THRESHOLD = 1  # use the reader process even for 20 files\n"
        f"with Corpus.open({str(folder)!r}) as corpus:\n"
        "    print(corpus.scan().line())\n"
    )
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("20 added")
