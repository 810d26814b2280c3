"""Keys typed faster than a box opens: a paste, key repeat or a slow SSH link sends
``/war`` in one write. Everything after the key that opens a box must land in the
box, never run as a command of the screen underneath (``u`` undoing, ``s`` sorting).

``pilot.press`` waits for each key to be handled, so these tests post the keys to
the app at once, as a terminal's burst reaches it."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea

from tui_support import FIRST, SECOND, app_on, db_rows, seeds_copy, settle

KEY_NAMES = {"/": "slash", "?": "question_mark", " ": "space", "\r": "enter", "\x1b": "escape", "]": "right_square_bracket",
             "\x11": "ctrl+q", "\t": "tab"}


def burst(app, text: str) -> None:
    """Post ``text`` to the app as the driver does for one read of the terminal."""
    for character in text:
        key = KEY_NAMES.get(character, character)
        app.post_message(events.Key(key, None if key in ("enter", "escape", "ctrl+q", "tab") else character))


def events_of(folder) -> list[str]:
    return [row["action"] for row in db_rows(folder, "SELECT action FROM events ORDER BY id")]


async def test_a_burst_after_slash_goes_into_the_find_box_and_runs_nothing(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")  # something u would undo
        before = events_of(folder)
        sort = app.sort
        burst(app, "/us")
        await settle(pilot, app, rounds=500, condition=lambda: app.query_one("#find", Input).value == "us")
        assert app.focused is app.query_one("#find", Input)
        assert events_of(folder) == before  # no undo
        assert app.sort == sort  # no s: sort
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "reviewed"}]


async def test_a_burst_after_t_filters_the_tag_picker(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        burst(app, "twar")
        await settle(pilot, app, rounds=500, condition=lambda: isinstance(app.focused, Input) and app.focused.value == "war")
        assert type(app.screen).__name__ == "TagPicker"


async def test_a_burst_after_m_is_the_notes_text_and_enter_after_a_burst_still_submits(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        burst(app, "mdraft")
        await settle(pilot, app, rounds=500, condition=lambda: isinstance(app.focused, TextArea) and app.focused.text == "draft")
        await pilot.press("escape")  # esc keeps the note
        await settle(pilot, app)
        assert db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,)) == [{"note": "draft"}]
        burst(app, "/Iraq\r")  # find, then back to the text with the match
        await settle(pilot, app, rounds=500, condition=lambda: app.focused is app.reader)
        assert app.reader.text[app.reader.cursor:].startswith("Iraq")


async def test_keys_typed_after_a_box_that_does_not_open_are_commands_again(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("/", *"zz", "escape", "escape")  # an ordinary find, closed
        await settle(pilot, app, rounds=500, condition=lambda: app.focused is app.reader)
        burst(app, "r")
        await settle(pilot, app)
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "reviewed"}]


async def test_the_binding_chains_typeahead_reads_are_there(tmp_path):
    """typeahead reads two private attributes of Textual's screens; without them it would
    quietly fall back to the old order, so an upgrade that drops them must fail here."""
    from corpus_tui.tui.typeahead import binding_chains

    app = app_on(seeds_copy(tmp_path))
    async with app.run_test(size=(120, 40)):
        chain, modal_chain = binding_chains(app.screen)
        assert any("slash" in bindings.key_to_bindings for _, bindings in modal_chain)
        assert len(chain) >= len(modal_chain) > 0


def status_of(folder, path: str = FIRST) -> str:
    return db_rows(folder, "SELECT status FROM documents WHERE path = ?", (path,))[0]["status"]


async def test_keys_before_a_box_key_are_handled_first_in_their_order(tmp_path):
    """]t…: the next document, then its tag picker (not the tag on the document before)."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        burst(app, "]tnewtag\r")
        await settle(pilot, app, rounds=500, condition=lambda: bool(db_rows(folder, "SELECT 1 FROM document_tags")))
        tagged = db_rows(folder, "SELECT d.path FROM document_tags dt JOIN documents d ON d.id = dt.document_id")
        assert tagged == [{"path": SECOND}]
        await pilot.press("escape")
        burst(app, "r/us")  # reviewed first, then a find for "us"
        await settle(pilot, app, rounds=500, condition=lambda: app.query_one("#find", Input).value == "us")
        assert status_of(folder, SECOND) == "reviewed"
        await pilot.press("escape", "escape")
        burst(app, "jjj/Iraq")  # the moves, then the find from where they left the cursor
        await settle(pilot, app, rounds=500, condition=lambda: app.query_one("#find", Input).value == "Iraq")
        assert app._find_origin > 0


async def test_enter_in_a_burst_closes_the_box_and_the_keys_after_it_are_commands(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        burst(app, "/Iraq\rr")
        await settle(pilot, app, rounds=500, condition=lambda: status_of(folder) == "reviewed")
        assert app.query_one("#find", Input).value == "Iraq" and app.focused is app.reader


async def test_ctrl_q_at_the_end_of_a_burst_keeps_the_whole_draft(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        burst(app, "mdraft\x11")
        for _ in range(200):
            await pilot.pause(0.02)
            if not app.is_running:
                break
    assert db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,)) == [{"note": "draft"}]


async def test_slash_in_the_repeats_list_takes_a_burst_into_the_filter_and_marks_nothing(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("R", "enter", "minus")  # to the list; 2 documents or more
        screen = app.screen
        await settle(pilot, app, rounds=500, condition=lambda: screen.listing.count > 0)
        assert app.focused is screen.listing
        burst(app, "/mosul")
        await settle(pilot, app, rounds=500, condition=lambda: screen.filter_box.value == "mosul")
        assert db_rows(folder, "SELECT COUNT(*) AS n FROM spans") == [{"n": 0}]


async def test_a_command_after_the_box_closed_in_a_burst_is_handled_before_the_keys_after_it(tmp_path):
    """/x⏎ closes the find; ? opens help, and the js after it go to help, not to the reader."""
    from textual.containers import VerticalScroll

    from corpus_tui.tui.screens.help import HelpScreen

    app = app_on(seeds_copy(tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        burst(app, "/Iraq\r?jj")
        await settle(pilot, app, rounds=500, condition=lambda: isinstance(app.screen, HelpScreen)
                     and app._held_keys is None and app.screen.query_one(VerticalScroll).scroll_y > 0)
        cursor = app.reader.text.index("Iraq")
        assert app.reader.cursor == cursor  # the find's match: no j reached the reader


async def test_a_burst_in_an_open_dialog_moves_with_tab_label_then_note(tmp_path):
    """The dialog open for a while (no keys held): ``abc``, tab, ``def`` in one write must give
    label abc and note def, not label abcdef; enter in the note saves both."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.reader.move_to(app.reader.text.index("Global Research, July"))
        await pilot.press("a")
        await settle(pilot, app, rounds=500, condition=lambda: type(app.screen).__name__ == "AnnotateDialog"
                     and app._held_keys is None)
        burst(app, "abc\tdef\r")
        await settle(pilot, app, rounds=500, condition=lambda: bool(db_rows(folder, "SELECT * FROM spans")))
        assert db_rows(folder, "SELECT label, note FROM spans") == [{"label": "abc", "note": "def"}]


async def test_a_refused_on_a_blank_line_drops_the_label_typed_after_it(tmp_path):
    """``a`` with nothing to annotate opens no box: the label typed behind it must not run as
    commands (``r`` reviewed, ``s`` sorted, ``n``…), as vim flushes typeahead when a command fails."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        text = app.reader.text
        app.reader.move_to(text.index("\n\n") + 1)  # the blank line between two paragraphs
        await settle(pilot, app)
        assert app.reader.target() is None
        sort, before = app.sort, events_of(folder)
        burst(app, "arsx")
        await settle(pilot, app, rounds=200, condition=lambda: any(
            "Nothing to annotate" in n.message for n in app._notifications))
        await pilot.pause(1.2)  # past the hold: nothing let go later either
        await settle(pilot, app)
        assert [n.message for n in app._notifications if "Nothing to annotate" in n.message] == [
            "Nothing to annotate here: select text or move to a paragraph. (3 keys typed after a dropped, not run.)"]
        assert status_of(folder) != "reviewed" and app.sort == sort and events_of(folder) == before
        burst(app, "r")  # a key read after the refusal is a command again
        await settle(pilot, app, rounds=200, condition=lambda: status_of(folder) == "reviewed")
