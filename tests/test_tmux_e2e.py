"""The real app in a real terminal (tmux), driven as a new user would drive it.

A green pilot test can hide a broken terminal: this runs ``python -m corpus_tui``
in tmux, types with send-keys, reads the screen with capture-pane, and checks
the database afterwards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import copy_seeds

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, command: list[str], width: int = 120, height: int = 40):
        self.name = f"corpus-tui-test-{uuid.uuid4().hex[:8]}"
        # A private server (-L): the developer's own tmux, or a kill-server in it, cannot touch this one.
        self.tmux = ["tmux", "-L", self.name]
        env = {"CORPUS_TUI_ANNOTATOR": "tmux-user", "TERM": "xterm-256color"}
        exports = " ".join(f"{key}={value}" for key, value in env.items())
        shell_command = exports + " " + " ".join(_quote(part) for part in command) + "; sleep 2"
        # The server's environment becomes the app's: without COLUMNS and LINES (pytest-xdist exports
        # 80x24), which Textual would take for the terminal's size over the window's.
        server_env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        shell_command], check=True, env=server_env)
        subprocess.run([*self.tmux, "set-option", "-t", self.name, "escape-time", "0"], check=False)
        self.socket = subprocess.run([*self.tmux, "display-message", "-p", "#{socket_path}"], capture_output=True,
                                     text=True).stdout.strip()

    def screen(self) -> str:
        result = subprocess.run([*self.tmux, "capture-pane", "-t", self.name, "-p"], capture_output=True, text=True)
        return result.stdout

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on screen:\n{self.screen()}")

    def keys(self, *keys: str, pause: float = 0.3) -> None:
        for key in keys:
            subprocess.run([*self.tmux, "send-keys", "-t", self.name, key], check=True)
            time.sleep(pause)

    def type(self, text: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True)
        time.sleep(0.3)

    def alive(self) -> bool:
        return subprocess.run([*self.tmux, "has-session", "-t", self.name], capture_output=True).returncode == 0

    def kill(self) -> None:
        pane = subprocess.run([*self.tmux, "display-message", "-p", "-t", self.name, "#{pane_pid}"],
                              capture_output=True, text=True).stdout.strip()
        left = _descendants(int(pane)) if pane.isdigit() else []
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
        # An app quitting as its terminal went can hang in Textual's shutdown (its output queue):
        # four were found alive two hours after their tests, on a loaded machine.
        deadline = time.monotonic() + 3
        while left and time.monotonic() < deadline:
            left = [pid for pid in left if Path(f"/proc/{pid}").exists()]
            time.sleep(0.1)
        for pid in left:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        if self.socket:  # tmux leaves its socket file behind: one a test, in /tmp, for ever
            Path(self.socket).unlink(missing_ok=True)


def _descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (Linux /proc; elsewhere none)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _quote(part: str) -> str:
    return "'" + part.replace("'", "'\\''") + "'"


@pytest.fixture
def tmux_app(tmp_path):
    sessions: list[Tmux] = []

    def start(folder: Path) -> Tmux:
        session = Tmux([sys.executable, "-m", "corpus_tui", str(folder)])
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.kill()


def test_new_user_session_in_a_real_terminal(tmp_path, tmux_app):
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    app = tmux_app(folder)
    app.wait_for("reviewed 0/5")
    app.wait_for("Video: Iraqi Forces Purging")
    app.keys("/")
    app.type("By [South")  # find puts the cursor on the byline paragraph "By [South Front](#)"
    app.wait_for("1 match")
    app.keys("Enter")  # back to the text, the match kept (as in vim and less) and shown in the top bar
    app.wait_for("/By [South 1/1")
    app.keys("b")  # a key for the text now, not a letter for the find box
    app.keys("t")
    app.wait_for("filter or new tag")
    app.type("iraq")
    app.keys("Enter")
    app.wait_for("[x] iraq")
    app.keys("Escape")
    app.keys("G", "k", "k", "a")  # a paragraph near the end
    app.wait_for("Annotate")
    app.type("CLAIM")
    app.keys("Enter")
    app.type("check this")
    app.keys("Enter")
    app.wait_for("Annotated as CLAIM")
    app.keys("r")
    app.wait_for("reviewed 1/5")
    app.keys("q")
    deadline = time.monotonic() + 15
    while app.alive() and "$" not in app.screen()[-5:] and time.monotonic() < deadline:
        time.sleep(0.2)

    db = sqlite3.connect(folder / "annotations.db")
    spans = db.execute('SELECT kind, label, note, quote, annotator FROM spans ORDER BY kind').fetchall()
    assert spans[0][:3] == ("annotation", "CLAIM", "check this") and spans[0][4] == "tmux-user"
    assert spans[1][0] == "boilerplate" and spans[1][3] == "By [South Front](#)"
    assert db.execute("SELECT t.name FROM document_tags JOIN tags t ON t.id = tag_id").fetchall() == [("iraq",)]
    assert db.execute("SELECT status FROM documents WHERE path LIKE '000_%'").fetchone() == ("reviewed",)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir() if p.suffix == ".txt"}
    assert after == before


def test_hostile_text_in_a_real_terminal(tmp_path, tmux_app):
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "doc.txt").write_text(
        "title line\n\x1b]0;PWNED\x07\x1b[2J\x1b[31mred [bold]x[/] [@click=app.quit]y[/]\ttab\n"
        "中文 😀 end\n", encoding="utf-8")
    app = tmux_app(folder)
    screen = app.wait_for("中文 😀 end")
    for literal in ("␛]0;PWNED␇␛[2J␛[31mred", "[bold]x[/]", "[@click=app.quit]y[/]→tab"):
        assert literal in screen
    app.keys("j", "j")
    assert app.alive() and "title line" in app.screen()  # nothing cleared the screen or quit
    title = subprocess.run([*app.tmux, "display-message", "-p", "-t", app.name, "#{pane_title}"],
                           capture_output=True, text=True).stdout
    assert "PWNED" not in title
    app.keys("q")


def test_repeats_view_in_a_real_terminal(tmp_path, tmux_app):
    """R lists the corpus's repeated passages; enter, then enter on a document, opens it at the copy."""
    folder = tmp_path / "site"
    folder.mkdir()
    for name in "abcd":
        (folder / f"{name}.txt").write_text(f"Story {name} begins here.\n\nSupport our work: donate today\n")
    app = tmux_app(folder)
    app.wait_for("reviewed 0/4")
    app.keys("R")
    # Only the view says this (the reader shows the passage and the list says "4 docs" too); a
    # view opened before the scan's end counts the repeats again when it ends.
    screen = app.wait_for("1 passage in 3 or more documents")
    assert "Support our work: donate today" in screen and "4 docs " in screen
    app.type("mu donate")  # the view opens in its filter box: m and u are letters there
    app.wait_for("0 passages in 3 or more documents")
    app.keys(*["BSpace"] * 9, pause=0.05)
    app.wait_for("1 passage in 3 or more documents")
    app.keys("Enter", "Enter")  # from the box to the list, then the passage's documents
    app.wait_for("is in 4 documents")
    app.keys("Down", "Down", "Enter")
    screen = app.wait_for("reviewed 0/4 · c.txt")
    assert "Support our work: donate today" in screen and app.alive()


def test_suggestions_in_a_real_terminal(tmp_path, tmux_app):
    """Suggested lines carry the margin marker; . goes to one, y marks it, the inspector says so."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Home\nNews\nSport\nContact\n\n"
        "The council met on Tuesday to discuss the new budget for the coming year, and members "
        "argued for hours about the cost of the bridge repairs.\n\n0 $\n2,500 $\n")
    app = tmux_app(folder)
    screen = app.wait_for(" 2▍News")  # the margin marker, in a real terminal; the title "Home" has none
    assert " 1 Home" in screen and " 8▍0 $" in screen
    app.keys(".", "y")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _boilerplate(folder):
        time.sleep(0.1)
    assert _boilerplate(folder) == [("News", "suggested: navigation: a run of short lines without sentence punctuation")]
    screen = app.screen()
    assert " 2 News" in screen and " 3▍Sport" in screen  # accepted: a mark now, no longer a suggestion
    assert app.alive() and "Traceback" not in screen


def test_near_duplicates_in_a_real_terminal(tmp_path, tmux_app):
    """The seeds' repost: the inspector names it, = shows the diff, D marks it, the list says dup."""
    folder = tmp_path / "seeds"
    shutil.copytree(Path(__file__).resolve().parents[1] / "seeds", folder,
                    ignore=shutil.ignore_patterns("annotations.db*"))
    app = tmux_app(folder)
    app.wait_for("reviewed 0/5")
    deadline = time.monotonic() + 30  # the list shows the two documents' cluster (rows fill in as they load)
    rows: list[str] = []
    while len(rows) < 2 and time.monotonic() < deadline:
        rows = [line for line in app.screen().splitlines() if " ≈1│" in line]
        time.sleep(0.1)
    assert len(rows) == 2 and "Video: Iraqi Force" in rows[0] and "date 2017-07-08 Po" in rows[1], rows
    app.keys("]")  # 001; the inspector shows at 120 columns
    app.wait_for("near-duplicates (1)")
    app.wait_for("containment 0.68)")  # after the path of 000, wrapped in the narrow inspector
    app.keys("=")
    screen = app.wait_for("containment 0.68, Jaccard 0.40")
    assert "- 001_07e63e06108ae30e.txt" in screen and "+ 000_017fdcef885307d4.txt" in screen
    app.keys("Escape", "D")
    screen = app.wait_for("marked a duplicate of")
    assert " dup│" in screen and app.alive() and "Traceback" not in screen  # the list row says dup


def _boilerplate(folder):  # type: ignore[no-untyped-def]
    from corpus_tui import Corpus

    with Corpus.open(folder, annotator="tester", create=False) as corpus:
        text = corpus.text(corpus.document_by_path("a.txt").id)
        return [(text[row["start"] : row["end"]], row["reason"])
                for row in corpus.query("SELECT start, \"end\", reason FROM spans WHERE kind = 'boilerplate'")]


def test_keys_typed_in_one_burst_after_slash_go_into_the_find_box(tmp_path, tmux_app):
    """A paste or a slow link delivers "/us" in one write: u must not undo, s must not sort."""
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    app = tmux_app(folder)
    app.wait_for("Video: Iraqi Forces Purging")
    app.keys("r")  # reviewed: what an undo would take back
    app.wait_for("reviewed 1/5")
    app.type("/Iraqi forc")
    screen = app.wait_for("1 match")
    assert "Sorted by" not in screen and "reviewed 1/5" in screen
    app.keys("Enter")
    app.type("tsyr")  # the tag picker's filter, typed before the picker is drawn
    app.wait_for("+ create “syr”")
    app.keys("Escape")
    app.keys("q")
    time.sleep(0.5)
    with sqlite3.connect(folder / "annotations.db") as db:
        assert db.execute("SELECT status FROM documents ORDER BY path LIMIT 1").fetchone() == ("reviewed",)
        assert [row[0] for row in db.execute("SELECT action FROM events WHERE action != 'scan'")] == ["status.set"]


def test_a_note_being_typed_survives_the_terminal_going_away(tmp_path, tmux_app):
    """The tmux session killed from outside (what an ssh link that drops does: SIGHUP) while a
    note is being typed: the draft is in the database, the session closed cleanly."""
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    app = tmux_app(folder)
    app.wait_for("Video: Iraqi Forces Purging")
    app.keys("m")
    app.wait_for("keeps the note")
    app.type("DRAFT typed before the link dropped")
    app.wait_for("DRAFT typed before")
    subprocess.run([*app.tmux, "kill-session", "-t", app.name], check=True)
    db_path = folder / "annotations.db"
    deadline = time.monotonic() + 15
    note = None
    while time.monotonic() < deadline:
        db = sqlite3.connect(db_path)
        note = db.execute("SELECT note FROM documents WHERE path LIKE '000_%'").fetchone()[0]
        sessions = db.execute("SELECT COUNT(*) FROM corpus_state WHERE key LIKE 'session:%'").fetchone()[0]
        db.close()
        if note and not sessions:
            break
        time.sleep(0.2)
    assert note == "DRAFT typed before the link dropped"
    assert sessions == 0
