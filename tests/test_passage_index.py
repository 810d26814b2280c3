"""The passage index (issue 11, part 1): built at scan, kept in step on rescan, rename and
deletion, re-built after a normalization change; ``Corpus.repeats`` and ``corpus-tui repeats``."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import UNDO_SCHEMA_V7, assert_one_line_error

from corpus_tui import Corpus
from corpus_tui.core.errors import InvalidValue
from corpus_tui.core.passage_index import INDEX_STATE_KEY

APPEAL = "If you're able, and if you like our content and approach, please support the project."


def appeal(corpus):  # type: ignore[no-untyped-def]
    (found,) = [r for r in corpus.repeats(min_docs=2) if r.text.startswith(APPEAL[:30])]
    return found


def test_the_seeds_donation_appeal_is_one_passage_in_two_documents(seeds_copy, open_corpus):
    """000 quotes it with straight quotes and <autolinks>, 002 with curly quotes and bare URLs."""
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    found = appeal(corpus)
    assert found.documents == 2 and found.sources == 1 and found.marked == 0
    assert found.boilerplate_like is False  # two documents of one source: could be a repost
    copies = corpus.repeat_copies(found.id)
    assert len({doc for doc, _, _ in copies}) == 2
    for doc, start, end in copies:
        assert "support the project" in corpus.text(doc)[start:end]
    assert corpus.repeat(found.id) == found


def test_marked_counts_documents_whose_copy_is_boilerplate(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    doc, start, end = corpus.repeat_copies(appeal(corpus).id)[0]
    corpus.mark_boilerplate(doc, start, end, reason="donation")
    assert appeal(corpus).marked == 1
    marks = corpus.repeat_copy_marks(appeal(corpus).id)  # the app's list of copies, each marked or not
    assert [(d, m) for d, _, _, _, m in marks] == [(doc, True), (marks[1][0], False)]
    assert [row[:4] for row in marks] == corpus.repeat_copy_paths(appeal(corpus).id)


def test_a_changed_file_updates_its_passages_and_the_counts(make_corpus, open_corpus):
    footer = "Subscribe to our newsletter for more stories\n"
    folder = make_corpus({f"{name}.txt": f"Story {name} begins here with words.\n\n{footer}" for name in "abcd"})
    corpus = open_corpus(folder)
    corpus.scan()
    (repeat,) = corpus.repeats(min_docs=3)
    assert repeat.documents == 4 and repeat.text == footer.strip()
    (folder / "d.txt").write_text("Story d was rewritten without the footer.\n")
    corpus.scan()
    assert [r.documents for r in corpus.repeats(min_docs=3)] == [3]
    (folder / "c.txt").unlink()  # missing files do not count
    corpus.scan()
    assert corpus.repeats(min_docs=3) == [] and [r.documents for r in corpus.repeats(min_docs=2)] == [2]


def test_a_rename_keeps_passages_and_a_new_folder_is_a_new_source(make_corpus, open_corpus):
    footer = "All rights reserved by the publisher of this site\n"
    folder = make_corpus({"one/a.txt": "First story text.\n\n" + footer, "one/b.txt": "Second story text.\n\n" + footer,
                          "one/c.txt": "Third story text.\n\n" + footer})
    corpus = open_corpus(folder)
    corpus.scan()
    (repeat,) = corpus.repeats()
    assert (repeat.documents, repeat.sources, repeat.boilerplate_like) == (3, 1, True)
    (folder / "two").mkdir()
    shutil.move(folder / "one" / "c.txt", folder / "two" / "c.txt")
    assert corpus.scan().renamed == 1
    (repeat,) = corpus.repeats()
    assert (repeat.documents, repeat.sources) == (3, 2)


def test_a_rescan_with_no_change_leaves_the_index_alone(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    statements: list[str] = []
    corpus.db.conn.set_trace_callback(statements.append)
    corpus.scan()
    corpus.db.conn.set_trace_callback(None)
    assert not any("passages" in s or "repeats" in s for s in statements if not s.startswith("SELECT"))


def test_a_corpus_indexed_by_another_normalization_is_reindexed_once(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    before = corpus.repeats(min_docs=2)
    with corpus.write():  # as a corpus made before the index, or by another normalization
        corpus.db.execute("DELETE FROM passages")
        corpus.db.execute("DELETE FROM repeats")
        corpus.db.execute("DELETE FROM corpus_state WHERE key = ?", [INDEX_STATE_KEY])
    assert corpus.repeats(min_docs=2) == []
    corpus.scan()
    assert corpus.repeats(min_docs=2) == before
    assert corpus.get_state(INDEX_STATE_KEY) is not None


def test_a_version_6_index_is_copied_into_the_clustered_table_at_open(seeds_copy, open_corpus):
    """Version 7 keeps a corpus's passages (not re-read at the next scan), clustered by document."""
    import sqlite3

    corpus = open_corpus(seeds_copy)
    corpus.scan()
    rows = corpus.query('SELECT document_id, start, paragraph, "end", fingerprint FROM passages ORDER BY 1, 2, 3')
    repeats = corpus.repeats(min_docs=2)
    corpus.close()
    con = sqlite3.connect(seeds_copy / "annotations.db")
    for statement in UNDO_SCHEMA_V7:
        con.execute(statement)
    con.commit()
    assert con.execute("SELECT COUNT(*) FROM passages WHERE kind = 'paragraph'").fetchone()[0] > 0
    con.close()
    corpus = open_corpus(seeds_copy)
    assert corpus.query("SELECT version FROM schema_version") == [{"version": 7}]
    assert corpus.query('SELECT document_id, start, paragraph, "end", fingerprint FROM passages') == rows
    assert _index_names(corpus) == {"passages_fingerprint"}
    (sql,) = corpus.db.execute("SELECT sql FROM sqlite_master WHERE name = 'passages'").fetchone()
    assert "WITHOUT ROWID" in sql
    statements: list[str] = []
    corpus.db.conn.set_trace_callback(statements.append)
    corpus.scan()  # nothing to re-read
    corpus.db.conn.set_trace_callback(None)
    assert not any("passages" in s for s in statements if not s.startswith("SELECT"))
    assert corpus.repeats(min_docs=2) == repeats
    plan = " ".join(str(row) for row in corpus.db.execute(
        "EXPLAIN QUERY PLAN SELECT fingerprint FROM passages WHERE document_id = 3"))
    assert "PRIMARY KEY" in plan and "SCAN" not in plan


def test_an_upgrade_cut_short_leaves_version_6_whole_and_the_next_open_upgrades(seeds_copy, open_corpus, monkeypatch):
    """The copy into the clustered table is one transaction with the version's update: a failure
    (a kill, a full disk) after the old table is dropped still leaves it as it was."""
    import sqlite3

    from corpus_tui.core import schema

    corpus = open_corpus(seeds_copy)
    corpus.scan()
    rows = corpus.query('SELECT document_id, start, paragraph, "end", fingerprint FROM passages ORDER BY 1, 2, 3')
    corpus.close()
    con = sqlite3.connect(seeds_copy / "annotations.db")
    for statement in UNDO_SCHEMA_V7:
        con.execute(statement)
    con.commit()
    con.close()

    def cut_short(db):  # type: ignore[no-untyped-def]
        schema._v6_to_v7(db)
        raise OSError("the process died here")

    monkeypatch.setitem(schema.MIGRATIONS, 6, cut_short)
    with pytest.raises(OSError):
        Corpus.open(seeds_copy, annotator="tester")
    con = sqlite3.connect(seeds_copy / "annotations.db")
    assert con.execute("SELECT version FROM schema_version").fetchone() == (6,)
    assert con.execute("SELECT COUNT(*) FROM passages WHERE kind IN ('line', 'paragraph')").fetchone() == (len(rows),)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    monkeypatch.setitem(schema.MIGRATIONS, 6, schema._v6_to_v7)
    corpus = open_corpus(seeds_copy)
    assert corpus.query('SELECT document_id, start, paragraph, "end", fingerprint FROM passages ORDER BY 1, 2, 3') == rows


def test_bad_arguments_are_errors(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    with pytest.raises(InvalidValue):
        corpus.repeats(min_docs=1)
    with pytest.raises(InvalidValue):
        corpus.repeats(limit=0)
    with pytest.raises(InvalidValue, match="no repeated passage"):
        corpus.repeat(12345)


def test_cli_lists_repeats_as_a_table_and_as_json_lines(seeds_copy, run_main):
    assert run_main("scan", seeds_copy).returncode == 0
    listed = run_main("repeats", seeds_copy, "--min-docs", "2", "--contains", "support the project")
    assert listed.returncode == 0 and "support the project" in listed.stdout and "(repost?)" in listed.stdout
    as_json = run_main("repeats", seeds_copy, "--min-docs", "2", "--json", "--limit", "3")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert len(records) == 3
    assert {"id", "text", "documents", "sources", "marked"} <= set(records[0])
    assert records == sorted(records, key=lambda r: -r["documents"])
    assert_one_line_error(run_main("repeats", seeds_copy, "--min-docs", "1"), "--min-docs")
    nothing = run_main("repeats", seeds_copy)  # 3 documents by default: none in the seeds
    assert nothing.returncode == 0 and nothing.stdout == "no passage is in 3 or more documents\n"
    holding = run_main("repeats", seeds_copy, "--min-docs", "2", "--contains", "no such words")
    assert holding.stdout == "no passage holding 'no such words' is in 2 or more documents\n"


def test_a_corpus_upgraded_from_before_the_index_gets_its_sources(make_corpus, open_corpus):
    footer = "All rights reserved by the publisher of this site\n"
    folder = make_corpus({f"{site}/{name}.txt": f"Story {site}{name} text.\n\n{footer}"
                          for site in ("one", "two") for name in "ab"})
    corpus = open_corpus(folder)
    corpus.scan()
    with corpus.write():  # as the v2 → v3 migration leaves it: no source, no index
        corpus.db.execute("UPDATE documents SET source = ''")
        corpus.db.execute("DELETE FROM passages")
        corpus.db.execute("DELETE FROM repeats")
        corpus.db.execute("DELETE FROM corpus_state WHERE key = ?", [INDEX_STATE_KEY])
    corpus.scan()
    (repeat,) = corpus.repeats()
    assert (repeat.documents, repeat.sources) == (4, 2)


def test_a_file_that_becomes_unreadable_stops_counting(make_corpus, open_corpus):
    footer = "Subscribe to our newsletter for more stories\n"
    folder = make_corpus({f"{name}.txt": f"Story {name} begins here with words.\n\n{footer}" for name in "abcd"})
    corpus = open_corpus(folder)
    corpus.scan()
    (folder / "d.txt").write_bytes(b"\x00\x01\x02 binary now")
    assert corpus.scan().unreadable == 1
    (repeat,) = corpus.repeats()
    assert repeat.documents == 3 and len(corpus.repeat_copies(repeat.id)) == 3


def test_ids_beyond_64_bits_are_one_line_errors(seeds_copy, run_main):
    assert run_main("scan", seeds_copy).returncode == 0
    assert_one_line_error(run_main("repeats", seeds_copy, "--mark", str(2**70)), "no repeated passage")
    assert_one_line_error(run_main("rules", "remove", seeds_copy, str(2**70)), "no rule with id")


def test_repeat_ids_list_in_the_order_of_repeats_and_repeats_by_id_reads_any_of_them(tmp_path):
    folder = tmp_path / "ids"
    folder.mkdir()
    for index, name in enumerate("abcdef"):
        extra = "\n\nThe second shared footer line here" if index < 4 else ""
        (folder / f"{name}.txt").write_text(f"Story {name} text.\n\nShare this page with friends{extra}\n")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        listed = corpus.repeats(min_docs=2)
        ids = corpus.repeat_ids(min_docs=2)
        assert ids == [repeat.id for repeat in listed] and len(ids) == 2
        assert corpus.repeats_by_id(list(reversed(ids))) == list(reversed(listed))
        assert corpus.repeats_by_id([ids[1], 12345, 2**70]) == [listed[1]]  # gone or impossible: left out
        assert corpus.repeat_ids(min_docs=5) == [ids[0]]
        assert corpus.repeat_ids(min_docs=2, contains="SECOND") == [ids[1]]
        with pytest.raises(InvalidValue):
            corpus.repeat_ids(min_docs=1)


def _index_names(corpus) -> set[str]:  # type: ignore[no-untyped-def]
    return {row[0] for row in corpus.db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'passages' AND type = 'index'")}


def test_a_large_first_scan_builds_the_index_at_the_end_and_a_killed_one_is_repaired(
        make_corpus, open_corpus, monkeypatch):
    from corpus_tui.core import scanner
    from corpus_tui.core.passage_index import PASSAGE_INDEXES, drop_passage_indexes

    monkeypatch.setattr(scanner, "BULK_INDEX_MIN", 3)  # a "large" first scan, without 2,000 files
    dropped: list[set[str]] = []
    real_drop = scanner.drop_passage_indexes

    def watching_drop(db):  # type: ignore[no-untyped-def]
        real_drop(db)
        dropped.append(_index_names(corpus))

    monkeypatch.setattr(scanner, "drop_passage_indexes", watching_drop)
    footer = "Subscribe to our newsletter for more stories\n"
    folder = make_corpus({f"{name}.txt": f"Story {name} begins here with words.\n\n{footer}" for name in "abcd"})
    caches: list[int] = []  # the scan's page cache before and after the index is built
    real_build = scanner.build_passage_indexes

    def watching_build(db):  # type: ignore[no-untyped-def]
        caches.append(db.execute("PRAGMA cache_size").fetchone()[0])
        real_build(db)
        caches.append(db.execute("PRAGMA cache_size").fetchone()[0])

    monkeypatch.setattr(scanner, "build_passage_indexes", watching_build)
    corpus = open_corpus(folder)
    corpus.scan()
    assert caches == [scanner.SCAN_CACHE_KIB] * 2  # the build's smaller sort cache is given back to the scan
    assert dropped == [set()]  # while the scan wrote, the passages had no indexes to keep up ...
    assert _index_names(corpus) == set(PASSAGE_INDEXES)  # ... and have them after
    assert [r.documents for r in corpus.repeats(min_docs=3)] == [4]
    (folder / "e.txt").write_text(f"Story e.\n\n{footer}")
    corpus.scan()  # not a first scan: the indexes stay
    assert len(dropped) == 1 and [r.documents for r in corpus.repeats(min_docs=3)] == [5]
    with corpus.write():  # what a first scan killed before its end leaves
        drop_passage_indexes(corpus.db)
    corpus.scan()  # no change to read, and still the indexes are back
    assert _index_names(corpus) == set(PASSAGE_INDEXES)
    plan = " ".join(str(row) for row in corpus.db.execute(
        "EXPLAIN QUERY PLAN SELECT document_id FROM passages WHERE fingerprint = 1"))
    assert "passages_fingerprint" in plan


def test_contains_takes_a_paragraphs_line_breaks_for_spaces_as_its_listing_shows_them(scanned):
    """Listed as 'Menu Home Science Local', a menu was not found by --contains "Home Science"
    (a new user's trial)."""
    corpus, _ = scanned({f"{n}.txt": f"Menu\r\nHome\nScience\tLocal\n\nStory {n} here.\n" for n in "abc"})
    (menu,) = corpus.repeats(contains="home science local")
    assert menu.text == "Menu\r\nHome\nScience\tLocal"
    assert corpus.repeat_ids(contains="MENU  home") == [menu.id]
    assert corpus.repeats(contains="menuhome") == []



def test_contains_folds_case_in_any_script_and_runs_of_spaces_in_the_text(scanned):
    """SQLite's lower() folds ASCII only, and two spaces in a line were compared as two (a review)."""
    corpus, _ = scanned({f"{n}.txt": f"Поддержите наш проект сегодня\n\nSupport  the project today\n\nStory {n}.\n"
                         for n in "abc"})
    appeal, support = (corpus.repeats(contains=text) for text in ("поддержите", "support the project"))
    assert [r.text for r in appeal] == ["Поддержите наш проект сегодня"]
    assert [r.text for r in support] == ["Support  the project today"]
    assert corpus.repeat_ids(contains="Support  the") == [support[0].id]  # copied from the listing
    assert corpus.repeat_ids(contains="STRASSE") == [] and corpus.repeats(contains="проектс") == []


def test_contains_takes_entities_quotes_and_dashes_as_the_normalization_does(scanned):
    """The shown copy spelled "We&rsquo;ve": "we've reached" found nothing, and the message said no
    such passage was repeated (a trial)."""
    corpus, _ = scanned({f"{n}.txt": f"We&rsquo;ve reached 61,127 readers &mdash; donate now\n\nStory {n}.\n"
                         for n in "abc"})
    (appeal,) = corpus.repeats(contains="we've reached")
    assert corpus.repeat_ids(contains="READERS — DONATE") == corpus.repeat_ids(contains="readers - donate") == [appeal.id]
    assert corpus.repeat_ids(contains="61,127") == [appeal.id] and corpus.repeat_ids(contains="733") == []

def test_a_document_found_missing_when_opened_stops_counting_at_the_next_scan(scanned):
    """The app marks a file it finds gone as missing (``refresh_document``); the repeats were
    not recounted then, and every later scan saw nothing vanish: the count stayed for good."""
    corpus, folder = scanned({f"{name}.txt": f"Story {name}.\n\nPlease support our work with a donation\n"
                              for name in "abc"})
    (repeat,) = corpus.repeats(min_docs=2)
    assert repeat.documents == 3
    (folder / "b.txt").unlink()
    assert corpus.refresh_document(corpus.document_by_path("b.txt").id) is None
    assert corpus.document_by_path("b.txt").state == "missing"
    assert "missing" in corpus.scan().line() and [r.documents for r in corpus.repeats(min_docs=2)] == [2]


def test_a_scan_stopped_before_its_recount_leaves_it_to_the_next(scanned, monkeypatch, open_corpus):
    from corpus_tui.core import scanner
    from corpus_tui.core.check import check_corpus

    corpus, folder = scanned({f"{name}.txt": f"Story {name}.\n\nPlease support our work with a donation\n"
                              for name in "abcd"})
    (folder / "c.txt").unlink()
    (folder / "d.txt").unlink()

    def stopped(self) -> None:  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # ctrl+c, or a kill, between the last batch and the recount

    with monkeypatch.context() as patched:
        patched.setattr(scanner._Scan, "_follow_passage_index", stopped)
        with pytest.raises(KeyboardInterrupt):
            corpus.scan()
    assert [r.documents for r in corpus.repeats(min_docs=2)] == [4]  # what was committed before the stop
    report = check_corpus(folder)
    assert report.ok and any("recount" in note for note in report.notes)
    summary = corpus.scan()
    assert (summary.vanished, summary.unchanged) == (0, 2)  # nothing new for this scan, and yet:
    assert [r.documents for r in corpus.repeats(min_docs=2)] == [2]
    assert not any("recount" in note for note in check_corpus(folder).notes)


def test_an_index_of_normalization_version_1_is_redone_and_its_rules_and_rejections_follow(scanned):
    """Version 2 made "61,127" one number. A corpus indexed by version 1 is re-indexed at its next
    scan; its rules and rejected suggestions, kept as version-1 fingerprints, must follow, or the
    rules would mark nothing more and rejected lines be suggested again."""
    from corpus_tui.core.normalize import fingerprint, normalize

    appeal = "We have reached 61,127 readers, please support us today"
    counter = "Shared 1,204 times by readers"
    corpus, folder = scanned({f"{n}.txt": f"Story {n} words here.\n\n{appeal}\n\n{counter}\n" for n in "abc"}
                             | {"e.txt": f"Story e.\n\n{appeal.replace('61,127', '98')}\n"})
    (repeat,) = [r for r in corpus.repeats() if r.text == appeal]
    rule_id = corpus.mark_everywhere(repeat.id).rule_id
    a = corpus.document_by_path("a.txt").id
    start = corpus.text(a).index(counter)
    corpus.reject_suggestion(a, start, start + len(counter))
    with corpus.write():  # as version 1 left it
        corpus.db.execute("UPDATE rules SET fingerprint = ?, normalization = 1",
                          [fingerprint(normalize(appeal, version=1))])
        corpus.db.execute("UPDATE suggestion_rejections SET fingerprint = ?",
                          [fingerprint(normalize(counter, version=1))])
        corpus.db.execute("UPDATE events SET payload = json_set(payload, '$.row.fingerprint', ?) "
                          "WHERE action = 'suggestion.reject'", [fingerprint(normalize(counter, version=1))])
        corpus.db.execute("UPDATE corpus_state SET value = '1' WHERE key = ?", [INDEX_STATE_KEY])
    (folder / "d.txt").write_text(f"Story d.\n\n{appeal.replace('61,127', '733')}\n")
    e = corpus.document_by_path("e.txt").id
    with corpus.write():  # version 1 took "98 readers" for another passage: the rule had not marked it
        corpus.db.execute("DELETE FROM spans WHERE document_id = ?", [e])
    summary = corpus.scan()
    # The rule marks the new copy with another count, and the copy version 1 kept apart.
    assert (summary.added, summary.rule_marks) == (1, 2)
    assert [s.rule_id for s in corpus.spans(e, "boilerplate")] == [rule_id]
    (rule,) = corpus.rules()
    assert (rule.id, rule.fingerprint, rule.normalization) == (rule_id, fingerprint(normalize(appeal)), 2)
    assert corpus.rejected_fingerprints(a) == {fingerprint(normalize(counter))}
    assert corpus.get_state(INDEX_STATE_KEY) == "2"
    # The history's copy of the rejection follows too: undo and redo put back the new fingerprint
    # (a review: the old one came back with a redo, and the line was suggested again).
    while (event := corpus.undo()) is not None and event.action != "suggestion.reject":
        pass
    assert corpus.rejected_fingerprints(a) == set()
    corpus.redo()
    assert corpus.rejected_fingerprints(a) == {fingerprint(normalize(counter))}


def test_an_index_of_an_earlier_normalization_is_refused_until_a_scan_redoes_it(scanned, run_main):
    """Before its first scan by this version, an upgraded corpus listed version-1 passage ids, and
    a rule marked from one stored a fingerprint no scan would match (an upgrade trial)."""
    appeal = "We have reached 61,127 readers, please support us today"
    corpus, folder = scanned({f"{n}.txt": f"Story {n} words here.\n\n{appeal}\n" for n in "abc"})
    (repeat,) = corpus.repeats()
    with corpus.write():
        corpus.db.execute("UPDATE corpus_state SET value = '1' WHERE key = ?", [INDEX_STATE_KEY])
    for call in (corpus.repeats, corpus.repeat_ids, lambda: corpus.mark_everywhere(repeat.id)):
        with pytest.raises(InvalidValue, match=r"made by an earlier corpus-tui \(normalization 1\)"):
            call()
    assert_one_line_error(run_main("repeats", folder, "--mark", repeat.id), "is redone by the next scan")
    assert corpus.rules() == []
    corpus.scan()
    assert corpus.mark_everywhere(repeat.id).ranges == 3



def test_an_upgrade_stopped_before_its_rules_marked_every_document_is_finished_by_the_next_scan(
        scanned, monkeypatch):
    """The version was recorded first: a scan stopped while the rules marked the re-indexed
    documents left the rest unmarked for good, no later scan reading those files anew (a review)."""
    from corpus_tui.core import scanner

    appeal = "We have reached 61,127 readers, please support us today"
    corpus, _ = scanned({f"{n}.txt": f"Story {n}.\n\n{appeal.replace('61,127', str(n))}\n" for n in range(3)}
                        | {"x.txt": f"Story x.\n\n{appeal}\n"})
    (repeat,) = [r for r in corpus.repeats() if "readers" in r.text]
    corpus.mark_everywhere(repeat.id)
    x = corpus.document_by_path("x.txt").id
    with corpus.write():  # version 1 kept "61,127" apart: the rule had not marked it
        corpus.db.execute("DELETE FROM spans WHERE document_id = ?", [x])
        corpus.db.execute("UPDATE corpus_state SET value = '1' WHERE key = ?", [INDEX_STATE_KEY])

    def stopped(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(scanner, "apply_rules", stopped)
        with pytest.raises(KeyboardInterrupt):
            corpus.scan()
    assert corpus.get_state(INDEX_STATE_KEY) == "2" and corpus.spans(x, "boilerplate") == []
    assert corpus.scan().rule_marks == 1
    assert len(corpus.spans(x, "boilerplate")) == 1
    assert corpus.scan().rule_marks == 0
