"""Keys typed faster than a box opens: a paste, key repeat or a slow SSH link sends
``/war`` in one write. Everything after the key that opens a box must land in the
box, never run as a command of the screen underneath (``u`` undoing, ``s`` sorting).

``pilot.press`` waits for each key to be handled, so these tests post the keys to
the app at once, as a terminal's burst reaches it."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea

from tui_support import FIRST, app_on, db_rows, seeds_copy, settle

KEY_NAMES = {"/": "slash", " ": "space", "\r": "enter", "\x1b": "escape"}


def burst(app, text: str) -> None:
    """Post ``text`` to the app as the driver does for one read of the terminal."""
    for character in text:
        key = KEY_NAMES.get(character, character)
        app.post_message(events.Key(key, None if key in ("enter", "escape") else character))


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
        await settle(pilot, app, lambda: app.query_one("#find", Input).value == "us")
        assert app.focused is app.query_one("#find", Input)
        assert events_of(folder) == before  # no undo
        assert app.sort == sort  # no s: sort
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "reviewed"}]


async def test_a_burst_after_t_filters_the_tag_picker(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        burst(app, "twar")
        await settle(pilot, app, lambda: isinstance(app.focused, Input) and app.focused.value == "war")
        assert type(app.screen).__name__ == "TagPicker"


async def test_a_burst_after_m_is_the_notes_text_and_enter_after_a_burst_still_submits(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        burst(app, "mdraft")
        await settle(pilot, app, lambda: isinstance(app.focused, TextArea) and app.focused.text == "draft")
        await pilot.press("escape")  # esc keeps the note
        await settle(pilot, app)
        assert db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,)) == [{"note": "draft"}]
        burst(app, "/Iraq\r")  # find, then back to the text with the match
        await settle(pilot, app, lambda: app.focused is app.reader)
        assert app.reader.text[app.reader.cursor:].startswith("Iraq")


async def test_keys_typed_after_a_box_that_does_not_open_are_commands_again(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("/", *"zz", "escape", "escape")  # an ordinary find, closed
        await settle(pilot, app, lambda: app.focused is app.reader)
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

