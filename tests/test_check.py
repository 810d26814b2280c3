"""corpus-tui check: one line per problem, exit 1 when there is any, nothing written."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_tui import Corpus
from corpus_tui.core.check import check_corpus

CLI = [sys.executable, "-m", "corpus_tui"]
WRITER = """
import sys, time
from corpus_tui import Corpus
c = Corpus.open(sys.argv[1])
for i in range(25):
    c.add_annotation(1, 0, 5, "ACKED%d" % i)
print("acked", flush=True)
time.sleep(60)
"""


def run_check(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "check", str(folder), *args], capture_output=True, text=True, timeout=120)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def scanned(seeds_copy: Path) -> Path:
    with Corpus.open(seeds_copy) as corpus:
        corpus.scan()
    return seeds_copy


def killed_writer(folder: Path) -> None:
    """Leave a WAL holding 25 acknowledged annotations (the writer never checkpoints)."""
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "acked"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert (folder / "annotations.db-wal").stat().st_size > 0


def test_a_sound_corpus_is_ok_and_check_writes_nothing(scanned: Path):
    db = scanned / "annotations.db"
    before = digest(db)
    result = run_check(scanned)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ") and "5 documents" in result.stdout
    assert result.stderr == ""
    assert digest(db) == before
    assert json.loads(run_check(scanned, "--json").stdout)["ok"] is True


def test_a_wal_with_acknowledged_actions_is_fine(scanned: Path):
    killed_writer(scanned)
    report = check_corpus(scanned)
    assert report.ok, report.problems
    assert report.spans == 25


@pytest.mark.parametrize("damage", ["header", "frame"])
def test_a_damaged_wal_is_reported(scanned: Path, damage: str):
    """SQLite ignores a WAL with a garbage header (or everything after a damaged
    frame) without a word: acknowledged actions vanish. check says so."""
    killed_writer(scanned)
    wal = scanned / "annotations.db-wal"
    with open(wal, "r+b") as handle:  # no process has the database open now
        handle.seek(0 if damage == "header" else 32 + 24 + 64)
        handle.write(b"\xffdamaged" * 4)
    result = run_check(scanned)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith(f"{wal}: ")]) == 1, lines
    assert ("WAL header is damaged" if damage == "header" else "WAL frame 1 is damaged") in result.stdout
    assert "Traceback" not in result.stderr


def test_files_missing_changed_and_unscanned_and_stale_spans(scanned: Path):
    with Corpus.open(scanned) as corpus:
        doc = corpus.document_by_path("002_a7de4bf8afd987b8.txt")
        text = corpus.text(doc.id)
        start = text.index("SouthFront")
        corpus.add_annotation(doc.id, start, start + 10, "ORG")
    (scanned / "000_017fdcef885307d4.txt").unlink()
    changed = scanned / "001_07e63e06108ae30e.txt"
    changed.write_bytes(changed.read_bytes() + b"\nmore")
    (scanned / "new.txt").write_text("A new document.\n")
    target = scanned / "002_a7de4bf8afd987b8.txt"
    target.write_text("Nothing of the old text is left.\n")
    with Corpus.open(scanned) as corpus:
        corpus.refresh_document(doc.id)
    result = run_check(scanned)
    assert result.returncode == 1
    lines = sorted(result.stdout.splitlines())
    assert lines == [
        "000_017fdcef885307d4.txt: the file is gone but the database says it is there (run scan)",
        "001_07e63e06108ae30e.txt: the file changed since the last scan (run scan to re-read it)",
        "002_a7de4bf8afd987b8.txt: 1 stale span: the text changed and it could not be "
        "re-anchored; place or drop it in the app",
        "new.txt: not scanned yet (run scan)",
    ]


def test_a_file_only_touched_is_not_called_changed(scanned: Path):
    """touch (or cp -r) changed only the modification time: check said "the file changed" and
    exited 1, and the scan after found it unchanged. The same size and content are no change."""
    import os

    touched = sorted(scanned.glob("*.txt"))[3]
    os.utime(touched, ns=(10**18, 10**18))
    result = run_check(scanned)
    assert result.returncode == 0 and "changed" not in result.stdout


def test_orphans_and_a_search_index_out_of_step(scanned: Path):
    db = scanned / "annotations.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO document_tags (document_id, tag_id, annotator, created_at) VALUES (999, 1, 'x', 'now')")
    conn.execute("INSERT INTO document_texts_fts (document_texts_fts, rowid, text) "
                 "SELECT 'delete', document_id, text FROM document_texts WHERE document_id = 3")
    conn.close()
    result = run_check(scanned)
    assert result.returncode == 1
    assert f"{db}: 1 tag link without a document or tag" in result.stdout
    assert "search index is out of step" in result.stdout
    assert "points to a missing documents row" in result.stdout


@pytest.mark.parametrize("kind", ["truncated", "not-sqlite", "foreign", "newer"])
def test_a_database_check_cannot_open_is_one_line(scanned: Path, kind: str):
    db = scanned / "annotations.db"
    if kind == "truncated":
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 2])
    elif kind == "not-sqlite":
        db.write_text("just some notes\n")
    elif kind == "foreign":
        db.unlink()
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE invoices (id INTEGER)")
    else:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("UPDATE schema_version SET version = 99")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    before = digest(db)
    result = run_check(scanned)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) >= 1 and "Traceback" not in result.stdout + result.stderr
    assert all(line.startswith(f"{db}") for line in result.stdout.splitlines())
    assert digest(db) == before
    assert not Path(f"{db}-wal").exists() or kind == "truncated"


def test_no_database_is_one_error_line(seeds_copy: Path):
    result = run_check(seeds_copy)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no corpus database" in result.stderr
    assert not (seeds_copy / "annotations.db").exists()


def test_a_path_holding_a_line_break_is_one_line_of_the_report(tmp_path: Path):
    """'new\\nline.txt' split its problem over two lines of a report meant for grep."""
    folder = tmp_path / "c"
    folder.mkdir()
    odd = folder / "new\nline.txt"
    odd.write_text("a\n")
    (folder / "b.txt").write_text("b\n")
    with Corpus.open(folder) as corpus:
        corpus.scan()
    odd.write_text("a\nmore\n")
    result = run_check(folder)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["new␊line.txt: the file changed since the last scan (run scan to re-read it)"]
    report = json.loads(run_check(folder, "--json").stdout)
    assert report["problems"][0]["path"] == "new\nline.txt"  # JSON keeps the path as it is
