"""The app while other processes write the same corpus, after a crash, and on
database errors (issue 9, parts 1, 3 and 4)."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys

import pytest

from corpus_tui import Corpus
from corpus_tui.core import sessions
from corpus_tui.core.errors import DamagedWal
from tui_support import FIRST, SECOND, app_on, db_rows, seeds_copy, settle

SESSION_CHILD = """
import sys, time
from corpus_tui import Corpus
from corpus_tui.core.sessions import begin_session
c = Corpus.open(sys.argv[1], annotator="crashed")
begin_session(c)
for i in range(30):
    c.add_annotation(1, 0, 5, "ACKED%d" % i)
print("acked", flush=True)
time.sleep(60)
"""


async def to_first_paragraph(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """The reader's cursor down to the first paragraph (off the blank line under the title)."""
    app.reader.focus()
    while app.reader.target() is None:
        await pilot.press("j")


def messages(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications]


def other_process(folder, code: str) -> None:  # type: ignore[no-untyped-def]
    preamble = f"from corpus_tui import Corpus\nc = Corpus.open({str(folder)!r}, annotator='cli')\n"
    subprocess.run([sys.executable, "-c", preamble + code], check=True, timeout=60)


async def test_every_process_keeps_its_writes_and_the_app_sees_the_others(tmp_path):
    """With the app open, 'tags add' from a shell was lost when the app quit."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        assert app.doc is not None and app.doc.path == FIRST
        await pilot.press("r")  # the app's own write
        subprocess.run([sys.executable, "-m", "corpus_tui", "tags", "add", str(folder), "clitag"],
                       check=True, capture_output=True)
        other_process(folder, f"d = c.document_by_path({SECOND!r})\nc.add_tag(d.id, 'fromcli')\n"
                              "c.add_annotation(d.id, 0, 5, 'CLI')")
        await pilot.press("]")  # moving to a document shows what others wrote there
        await settle(pilot, app)
        assert app.doc is not None and app.doc.path == SECOND
        assert [span.label for span in app.reader.spans if span.kind == "annotation"] == ["CLI"]
        assert [tag.name for tag in app._inspected[1]] == ["fromcli"]
        other_process(folder, f"d = c.document_by_path({SECOND!r})\nc.set_status(d.id, 'reviewed')")
        await pilot.press("ctrl+l")  # and a reload shows the rest
        await settle(pilot, app)
        assert app._progress == (2, 5)
        assert app.doc.status == "reviewed"
        await pilot.press("q")
    tags = {row["name"] for row in db_rows(folder, "SELECT name FROM tags")}
    assert tags == {"clitag", "fromcli"}
    reviewed = db_rows(folder, "SELECT path FROM documents WHERE status = 'reviewed' ORDER BY path")
    assert [row["path"] for row in reviewed] == [FIRST, SECOND]
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM events WHERE action = 'tag.add'")[0]["n"] == 1
    with sqlite3.connect(folder / "annotations.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_b_never_removes_a_mark_another_process_made_since_the_screen_was_drawn(tmp_path):
    """b decided mark or unmark from the database: pressed to mark a paragraph another
    process had just marked, it removed that mark, and the screen showed no change."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        assert app.doc is not None and app.doc.path == FIRST
        app.reader.focus()
        while app.reader.target() is None:  # off the blank line under the title
            await pilot.press("j")
        start, end = app.reader.target()  # the paragraph under the cursor, shown unmarked
        other_process(folder, f"d = c.document_by_path({FIRST!r})\nc.mark_boilerplate(d.id, {start}, {end}, 'bob')")
        await pilot.press("b")
        await settle(pilot, app)
        assert any("Not changed: marked by another process" in m for m in messages(app))
        assert [(s.start, s.end, s.reason) for s in app.reader.spans if s.kind == "boilerplate"] == [
            (start, end, "bob")]  # redrawn: the screen now shows the other's mark
        await pilot.press("b")  # pressed again, on what the screen now shows: unmarks
        await settle(pilot, app)
        assert not [s for s in app.reader.spans if s.kind == "boilerplate"]
        await pilot.press("q")
    actions = [row["action"] for row in db_rows(folder, "SELECT action FROM events ORDER BY id")]
    assert actions[-2:] == ["boilerplate.mark", "boilerplate.unmark"]


async def test_b_on_a_text_another_process_rescanned_since_it_was_shown_marks_nothing(tmp_path):
    """The file changed and another process scanned it: the offsets on screen are the old text's.
    b used to mark them in the new text (another passage); now it changes nothing, says so, and
    the reader shows the text as it is."""
    import os

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await to_first_paragraph(pilot, app)
        file = folder / FIRST
        file.write_text("A new first line pushed in\n\n" + file.read_text(encoding="utf-8"), encoding="utf-8")
        os.utime(file, ns=(1, 1))
        other_process(folder, "c.scan()")
        await pilot.press("b")
        await settle(pilot, app)
        assert any("Not changed: the document changed on disk since it was shown" in m for m in messages(app))
        assert app.reader.text.startswith("A new first line pushed in")
        await pilot.press("q")
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM spans") == [{"n": 0}]


async def test_b_on_a_paragraph_another_process_marked_in_part_since_it_was_shown_marks_nothing(tmp_path):
    """Shown unmarked, then a line of it marked elsewhere: b marked the whole paragraph (lines the
    analyst had rejected included) for what the other process did, and said nothing."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await to_first_paragraph(pilot, app)
        start, end = app.reader.target()
        half = start + (end - start) // 2
        other_process(folder, f"d = c.document_by_path({FIRST!r})\nc.mark_boilerplate(d.id, {start}, {half}, 'bob')")
        await pilot.press("b")
        await settle(pilot, app)
        assert any("marked or unmarked in part by another process" in m for m in messages(app))
        assert [(s.start, s.end) for s in app.reader.spans if s.kind == "boilerplate"] == [(start, half)]
        await pilot.press("q")
    assert db_rows(folder, "SELECT start, \"end\" FROM spans") == [{"start": start, "end": half}]


def _rescanned_elsewhere(folder) -> None:  # type: ignore[no-untyped-def]
    import os

    file = folder / FIRST
    file.write_text("A new first line pushed in, quite a long one to shift\n\n" + file.read_text(encoding="utf-8"),
                    encoding="utf-8")
    os.utime(file, ns=(1, 1))
    other_process(folder, "c.scan()")


@pytest.mark.parametrize("keys", [("a", *"LBL", "enter", "enter"), ("B",), ("d",)])
async def test_keys_taking_offsets_refuse_a_text_another_process_rescanned_since_it_was_shown(tmp_path, keys):
    """a (its box open while the other process scanned), B and d wrote the old text's offsets into
    the new one: an annotation on another sentence, a mark from mid-title to the end."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app, lambda: bool(app.suggestions))
        app.reader.focus()
        if keys == ("d",):
            app.reader.move_to(app.suggestions[0].start)
        else:
            while app.reader.target() is None:
                await pilot.press("j")
        await pilot.press(*keys[:-1])
        _rescanned_elsewhere(folder)  # with the box open, for a
        await pilot.press(keys[-1])
        await settle(pilot, app)
        assert any("the document changed on disk since it was shown" in m for m in messages(app))
        await pilot.press("escape", "q")
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM spans") == [{"n": 0}]
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM suggestion_rejections") == [{"n": 0}]


async def test_x_removes_the_span_shown_under_the_cursor_or_refuses_a_text_rescanned_since(tmp_path):
    """x picked the span by the cursor's offset in the database's text: rescanned by another
    process, that offset was inside another annotation, which x removed (a code review)."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        document = corpus.document_by_path(FIRST)
        shift = len("A new first line pushed in, quite a long one to shift\n\n")  # _rescanned_elsewhere's
        corpus.add_annotation(document.id, 200, 210, "ALPHA")
        corpus.add_annotation(document.id, 200 - shift - 3, 200 - shift + 5, "BETA")  # where 201 falls after it
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        app.reader.focus()
        app.reader.move_to(201)
        _rescanned_elsewhere(folder)
        await pilot.press("x")
        await settle(pilot, app)
        assert any("the document changed on disk since it was shown" in m for m in messages(app))
        assert sorted(s.label for s in app.reader.spans) == ["ALPHA", "BETA"]  # the screen shows the new text
        app.reader.move_to(next(s.start for s in app.reader.spans if s.label == "ALPHA") + 1)
        await pilot.press("x")
        await settle(pilot, app)
        await pilot.press("q")
    assert db_rows(folder, "SELECT label FROM spans") == [{"label": "BETA"}]


async def test_x_on_a_mark_another_process_merged_since_says_so(tmp_path):
    """The mark under the cursor was merged with the next line's by another process (a new row):
    x said "Not saved: no span with id 1" (a code review)."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        document = corpus.document_by_path(FIRST)
        text = corpus.text(document.id)
        line = text.index("Global Research")
        corpus.mark_boilerplate(document.id, line, text.index("\n", line))
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        app.reader.move_to(line + 3)
        other_process(folder, f"d = c.document_by_path({FIRST!r})\nt = c.text(d.id)\n"
                              f"c.mark_boilerplate(d.id, {text.index(chr(10), line)}, t.index(chr(10), "
                              f"{text.index(chr(10), line) + 2}))")
        await pilot.press("x")
        await settle(pilot, app)
        assert any(m.startswith("Not changed: removed or changed by another process since it was shown")
                   for m in messages(app)), messages(app)
        await pilot.press("q")
    assert len(db_rows(folder, "SELECT id FROM spans")) == 1


async def test_an_annotation_refused_for_a_rescanned_text_keeps_what_was_typed_for_the_next_a(tmp_path):
    """The refusal closed the box and the label and note typed were gone (a new user's trial)."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await to_first_paragraph(pilot, app)
        await pilot.press("a", *"claim", "tab", *"my note")
        _rescanned_elsewhere(folder)
        await pilot.press("enter", "enter")
        await settle(pilot, app)
        assert any("What you typed is kept" in m for m in messages(app))
        await to_first_paragraph(pilot, app)
        await pilot.press("a")
        await settle(pilot, app)
        assert (app.screen.query_one("#label").value, app.screen.query_one("#note").value) == ("claim", "my note")
        await pilot.press("enter", "enter")
        await settle(pilot, app)
        await pilot.press("q")
    assert db_rows(folder, "SELECT label, note FROM spans") == [{"label": "claim", "note": "my note"}]


async def test_accepting_suggestions_another_process_marked_already_says_so(tmp_path):
    """Y said "Accepted 1 suggestion (0 ranges marked; u undoes them all)" and wrote no undo
    step, so u undid the other process's batch; y said nothing at all."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app, lambda: bool(app.suggestions))
        other_process(folder, f"c.apply_suggestions(paths=[{FIRST!r}])")
        await pilot.press("Y")
        await settle(pilot, app)
        assert any("marked by another process since they were shown" in m for m in messages(app))
        assert not any(m.startswith("Accepted") for m in messages(app))
        await pilot.press("q")
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM events WHERE action = 'suggestion.accept'") == [{"n": 1}]


async def test_a_database_error_is_shown_and_the_app_goes_on(tmp_path, monkeypatch):
    """'disk I/O error' after an edit crashed the app, and corpus-tui exited 0."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)

        def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(app.corpus, "toggle_boilerplate", broken)
        app.reader.move_to(app.reader.text.index("Global Research"))
        await pilot.pause()
        await pilot.press("b")
        assert app.is_running
        assert any("disk I/O error" in m and "annotations.db" in m for m in messages(app)), messages(app)
        monkeypatch.setattr("corpus_tui.tui.app.list_documents", broken)
        await pilot.press("ctrl+l")  # the same from a worker thread
        await pilot.pause(0.3)
        assert app.is_running
        monkeypatch.undo()
        await pilot.press("r")
        await settle(pilot, app)
    assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,))[0]["status"] == "reviewed"
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM spans")[0]["n"] == 0


def test_the_app_exits_non_zero_when_it_stops_on_an_error(tmp_path, monkeypatch):
    from corpus_tui.tui import launch

    folder = seeds_copy(tmp_path)
    app = app_on(folder)

    def failing_run(*args, **kwargs):  # type: ignore[no-untyped-def]
        app._return_code = 1

    monkeypatch.setattr(app, "run", failing_run)
    monkeypatch.setattr(launch, "make_app", lambda *args, **kwargs: app)
    with pytest.raises(SystemExit) as stopped:
        launch.run_app(folder)
    assert stopped.value.code == 1


async def test_a_clean_session_leaves_no_trace_and_the_next_start_checks_nothing(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        assert db_rows(folder, "SELECT key FROM corpus_state WHERE key LIKE 'session:%'") != []
        await pilot.press("q")
    assert db_rows(folder, "SELECT key FROM corpus_state WHERE key LIKE 'session:%'") == []
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        assert app._unclean_check is None
        assert not any("did not close cleanly" in m for m in messages(app))


def _crash_a_session(folder) -> int:  # type: ignore[no-untyped-def]
    """A process opens a session, commits 30 acknowledged annotations, and is killed."""
    child = subprocess.Popen([sys.executable, "-c", SESSION_CHILD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "acked"
    child.send_signal(signal.SIGKILL)
    child.wait()
    return child.pid


async def test_after_a_crash_the_next_start_checks_and_finds_nothing_wrong(tmp_path):
    folder = seeds_copy(tmp_path)
    pid = _crash_a_session(folder)
    assert db_rows(folder, "SELECT key FROM corpus_state WHERE key LIKE 'session:%'") == [
        {"key": f"session:{socket.gethostname()}:{pid}"}
    ]
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app, lambda: any("did not close cleanly" in m for m in messages(app)))
        assert any("no problems" in m for m in messages(app))
        await pilot.press("q")
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM spans")[0]["n"] == 30
    assert db_rows(folder, "SELECT key FROM corpus_state WHERE key LIKE 'session:%'") == []


def test_after_a_crash_a_damaged_wal_stops_the_app_before_it_opens(tmp_path):
    """SQLite silently ignores a WAL with a garbage header: acknowledged actions vanish,
    and the app's first write or its close would erase the evidence. corpus-tui cannot
    bring them back, but refuses to start, in one line, leaving the log as it was."""
    folder = seeds_copy(tmp_path)
    _crash_a_session(folder)
    wal = folder / "annotations.db-wal"
    # No process has the database open now: damaging the header is safe to do with open().
    with open(wal, "r+b") as handle:
        handle.write(b"\x00garbage" * 4)
    damaged = wal.read_bytes()
    result = subprocess.run([sys.executable, "-m", "corpus_tui", str(folder)], capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode != 0 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"corpus-tui: error: {wal}: the WAL header is damaged") and "corpus-tui check" in line
    assert wal.read_bytes() == damaged
    with pytest.raises(DamagedWal):
        app_on(folder)
    assert wal.read_bytes() == damaged


def test_unclean_sessions_ignore_running_processes_and_other_hosts(tmp_path):
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder) as corpus:
        mine = sessions.begin_session(corpus)
        done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
        dead = f"session:{socket.gethostname()}:{int(done.stdout)}"
        corpus.set_states({dead: json.dumps({}), "session:elsewhere:1": "{}"})
        assert sessions.unclean_sessions(corpus) == [dead]
        sessions.end_session(corpus, mine)
        assert corpus.get_state(mine) is None


async def test_an_unreadable_document_is_not_taken_for_one_changed_on_disk(tmp_path):
    """It has no text row: its version read with the text was none, so every redraw took it for
    a file another process had rescanned, and said so."""
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_bytes(b"PK\x00\x01 binary")
    (tmp_path / "c" / "b.txt").write_text("Hello\n\nworld\n")
    with Corpus.open(tmp_path / "c") as corpus:
        corpus.scan()
        unreadable = corpus.document_by_path("a.txt").id
    app = app_on(tmp_path / "c")
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot, app)
        app.open_document(unreadable)
        app.refresh_panels()
        await pilot.pause()
        assert app._banner is not None and app._banner.startswith("Unreadable: binary file")
        await pilot.press("q")


async def test_a_note_another_window_saved_meanwhile_is_not_replaced_unasked(tmp_path):
    """Two windows editing one note: the last esc replaced the other's text, and nobody was told."""
    from corpus_tui.tui.screens.note import NoteDialog

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("m")
        other_process(folder, f"d = c.document_by_path({FIRST!r})\nc.set_note(d.id, 'written in B')")
        await pilot.press(*"mine", "escape")
        await settle(pilot, app)
        assert isinstance(app.screen, NoteDialog)  # still open, with the text typed
        assert any("the note was changed by another process since the editor opened (it now reads 'written in B')"
                   in m for m in messages(app))  # theirs, which the dialog hides from the inspector
        assert db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,)) == [{"note": "written in B"}]
        # Changed again before the second esc: that esc answered for B's text, not for C's
        # (the second esc used to replace whatever was there, unchecked).
        other_process(folder, f"d = c.document_by_path({FIRST!r})\nc.set_note(d.id, 'written in C')")
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, NoteDialog)
        assert db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,)) == [{"note": "written in C"}]
        await pilot.press("escape")  # asked and answered: this text over theirs
        await settle(pilot, app)
        assert not isinstance(app.screen, NoteDialog)
        await pilot.press("q")
    assert db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,)) == [{"note": "mine"}]


async def test_a_tag_colour_set_from_the_cli_shows_in_the_list_at_the_next_document(tmp_path):
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.add_tag(corpus.document_by_path(FIRST).id, "iraq")
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app, lambda: len(app.doclist.rows) == 5)
        other_process(folder, "c.update_tag('iraq', color='green')")  # as 'tags set --color' does
        await pilot.press("]")
        await settle(pilot, app)
        chips = {seg.text.strip(): seg.style for seg in app.doclist.render_line(0) if seg.text.strip().startswith("#")}
        assert chips["#iraq"].color.name == "green"
        await pilot.press("q")


async def test_typing_in_the_tag_picker_does_not_flip_a_tag_another_process_changed_unseen(tmp_path):
    """Typing "syr" re-read the document's tags: the row flipped to [x] syria, unseen when typed
    fast, and enter removed the tag an import had just added (a new user's trial). A name typed
    with two spaces was offered as a new tag, then refused as changed elsewhere (a code review)."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.create_tag("syria")
        corpus.add_tag(corpus.document_by_path(FIRST).id, "civil war")
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await settle(pilot, app)
        other_process(folder, f"d = c.document_by_path({FIRST!r})\nc.add_tag(d.id, 'syria')")
        await pilot.press(*"syr")
        assert "[ ] syria" in str(app.screen.query_one("#tag-options").get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot, app)
        assert any("Not changed: tag 'syria' was added by another process since it was shown" in m
                   for m in messages(app))
        await pilot.press(*"civil  war")
        assert str(app.screen.query_one("#tag-options").get_option_at_index(0).prompt).startswith("[x] civil war")
        await pilot.press("enter", "escape")
        await settle(pilot, app)
    names = db_rows(folder, "SELECT t.name FROM document_tags dt JOIN tags t ON t.id = dt.tag_id")
    assert names == [{"name": "syria"}]


async def test_a_tag_key_never_reverses_a_tag_another_process_changed_since_it_was_shown(tmp_path):
    """The picker showed [x] iraq, another process removed it, enter (meant: remove) added it back,
    silently; a hotkey did the same to a tag added elsewhere (a new user's trial). Now nothing
    changes, the app says so, and the picker and inspector show the tag as it is."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        doc = corpus.document_by_path(FIRST)
        corpus.add_tag(doc.id, "iraq")
        corpus.create_tag("syria", hotkey=1)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await settle(pilot, app, lambda: "[x] iraq" in str(app.screen.query_one("#tag-options").get_option_at_index(0).prompt))
        other_process(folder, f"d = c.document_by_path({FIRST!r})\nc.remove_tag(d.id, 'iraq')")
        await pilot.press("enter")  # on the highlighted row, shown [x] (typing would have redrawn it)
        await settle(pilot, app)
        assert any("Not changed: tag 'iraq' was removed by another process since it was shown" in m
                   for m in messages(app))
        assert "[ ] iraq" in str(app.screen.query_one("#tag-options").get_option_at_index(0).prompt)
        await pilot.press("escape")
        await settle(pilot, app)
        other_process(folder, f"d = c.document_by_path({FIRST!r})\nc.add_tag(d.id, 'syria')")
        await pilot.press("1")  # the inspector shows no syria: meant to add it, it is there already
        await settle(pilot, app)
        assert any("tag 'syria' was added by another process" in m for m in messages(app))
        await pilot.press("1")  # on what the screen now shows: removes it
        await settle(pilot, app)
        assert any("Untagged #syria" in m for m in messages(app))
        await pilot.press("q")
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM document_tags") == [{"n": 0}]


async def test_a_scan_that_found_another_file_changed_keeps_the_selection_the_find_and_the_list_cursor(tmp_path):
    """ctrl+l (or the opening scan) that found a new file reopened the open document: the
    selection, the find's matches and the list's cursor were gone, and the next b marked a
    whole paragraph, enter opened the open document again (a review)."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"the", "enter")
        await pilot.press("shift+right", "shift+right", "shift+right")
        selection, matches = app.reader.selection(), list(app.reader.matches)
        assert selection is not None and matches
        app.doclist.focus()
        await pilot.press("j", "j")
        highlighted = app.doclist.rows[app.doclist.cursor].id
        app.reader.focus()
        (folder / "zz_new.txt").write_text("A new page the crawler added.\n")
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: any("Scan: 1 added" in line for line in messages(app)))
        assert app.reader.selection() == selection and app.reader.matches == matches
        assert app.doclist.rows[app.doclist.cursor].id == highlighted
        # Its own file changed: then it is shown anew, as before.
        path = folder / app.doc.path
        path.write_text("Rewritten on disk.\n" + path.read_text())
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: "Rewritten on disk." in app.reader.text)


async def test_another_process_changing_the_open_file_statuses_or_the_folder_shows_where_it_should(tmp_path):
    """Three things a two-analyst trial saw: after the open file changed on disk, the cursor kept
    its number and sat on other words; the header's "reviewed N/M" ignored another process's
    statuses; and ctrl+l pressed while another app's scan found a new file kept it out of the list."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        text = app.reader.text
        app.reader.move_to(text.index("Global Research"))
        path = folder / app.doc.path
        path.write_text("INSERTED HEADLINE LINE\n\n" + path.read_text())
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: app.reader.text.startswith("INSERTED"))
        assert app.reader.text[app.reader.cursor:].startswith("Global Research")
        other_process(folder, "for d in c.documents()[1:3]: c.set_status(d.id, 'reviewed')")
        await pilot.press("right_square_bracket")
        assert app._progress[0] == 2
        (folder / "zz_added.txt").write_text("A page another app's scan found first.\n")
        other_process(folder, "c.scan()")
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: any(row.path == "zz_added.txt" for row in app.doclist.rows))


async def test_a_search_hit_in_the_open_document_lands_on_its_words_after_another_scan(tmp_path):
    """The cursor of a search hit is in the stored text already: following it from the text on
    screen shifted it a second time, onto other words (a review)."""
    from corpus_tui.core.search import first_match

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        path = folder / app.doc.path
        path.write_text("Three new lines.\nAt the top.\nOf the file.\n" + path.read_text())
        other_process(folder, "c.scan()")
        stored = app.corpus.text(app.doc.id)
        app.open_document(app.doc.id, cursor=first_match(stored, "Global Research"))
        assert app.reader.text[app.reader.cursor:].startswith("Global Research")


async def test_the_tag_picker_never_makes_again_a_tag_another_process_deleted(tmp_path):
    """enter on a tag another process had just deleted made it again, with no hotkey and no word
    (a trial): the other analyst's deletion was undone for good."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.create_tag("sports")
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await settle(pilot, app)
        other_process(folder, "c.delete_tag('sports')")
        await pilot.press(*"spo", "enter")
        await settle(pilot, app)
        assert any("Not changed: tag 'sports' was deleted or renamed by another process since it was shown" in m
                   for m in messages(app))
    assert db_rows(folder, "SELECT name FROM tags") == []
