"""The database: schema, pragmas, FTS, versioning, refusals, locking, annotators."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import assert_one_line_error, sha256
from corpus_tui.core import Corpus
from corpus_tui.core.errors import DatabaseLocked, NewerSchema, NotADatabase
from corpus_tui.core.schema import SCHEMA_VERSION

TABLES = {
    "documents", "document_texts", "document_texts_fts", "tags", "document_tags",
    "spans", "events", "corpus_state", "schema_version",
}


@pytest.fixture
def scanned_seeds(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    corpus.scan()
    return corpus


def test_fresh_database_has_the_tables(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy)
    names = {r["name"] for r in corpus.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert TABLES <= names
    assert corpus.query("SELECT version FROM schema_version") == [{"version": SCHEMA_VERSION}]


def test_pragmas_and_integrity(scanned_seeds):
    assert scanned_seeds.query("PRAGMA journal_mode")[0]["journal_mode"] == "wal"
    assert scanned_seeds.query("PRAGMA foreign_keys")[0]["foreign_keys"] == 1
    assert scanned_seeds.query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    assert scanned_seeds.query("PRAGMA foreign_key_check") == []


def test_wal_mode_persists_for_other_connections(scanned_seeds):
    other = sqlite3.connect(scanned_seeds.db_path)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()


def test_fts_search_finds_documents(scanned_seeds):
    hits = list(scanned_seeds.db["document_texts"].search("Mosul"))
    assert len(hits) == 5
    rows = scanned_seeds.query(
        "SELECT d.path FROM document_texts_fts f JOIN document_texts t ON t.rowid = f.rowid "
        "JOIN documents d ON d.id = t.document_id WHERE document_texts_fts MATCH ? ORDER BY d.path",
        ['"Nujaifi street"'],
    )
    assert [r["path"] for r in rows] == ["001_07e63e06108ae30e.txt"]


def test_fts_follows_changed_text(scanned):
    corpus, folder = scanned({"a.txt": "apple banana"})
    (folder / "a.txt").write_text("cherry durian")
    corpus.scan()
    match = "SELECT COUNT(*) AS n FROM document_texts_fts WHERE document_texts_fts MATCH ?"
    assert corpus.query(match, ["banana"])[0]["n"] == 0
    assert corpus.query(match, ["durian"])[0]["n"] == 1


def test_foreign_keys_enforced(scanned_seeds):
    with pytest.raises(sqlite3.IntegrityError):
        with scanned_seeds.write():
            scanned_seeds.db.execute(
                "INSERT INTO document_tags (document_id, tag_id, annotator, created_at) VALUES (999, 999, 'x', 'y')"
            )
    assert scanned_seeds.query("SELECT COUNT(*) AS n FROM document_tags")[0]["n"] == 0


# -- newer schema: refused, never rewritten -------------------------------------------------


def _bump_version(db_path, journal_mode=None):
    con = sqlite3.connect(db_path)
    if journal_mode:
        con.execute(f"PRAGMA journal_mode = {journal_mode}")
    con.execute("UPDATE schema_version SET version = 999")
    con.commit()
    con.close()


def test_newer_schema_refused_by_library(scanned_seeds, seeds_copy):
    db = scanned_seeds.db_path
    scanned_seeds.close()
    _bump_version(db)
    digest = sha256(db)
    with pytest.raises(NewerSchema, match="999"):
        Corpus.open(seeds_copy)
    assert sha256(db) == digest


@pytest.mark.parametrize("command", ["scan", "stats"])
def test_newer_schema_refused_by_cli(scanned_seeds, seeds_copy, run_main, command):
    db = scanned_seeds.db_path
    scanned_seeds.close()
    _bump_version(db)
    digest = sha256(db)
    result = run_main(command, seeds_copy)
    assert_one_line_error(result, str(db), "999")
    assert sha256(db) == digest


def test_newer_schema_in_rollback_journal_mode_is_not_rewritten(scanned_seeds, seeds_copy):
    db = scanned_seeds.db_path
    scanned_seeds.close()
    _bump_version(db, journal_mode="DELETE")
    digest = sha256(db)
    with pytest.raises(NewerSchema):
        Corpus.open(seeds_copy)
    assert sha256(db) == digest


def test_non_sqlite_file_as_db_is_refused(seeds_copy, tmp_path, run_main):
    fake = tmp_path / "notes.db"
    fake.write_bytes(b"this is just some text, not a database\n" * 10)
    digest = sha256(fake)
    result = run_main("scan", seeds_copy, "--db", fake)
    assert_one_line_error(result, str(fake), "not an SQLite database")
    assert sha256(fake) == digest
    assert not (seeds_copy / "annotations.db").exists()
    with pytest.raises(NotADatabase):
        Corpus.open(seeds_copy, db=fake)
    assert sha256(fake) == digest


# -- locking ---------------------------------------------------------------------------------


@pytest.fixture
def held_lock(scanned_seeds):
    """Another connection holding the write lock."""
    other = sqlite3.connect(scanned_seeds.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_locked_database_cli_gives_one_line(seeds_copy, scanned_seeds, held_lock, run_main):
    result = run_main("scan", seeds_copy, "--timeout", "0.2")
    assert_one_line_error(result, str(scanned_seeds.db_path), "locked")


def test_locked_database_library_raises_and_changes_nothing(seeds_copy, scanned_seeds, held_lock):
    corpus = Corpus.open(seeds_copy, timeout=0.2)
    try:
        doc = corpus.document_by_path("000_017fdcef885307d4.txt")
        with pytest.raises(DatabaseLocked):
            corpus.add_annotation(doc.id, 0, 5, "X")
        assert not corpus.db.conn.in_transaction
    finally:
        corpus.close()
    held_lock.execute("ROLLBACK")
    held_lock.execute("BEGIN")  # so the fixture's ROLLBACK has something to end
    assert scanned_seeds.query("SELECT COUNT(*) AS n FROM spans")[0]["n"] == 0


# -- who is annotating --------------------------------------------------------------------------------


def _scan_annotator(corpus):
    return corpus.query("SELECT annotator FROM events WHERE action = 'scan' ORDER BY id DESC LIMIT 1")[0]["annotator"]


def test_annotator_flag_beats_environment(seeds_copy, run_cli, open_corpus):
    assert run_cli("scan", seeds_copy, "--annotator", "alice").exit_code == 0
    assert _scan_annotator(open_corpus(seeds_copy)) == "alice"


def test_environment_beats_os_user(seeds_copy, run_cli, open_corpus, monkeypatch):
    monkeypatch.setenv("LOGNAME", "osuser")
    monkeypatch.setenv("USER", "osuser")
    assert run_cli("scan", seeds_copy).exit_code == 0
    assert _scan_annotator(open_corpus(seeds_copy)) == "tester"


def test_os_user_is_the_last_resort(seeds_copy, run_cli, open_corpus, monkeypatch):
    monkeypatch.delenv("CORPUS_TUI_ANNOTATOR")
    monkeypatch.setenv("LOGNAME", "osuser")
    assert run_cli("scan", seeds_copy).exit_code == 0
    assert _scan_annotator(open_corpus(seeds_copy)) == "osuser"
    monkeypatch.setenv("CORPUS_TUI_ANNOTATOR", "   ")
    assert open_corpus(seeds_copy).annotator == "osuser"


def test_annotator_recorded_on_spans_tags_and_events(seeds_copy, open_corpus):
    corpus = open_corpus(seeds_copy, annotator="alice")
    corpus.scan()
    doc = corpus.document_by_path("000_017fdcef885307d4.txt")
    corpus.add_annotation(doc.id, 0, 5, "X")
    corpus.mark_boilerplate(doc.id, 10, 20)
    corpus.add_tag(doc.id, "war")
    corpus.set_status(doc.id, "reviewed")
    assert {r["annotator"] for r in corpus.query("SELECT annotator FROM spans")} == {"alice"}
    assert {r["annotator"] for r in corpus.query("SELECT annotator FROM document_tags")} == {"alice"}
    assert {r["annotator"] for r in corpus.query("SELECT annotator FROM tags")} == {"alice"}
    assert {r["annotator"] for r in corpus.query("SELECT annotator FROM events")} == {"alice"}
    default = open_corpus(seeds_copy)
    default.add_tag(doc.id, "other")
    assert default.query(
        "SELECT document_tags.annotator FROM document_tags JOIN tags ON tags.id = tag_id WHERE tags.name = 'other'"
    ) == [{"annotator": "tester"}]


def test_a_new_database_is_marked_indexed_titled_and_signed_by_this_versions_rules(tmp_path):
    """So a scan that starts while the first scan is still writing does not take the first's
    documents for an older version's and index, title and sign them all again."""
    from corpus_tui.core.duplicates.signatures import settings_current
    from corpus_tui.core.passage_index import index_is_current
    from corpus_tui.core.titles import titles_follow_rule

    (tmp_path / "a.txt").write_text("hello\n")
    with Corpus.open(tmp_path) as corpus:
        assert index_is_current(corpus.db) and titles_follow_rule(corpus.db) and settings_current(corpus.db)
        assert corpus.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0
