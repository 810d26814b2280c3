"""Untrusted text is data: markup, escapes and control characters are shown literally."""

from __future__ import annotations

from corpus_tui import Corpus
from corpus_tui.tui.app import make_app
from tui_support import reader_lines, settle

HOSTILE = (
    "[bold]not bold[/] [link=https://evil.example]x[/link] [@click=app.quit]click[/] [South Front](#) [/]\n"
    "\x1b[31mred\x1b[0m \x1b]0;pwned title\x07 osc \x1b[2J\n"
    "CJK 中文字符 emoji 😀👍 RTL\u202eevil\u202c zero\u200bwidth\n"
    + "x" * 10_000  # pushes the NUL below past the first 8,000 bytes (git's binary rule)
    + "\ntab\there NUL\x00 bell\x07 DEL\x7f C1\x85 end\n"
    "last line\n"
)
RAW_CONTROLS = [chr(c) for c in range(0x20) if c != 0x0A] + ["\x7f", "\x85", "\u202e", "\u200b"]


def hostile_corpus(tmp_path):
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "[bold]name[@click=app.quit].txt").write_text(HOSTILE, encoding="utf-8")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        doc = corpus.documents()[0]
        corpus.add_tag(doc.id, "[red]tag[/]")
        corpus.add_annotation(doc.id, 0, 6, "[@click=app.quit]", note="[/] note")
        corpus.set_note(doc.id, "\x1b[31m note [b]")
    return folder


async def test_hostile_text_is_shown_literally_and_aligned(tmp_path):
    folder = hostile_corpus(tmp_path)
    app = make_app(folder, annotator="tester", scan_on_open=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        screen = "\n".join(reader_lines(app))
        for literal in ("[bold]not bold[/]", "[link=https://evil.example]x[/link]", "[@click=app.quit]click[/]",
                        "[South Front](#) [/]", "␛[31mred␛[0m ␛]0;pwned title␇ osc ␛[2J",
                        "CJK 中文字符 emoji 😀👍 RTL▯evil▯ zero▯width"):
            assert literal in screen
        for char in RAW_CONTROLS:
            assert char not in screen
        # every row is exactly the reader's width in cells: wide characters do not shift columns
        widths = {app.reader.render_line(y).cell_length for y in range(app.reader.scrollable_content_region.height)}
        assert widths == {app.reader.scrollable_content_region.width}
        # the 10,000-character line wraps into rows, all of it reachable
        await pilot.press("G")
        assert app.reader.cursor == len(app.reader.text)
        bottom = "\n".join(reader_lines(app))
        assert "tab→here NUL␀ bell␇ DEL␡ C1� end" in bottom and "last line" in bottom
        for char in RAW_CONTROLS:
            assert char not in bottom
        # the document list, inspector and top bar show the names as typed
        assert "[bold]name[@click=app.quit].txt" in str(app.query_one("#topbar").render())
        from corpus_tui.tui.widgets.inspector import Inspector

        view = app.query_one(Inspector)
        inspector = "\n".join(view.render_line(y).text for y in range(len(view.lines)))
        assert "#[red]tag[/]" in inspector
        assert "[@click=app.quit]" in inspector and "[/] note" in inspector
        assert "␛[31m note [b]" in inspector
        assert app.is_running  # no [@click=app.quit] was run


async def test_hostile_file_name_in_the_list(tmp_path):
    folder = hostile_corpus(tmp_path)
    (folder / "\x1b[31mevil.txt").write_text("", encoding="utf-8")
    with Corpus.open(folder) as corpus:
        corpus.scan()
    app = make_app(folder, annotator="tester", scan_on_open=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        rows = [app.doclist.render_line(y).text for y in range(len(app.doclist.rows))]
        assert any("␛[31mevil.txt" in row for row in rows)
        assert not any("\x1b" in row for row in rows)


async def test_a_wide_character_title_leaves_the_tags_and_share_on_the_row():
    """A CJK title cut by characters took twice its room and pushed the tag and the share off."""
    from textual.app import App, ComposeResult

    from corpus_tui.core.listing import DocRow
    from corpus_tui.tui.widgets.document_list import DocumentList

    class ListOnly(App[None]):
        def compose(self) -> ComposeResult:
            yield DocumentList()

    app = ListOnly()
    async with app.run_test(size=(60, 5)) as pilot:
        listing = app.query_one(DocumentList)
        listing.set_rows([DocRow(1, "a.txt", "新闻" * 30, "in_progress", "ok", 10, ("urgent",), 0.42),
                          DocRow(2, "b.txt", "News " * 30, "in_progress", "ok", 10, ("urgent",), 0.42)])
        await pilot.pause()
        for y in range(2):
            strip = listing.render_line(y)
            assert "#urgent" in strip.text and strip.text.rstrip().endswith("42%")
            assert strip.cell_length == listing.scrollable_content_region.width


async def test_a_line_break_in_a_file_name_shows_as_its_glyph_and_a_missing_file_says_what_it_means(tmp_path):
    """The top bar showed 'new line.txt' for new\\nline.txt, and the inspector a bare 'missing:'
    (a new user's trial)."""
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "new\nline.txt").write_text("A page whose name holds a line break.\n", encoding="utf-8")
    (folder / "gone.txt").write_text("A page about to go.\n", encoding="utf-8")
    with Corpus.open(folder) as corpus:
        corpus.scan()
        (folder / "gone.txt").unlink()
        corpus.scan()
    from corpus_tui.tui.widgets.inspector import Inspector

    app = make_app(folder, annotator="tester", scan_on_open=False)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        for _ in range(2):
            top = str(app.query_one("#topbar").render())
            view = app.query_one(Inspector)
            inspector = " ".join(" ".join(view.render_line(y).text for y in range(len(view.lines))).split())
            if app.doc.path == "gone.txt":
                assert "missing: the file is gone from the folder" in inspector
            else:
                assert "new␊line.txt" in inspector and "new␊line.txt" in top
            await pilot.press("]")
            await settle(pilot, app)


async def test_the_note_editor_shows_control_characters_as_glyphs_and_changes_nothing_unedited(tmp_path):
    """The note editor sent a note's escape sequences raw to the terminal (it set the tmux pane's
    title), and esc without typing rewrote a note holding CRLF and LF, U+2028 or a form feed (a
    review): the editor's own line breaks counted as an edit."""
    from textual.widgets import TextArea

    folder = hostile_corpus(tmp_path)
    note = "mixed\r\nand\nbreaks \x1b]2;pwned\x07 \u2028 \x0c \u200b end"
    with Corpus.open(folder, annotator="tester") as corpus:
        doc = corpus.documents()[0]
        corpus.set_note(doc.id, note)
        events = len(corpus.events(doc.id))
    app = make_app(folder, annotator="tester", scan_on_open=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("m")
        area = app.screen.query_one(TextArea)
        shown = "\n".join(area.get_line(row).plain for row in range(area.document.line_count))
        assert "␛]2;pwned␇ ▯ ␌ ▯ end" in shown
        assert not any(raw in shown for raw in RAW_CONTROLS if raw != "\t")
        await pilot.press("escape")
        with Corpus.open(folder, annotator="tester") as corpus:
            assert corpus.document(doc.id).note == note and len(corpus.events(doc.id)) == events
        await pilot.press("m", "end", "!", "escape")  # an edit keeps every character it did not touch
        await settle(pilot, app)
        with Corpus.open(folder, annotator="tester") as corpus:
            assert corpus.document(doc.id).note.replace("\r\n", "\n") == note.replace("\r\n", "\n") + "!"


async def test_a_character_with_its_combining_accent_is_one_stop_for_the_cursor(tmp_path):
    """l onto a combining accent drew no cursor at all, and shift+right over "Café" (an e and
    U+0301) selected "Cafe" while the screen showed the accent selected (a trial)."""
    folder = tmp_path / "accents"
    folder.mkdir()
    text = "Cafe\u0301 au lait\n"
    (folder / "a.txt").write_text(text, encoding="utf-8")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    app = make_app(folder, annotator="tester", scan_on_open=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("l", "l", "l", "l")  # C a f é: the accent is no stop of its own
        assert app.reader.cursor == 5 and text[app.reader.cursor] == " "
        await pilot.press("h")
        assert app.reader.cursor == 3  # back on the e that carries it
        await pilot.press("0", "shift+right", "shift+right", "shift+right", "shift+right")
        start, end = app.reader.selection()
        assert text[start:end] == "Cafe\u0301"


async def test_a_selection_that_holds_a_line_break_shows_it_past_the_line(tmp_path):
    """shift+right over "Mosul.⏎Second" selected the CRLF (right) but nothing past "Mosul." was
    drawn: the span looked as if it stopped at the line's end (a trial)."""
    from corpus_tui.tui.widgets.reader import SELECTION_STYLE

    folder = tmp_path / "crlf"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"Mosul.\r\nSecond line\r\n")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    app = make_app(folder, annotator="tester", scan_on_open=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press(*["shift+right"] * 7)  # "Mosul." and the line break (one stop)
        assert app.reader.selection() == (0, 8)
        row = [segment for segment in app.reader.render_line(0) if segment.text]
        after = next(index for index, segment in enumerate(row) if segment.text.endswith("Mosul."))
        assert row[after + 1].text == " " and row[after + 1].style.reverse == SELECTION_STYLE.reverse is True


async def test_a_message_quoting_a_file_name_shows_its_escapes_as_glyphs(tmp_path):
    """The export's warnings and the library's errors quote paths as they are; a toast sent them
    to the terminal raw (a file name set the terminal's title: a review). Every notify maps them."""
    folder = hostile_corpus(tmp_path)
    app = make_app(folder, annotator="tester", scan_on_open=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        app.notify("e\x1b]0;OWNED\x1b\\.txt: left out [b]x[/b]\x07", title="\x1b[31mT", markup=False)
        app.screen.notify("from a screen \x1b[2J", markup=False)
        await settle(pilot, app, condition=lambda: len(app._notifications) >= 2)
        shown = [(n.message, n.title) for n in app._notifications][-2:]
        assert shown == [("e␛]0;OWNED␛\\.txt: left out [b]x[/b]␇", "␛[31mT"), ("from a screen ␛[2J", "")]
        assert all(not n.markup for n in app._notifications)
        app.action_help_quit()  # Textual's own, with its markup: the key in bold, not "[b]ctrl+q[/b]"
        await settle(pilot, app, condition=lambda: len(app._notifications) >= 3)
        last = list(app._notifications)[-1]
        assert last.markup and "[b]" in last.message


def test_every_notify_of_the_app_passes_markup_false():
    """The app's messages quote data: each must say markup=False (the glyph mapping depends on it)."""
    import ast
    from pathlib import Path

    import corpus_tui.tui

    missing = []
    for path in Path(corpus_tui.tui.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "notify"
                    and not (isinstance(node.func.value, ast.Call) and getattr(node.func.value.func, "id", "") == "super")
                    and not any(k.arg == "markup" and isinstance(k.value, ast.Constant) and k.value.value is False
                                for k in node.keywords)):
                missing.append(f"{path.name}:{node.lineno}")
    assert missing == []


async def test_a_text_box_draws_control_and_format_characters_as_glyphs_one_for_one(tmp_path):
    """The export path box held a folder name's escape sequence raw (it set the terminal's title)."""
    from textual.widgets import Input

    folder = hostile_corpus(tmp_path)
    app = make_app(folder, annotator="tester", scan_on_open=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        await settle(pilot, app, condition=lambda: isinstance(app.focused, Input))
        box = app.focused
        box.value = "a\x1b]0;T\x07b\u202ec"
        box.cursor_position = 4
        await settle(pilot, app)
        line = box.render_line(0).text
        assert "a␛]0;T␇b▯c" in line and not any(char in line for char in RAW_CONTROLS)
        assert box.value == "a\x1b]0;T\x07b\u202ec"  # what is searched for is the text, not its glyphs
        # The cursor is measured on the text as drawn: Textual took these characters for no cell
        # and scrolled the end of a long value, and the cursor, out of the box (a review).
        box.value = "start" + "\x1b" * 200 + "END"
        box.cursor_position = len(box.value)
        await settle(pilot, app)
        assert box._position_to_cell(len(box.value)) == 208
        assert "END" in box.render_line(0).text


async def test_annotate_suggests_a_label_holding_a_format_character_as_shown_and_saves_the_label(tmp_path):
    from textual.widgets import Input

    folder = hostile_corpus(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.add_annotation(corpus.documents()[0].id, 7, 10, "rtl\u202elab")
    app = make_app(folder, annotator="tester", scan_on_open=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("a")
        await settle(pilot, app, condition=lambda: isinstance(app.focused, Input))
        await pilot.press("r", "t")
        await settle(pilot, app, condition=lambda: app.focused._suggestion == "rtl▯lab")
        assert "rtl▯lab" in app.focused.render_line(0).text and "\u202e" not in app.focused.render_line(0).text
        await pilot.press("tab", "enter")
        await settle(pilot, app)
    with Corpus.open(folder) as corpus:
        labels = [s.label for s in corpus.spans(corpus.documents()[0].id, "annotation")]
    assert labels.count("rtl\u202elab") == 2 and "rtl▯lab" not in labels
