"""Every failure a user can cause: one stderr line naming the path, non-zero exit.

These run the console entry point's ``main()``, where the one-line translation happens: in
this process (``run_main``), and for a few, as a user runs it (``python -m corpus_tui``,
``run_script``).
"""

from __future__ import annotations

import pytest

from conftest import assert_one_line_error


@pytest.mark.parametrize("command", ["scan", "stats"])
def test_folder_does_not_exist(tmp_path, run_main, command):
    missing = tmp_path / "no-such-folder"
    result = run_main(command, missing)
    assert_one_line_error(result, str(missing), "no such folder")
    assert not missing.exists()


@pytest.mark.parametrize("command", ["scan", "stats"])
def test_file_given_where_folder_expected(make_corpus, run_main, command):
    folder = make_corpus({"a.txt": "text"})
    result = run_main(command, folder / "a.txt")
    assert_one_line_error(result, str(folder / "a.txt"), "not a folder")
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt"]


def test_folder_without_documents_changes_nothing(tmp_path, run_main):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "picture.png").write_bytes(b"\x89PNG")
    result = run_main("scan", folder)
    assert_one_line_error(result, str(folder), "no documents")
    assert sorted(p.name for p in folder.iterdir()) == ["picture.png"]
    assert not (folder / "annotations.db").exists()


def test_stats_on_never_scanned_folder(make_corpus, run_main):
    folder = make_corpus({"a.txt": "text"})
    result = run_main("stats", folder)
    assert_one_line_error(result, str(folder / "annotations.db"), "scan")
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt"]


def test_set_encoding_on_never_scanned_folder(make_corpus, run_main):
    folder = make_corpus({"a.txt": "text"})
    result = run_main("set-encoding", folder, "a.txt", "latin-1")
    assert_one_line_error(result, str(folder / "annotations.db"))
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt"]


def test_set_encoding_unknown_document(make_corpus, run_cli, run_main):
    folder = make_corpus({"a.txt": "text"})
    assert run_cli("scan", folder).exit_code == 0
    result = run_main("set-encoding", folder, "nope.txt", "latin-1")
    assert_one_line_error(result, "nope.txt")


def test_db_in_missing_folder(make_corpus, tmp_path, run_main):
    folder = make_corpus({"a.txt": "text"})
    db = tmp_path / "missing-dir" / "x.db"
    result = run_main("scan", folder, "--db", db)
    assert_one_line_error(result, str(db.parent))
    assert not db.parent.exists()


def test_successful_scan_writes_nothing_to_stderr(seeds_copy, run_script):
    result = run_script("scan", seeds_copy)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("5 added")


def test_db_that_is_a_folder(seeds_copy, tmp_path, run_script):
    folder_db = tmp_path / "a-folder"
    folder_db.mkdir()
    result = run_script("scan", seeds_copy, "--db", folder_db)
    assert_one_line_error(result, str(folder_db))


def test_open_on_a_folder_without_documents_creates_nothing(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "empty"
    folder.mkdir()
    result = subprocess.run([sys.executable, "-m", "corpus_tui", "open", str(folder)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "no documents found" in result.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("args", "wanted"), [
    (["repeats", "F", "--min-docs", "abc"], "'--min-docs': takes a whole number, 2 or more, not 'abc'"),
    (["repeats", "F", "--min-docs", ""], "'--min-docs': takes a whole number, 2 or more, not ''"),
    (["repeats", "F", "--min-docs", "2\n\x1b[31m"], "not '2 ␛[31m'"),  # one line, no escape reaches the terminal
    (["repeats", "F", "--min-docs", "1"], "'--min-docs': takes a whole number, 2 or more, not 1"),
    (["repeats", "F", "--limit", "0"], "'--limit': takes a whole number, 1 or more, not 0"),
    (["suggest", "F", "--min-score", "1.5"], "'--min-score': takes a number, from 0 to 1, not 1.5"),
    (["duplicates", "F", "--threshold", "0.1"], "'--threshold': takes a number, from 0.3 to 1, not 0.1"),
    (["export", "F", "-o", "out.jsonl", "-j", "0"], "takes a whole number, from 1 to "),
    (["stats", "F", "--timeout", "-1"], "'--timeout': takes a number, from 0 to 86400, not -1"),
    (["stats", "F", "--timeout", "nan"], "'--timeout': takes a number, from 0 to 86400, not nan"),
    (["stats", "F", "--timeout", "inf"], "not inf"),
    (["suggest", "F", "--min-score", "nan"], "'--min-score': takes a number, from 0 to 1, not nan"),
    (["rules", "remove", "F", "seven"], "'ID': takes a whole number, 1 or more, not 'seven'"),
    (["import-tags", "F", "--undo", "x"], "'--undo': takes a whole number, 1 or more, not 'x'"),
])
def test_number_options_say_what_they_take(args, wanted):
    """Not click's "'abc' is not a valid integer range" or "1 is not in the range x>=2"."""
    import click

    from corpus_tui.cli import cli

    with pytest.raises(click.BadParameter) as raised:
        cli.main(args, standalone_mode=False)
    assert wanted in raised.value.format_message()


def test_a_number_option_error_is_one_line_and_help_shows_the_range_in_words(tmp_path, run_main):
    result = run_main("repeats", tmp_path, "--min-docs", "abc")
    assert_one_line_error(result, "takes a whole number, 2 or more, not 'abc'")
    assert result.returncode == 2
    shown = " ".join(run_main("repeats", "--help").stdout.split())
    assert "--min-docs NUMBER" in shown and "[default: 3; 2 or more]" in shown


def test_scan_without_a_folder_is_refused_and_writes_nothing(make_corpus, run_main):
    """A scan writes a database into its folder: typed without one, it did so into the current
    folder, recursively (a new user's other corpora and export folders became documents)."""
    folder = make_corpus({"a.txt": "text"})
    result = run_main("scan", cwd=folder)
    assert_one_line_error(result, "Missing argument 'FOLDER'")
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt"]


def test_ctrl_c_while_the_cli_loads_is_one_line_not_a_traceback(monkeypatch, capsys):
    """Interrupted in its first third of a second (importing its modules), a command printed a
    KeyboardInterrupt traceback instead of the one line every other interrupt gets. (Before
    Python has found the entry module, an interrupt is Python's own.)"""
    import sys

    from corpus_tui import entry

    class Interrupted:  # Ctrl-C arriving while the CLI's modules are imported
        def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
            if name == "corpus_tui.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "corpus_tui.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupted(), *sys.meta_path])
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == 130 and capsys.readouterr().err == "corpus-tui: interrupted\n"


def test_ctrl_c_in_a_command_is_said_one_way(monkeypatch, capsys, seeds_copy):
    """Inside a command click turned Ctrl-C into Abort after an empty line: the same interrupt
    was "corpus-tui: interrupted" or a blank line and "corpus-tui: aborted" (a trial)."""
    import sys

    from corpus_tui import cli as cli_module
    from corpus_tui.core import Corpus

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(Corpus, "stats", interrupted)
    monkeypatch.setattr(sys, "argv", ["corpus-tui", "stats", str(seeds_copy)])
    Corpus.open(seeds_copy).close()
    with pytest.raises(SystemExit) as stopped:
        cli_module.main()
    assert stopped.value.code == 130 and capsys.readouterr().err == "corpus-tui: interrupted\n"


@pytest.mark.parametrize("args", [
    ["tags", "add", "{folder}", "a\udcffb"],
    ["repeats", "{folder}", "--contains", "a\udcffb"],
    ["export", "{folder}", "-o", "-", "--tag", "a\udcffb"],
    ["import-tags", "{folder}", "{surrogate}", "--create-tags"],
])
def test_a_value_that_is_not_text_is_one_line_and_changes_nothing(seeds_copy, run_main, tmp_path, args):
    """An argument that is not UTF-8 (the shell passes its bytes as surrogates) or "\\ud800" in a
    JSON file: a 40-line traceback (a trial)."""
    assert run_main("scan", seeds_copy).returncode == 0
    surrogate = tmp_path / "tags.jsonl"
    surrogate.write_text('{"path": "000_017fdcef885307d4.txt", "tags": ["\\ud800"]}\n')
    before = (seeds_copy / "annotations.db").read_bytes()
    result = run_main(*[arg.format(folder=seeds_copy, surrogate=surrogate) for arg in args])
    assert_one_line_error(result, "which is not text")
    assert (seeds_copy / "annotations.db").read_bytes() == before


@pytest.mark.parametrize("command", [["stats"], ["check"], ["tags", "list"], ["export", "-o", "-"], ["repeats"]])
def test_an_empty_database_file_is_no_corpus_and_is_left_empty(seeds_copy, run_main, tmp_path, command):
    """`: > e.db; corpus-tui check c --db e.db` wrote a whole schema into it (check "writes
    nothing") and stats said "documents: 0" (a trial)."""
    empty = tmp_path / "e.db"
    empty.write_bytes(b"")
    result = run_main(*command[:1], *command[1:2] if command[0] == "tags" else (), seeds_copy,
                      *command[2 if command[0] == "tags" else 1:], "--db", empty)
    said = result.stderr + result.stdout if command == ["check"] else result.stderr  # check: its problems on stdout
    assert result.returncode != 0 and "holds no corpus yet" in said
    assert said.count("\n") == 1 and "Traceback" not in result.stderr
    assert empty.read_bytes() == b""


@pytest.mark.parametrize("value", ["'abc'", "-1", "2.5"])
def test_a_schema_version_that_is_no_version_number_is_one_line(seeds_copy, run_main, value):
    import sqlite3

    assert run_main("scan", seeds_copy).returncode == 0
    db = seeds_copy / "annotations.db"
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE schema_version SET version = {value}")
    conn.close()
    before = db.read_bytes()
    for command in (["stats", seeds_copy], ["scan", seeds_copy], ["tags", "add", seeds_copy, "x"]):
        assert_one_line_error(run_main(*command), "not a corpus-tui version")
    assert db.read_bytes() == before
