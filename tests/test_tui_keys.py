"""Pilot tests: every default key, asserting on what the database then holds."""

from __future__ import annotations


from corpus_tui import Corpus
from tui_support import FIRST, SECOND, app_on, db_rows, numbered_pages, seeds_copy, settle

def paragraph_of(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    start = text.rfind("\n\n", 0, start) + 2 if text.rfind("\n\n", 0, start) != -1 else 0
    end = text.find("\n\n", start)
    return start, end if end != -1 else len(text)


async def move_to(pilot, app, needle: str) -> int:
    offset = app.reader.text.index(needle)
    app.reader.move_to(offset)
    await pilot.pause()
    return offset


async def test_opens_first_document_and_moves(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.doc.path == FIRST
        assert app.reader.cursor == 0
        await pilot.press("j", "j", "down")
        assert app.reader.cursor > 0
        row_after_three = app.reader.layout_.row_of(app.reader.cursor)
        await pilot.press("k", "up")
        assert app.reader.layout_.row_of(app.reader.cursor) == row_after_three - 2
        await pilot.press("G")
        assert app.reader.cursor == len(app.reader.text)
        await pilot.press("g")
        assert app.reader.cursor == 0
        await pilot.press("pagedown")
        assert app.reader.layout_.row_of(app.reader.cursor) > 10
        await pilot.press("pageup")
        assert app.reader.cursor == 0
        await pilot.press("l", "right", "h")
        assert app.reader.cursor == 1


async def test_next_and_previous_document_follow_the_list(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("right_square_bracket")
        assert app.doc.path == SECOND
        await pilot.press("left_square_bracket")
        assert app.doc.path == FIRST
        app.query_one("#filter").value = "status:reviewed"
        with Corpus.open(folder) as corpus:
            corpus.set_status(corpus.document_by_path("003_e3a33125ca4d3b23.txt").id, "reviewed")
        app.query_one("#filter").value = "status:reviewed "
        await settle(pilot, app, lambda: len(app.doclist.rows) == 1)
        assert [row.path for row in app.doclist.rows] == ["003_e3a33125ca4d3b23.txt"]
        await pilot.press("right_square_bracket")
        assert app.doc.path == "003_e3a33125ca4d3b23.txt"


async def test_esc_leaves_the_list_filter_with_the_filter_kept_so_the_next_key_is_a_command(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f", *"iraq")
        box = app.query_one("#filter")
        assert app.focused is box
        await settle(pilot, app, lambda: len(app.doclist.rows) < 5)
        shown = [row.path for row in app.doclist.rows]
        await pilot.press("escape")
        assert app.focused is app.doclist and box.value == "iraq"
        await pilot.press("j")  # a command now: down the list, not "iraqj"
        await pilot.pause()
        assert box.value == "iraq" and [row.path for row in app.doclist.rows] == shown


async def test_a_filter_that_leaves_the_open_document_out_puts_the_cursor_on_its_first_row(tmp_path):
    """The cursor stayed at the open document's old place: enter then opened an unrelated one."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app, lambda: len(app.doclist.rows) == 5)
        app.open_document(app.doclist.rows[1].id)  # "date 2017-07-08 Posted on …": no "Iraqi" in it
        await pilot.pause()
        assert app.doclist.cursor == 1
        opened = app.doc.path
        await pilot.press("f", *"iraqi")
        await settle(pilot, app, lambda: len(app.doclist.rows) == 3)
        assert opened not in [row.path for row in app.doclist.rows] and app.doclist.cursor == 0


async def test_b_toggles_boilerplate_on_the_paragraph(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        text = app.reader.text
        await move_to(pilot, app, "Global Research, July")
        await pilot.press("b")
        start, end = paragraph_of(text, "Global Research, July")
        rows = db_rows(folder, "SELECT start, \"end\", kind, annotator FROM spans")
        assert rows == [{"start": start, "end": end, "kind": "boilerplate", "annotator": "tester"}]
        await pilot.press("b")
        assert db_rows(folder, "SELECT * FROM spans") == []


async def test_shift_arrows_select_characters_for_b(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        offset = await move_to(pilot, app, "Global Research")
        await pilot.press("shift+right", "shift+right", "shift+right", "shift+right", "shift+right", "shift+right")
        await pilot.press("b")
        rows = db_rows(folder, "SELECT start, \"end\", quote FROM spans")
        assert rows == [{"start": offset, "end": offset + 6, "quote": "Global"}]


async def test_v_selects_whole_lines(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        text = app.reader.text
        offset = await move_to(pilot, app, "By [South Front]")
        await pilot.press("v", "j", "j")
        await pilot.press("b")
        (row,) = db_rows(folder, "SELECT start, \"end\" FROM spans")
        assert row["start"] == offset
        assert text[row["start"] : row["end"]] == "By [South Front](#)\n\nGlobal Research, July 07, 2017"


async def test_mouse_drag_selects(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        reader = app.reader
        row, _ = reader.layout_.cell_of(reader.text.index("By [South Front]"))
        y = row - int(reader.scroll_offset.y)
        gutter = reader._gutter_width
        await pilot.mouse_down(reader, offset=(gutter, y))
        await pilot.hover(reader, offset=(gutter + 2, y))
        await pilot.mouse_up(reader, offset=(gutter + 2, y))
        assert reader.selection() is not None
        await pilot.press("b")
        (row,) = db_rows(folder, "SELECT quote FROM spans")
        assert row["quote"] == "By"


async def test_B_marks_to_the_end(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        offset = await move_to(pilot, app, "Disclaimer")
        await pilot.press("B")
        (row,) = db_rows(folder, "SELECT start, \"end\" FROM spans WHERE kind = 'boilerplate'")
        assert (row["start"], row["end"]) == (offset, len(app.reader.text))


async def test_tag_picker_creates_and_toggles(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.press(*"Syria", "enter")
        await pilot.press("escape")
        tags = db_rows(folder, "SELECT t.name FROM document_tags dt JOIN tags t ON t.id = dt.tag_id")
        assert tags == [{"name": "Syria"}]
        await pilot.press("t")
        await pilot.press(*"syr", "enter")  # fuzzy match of the existing tag toggles it off
        await pilot.press("escape")
        assert db_rows(folder, "SELECT * FROM document_tags") == []
        assert db_rows(folder, "SELECT name FROM tags") == [{"name": "Syria"}]


async def test_tag_picker_creates_a_new_name_that_only_fuzzily_matches_a_tag(tmp_path):
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder) as corpus:
        corpus.add_tag(corpus.document_by_path(FIRST).id, "iraq")
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t", *"iq", "enter")  # i…q fuzzily matches "iraq", but is not how it starts
        await pilot.press("escape")
        tags = db_rows(folder, "SELECT t.name FROM document_tags dt JOIN tags t ON t.id = dt.tag_id ORDER BY t.name")
        assert tags == [{"name": "iq"}, {"name": "iraq"}]
        await pilot.press("t", *"iq", "down", "enter", "escape")  # the fuzzy match is one ↓ away
        tags = db_rows(folder, "SELECT t.name FROM document_tags dt JOIN tags t ON t.id = dt.tag_id ORDER BY t.name")
        assert tags == [{"name": "iq"}]


async def test_tag_picker_filters_without_counting_tags_again_at_each_key(tmp_path):
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder) as corpus:
        for number in range(300):
            corpus.create_tag(f"topic-{number:03d}")
        corpus.create_tag("Syria")
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        picker = app.screen
        reads = 0
        read_vocabulary = picker._tags

        def counted():
            nonlocal reads
            reads += 1
            return read_vocabulary()

        picker._tags = counted
        await pilot.press(*"syri")
        assert reads == 0  # the keys filter what opening read; the tags are not counted again
        options = picker.query_one("#tag-options")
        assert str(options.get_option_at_index(0).prompt).startswith("[ ] Syria")
        await pilot.press("enter")  # toggled: the counts changed, so they are read again
        assert reads == 1
        assert str(options.get_option_at_index(0).prompt).startswith("[x] Syria")
        assert str(options.get_option_at_index(0).prompt).endswith("· 1")
        await pilot.press("escape")
        tags = db_rows(folder, "SELECT t.name FROM document_tags dt JOIN tags t ON t.id = dt.tag_id")
        assert tags == [{"name": "Syria"}]

async def test_number_keys_toggle_hotkey_tags(tmp_path):
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder) as corpus:
        corpus.create_tag("propaganda", hotkey=3)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        assert len(db_rows(folder, "SELECT * FROM document_tags")) == 1
        await pilot.press("3")
        assert db_rows(folder, "SELECT * FROM document_tags") == []


async def test_a_annotates_and_x_removes(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        offset = await move_to(pilot, app, "Iraqi security forces")
        for _ in range(len("Iraqi security forces")):
            await pilot.press("shift+right")
        await pilot.press("a")
        await pilot.press(*"ORG", "enter", *"the ISF", "enter")
        (row,) = db_rows(folder, "SELECT start, \"end\", label, note, kind, quote FROM spans")
        assert row == {"start": offset, "end": offset + 21, "label": "ORG", "note": "the ISF",
                       "kind": "annotation", "quote": "Iraqi security forces"}
        app.reader.move_to(offset + 3)
        await pilot.press("x")
        assert db_rows(folder, "SELECT * FROM spans") == []


async def test_annotate_escape_cancels(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await move_to(pilot, app, "Global Research")
        await pilot.press("a", *"ORG", "escape")
        assert db_rows(folder, "SELECT * FROM spans") == []


async def test_m_edits_the_note(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m", *"check [bold]source[/]", "escape")
        (row,) = db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,))
        assert row["note"] == "check [bold]source[/]"


async def test_r_toggles_reviewed_and_space_moves_on(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "reviewed"}]
        await pilot.press("r")
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "in_progress"}]
        await pilot.press("space")
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "reviewed"}]
        assert app.doc.path == SECOND
        assert "reviewed 1/5" in str(app.query_one("#topbar").render())


async def test_find_in_document(tmp_path):
    """As in vim and less: / types a search, enter goes back to the text with the matches kept,
    n/N step, esc in the text clears them."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        text = app.reader.text
        await pilot.press("slash", *"mosul")
        positions = [i for i in range(len(text)) if text[i : i + 5].lower() == "mosul"]
        assert app.reader.matches == [(p, p + 5) for p in positions]
        assert app.reader.cursor == positions[0]
        topbar = app.query_one("#topbar")
        assert f"/mosul 1/{len(positions)}" in str(topbar.render())
        await pilot.press("enter")
        assert app.focused is app.reader and not app.query_one("#find").has_class("shown")
        await pilot.press("w")  # goes to the text now, not into the find box ("mosulw": 0 matches)
        assert app.reader.wrap is False and app.query_one("#find").value == "mosul"
        assert app.reader.matches == [(p, p + 5) for p in positions]
        await pilot.press("n")
        assert app.reader.cursor == positions[1] and f"/mosul 2/{len(positions)}" in str(topbar.render())
        await pilot.press("N")
        assert app.reader.cursor == positions[0]
        await pilot.press("b")  # a key that acts on the paragraph keeps them (b cleared them, as esc: a trial)
        assert app.reader.matches == [(p, p + 5) for p in positions] and "/mosul 1/" in str(topbar.render())
        await pilot.press("u")
        await pilot.press("slash", *"mosul", "escape")  # esc closes the box too, matches kept
        assert app.focused is app.reader and app.reader.matches
        await pilot.press("escape")  # in the text: clears them
        assert app.reader.matches == [] and "/mosul" not in str(topbar.render())


async def test_corpus_search_jumps_to_document_and_match(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+f", *"Hammam")
        await settle(pilot, app, lambda: bool(getattr(app.screen, "hits", None)))
        await pilot.press("enter")
        await pilot.pause()
        assert app.doc.path == "003_e3a33125ca4d3b23.txt"
        assert app.reader.text[app.reader.cursor :].startswith("Hammam")


async def test_corpus_search_enter_before_the_typed_querys_hits_opens_one_of_them(tmp_path):
    """More words typed and enter pressed before their hits came: enter opened a hit of the
    previous query, which did not hold the new words (a review)."""
    import threading

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+f", *"Mosul")
        screen = app.screen
        await settle(pilot, app, lambda: len(screen.hits) > 1)
        first = screen.hits[0].path
        answered, run_search = threading.Event(), screen.run_search
        screen.run_search = lambda query: answered.wait(10) and run_search(query)  # a slow search
        await pilot.press(*" Hammam", "enter")
        assert isinstance(app.screen, type(screen)) and "searching…" in str(screen.query_one("#search-status").render())
        answered.set()
        await settle(pilot, app, lambda: app.screen is not screen)
        assert app.doc.path == "003_e3a33125ca4d3b23.txt" != first
        # enter, then typing on before the hits came: the enter was for what was typed then, and
        # the later hits must not open by themselves (the keys typed after went to the reader).
        await pilot.press("ctrl+f")
        screen = app.screen
        answered.clear()
        screen.run_search = lambda query: answered.wait(10) and run_search(query)
        await pilot.press(*"Mosul", "enter", *" Iraqi")
        answered.set()
        await settle(pilot, app, lambda: screen.shown_query == "Mosul Iraqi")
        await pilot.pause(0.2)
        assert app.screen is screen


async def test_a_paste_of_several_lines_into_corpus_search_is_searched_whole(tmp_path):
    """Textual's Input kept the first line of a paste: a pasted paragraph was searched by its
    first line, without a word (a trial)."""
    from textual import events

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+f")
        box = app.screen.query_one("#search-input")
        box.post_message(events.Paste("Mosul\nHammam al-Alil\r\n  camp"))
        await settle(pilot, app, lambda: box.value == "Mosul Hammam al-Alil camp")


async def test_undo_and_redo_every_kind_of_action(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await move_to(pilot, app, "Global Research")
        await pilot.press("b", "r", "t", *"iraq", "enter", "escape", "m", *"n1", "escape")
        state = lambda: (  # noqa: E731
            db_rows(folder, "SELECT COUNT(*) AS n FROM spans")[0]["n"],
            db_rows(folder, "SELECT status, note FROM documents WHERE path = ?", (FIRST,))[0],
            db_rows(folder, "SELECT COUNT(*) AS n FROM document_tags")[0]["n"],
        )
        assert state() == (1, {"status": "reviewed", "note": "n1"}, 1)
        await pilot.press("u")
        assert state() == (1, {"status": "reviewed", "note": ""}, 1)
        await pilot.press("u", "u", "u")
        assert state() == (0, {"status": "new", "note": ""}, 0)
        await pilot.press("ctrl+r", "ctrl+r")
        assert state() == (1, {"status": "reviewed", "note": ""}, 0)


async def test_quit_and_reopen_returns_to_document_cursor_and_undo(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("right_square_bracket")
        offset = await move_to(pilot, app, "Mosul")
        await pilot.press("b")
        await pilot.press("q")
    app.corpus.close()
    assert len(db_rows(folder, "SELECT * FROM spans")) == 1
    again = app_on(folder)
    async with again.run_test(size=(120, 40)) as pilot:
        assert again.doc.path == SECOND
        assert again.reader.cursor == offset
        await pilot.press("u")
        assert db_rows(folder, "SELECT * FROM spans") == []


async def test_help_and_command_palette(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        from corpus_tui.tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        shown = str(app.screen.query_one("Static").render())
        for description in ("Boilerplate", "Boilerplate to end", "Tags", "Annotate", "Remove span", "Note",
                            "Reviewed+next", "Find", "Search corpus", "Undo", "Redo", "Quit", "1-9"):
            assert description in shown
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        from textual.command import CommandPalette

        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"reviewed+next", "enter")
        await pilot.pause()
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "reviewed"}]
        wrapped = app.reader.wrap
        await pilot.press("ctrl+p")  # the reader's own commands are there too, by a name to search for
        await pilot.pause()
        await pilot.press(*"soft wrap", "enter")
        await settle(pilot, app)
        assert app.reader.wrap is not wrapped
        names = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Line selection on / off", "Next match of the find"} <= names
        # Over a dialog the document's commands are not offered: "Next doc" from the palette over
        # the note editor moved the document under it, "Note" opened a second editor (a review).
        await pilot.press("m")
        from corpus_tui.tui.screens.note import NoteDialog

        assert isinstance(app.screen, NoteDialog)
        over_dialog = {command.title for command in app.get_system_commands(app.screen)}
        assert not over_dialog & {"Next doc", "Note", "Reviewed", "Line selection on / off"}
        assert "Quit" in " ".join(over_dialog)


async def test_a_burst_of_j_in_the_help_scrolls_as_many_lines(tmp_path):
    """Ten j in one write (key repeat, a slow SSH link) scrolled the help one line: each deferred
    scroll added one to the same target."""
    from textual.containers import VerticalScroll

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        scroll = app.screen.query_one(VerticalScroll)
        for _ in range(10):  # handled before any refresh, as a burst is
            app.screen.action_scroll(1)
        await pilot.pause()
        await pilot.pause()
        assert scroll.scroll_y == 10
        for _ in range(4):
            app.screen.action_scroll(-1)
        app.screen.action_scroll(1)
        await pilot.pause()
        await pilot.pause()
        assert scroll.scroll_y == 7


async def test_first_open_scans_with_progress_and_fills_the_list(tmp_path):
    folder = seeds_copy(tmp_path, scanned=False)
    app = app_on(folder, scan_on_open=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app, lambda: len(app.doclist.rows) == 5, rounds=500)  # a scan child starts first
        assert app.doc is not None
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM documents") == [{"n": 5}]


async def test_external_writes_show_after_refresh(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        with Corpus.open(folder, annotator="script") as other:
            other.add_tag(other.document_by_path(FIRST).id, "imported")
        await pilot.press("ctrl+l")
        await settle(pilot, app, lambda: app.doclist.rows[0].tags == ("imported",))
        assert app.doclist.rows[0].tags == ("imported",)
        from corpus_tui.tui.widgets.inspector import Inspector

        assert "#imported" in app.query_one(Inspector).text


async def test_changed_original_is_reanchored_and_reported(tmp_path):
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        doc = corpus.document_by_path(SECOND)
        text = corpus.text(doc.id)
        start = text.index("Mosul")
        corpus.add_annotation(doc.id, start, start + 5, "GPE")
    path = folder / SECOND
    path.write_bytes(b"A new first line.\n" + path.read_bytes())
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("right_square_bracket")
        assert "changed on disk" in str(app.query_one("#banner").render())
        (span,) = app.corpus.spans(app.doc.id)
        assert app.reader.text[span.start : span.end] == "Mosul"
        assert span.anchor == "reanchored"


async def test_the_list_shown_for_the_filter_folds_again_on_a_narrow_terminal(tmp_path):
    """Used at 140 columns, the filter kept the list shown for good: at 65 columns the reader
    was left a few columns wide."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f", *"iraq", "enter")
        await pilot.resize_terminal(65, 30)
        await pilot.pause()
        assert app.screen.has_class("-hide-list")
        assert app.focused is app.reader  # not the hidden filter box, where `\\` and `q` were typed (a trial)
        await pilot.press("backslash")
        assert not app.screen.has_class("-hide-list")


async def test_hiding_the_list_that_has_focus_leaves_the_keys_to_the_reader(tmp_path):
    """With focus on the list, `\\` hid it and focus went to its filter box: `q` was typed there
    and did not quit, and `\\` could not bring the list back (a trial)."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        app.doclist.focus()
        await pilot.press("backslash")
        assert app.screen.has_class("-hide-list") and app.focused is app.reader
        await pilot.press("backslash")
        assert not app.screen.has_class("-hide-list")
        assert app.query_one("#filter").value == ""


async def test_panels_fold_at_80_columns(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.screen.has_class("-hide-inspector")
        assert not app.screen.has_class("-hide-list")
        await pilot.press("i")
        assert not app.screen.has_class("-hide-inspector")
        await pilot.press("backslash")
        assert app.screen.has_class("-hide-list")
        await pilot.press("w")
        assert app.reader.wrap is False


async def test_x_removes_the_whole_boilerplate_span_under_the_cursor(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        offset = await move_to(pilot, app, "Global Research")
        await pilot.press("b")
        app.reader.move_to(offset + 4)
        await pilot.press("x")
        assert db_rows(folder, "SELECT * FROM spans") == []


async def test_a_write_blocked_by_another_process_is_reported_not_lost(tmp_path):
    import sqlite3

    from corpus_tui.tui.app import make_app

    folder = seeds_copy(tmp_path)
    app = make_app(folder, annotator="tester", timeout=0.2, scan_on_open=False)
    async with app.run_test(size=(120, 40)) as pilot:
        other = sqlite3.connect(folder / "annotations.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock past our timeout
        await move_to(pilot, app, "Global Research")
        await pilot.press("b")
        assert app.is_running
        assert any("Not saved" in str(n.message) for n in app._notifications)
        other.execute("ROLLBACK")
        assert db_rows(folder, "SELECT * FROM spans") == []
        await pilot.press("b")  # once the other writer is done, the same key works
        assert len(db_rows(folder, "SELECT * FROM spans")) == 1
        other.close()


async def test_marking_repaints_the_marked_rows(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        offset = await move_to(pilot, app, "Global Research")
        row = app.reader.layout_.row_of(offset) - int(app.reader.scroll_offset.y)

        def struck() -> bool:
            strip = app.reader.render_line(row)
            return any(seg.style and seg.style.strike for seg in strip if "lobal Res" in seg.text)

        assert not struck()
        await pilot.press("b")
        assert struck()
        await pilot.press("b")
        assert not struck()


async def test_inspector_marks_the_annotation_under_the_cursor(tmp_path):
    from corpus_tui.tui.widgets.inspector import Inspector

    folder = seeds_copy(tmp_path)
    with Corpus.open(folder) as corpus:
        doc = corpus.document_by_path(FIRST)
        start = corpus.text(doc.id).index("Old Mosul")
        corpus.add_annotation(doc.id, start, start + 9, "GPE")
    app = app_on(folder)
    async with app.run_test(size=(160, 50)) as pilot:
        inspector = app.query_one(Inspector)
        assert "▶" not in inspector.text
        app.reader.move_to(start + 2)
        await pilot.pause()
        assert "▶  GPE " in inspector.text


async def test_export_from_the_app_writes_beside_the_corpus(tmp_path):
    import json

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await move_to(pilot, app, "Global Research")
        await pilot.press("b", "e")
        await pilot.press("enter")  # jsonl, the first format
        await pilot.press("enter")  # the proposed path
        await settle(pilot, app, lambda: (tmp_path / "seeds-export.jsonl").exists())
    records = [json.loads(line) for line in (tmp_path / "seeds-export.jsonl").read_text().splitlines()]
    assert [r["path"] for r in records] == sorted(p.name for p in folder.glob("*.txt"))
    assert records[0]["boilerplate"] and not (folder / "seeds-export.jsonl").exists()


async def test_the_export_dialog_offers_the_clis_main_filters(tmp_path):
    """The dialog exported everything: no way to export the reviewed documents, or one per cluster
    of near-duplicates, without the command line (noted at stop 32)."""
    import json

    from textual.widgets import Checkbox

    folder = seeds_copy(tmp_path)
    with Corpus.open(folder) as corpus:
        corpus.scan()
        reviewed = corpus.document_by_path(FIRST)
        corpus.set_status(reviewed.id, "reviewed")
    app = app_on(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        await settle(pilot, app)
        labels = [str(box.label) for box in app.screen.query(Checkbox)]
        assert labels[1:] == ["Only reviewed documents (--status reviewed)",
                              "Only documents with an annotation (--only-annotated)",
                              "One document per cluster of near-duplicates (--dedup)",
                              "Also documents with stale spans, with their good spans (--allow-stale)"]
        app.screen.query_one("#export-reviewed-only", Checkbox).value = True
        app.screen.query_one("#export-path").focus()
        await pilot.press("enter")
        await settle(pilot, app, lambda: (tmp_path / "seeds-export.jsonl").exists())
    records = [json.loads(line) for line in (tmp_path / "seeds-export.jsonl").read_text().splitlines()]
    assert [r["path"] for r in records] == [FIRST]


async def test_export_refuses_to_overwrite_without_the_checkbox(tmp_path):
    folder = seeds_copy(tmp_path)
    target = tmp_path / "seeds-export.jsonl"
    target.write_text("keep me")
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e", "enter", "enter")
        await settle(pilot, app)
        said = str(app.screen.query_one("#export-status").render())
        assert "already exists; tick “Overwrite an existing output”" in said and "--force" not in said
        await pilot.press("x")  # another path: the message was about the last one
        assert str(app.screen.query_one("#export-status").render()) == ""
        await pilot.press("ctrl+u", "enter")  # no path: it was the current folder (a review)
        await settle(pilot, app)
        assert "the output path is empty" in str(app.screen.query_one("#export-status").render())
    assert target.read_text() == "keep me"


async def test_tag_colours_show_in_the_list_and_bad_colours_are_ignored(tmp_path):
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder) as corpus:
        corpus.create_tag("iraq", color="red")
        corpus.create_tag("odd")
        with corpus.write():  # another tool wrote a colour that is not one
            corpus.db.execute("UPDATE tags SET color = '[link=x]not a colour' WHERE name = 'odd'")
        doc = corpus.document_by_path(FIRST)
        corpus.add_tag(doc.id, "iraq")
        corpus.add_tag(doc.id, "odd")
    app = app_on(folder)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app, lambda: len(app.doclist.rows) == 5)
        chips = {seg.text.strip(): seg.style for seg in app.doclist.render_line(0) if seg.text.strip().startswith("#")}
        assert chips["#iraq"].color.name == "red"
        assert chips["#odd"].color.name != "red" and "[link" not in str(chips["#odd"])


async def test_ctrl_q_with_the_note_editor_open_keeps_the_draft(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m", *"draft note", "ctrl+q")
        await pilot.pause()
        assert not app.is_running
    assert db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,)) == [{"note": "draft note"}]


async def test_ctrl_q_stays_when_the_draft_cannot_be_kept(tmp_path, monkeypatch):
    from corpus_tui.core import CorpusError
    from corpus_tui.tui.screens.note import NoteDialog

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("m", *"draft")

        def refuse(document_id, note, expected=None):  # type: ignore[no-untyped-def]
            raise CorpusError("the database is locked")

        monkeypatch.setattr(app.corpus, "set_note", refuse)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, NoteDialog)  # the text is still there to keep
        assert any("Not saved: the database is locked" in str(n.message) for n in app._notifications)
    assert db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,)) == [{"note": ""}]


async def test_ctrl_q_with_the_annotate_box_open_keeps_the_annotation(tmp_path):
    """ctrl+q used to drop the label and note typed in the Annotate box without asking."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await move_to(pilot, app, "On Thursday")
        await pilot.press("a", *"claim", "tab", *"a careful note", "ctrl+q")
        await pilot.pause()
        assert not app.is_running
    assert db_rows(folder, "SELECT label, note FROM spans WHERE kind = 'annotation'") == [
        {"label": "claim", "note": "a careful note"}]


async def test_ctrl_q_with_a_note_but_no_label_in_the_annotate_box_stays_and_says_why(tmp_path):
    from corpus_tui.tui.screens.annotate import AnnotateDialog

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await move_to(pilot, app, "On Thursday")
        await pilot.press("a", "tab", *"a note", "ctrl+q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, AnnotateDialog)
        assert "a label is required" in str(app.screen.query_one("#error").render())
        await pilot.press(*"label", "ctrl+q")  # typed into the label box, which has the focus now
        await pilot.pause()
        assert not app.is_running
    assert db_rows(folder, "SELECT label, note FROM spans WHERE kind = 'annotation'") == [
        {"label": "label", "note": "a note"}]


async def test_a_hang_up_keeps_the_note_being_typed_and_closes_the_session(tmp_path):
    """An ssh link that drops (SIGHUP) used to kill the app with the draft unsaved."""
    import os
    import signal

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("m", *"typed before the link dropped")
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(50):
            await pilot.pause(0.02)
            if not app.is_running:
                break
        assert not app.is_running
    assert db_rows(folder, "SELECT note FROM documents WHERE path = ?", (FIRST,)) == [
        {"note": "typed before the link dropped"}]
    assert db_rows(folder, "SELECT key FROM corpus_state WHERE key LIKE 'session:%'") == []
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL or not callable(signal.getsignal(signal.SIGHUP))


async def test_tag_picker_empties_its_filter_after_enter_on_a_new_tag_as_on_an_existing_one(tmp_path):
    """Creating a tag emptied the box and toggling one left the typed text in it; now both empty
    it for the next tag, and the whole list shows with the tag just toggled highlighted."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder) as corpus:
        for name in ("Iraq", "Syria", "Turkey"):
            corpus.create_tag(name)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t", *"syr", "enter")
        await pilot.pause()
        picker = app.screen
        box, options = picker.query_one("#tag-filter"), picker.query_one("#tag-options")
        assert box.value == "" and options.option_count == 3
        assert str(options.get_option_at_index(options.highlighted).prompt).startswith("[x] Syria")
        await pilot.press(*"kurds", "enter")  # a new tag: the same
        await pilot.pause()
        assert box.value == "" and options.option_count == 4
        assert str(options.get_option_at_index(options.highlighted).prompt).startswith("[x] kurds")
        await pilot.press(*"tur")  # typing afresh filters from the top again
        await pilot.pause()
        assert options.highlighted == 0 and str(options.get_option_at_index(0).prompt).startswith("[ ] Turkey")
        await pilot.press("escape")
    tags = db_rows(folder, "SELECT t.name FROM document_tags dt JOIN tags t ON t.id = dt.tag_id ORDER BY t.name")
    assert tags == [{"name": "Syria"}, {"name": "kurds"}]


async def test_enter_in_the_list_opens_the_document_and_gives_it_the_keys(tmp_path):
    """A new user filtered the list, pressed enter twice and then G moved the list, not the text."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.doclist.focus()
        await pilot.press("down", "enter")
        await settle(pilot, app)
        assert app.doc.path == SECOND and app.focused is app.reader
        await pilot.press("G")
        assert app.reader.cursor == len(app.reader.text) and app.doc.path == SECOND


async def test_n_goes_on_with_the_last_search_in_the_next_document(tmp_path):
    """As vim's n: / mosul, esc, ] to another document, n did nothing and said nothing."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("n")  # nothing looked for yet: said
        assert any("Nothing to find again" in str(n.message) for n in app._notifications)
        await pilot.press("slash", *"mosul", "enter", "escape", "right_square_bracket")
        await settle(pilot, app)
        assert app.reader.matches == []
        await pilot.press("n")
        text = app.reader.text
        first = text.lower().index("mosul")
        assert app.reader.cursor == first and app.reader.matches


async def test_find_in_a_document_with_more_matches_than_are_held_searches_from_the_cursor(tmp_path, monkeypatch):
    """/tempor at the end of a text holding it 30,000 times jumped to the third line, 1/10000:
    only the first 10,000 matches were found. Now the nearest are, and n and N go on past them.
    (Here 1,000 are held of 3,000, for a quicker test.)"""
    from corpus_tui.core import search

    monkeypatch.setattr(search, "MAX_MATCHES", 1_000)
    folder = tmp_path / "big"
    folder.mkdir()
    line = "Lorem ipsum tempor dolor.\n"
    (folder / "big.txt").write_text("Title\n\n" + line * 3_000)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        text = app.reader.text
        positions = [index for index in range(len(text)) if text.startswith("tempor", index)]
        app.reader.focus()
        await pilot.press("G")
        origin = app.reader.cursor
        await pilot.press("slash", *"tempor", "enter")
        topbar = app.query_one("#topbar")
        assert "/tempor over 1,000" in str(topbar.render())
        last = positions[-1]
        assert app.reader.cursor == positions[0] or origin > last  # nothing after the end: wraps
        await pilot.press("N")  # back from the first: the last match of the text
        assert app.reader.cursor == last
        await pilot.press("N")
        assert app.reader.cursor == positions[-2]
        app.reader.move_to(positions[1_500] - 1)
        await pilot.press("n")
        assert app.reader.cursor == positions[1_500]  # in the middle, far from where the find started
        held = app.reader.matches
        assert held[0][0] == positions[1_000] and held[-1][0] == positions[1_999]  # found around it
        app.reader.move_to(positions[1_995])
        for _ in range(10):  # past the matches held, on into the next ones
            await pilot.press("n")
        assert app.reader.cursor == positions[2_005]


def test_the_help_fits_a_40_column_terminal_with_each_description_under_its_keys():
    """At 40x12 the key and description columns broke over several lines."""
    from corpus_tui.tui.screens.help import BOX_FRAME, binding_rows

    sections = [("Document", [("b", "Boilerplate"), ("ctrl+shift+x, y", "Boilerplate to the end of the document")])]
    narrow = [line.plain for line in binding_rows(sections, 40).split("\n")]
    assert all(len(line) <= 40 - BOX_FRAME for line in narrow)
    assert narrow[:4] == ["Document", "  b", "    Boilerplate", "  ctrl+shift+x, y"]
    wide = [line.plain for line in binding_rows(sections, 120).split("\n")]
    assert wide[1] == "  b                Boilerplate"  # two columns, the keys' as wide as the longest


def test_undo_names_another_processs_action_and_the_copies_it_marked():
    """u in the app undid a CLI command's work saying only 'Undid mark everywhere'."""
    from corpus_tui.core.history import Event
    from corpus_tui.tui.editing import undone

    mine = Event(1, "t", "tester", "boilerplate.propagate", None, {})
    theirs = Event(2, "t", "cli", "boilerplate.propagate", None, {})
    copies = Event(3, "t", "tester", "boilerplate.propagate", None, {"documents": [4, 5]})
    assert undone(mine, "Undid", "tester") == "Undid mark everywhere"
    assert undone(theirs, "Undid", "tester") == "Undid mark everywhere (by cli)"
    assert undone(copies, "Redid", "tester") == "Redid marking 2 copies"
    # The same annotator in another process (the CLI run by the same person): said, with the size.
    batch = Event(4, "t", "tester", "boilerplate.propagate", None,
                  {"columns": ["id", "document_id"], "after": [[1, 7], [2, 7], [3, 9]]})
    assert undone(batch, "Undid", "tester", made_here=False) == (
        "Undid mark everywhere: 3 ranges in 2 documents (made by another process: the CLI or a script)")
    # After a restart, the app's own earlier actions were said to be another process's (a trial):
    # logged before this session opened, they are said to be from before it.
    earlier = Event(5, "2026-01-01T10:00:00.000+00:00", "tester", "status.set", 1, {})
    assert undone(earlier, "Undid", "tester", made_here=False, since="2026-01-02T09:00:00.000+00:00") == (
        "Undid status change (made before this session: in the app or the CLI)")
    assert undone(earlier, "Undid", "tester", made_here=False, since="2026-01-01T09:00:00.000+00:00").endswith(
        "(made by another process: the CLI or a script)")
    tagged = Event(6, "t", "tester", "tag.add", 1, {"tag_id": 3, "tag": "war [b]", "link": {}})
    assert undone(tagged, "Undid", "tester") == "Undid tag #war [b]"  # "Undid tag" named none (a trial)


def test_made_here_tells_this_processs_events_from_anothers(tmp_path):
    import subprocess
    import sys

    from corpus_tui import Corpus

    folder = tmp_path / "c"
    folder.mkdir()
    for name in "abc":
        (folder / f"{name}.txt").write_text(f"Story {name} here.\n\nShare this page with your friends today\n")
    with Corpus.open(folder, annotator="same") as corpus:
        corpus.scan()
        (repeat,) = corpus.repeats()
        code = ("import sys; from corpus_tui import Corpus\n"
                "with Corpus.open(sys.argv[1], annotator='same') as c: c.mark_everywhere(int(sys.argv[2]))")
        subprocess.run([sys.executable, "-c", code, str(folder), str(repeat.id)], check=True, timeout=60)
        theirs = corpus.undo()
        assert theirs is not None and not corpus.made_here(theirs.id)
        corpus.mark_everywhere(repeat.id)
        mine = corpus.undo()
        assert mine is not None and mine.id != theirs.id and corpus.made_here(mine.id)


async def test_the_annotate_box_fits_a_short_terminal(tmp_path):
    """At 50x15 the box lost its bottom edge and its 'enter saves · esc cancels' line."""
    from corpus_tui.tui.screens.annotate import AnnotateDialog

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(50, 15)) as pilot:
        await settle(pilot, app)
        await move_to(pilot, app, "On Thursday")
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AnnotateDialog)
        box = app.screen.query_one("Vertical")
        assert box.region.bottom <= 15 and box.region.y >= 0
        hint = next(s for s in app.screen.query("Static") if "esc cancels" in str(s.render()))
        assert hint.region.height == 1 and box.region.y < hint.region.y < box.region.bottom - 1


async def test_tab_in_the_label_box_takes_the_label_suggested(tmp_path):
    """Tab only moved to the note: "cl" was stored where "claim", greyed after it, was meant."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        doc = corpus.document_by_path(FIRST)
        corpus.add_annotation(doc.id, 0, 5, "claim")
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await move_to(pilot, app, "On Thursday")
        await pilot.press("a", "c", "l")
        await pilot.pause(0.3)  # the suggester answers in the background
        await pilot.press("tab", "enter")
        await pilot.pause()
    assert sorted(row["label"] for row in db_rows(folder, "SELECT label FROM spans WHERE kind = 'annotation'")) == [
        "claim", "claim"]


async def test_the_same_annotation_twice_is_added_once(tmp_path):
    """a, a label, enter enter, and again on the same paragraph: two identical rows, exported twice."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await move_to(pilot, app, "On Thursday")
        for _ in range(2):
            await pilot.press("a", *"claim", "enter", "enter")
            await pilot.pause()
        assert any("Already annotated as claim here" in str(n.message) for n in app._notifications)
    assert db_rows(folder, "SELECT COUNT(*) AS n FROM spans WHERE kind = 'annotation'") == [{"n": 1}]


async def test_a_filter_that_means_nothing_lists_nothing_and_says_why(tmp_path):
    """status:bogus kept the last good filter's rows on screen, and enter opened one of them."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app, lambda: len(app.doclist.rows) == 5)
        await pilot.press("f", *"iraqi")
        await settle(pilot, app, lambda: len(app.doclist.rows) == 3)
        app.query_one("#filter").value = "iraqi status:bogus"  # pasted: no state in between
        await settle(pilot, app, lambda: "unknown" in str(app.query_one("#filter").border_subtitle))
        assert app.doclist.rows == []
        assert "unknown status 'bogus'" in str(app.query_one("#filter").border_subtitle)
        await pilot.press("enter")  # the border cut it at "(one …": left, the filter says it whole
        said = list(app._notifications)[-1].message
        assert said.startswith("Filter: unknown status 'bogus' (one of: new, ") and said.endswith(")")
        await pilot.press("f")
        # The message quotes what was typed: it is shown as text, never taken as markup.
        for typed, shown in (("status:[/]", "'[/]'"), ("status:[b]x[/b]", "'[b]x[/b]'"),
                             ("status:[@click=app.quit]", "'[@click=app.quit]'")):
            app.query_one("#filter").value = typed
            await settle(pilot, app, lambda: shown in app.query_one("#filter")._border_subtitle.plain)
        assert app.is_running


async def test_an_annotation_starting_on_a_blank_line_has_its_label_in_the_margin(tmp_path):
    """A selection from a blank line down: the span starts on a row of no text, and no row drew
    its label."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        doc = corpus.document_by_path(FIRST)
        text = corpus.text(doc.id)
        start = text.index("\n\nBy [South") + 1  # the blank line before the byline
        corpus.add_annotation(doc.id, start, text.index("\n", start + 2), "byline")
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        rows = [app.reader.render_line(y).text for y in range(30)]
        assert any("◂byline" in row and "By [South Front]" in row for row in rows)


async def test_a_burst_of_keys_edits_a_text_box_in_the_order_typed(tmp_path):
    """Textual typed a burst's letters before the editing keys ahead of them ran (those go up
    to the app as bindings): over a slow link `xyz`, backspace, `qq` became `xyzq`, and ctrl+a
    `W` put the W at the end (a trial). Keys posted at once, as a terminal read delivers them."""
    from textual import events

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f", *"xyz")
        box = app.query_one("#filter")

        def burst(*keys: tuple[str, str | None]) -> None:
            for key, character in keys:
                app.post_message(events.Key(key, character))

        burst(("backspace", None), ("q", "q"), ("q", "q"))
        await pilot.pause()
        assert box.value == "xyqq"
        burst(("home", None), ("W", "W"))
        await pilot.pause()
        assert box.value == "Wxyqq"
        await pilot.press("escape", "m")  # the note editor: a text area
        await pilot.pause()
        area = app.screen.query_one("#note-text")
        burst(*[(c, c) for c in "abc"])
        await pilot.pause()
        burst(("backspace", None), ("d", "d"))
        await pilot.pause()
        assert area.text == "abd"


def post_burst(app, *keys: str) -> None:
    """Keys as one read of the terminal delivers them: posted at once, none handled yet."""
    from textual import events
    from textual.keys import _character_to_key

    for key in keys:
        if len(key) == 1:
            app.post_message(events.Key(_character_to_key(key), key))
        else:
            app.post_message(events.Key(key, {"escape": "\x1b", "enter": "\r", "tab": "\t"}.get(key)))


async def test_a_burst_in_a_dialog_runs_its_keys_in_order(tmp_path):
    """A dialog's arrow keys bubble up to it, while enter was the box's own: ↓ enter typed
    together toggled the tag above the one meant (and `el` ↓ enter made a tag `el`), opened the
    first search hit, and ctrl+s jj in the note editor saved "hellojj" (trials)."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        for name in ("alpha", "beta", "gamma"):
            corpus.create_tag(name)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        post_burst(app, "down", "down", "enter", "escape")
        await settle(pilot, app, lambda: app.screen is app.screen_stack[0])
        assert [tag.name for tag in app.corpus.document_tags(app.doc.id)] == ["gamma"]
        await pilot.press("ctrl+f", *"Mosul")
        screen = app.screen
        await settle(pilot, app, lambda: len(screen.hits) > 2)
        second = screen.hits[1].path
        post_burst(app, "down", "enter")
        await settle(pilot, app, lambda: app.screen is not screen)
        assert app.doc.path == second
        await pilot.press("m")
        await pilot.pause()
        post_burst(app, *"hello", "ctrl+s", "j", "j")
        await settle(pilot, app, lambda: app.screen is app.screen_stack[0])
        await pilot.pause(0.1)
        assert app.corpus.document(app.doc.id).note == "hello"  # the j's were commands again


async def test_esc_and_a_key_read_together_are_esc_then_the_key(tmp_path):
    """A terminal sends esc and a key typed right after it in one read, which Textual takes for
    alt+key: `/the` esc `n` typed "then" into the find box and left it open (a trial)."""
    from textual import events

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"the", "enter")
        await pilot.press("slash", *"Mosul")
        app.post_message(events.Key("alt+n", "n"))  # esc closes the find box; n: the next match
        await settle(pilot, app, lambda: app.focused is app.reader)
        assert app.focused is app.reader and app.reader.current_match >= 0
        before = app.reader.cursor
        app.post_message(events.Key("alt+j", "j"))  # in the reader: esc, then j (both were lost)
        await settle(pilot, app, lambda: app.reader.cursor != before)
        assert app.reader.cursor > before  # a line down


async def test_a_box_keeps_its_text_when_it_gets_the_focus_again(tmp_path):
    """Textual selected a box's text when it got the focus back, so the next letter replaced it
    (`f` back in the filter, then `x`, left `x` alone: a trial)."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f", *"iraq", "escape", "f", "x")
        assert app.query_one("#filter").value == "iraqx"


async def test_typing_after_tab_replaces_the_export_dialogs_default_path(tmp_path):
    """The default path is there to be replaced: with the text kept on focus (as other boxes
    now keep theirs), tab then a path added it to the end of the default (a review)."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e", "tab", *"x.jsonl")
        assert app.screen.query_one("#export-path").value == "x.jsonl"


async def test_a_burst_into_the_export_dialog_reaches_its_path(tmp_path):
    """`e` tab typed together: tab went to the screen underneath, before the dialog was there;
    and in its format list, enter (which moves to the path) let the keys after it go to the
    list: the path typed was lost, or lost its first `/` (trials)."""
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        post_burst(app, "e", "tab", *"x.jsonl")
        await settle(pilot, app, lambda: app.screen.query("#export-path")
                     and app.screen.query_one("#export-path").value == "x.jsonl")
        await pilot.press("escape")
        await settle(pilot, app, lambda: app.screen is app.screen_stack[0])
        post_burst(app, "e", "enter", *"/tmp/y.jsonl")
        await settle(pilot, app, lambda: app.screen.query("#export-path")
                     and app.screen.query_one("#export-path").value.endswith("y.jsonl"))
        assert app.screen.query_one("#export-path").value == "/tmp/y.jsonl"


async def test_a_box_given_the_focus_again_has_its_cursor_at_the_end(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f", *"abc", "left", "left", "escape", "f", "X")
        assert app.query_one("#filter").value == "abcX"  # it was "aXbc" (a trial)
        # The terminal losing and getting back the focus (another window) is not the box's: its
        # cursor stays (a review: it went to the end).
        from textual import events

        await pilot.press("left", "left")
        app.post_message(events.AppBlur())
        app.post_message(events.AppFocus())
        await pilot.pause()
        await pilot.press("Y")
        assert app.query_one("#filter").value == "abYcX"


async def test_keys_typed_during_a_first_scan_go_to_the_reader_and_an_empty_filter_says_so(tmp_path):
    """On a slow first start Textual focused the filter box until the list was loaded, so keys
    typed then went into it; and a filter that matched nothing left "No documents yet." while
    the header counted the corpus (a trial)."""
    folder = numbered_pages(tmp_path, 30, lambda n: f"Page {n}\n\nSome text of page {n}.\n", scanned=False)
    app = app_on(folder, scan_on_open=True)
    async with app.run_test(size=(120, 30)) as pilot:
        assert app.focused is app.reader
        await pilot.press("f", *"zzz", "enter")
        await settle(pilot, app, lambda: app._progress[1] == 30 and app._banner != "No documents yet.")
        assert app._banner == "No document matches the filter (f to change it)."
        await pilot.press("f", "ctrl+u", "enter")
        await settle(pilot, app, lambda: app.doc is not None)
