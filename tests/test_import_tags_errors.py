"""Tag imports that must fail: every invalid-row kind, through the real console script.

The contract: exit 1, one stderr line per problem as ``FILE:LINE: reason`` (the
first 50, then "… and N more"), one last summary line, no traceback — and
nothing applied: links, tags, imports and events are exactly as before.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from conftest import assert_one_line_error
from corpus_tui.core.tag_import import InvalidRows

FILES = {"southfront/a.txt": "alpha\n", "rt/c.txt": "gamma\n"}
GOOD = "southfront/a.txt,war\n"


@pytest.fixture
def corpus(scanned):
    corpus, _ = scanned(FILES)
    corpus.create_tag("war")
    corpus.create_tag("Syria")
    return corpus


def state(corpus):
    return {table: corpus.query(f"SELECT * FROM {table}") for table in ("document_tags", "tags", "imports", "events")}


def assert_rejected(result, *problems):
    """Exit 1; stderr: exactly the problem lines, then one summary line; no traceback."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    *lines, summary = result.stderr_lines
    assert lines == list(problems)
    assert summary.startswith("corpus-tui: error: ") and "nothing was imported" in summary


ZEROS = "0" * 64
# Every invalid-row kind a CSV can hold, one a line after one valid row: (line, reason).
CSV_ROWS = [
    ("southfront/a.txt,,,war,", None),
    ("nope.txt,,,war,", "no document with path 'nope.txt'"),
    ("rt/c.txt,,,Syra,", "unknown tag 'Syra' (closest: Syria); --create-tags adds new tags"),
    (",,,war,", "empty path"),
    ("../../etc/passwd,,,war,", "path '../../etc/passwd' is outside the corpus"),
    ("rt/../../x.txt,,,war,", "path 'rt/../../x.txt' is outside the corpus"),
    ("..\\..\\boot.ini,,,war,", "path '..\\..\\boot.ini' is outside the corpus"),
    ("/etc/passwd,,,war,", "path '/etc/passwd' is absolute; give it relative to the corpus folder"),
    ("C:\\x.txt,,,war,", "path 'C:\\x.txt' is absolute; give it relative to the corpus folder"),
    ("rt/c.txt,,,  ,", "empty tag"),
    ('rt/c.txt,,,"wa"r,', "malformed row: ',' expected after '\"'"),
    ("rt/c.txt,,,war,,extra", "malformed row: 6 fields, the header has 5"),
    ("rt/c.txt,,,war,delete", "action must be 'add' or 'remove', not 'delete'"),
    (",abc,,war,", "id must be a whole number, not 'abc'"),
    (",99,,war,", "no document with id 99"),
    (",,abc,war,", "sha256 must be 64 hex digits, not 'abc'"),
    (f",,{ZEROS},war,", f"no document with sha256 {ZEROS}"),
    ("rt/c.txt,,,a\x1b[31mb,", "tag 'a␛[31mb' holds a control character (␛): names are printable text"),
    ('"rt/c.txt,,,war,', "malformed row: unexpected end of data"),  # an unclosed quote runs to the end
]
JSONL_ROWS = [
    ('{"path": "southfront/a.txt", "tags": ["war"]}', None),
    ('{"path": "rt/c.txt", "tags": [war]}', "malformed JSON: Expecting value at column 31"),
    ('{"path": "rt/c.txt", "tags": ["war"]', "malformed JSON: Expecting ',' delimiter at column 37"),  # cut short
    ('{"path": "rt/c.txt", "tags": "war"}', "'tags' must be a list of strings, not a string"),
    ('{"path": "rt/c.txt", "tags": ["war", 7]}', "'tags' must be a list of strings, not 7 (item 2)"),
    ('["rt/c.txt"]', "not an object with 'path' (or 'id', 'sha256') and 'tags'"),
    ('["rt/c.txt", "war"]', "not an object with 'path' (or 'id', 'sha256') and 'tags'"),  # no (path, tag) pair
    ('{"path": "rt/c.txt"}', "missing 'tags' (or 'tag')"),
    ('{"tag": "war"}', "missing 'path' (or 'id', 'sha256')"),
    ('{"path": ["rt/c.txt"], "tag": "war"}', "'path' must be a string, not a list"),
    ('{"path": 5, "tag": "war"}', "'path' must be a string, not 5"),  # not the path '5'
    ('{"sha256": 5, "tag": "war"}', "'sha256' must be a string, not 5"),
    ('{"id": 1.5, "tag": "war"}', "'id' must be a whole number, not 1.5"),
    ('{"id": true, "tag": "war"}', "'id' must be a whole number, not true"),
    ('{"path": "rt/c.txt", "tag": 7}', "'tag' must be a string, not 7"),
    ('{"path": "rt/c.txt", "tag": "war", "tags": ["war"]}', "use 'tag' or 'tags', not both"),
    ('{"path": "rt/c.txt", "tag": "war", "action": 1}', "'action' must be \"add\" or \"remove\", not 1"),
    ('{"path": "rt/c.txt", "tag": "war", "action": "drop"}', "action must be 'add' or 'remove', not 'drop'"),
    ('{"path": "rt/c.txt", "tag": "a\\u0000b"}', "tag 'a␀b' holds a control character (␀): names are printable text"),
    ('{"path": "missing.txt", "tags": ["war"]}', "no document with path 'missing.txt'"),
    ("[" * 100_000, "malformed JSON: nested too deeply (a row is one flat object)"),
    ('{"path": "rt/c.txt", "tag": "war", "n": ' + "7" * 5000 + "}",
     "malformed JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"),
    ('{"path": "rt/c.txt", "id": null, "tag": "war", "tags": null, "action": null}', None),  # null: left out
]


@pytest.mark.parametrize("name, header, rows", [("t.csv", "path,id,sha256,tag,action\n", CSV_ROWS),
                                                ("t.jsonl", "", JSONL_ROWS)])
def test_every_invalid_row_kind_is_listed_and_nothing_applied(corpus, tmp_path, run_main, name, header, rows):
    path = tmp_path / name
    path.write_text(header + "".join(row + "\n" for row, _ in rows), encoding="utf-8")
    first = 2 if header else 1
    expected = [f"{path}:{number}: {reason}" for number, (_, reason) in enumerate(rows, first) if reason]
    before = state(corpus)
    assert_rejected(run_main("import-tags", corpus.folder, path), *expected)
    assert state(corpus) == before


def test_jsonl_ids_are_numbers_or_digits(corpus, tmp_path):
    a, c = corpus.document_by_path("southfront/a.txt"), corpus.document_by_path("rt/c.txt")
    path = tmp_path / "t.jsonl"
    path.write_text(f'{{"id": {a.id}, "tag": "war"}}\n{{"path": "", "id": "{c.id}", "tags": ["war"]}}\n')
    result = corpus.import_tags_file(path)
    assert (result.rows, result.added, result.invalid) == (2, 2, 0)


@pytest.mark.parametrize("row, option, reason", [
    ("none/*.txt,war", ["--match", "glob"], "pattern 'none/*.txt' matches no document"),
    ("rt/c.txt,war,remove", ["--mode", "replace"], "action 'remove' cannot be used with --mode replace"),
    ("rt/c.txt,war,", ["--mode", "remove", "--dry-run"], None),  # a dry run checks too: control row
])
def test_option_specific_problems(corpus, tmp_path, run_cli, row, option, reason):
    path = tmp_path / "t.csv"
    path.write_text(f"path,tag,action\nsouthfront/a.txt,war,\n{row}\n")
    before = state(corpus)
    result = run_cli("import-tags", corpus.folder, path, *option)
    if reason is None:
        assert result.exit_code == 0 and "nothing would change: 2 tags to remove not present" in result.output
    else:
        assert result.exit_code == 1 and result.exception.problems == [f"{path}:3: {reason}"]
    assert state(corpus) == before


@pytest.mark.parametrize("header, reason", [
    ("file,tag", "missing column: need 'path', 'id' or 'sha256' (found: file, tag)"),
    ("path,label", "missing column: need 'tag' or 'tags' (found: path, label)"),
    ("path,tag,tags", "use a 'tag' column or a 'tags' column, not both"),
])
def test_missing_column(corpus, tmp_path, header, reason):
    path = tmp_path / "t.csv"
    path.write_text(f"\n{header}\nrt/c.txt,war\n")
    before = state(corpus)
    with pytest.raises(InvalidRows) as error:
        corpus.import_tags_file(path, skip_invalid=True)  # a bad header is never skipped
    assert error.value.problems == [f"{path}:2: {reason}"]
    assert state(corpus) == before


def test_missing_column_through_the_console_script(corpus, tmp_path, run_main):
    path = tmp_path / "t.csv"
    path.write_text("path,label\nrt/c.txt,war\n")
    result = run_main("import-tags", corpus.folder, path, "--skip-invalid")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr_lines == [  # one problem: one line (it was the problem, then "cannot read the file")
        f"corpus-tui: error: {path}:1: missing column: need 'tag' or 'tags' (found: path, label); nothing was imported"]


def test_every_problem_listed_first_50_then_a_count(corpus, tmp_path, run_main):
    path = tmp_path / "t.csv"
    path.write_text("path,tag\n" + GOOD + "".join(f"missing{i}.txt,war\n" for i in range(60)))
    before = state(corpus)
    result = run_main("import-tags", corpus.folder, path)
    assert result.returncode == 1
    lines = result.stderr_lines
    assert len(lines) == 52
    assert lines[0] == f"{path}:3: no document with path 'missing0.txt'"
    assert lines[49] == f"{path}:52: no document with path 'missing49.txt'"
    assert lines[50] == "… and 10 more"
    assert lines[51].endswith("60 invalid rows; nothing was imported (--skip-invalid imports the valid rows)")
    assert state(corpus) == before


def test_skip_invalid_applies_the_valid_rows_and_reports_the_rest(corpus, tmp_path, run_main):
    path = tmp_path / "t.csv"
    path.write_text("path,tag\n" + GOOD + "nope.txt,war\nrt/c.txt,Syra\nrt/c.txt,syria\n")
    result = run_main("import-tags", corpus.folder, path, "--skip-invalid")
    assert result.returncode == 0
    assert result.stderr_lines == [f"{path}:3: no document with path 'nope.txt'",
                                   f"{path}:4: unknown tag 'Syra' (closest: Syria); --create-tags adds new tags"]
    assert result.stdout == "import #1: added 2 tags to 2 documents; skipped 2 invalid rows\n"
    assert corpus.query("SELECT rows_read, rows_invalid FROM imports") == [{"rows_read": 2, "rows_invalid": 2}]


def test_invalid_utf8_names_the_line(corpus, tmp_path, run_main):
    path = tmp_path / "t.csv"
    path.write_bytes(b"path,tag\n" + GOOD.encode() + b"rt/c.txt,caf\xe9\n")
    before = state(corpus)
    result = run_main("import-tags", corpus.folder, path, "--skip-invalid")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr_lines == [f"corpus-tui: error: {path}:3: not valid UTF-8 (byte 0xe9 at byte 13 of the line); "
                                   "save the file as UTF-8; nothing was imported"]
    assert state(corpus) == before


def test_dry_run_reports_problems_too(corpus, tmp_path, run_cli):
    path = tmp_path / "t.csv"
    path.write_text("path,tag\nnope.txt,war\n")
    result = run_cli("import-tags", corpus.folder, path, "--dry-run")
    assert result.exit_code == 1 and result.exception.problems == [f"{path}:2: no document with path 'nope.txt'"]


def test_missing_file_and_unscanned_folder(corpus, make_corpus, tmp_path, run_main):
    assert_one_line_error(run_main("import-tags", corpus.folder, tmp_path / "nope.csv"), "nope.csv", "cannot read")
    fresh = make_corpus({"a.txt": "x"}, name="fresh")
    assert_one_line_error(run_main("import-tags", fresh, tmp_path / "nope.csv"), "annotations.db")
    assert not (fresh / "annotations.db").exists()


def test_undo_errors_are_one_line(corpus, run_main):
    assert_one_line_error(run_main("import-tags", corpus.folder, "--undo", "7"), "no import #7")


# -- another process holding the write lock --------------------------------------------------------------


@pytest.fixture
def held_lock(corpus):
    other = sqlite3.connect(corpus.db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("path,tag\nsouthfront/a.txt,war\nrt/c.txt,war\n")
    return path


def test_locked_database_fails_clearly_with_nothing_applied(corpus, held_lock, csv_file, run_main):
    before = state(corpus)
    result = run_main("import-tags", corpus.folder, csv_file, "--timeout", "0.3")
    assert_one_line_error(result, str(corpus.db_path), "locked")
    held_lock.execute("ROLLBACK")
    assert state(corpus) == before


def test_import_waits_for_the_lock_and_succeeds(corpus, held_lock, csv_file, run_main):
    def release() -> None:
        time.sleep(0.3)
        held_lock.execute("ROLLBACK")

    thread = threading.Thread(target=release)
    thread.start()
    try:
        result = run_main("import-tags", corpus.folder, csv_file, "--timeout", "5")
    finally:
        thread.join()
    assert (result.returncode, result.stderr) == (0, "")
    assert corpus.query("SELECT COUNT(*) AS n FROM document_tags WHERE import_id = 1") == [{"n": 2}]
