"""The command line on a terminal: text from documents never reaches it as terminal commands.

A file name, title, tag, label or YAML error holding ESC or BEL would retitle the
window, recolour or hide output. On a terminal (a pseudo-terminal here, as a
user's shell has) every control character shows as the app's visible glyph; in a
file or a pipe the data stays byte-exact; messages on stderr are always one line.
"""

from __future__ import annotations

import csv
import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_tui import Corpus

TITLE = "Title \x1b]0;PWNED\x07 and \x1b[2J cleared"
SHOWN_TITLE = "Title ␛]0;PWNED␇ and ␛[2J cleared"
RAW = (b"\x1b", b"\x07", b"\xc2\x9b")  # ESC, BEL, and CSI (U+009B, in UTF-8)


def run_on_terminal(*args: object, stdin: bytes | None = None) -> tuple[int, bytes]:
    """The real command with stdout and stderr on a pseudo-terminal; (exit code, all it showed)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "corpus_tui", *[str(a) for a in args]],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, stdout=slave, stderr=slave,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "TERM": "xterm"},
    )
    os.close(slave)
    if stdin is not None:
        assert process.stdin is not None
        process.stdin.write(stdin)
        process.stdin.close()
    shown = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return process.wait(60), bytes(shown)


def run_piped(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "corpus_tui", *[str(a) for a in args]], capture_output=True,
                          timeout=60, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def assert_no_raw_controls(shown: bytes) -> None:
    for raw in RAW:
        assert raw not in shown, shown


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A corpus whose file name, title (front matter), tag and label hold terminal commands."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.md").write_text(f"---\ntitle: {TITLE!r}\n---\nBody text here.\n".replace("'", '"'),
                                 encoding="utf-8")
    (folder / "14_\x1b]0;SCANTITLE\x07.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    (folder / "b.txt").write_text("Plain \x1b[31mred\x1b[0m text.\n", encoding="utf-8")
    with Corpus.open(folder) as corpus:
        corpus.scan()
        doc = corpus.document_by_path("a.md")
        # Names an older version let in (they are refused where made now): still shown safely.
        corpus.add_tag(doc.id, "placeholder", create=True)
        span = corpus.add_annotation(doc.id, 0, 4, "placeholder")
        with corpus.write():
            corpus.db.execute("UPDATE tags SET name = ?, key = ? WHERE name = 'placeholder'",
                              ["tag\x1b]0;TAGTITLE\x07"] * 2)
            corpus.db.execute("UPDATE spans SET label = ? WHERE id = ?", ["LABEL\x1b[31m", span.id])
    return folder


def test_a_file_name_in_a_scan_warning_cannot_retitle_the_terminal(tmp_path):
    """The issue's repro: bad YAML in a file whose name holds an OSC title sequence."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "14_\x1b]0;SCANTITLE\x07.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    code, shown = run_on_terminal("scan", folder)
    assert code == 0
    assert_no_raw_controls(shown)
    assert "14_␛]0;SCANTITLE␇.md".encode() in shown and b"warning:" in shown


def test_the_same_warning_in_a_pipe_is_one_line_with_the_same_glyphs(tmp_path):
    """Messages are for people: one line each, on a terminal or in a log file."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "x\n\x1b[2Jy.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    result = run_piped("scan", folder)
    (warning,) = result.stderr.decode().splitlines()
    assert warning.startswith("warning: x␊␛[2Jy.md")


def test_csv_export_on_a_terminal_shows_glyphs_and_in_a_pipe_is_byte_exact(hostile):
    code, shown = run_on_terminal("export", hostile, "-f", "csv")
    assert code == 0
    assert_no_raw_controls(shown)
    assert SHOWN_TITLE.encode() in shown and "14_␛]0;SCANTITLE␇.md".encode() in shown
    piped = run_piped("export", hostile, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(piped.stdout.decode("utf-8"))))
    assert TITLE in [row["title"] for row in rows]
    assert "14_\x1b]0;SCANTITLE\x07.md" in [row["path"] for row in rows]


@pytest.mark.parametrize("fmt", ["jsonl", "prodigy", "doccano", "csv"])
def test_every_stream_format_on_a_terminal_shows_no_raw_controls(hostile, fmt):
    code, shown = run_on_terminal("export", hostile, "-f", fmt)
    assert code == 0 and shown
    assert_no_raw_controls(shown)


def test_tags_list_and_tag_messages_on_a_terminal(hostile):
    code, shown = run_on_terminal("tags", "list", hostile)
    assert code == 0
    assert_no_raw_controls(shown)
    assert "tag␛]0;TAGTITLE␇".encode() in shown
    code, shown = run_on_terminal("tags", "add", hostile, "new\x07tag")  # refused, quoted with the app's glyph
    assert code == 1 and "tag 'new␇tag' holds a control character (␇)".encode() in shown
    assert_no_raw_controls(shown)
    piped = run_piped("tags", "list", hostile)
    assert b"tag\x1b]0;TAGTITLE\x07" in piped.stdout  # a pipe gets the name as it is


def test_a_pipe_gets_ansi_sequences_in_names_as_they_are(hostile):
    """click.echo strips CSI sequences (ESC [ ... m) from what is not a terminal: data must not lose them."""
    with Corpus.open(hostile) as corpus:  # a name an older version let in
        corpus.add_tag(corpus.document_by_path("b.txt").id, "placeholder", create=True)
        with corpus.write():
            corpus.db.execute("UPDATE tags SET name = ?, key = ? WHERE name = 'placeholder'", ["evil\x1b[31mred"] * 2)
    piped = run_piped("tags", "list", hostile)
    assert b"evil\x1b[31mred  " in piped.stdout  # the name whole, and its column as wide as the name
    piped = run_piped("stats", hostile)
    assert b"evil\x1b[31mred" in piped.stdout
    code, shown = run_on_terminal("tags", "list", hostile)
    assert code == 0 and "evil␛[31mred".encode() in shown


def test_an_error_naming_a_hostile_path_is_one_safe_line(tmp_path):
    missing = tmp_path / "gone\x1b]0;ERR\x07\nsecond line"
    code, shown = run_on_terminal("stats", missing)
    assert code != 0
    assert_no_raw_controls(shown)
    lines = shown.decode().splitlines()
    assert len(lines) == 1 and "gone␛]0;ERR␇␊second line: no such folder" in lines[0]


def test_import_tags_problems_name_hostile_paths_safely(hostile):
    rows = "path,tag\nno\x1b]0;ROW\x07such.txt,x\n".encode()
    code, shown = run_on_terminal("import-tags", hostile, "-", "--format", "csv", stdin=rows)
    assert code != 0
    assert_no_raw_controls(shown)
    assert "no document with path 'no␛]0;ROW␇such.txt'".encode() in shown  # with the app's glyphs


def test_the_glyphs_are_the_apps(hostile):
    """One mapping for both faces: what the CLI prints on a terminal is what the app draws."""
    from corpus_tui.core.safe_text import for_terminal, visible

    text = "a\x1b\x07\x7f\x9b\u202eb"
    assert for_terminal(text) == visible(text) == "a␛␇␡�▯b"
    assert for_terminal("x\ty\n") == "x\ty\n" and visible("x\ty\n") == "x→y␊"
