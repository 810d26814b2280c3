"""What a new user hit in the app (issue 10, part 3): the cursor off screen without wrap,
key names in the help, a skip key, counts in words, long values cut, and their own keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.command import CommandPalette
from tui_support import FIRST, app_on, db_rows, numbered_pages, seeds_copy, settle

from corpus_tui import Corpus
from corpus_tui.config import ConfigError, config_path, load_config
from corpus_tui.tui.app import make_app
from corpus_tui.tui.keymap import check_keymap
from corpus_tui.tui.screens.help import HelpScreen
from corpus_tui.tui.widgets.inspector import Inspector

LONG = " ".join(f"word{i}" for i in range(600))  # ~5,000 cells on one line


def long_line_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "a.txt").write_text(f"short line\n{LONG} FAR_RIGHT end\nlast\n{LONG} LAST_WORD", encoding="utf-8")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    return folder


def cursor_visible(reader) -> bool:  # type: ignore[no-untyped-def]
    row, x = reader.layout_.cell_of(reader.cursor)
    top, left = int(reader.scroll_offset.y), int(reader.scroll_offset.x)
    height = reader.scrollable_content_region.height
    return top <= row < top + height and left <= x < left + reader.text_width


# -- the cursor stays on screen with wrap off -------------------------------------------------


async def test_without_wrap_dollar_G_and_find_scroll_sideways_to_the_cursor(tmp_path):
    folder = long_line_corpus(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(100, 30)) as pilot:
        reader = app.reader
        await pilot.press("w", "j", "dollar_sign")
        assert reader.wrap is False and reader.cursor > 4000 and cursor_visible(reader)
        assert reader.scroll_offset.x > 0
        await pilot.press("0")
        assert cursor_visible(reader) and reader.scroll_offset.x == 0
        await pilot.press("G")
        assert reader.cursor == len(reader.text) and cursor_visible(reader)
        await pilot.press("g", "slash", *"FAR_RIGHT", "enter")
        assert reader.text[reader.cursor:].startswith("FAR_RIGHT") and cursor_visible(reader)
        # What is drawn is that part of the line: the match's first letter is under the cursor.
        row, x = reader.layout_.cell_of(reader.cursor)
        drawn = reader.render_line(row - int(reader.scroll_offset.y)).text
        assert drawn[reader._gutter_width + x - int(reader.scroll_offset.x)] == "F"


# -- the help screen ---------------------------------------------------------------------


async def test_help_shows_keys_as_typed_and_keeps_descriptions_in_their_column(tmp_path):
    app = app_on(seeds_copy(tmp_path))
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = str(app.screen.query_one("Static").render())
        for name in ("right_square_bracket", "left_square_bracket", "slash", "question_mark", "backslash",
                     "dollar_sign"):
            assert name not in shown
        lines = shown.splitlines()
        assert any(line.startswith("  ]  ") and "Next doc" in line for line in lines)
        for key, description in (("/", "Find"), ("?", "Help"), ("\\", "Toggle list")):
            assert any(line.strip().startswith(key) and description in line for line in lines), key
        one_to_nine = next(i for i, line in enumerate(lines) if line.startswith("  1-9"))
        row = lines[one_to_nine]
        description_at = row.index(row.split()[1])  # where its description starts
        continued = lines[one_to_nine + 1]
        assert continued[:description_at].strip() == "" and continued[description_at] != " "  # wrapped under it
        assert all(len(line) <= 68 for line in lines)


# -- S: skipped ------------------------------------------------------------------------------


async def test_S_marks_the_document_skipped_and_back_with_footer_help_and_palette(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(160, 40)) as pilot:
        shown_in_footer = {b.binding.key: b.binding.description for b in app.screen.active_bindings.values()
                           if b.binding.show}
        assert shown_in_footer.get("S") == "Skipped"
        await pilot.press("S")
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "skipped"}]
        await pilot.press("S")
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "in_progress"}]
        await pilot.press("question_mark")
        assert "Skipped" in str(app.screen.query_one("Static").render())
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"skipped", "enter")
        await pilot.pause()
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "skipped"}]


async def test_space_moves_on_past_skipped_documents(tmp_path):
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder) as corpus:
        corpus.set_status(corpus.document_by_path("001_07e63e06108ae30e.txt").id, "skipped")
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")
        assert app.doc.path == "002_a7de4bf8afd987b8.txt"


# -- counts and long values ------------------------------------------------------------------


async def test_counts_read_as_words_and_a_small_first_mark_is_not_zero_percent(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "a.txt").write_text("Menu\n\n" + "Body text of a long article. " * 300, encoding="utf-8")
    (folder / "b.txt").write_text("one line only", encoding="utf-8")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("b")  # the first paragraph: "Menu", 4 of ~8,700 characters
        await settle(pilot, app, lambda: "<1%" in app.doclist.render_line(0).text)
        shown = app.query_one(Inspector).text
        assert "boilerplate: 1 span, <1% of text" in shown and "1 spans" not in shown
        assert " 3 lines · " in shown
        row = app.doclist.render_line(0).text
        assert "<1%" in row and " 0%" not in row
        await pilot.press("right_square_bracket")
        assert " 1 line · 13 chars" in app.query_one(Inspector).text


async def test_the_inspector_wraps_long_values_instead_of_cutting_them(tmp_path):
    folder = tmp_path / "yaml"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: [unclosed\nauthor: x\n---\nBody.\n", encoding="utf-8")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        problem = corpus.document_by_path("a.md").problem
    assert problem and len(problem) > 40
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        # Its suggestions worked out first: "being worked out…" ends in an ellipsis of its own.
        await settle(pilot, app, lambda: not app._suggestions_pending)
        inspector = app.query_one(Inspector)
        width = inspector.scrollable_content_region.width
        drawn = [inspector.render_line(y).text.rstrip() for y in range(inspector.scrollable_content_region.height)]
        assert not any(line.endswith("…") for line in drawn)
        assert " ".join(" ".join(drawn).split()).count(" ".join(problem.split())[-20:]) == 1
        assert all(len(line) <= width for line in drawn)


# -- keys from the config file ---------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_keys_from_the_config_file_drive_the_app_and_show_in_footer_help_and_palette(tmp_path):
    folder = seeds_copy(tmp_path)
    config = load_config(write_config(
        tmp_path, '[keys]\ntoggle_reviewed = "ctrl+y"\nnext_document = "ctrl+n"\nwrap = "ctrl+w"\n'))
    app = make_app(folder, annotator="tester", scan_on_open=False,
                   keymap=check_keymap(config.keys, str(config.path)))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("r")  # no longer reviewed's key
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "new"}]
        await pilot.press("ctrl+y")
        assert db_rows(folder, "SELECT status FROM documents WHERE path = ?", (FIRST,)) == [{"status": "reviewed"}]
        await pilot.press("ctrl+n")
        assert app.doc.path != FIRST
        await pilot.press("question_mark")
        lines = str(app.screen.query_one("Static").render()).splitlines()
        assert any(line.strip().startswith("^y") and "Reviewed" in line for line in lines)
        assert any(line.strip().startswith("^n") and "Next doc" in line for line in lines)
        await pilot.press("escape")
        # The command palette names the keys that run each command now, the user's included.
        commands = {command.title: command.help for command in app.get_system_commands(app.screen)}
        assert commands["Reviewed"] == "key: ^y"  # the key, not the name again (read as a second command)
        assert commands["Next doc"] == "key: ^n"
        assert commands["Soft wrap on / off"] == "key: ^w"
        assert commands["Find"] == "key: /"  # not remapped: its own key


@pytest.mark.parametrize("text, message", [
    ('[keys]\ntoggle_boilerplat = "x"\n', "'toggle_boilerplat' is not a binding id (closest: toggle_boilerplate)"),
    ('[keys]\ntoggle_boilerplate = "x"\n', "'x' is bound to both"),
    ('[keys]\ntoggle_boilerplate = "ctrl+nonsense"\n', "'ctrl+nonsense' is not a key name"),
    ('[keys]\ntoggle_boilerplate = "B, ctlr+b"\n', "'ctlr+b' is not a key name"),
    ('[keys]\nremove_span = "shift+x"\n', "'shift+x' never arrives from a terminal, which sends the shifted "
                                          "character: write 'X'"),
    ('[keys]\ntoggle_boilerplate = "ctrl+p"\n', "'ctrl+p' is the app's own key for the command palette"),
    ('[keys]\ntoggle_boilerplate = "B, ctrl+q"\n', "'ctrl+q' is the app's own key for quitting"),
    ('[keys]\ntoggle_reviewed = "ctrl+m"\n', "'ctrl+m' never arrives as itself: a terminal sends it as enter"),
    ('[keys]\ntoggle_skipped = "tab"\n', "'tab' never arrives as itself: it moves the focus"),
    ('[keys]\ntoggle_boilerplate = 5\n', "toggle_boilerplate: must be a string of keys"),
    ('[keys\n', "not valid TOML"),
    ('colour = "red"\n', "unknown setting 'colour'"),
])
def test_a_bad_config_stops_the_app_in_one_line_naming_the_file(tmp_path, text, message):
    folder = seeds_copy(tmp_path, scanned=False)
    config = write_config(tmp_path, text)
    result = subprocess.run([sys.executable, "-m", "corpus_tui", str(folder)], capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL,
                            env={**os.environ, "CORPUS_TUI_CONFIG": str(config)})
    assert result.returncode != 0 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"corpus-tui: error: {config}: ") and message in line
    assert not (folder / "annotations.db").exists()  # nothing was opened


def test_the_config_file_lives_where_the_platform_keeps_them(tmp_path, monkeypatch):
    monkeypatch.delenv("CORPUS_TUI_CONFIG", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "corpus-tui" / "config.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/path")  # the XDG spec: ignored
    assert config_path() == Path.home() / ".config" / "corpus-tui" / "config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert config_path() == Path.home() / ".config" / "corpus-tui" / "config.toml"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert config_path() == Path.home() / "Library" / "Application Support" / "corpus-tui" / "config.toml"
    monkeypatch.setenv("CORPUS_TUI_CONFIG", str(tmp_path / "mine.toml"))
    assert config_path() == tmp_path / "mine.toml"
    assert load_config().exists is False and load_config().keys == {}  # a missing file: no config


def test_a_config_that_is_not_text_is_one_error(tmp_path):
    path = tmp_path / "bytes.toml"
    path.write_bytes(b"\xff\xfe[keys]")
    with pytest.raises(ConfigError, match=f"{path}: not UTF-8 text"):
        load_config(path)


def test_corpus_tui_keys_lists_every_binding_id_with_the_users_keys(tmp_path):
    config = write_config(tmp_path, '[keys]\ntoggle_boilerplate = "x"\nremove_span = "delete"\n')
    env = {**os.environ, "CORPUS_TUI_CONFIG": str(config)}
    listed = subprocess.run([sys.executable, "-m", "corpus_tui", "keys"], capture_output=True, text=True,
                            timeout=60, env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == f"config: {config}"
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:]}
    assert rows["toggle_boilerplate"][:2] == ["x", "x"] and lines[2:] and "(remapped)" in " ".join(rows["remove_span"])
    assert rows["next_document"][:2] == ["right_square_bracket", "]"]
    assert {"toggle_skipped", "cursor_down", "wrap", "list_open", "hotkey_tag_1"} <= set(rows)
    as_json = subprocess.run([sys.executable, "-m", "corpus_tui", "keys", "--json"], capture_output=True,
                             text=True, timeout=60, env=env)
    import json

    data = json.loads(as_json.stdout)
    assert data["config_exists"] is True and data["keys"]["remove_span"]["keys"] == "delete"


@pytest.mark.parametrize("text, message", [
    ('[keys]\ntoggle_boilerplat = "x"\n', "'toggle_boilerplat' is not a binding id (closest: toggle_boilerplate)"),
    ('[keys\n', "not valid TOML"),
])
def test_corpus_tui_keys_lists_the_ids_even_when_the_config_is_refused(tmp_path, text, message):
    """The command that shows the binding ids refused to run on a config with a typo in one."""
    config = write_config(tmp_path, text)
    listed = subprocess.run([sys.executable, "-m", "corpus_tui", "keys"], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "CORPUS_TUI_CONFIG": str(config)})
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    assert len(listed.stderr.splitlines()) == 1 and message in listed.stderr and "the keys above are the defaults" in listed.stderr
    rows = {line.split()[0]: line.split()[1:] for line in listed.stdout.splitlines()[2:]}
    assert rows["toggle_boilerplate"][:2] == ["b", "b"]


async def test_the_apps_export_offers_label_studio_with_its_config_beside(tmp_path):
    import json

    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t", *"iraq", "enter", "escape", "e")
        await pilot.press(*["down"] * 8, "enter")  # label-studio, the last format
        await pilot.press("enter")  # the proposed path
        await settle(pilot, app, lambda: (tmp_path / "seeds-label-studio.label-config.xml").exists())
    tasks = json.loads((tmp_path / "seeds-label-studio.json").read_text())
    assert len(tasks) == 5 and {"text", "path"} <= set(tasks[0]["data"])
    assert '<Choice value="iraq"' in (tmp_path / "seeds-label-studio.label-config.xml").read_text()


async def test_the_panels_fold_away_and_come_back_as_the_terminal_narrows_and_grows(tmp_path):
    app = app_on(seeds_copy(tmp_path))
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, app)
        assert app.screen.has_class("-hide-inspector") and app.screen.has_class("-hide-list")
        await pilot.resize_terminal(120, 40)
        await settle(pilot, app)
        assert not app.screen.has_class("-hide-inspector") and not app.screen.has_class("-hide-list")
        await pilot.resize_terminal(100, 40)
        await settle(pilot, app)
        assert app.screen.has_class("-hide-inspector") and not app.screen.has_class("-hide-list")
        await pilot.press("i")  # the analyst's own choice stands whatever the width
        await pilot.resize_terminal(60, 20)
        await settle(pilot, app)
        assert not app.screen.has_class("-hide-inspector")


@pytest.mark.parametrize("width", [60, 120])
async def test_help_scrolls_with_the_readers_keys_and_its_descriptions_fit_beside_the_keys(tmp_path, width):
    from textual.containers import VerticalScroll
    from textual.widgets import Static

    app = app_on(seeds_copy(tmp_path))
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot, app)
        scroll = app.screen.query_one(VerticalScroll)
        text = str(app.screen.query_one(Static).render())
        # Each line fits the box as the help wrote it: a long description wraps under itself,
        # never again by the box, which would start its rest under the keys.
        assert max(len(line.rstrip()) for line in text.split("\n")) <= scroll.scrollable_content_region.width
        await pilot.press("G")
        await settle(pilot, app)
        assert scroll.scroll_y == scroll.max_scroll_y > 0
        await pilot.press("k", "k")
        await settle(pilot, app)
        assert scroll.scroll_y == scroll.max_scroll_y - 2
        await pilot.press("g", "j")
        await settle(pilot, app)
        assert scroll.scroll_y == 1


async def test_an_answer_that_comes_while_the_app_closes_is_dropped(tmp_path):
    """Quitting right after a document opens: its suggestions, scored in a worker, can come back
    after the reader is gone. That is no error to show (it once failed a short test in CI)."""
    from textual.css.query import NoMatches
    from textual.worker import WorkerFailed

    app = app_on(seeds_copy(tmp_path))
    async with app.run_test(size=(120, 40)):
        app._running = False  # what Textual's shutdown sets first, before it removes the widgets
        app._handle_exception(WorkerFailed(NoMatches("No nodes match 'Reader'")))
        app._handle_exception(NoMatches("No nodes match 'Inspector'"))
        assert app._exception is None
        app._running = True


async def test_the_panels_come_back_when_the_terminal_grows_behind_a_dialog(tmp_path):
    app = app_on(seeds_copy(tmp_path))
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.resize_terminal(140, 40)
        await settle(pilot, app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert not app.screen.has_class("-hide-inspector") and not app.screen.has_class("-hide-list")


async def test_a_narrow_terminal_keeps_the_documents_name_in_the_top_bar(tmp_path):
    """At 44 columns the app's name goes, then the name's middle: its end, a unique id, stays."""
    from corpus_tui.core.safe_text import middle_cut

    assert middle_cut("000_017fdcef885307d4.txt", 12) == "000_0…d4.txt" and middle_cut("short", 12) == "short"
    app = app_on(seeds_copy(tmp_path))
    async with app.run_test(size=(44, 20)) as pilot:
        await pilot.pause()
        bar = str(app.query_one("#topbar").render())
        assert "corpus-tui" not in bar and bar.endswith("307d4.txt") and len(bar) <= 42
        # The find's place stays too: a long name pushed "/the 3/17" off the bar (a trial).
        await pilot.press("slash", *"the", "enter", "n")
        bar = str(app.query_one("#topbar").render())
        assert " · /the 2/" in bar and bar.rstrip().endswith(str(len(app.reader.matches))) and len(bar) <= 42
        await pilot.resize_terminal(140, 30)
        await pilot.pause()
        assert str(app.query_one("#topbar").render()).startswith("corpus-tui · ")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_wrapped_rows_show_every_character_whatever_the_line_numbers_width(tmp_path, size):
    """The gutter is sized for the shown text's line count before its rows are laid out: sized
    for the document before (or none), rows were laid out a digit too wide and their last
    characters were cropped (1 a row with 2-digit line numbers, 2 with 3-digit ones)."""
    folder = tmp_path / "digits"
    folder.mkdir()
    digits = "0123456789" * 40
    (folder / "a.txt").write_text("one\ntwo\n", encoding="utf-8")
    (folder / "b.txt").write_text("".join(f"line {n}\n" for n in range(11)) + digits + "\n", encoding="utf-8")
    (folder / "c.txt").write_text("".join(f"line {n}\n" for n in range(120)) + digits + "\n", encoding="utf-8")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    app = app_on(folder)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        for _ in range(2):
            await pilot.press("]")
            await settle(pilot, app)
            reader = app.reader
            await pilot.press("G", "k")  # the digits line
            await settle(pilot, app)
            layout = reader.layout_
            gutter, _, text_width = reader._geometry()
            line = layout.line_of(reader.cursor)
            rows = range(layout.line_first_row[line], layout.row_count)
            shown = []
            for row in rows:
                y = row - int(reader.scroll_offset.y)
                assert 0 <= y < reader.scrollable_content_region.height
                start, end = layout.row_span(row)
                cells = reader.render_line(y).text[gutter : gutter + text_width]
                assert cells.rstrip() == reader.text[start:end].rstrip("\n"), (row, cells)
                shown.append(cells.rstrip())
            assert "".join(shown) == digits
            assert len(str(layout.line_count)) + 1 == gutter


async def test_keys_set_in_the_config_keep_their_place_in_the_footer(tmp_path):
    """With the README's example config the boilerplate key and ] Next doc moved to the end of
    the footer and were cut off at 120 columns."""
    folder = seeds_copy(tmp_path)
    config = load_config(write_config(tmp_path, '[keys]\ntoggle_boilerplate = "x"\nremove_span = "delete"\n'
                                                'next_document = "right_square_bracket,ctrl+n"\n'))

    async def footer_order(keymap):  # type: ignore[no-untyped-def]
        app = make_app(folder, annotator="tester", scan_on_open=False, keymap=keymap)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            shown = [b.binding.description for b in app.screen.active_bindings.values()
                     if b.binding.show and b.binding.description]
            return list(dict.fromkeys(shown))  # a description with two keys is one place

    plain = await footer_order(None)
    remapped = await footer_order(check_keymap(config.keys, str(config.path)))
    assert remapped.index("Boilerplate") == plain.index("Boilerplate")
    assert remapped.index("Next doc") == plain.index("Next doc")
    assert sorted(remapped) == sorted(plain)


async def test_long_tags_give_way_to_the_title_and_the_status_columns(tmp_path):
    """At 80 columns three long tags cut a title to 4 characters and pushed the boilerplate share
    out of the row."""
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        document = corpus.document_by_path(FIRST)
        for tag in ("a-rather-long-tag-name", "another-long-tag-name", "third-tag-here"):
            corpus.add_tag(document.id, tag)
        corpus.mark_boilerplate(document.id, 0, 40)
    app = app_on(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        doclist = app.doclist
        doclist.render_lines(doclist.scrollable_content_region)  # the row width of this paint
        row = doclist.render_line(0).text
        title = next(r.title for r in doclist.rows if r.path == FIRST)
        assert row[2:14] == title[:12]  # the title keeps its start
        assert row.rstrip().endswith("%")  # the share column is there
        assert "#" not in row  # no room left for a tag: the inspector lists them
    app = app_on(folder)
    async with app.run_test(size=(200, 24)) as pilot:  # a list 44 cells wide
        await settle(pilot, app)
        doclist = app.doclist
        doclist.render_lines(doclist.scrollable_content_region)
        row = doclist.render_line(0).text
        assert row[2:14] == title[:12] and row.rstrip().endswith("%")
        assert "#a-rather" in row and "#another" not in row  # the first tag, cut to what is left


async def test_the_document_list_never_scrolls_sideways(tmp_path):
    """Once a long list scrolled, a horizontal scrollbar appeared under it and hid its last row."""
    folder = numbered_pages(tmp_path, 120, lambda n: f"A title that is long enough to fill the row {n}\n\nBody.\n")
    app = app_on(folder)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot, app)
        app.doclist.focus()
        await pilot.press("G")
        await pilot.pause()
        assert app.doclist.show_vertical_scrollbar and not app.doclist.show_horizontal_scrollbar


def test_the_readmes_example_config_is_one_the_app_takes(tmp_path):
    """Pasted as it is, the README's example was refused (its ctrl+j arrives as enter: a new user's trial)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```toml\n(# ~/.config/corpus-tui/config.toml\n.*?)```", readme, re.S)
    config = load_config(write_config(tmp_path, example))
    keys = check_keymap(config.keys, str(config.path))
    assert {"toggle_boilerplate", "remove_span", "next_document", "cursor_down"} <= set(keys)


async def test_the_inspector_and_banner_hints_name_the_keys_the_config_set(tmp_path):
    """After rebinding, the inspector still said 't to add', 'y accepts': keys that no longer did
    anything (a new user's trial)."""
    folder = seeds_copy(tmp_path)
    config = load_config(write_config(tmp_path, '[keys]\ntag_picker = "T"\naccept_suggestion = "z"\n'
                                                'edit_note = "ctrl+e"\nnext_suggestion = "comma,full_stop"\n'
                                                'previous_suggestion = "less_than_sign"\n'))
    app = make_app(folder, annotator="tester", scan_on_open=False, keymap=check_keymap(config.keys, str(config.path)))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app, lambda: bool(app.suggestions))
        app.reader.move_to(app.suggestions[0].start)
        await pilot.pause()
        from corpus_tui.tui.widgets.inspector import Inspector

        view = app.query_one(Inspector)
        shown = " ".join(" ".join(line.plain for line in view.lines).split())
        assert "none (T to add)" in shown and "none (^e to write)" in shown
        assert "z accepts, d rejects, Y accepts all, , / . next" in shown


def test_the_inspector_of_a_document_with_front_matter_keeps_its_flags(scanned):
    """The front matter loop reused the names of describe's parameters: the key function became
    the last field's name (the app crashed once hints named keys) and the hidden-suggestions flag
    its value (suggestions shown as if on)."""
    from corpus_tui.tui.widgets.inspector import describe

    corpus, _ = scanned({"a.md": "---\ntitle: A page\nsource: site\n---\nBody text.\n"})
    doc = corpus.document_by_path("a.md")
    lines = " ".join(line.plain for line in describe(doc, [], [], 0, [], False, [], key=lambda binding: "K"))
    assert "title: A page" in lines and "none (K to add)" in lines and "suggestions (hidden: K shows)" in lines


async def test_after_a_restart_the_list_cursor_is_on_the_document_that_reopened(tmp_path):
    """The list is read in two pages at start-up; the first did not hold the reopened document,
    and the second kept the cursor on the first row: enter then opened another document (a trial)."""
    folder = numbered_pages(tmp_path, 260, lambda n: f"Page {n} of the corpus.\n")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.set_states({"last_document": str(corpus.document_by_path("0250.txt").id)})
    app = app_on(folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app, lambda: len(app.doclist.rows) == 260)
        assert app.doc.path == "0250.txt" and app.doclist.rows[app.doclist.cursor].path == "0250.txt"


async def test_the_top_bar_names_the_folder_when_the_app_is_opened_inside_it(tmp_path, monkeypatch):
    """`cd seeds && corpus-tui open` showed "corpus-tui · . · …" (a README trial)."""
    from corpus_tui.tui.app import make_app

    folder = seeds_copy(tmp_path)
    monkeypatch.chdir(folder)
    app = make_app(".", scan_on_open=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        assert str(app.query_one("#topbar").render()).startswith(f"corpus-tui · {folder.name} · ")
