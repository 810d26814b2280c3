"""Pilot tests of the stale-spans screen (p): list, place on a suggestion or the selection, drop, undo."""

from __future__ import annotations

from textual.widgets import OptionList, Static
from tui_support import FIRST, app_on, db_rows, seeds_copy

from corpus_tui import Corpus
from corpus_tui.tui.screens.stale_spans import StaleSpansScreen
from corpus_tui.tui.widgets.inspector import Inspector

OLD = "in western Mosul and de-facto reached"
NEW = "in western Mosul and, de facto, reached"


def make_stale(tmp_path, quote_in: str = OLD, quote: str = "Mosul") -> tuple:
    """A seeds copy where an annotation in the first document went stale; (folder, span id, offset)."""
    folder = seeds_copy(tmp_path)
    path = folder / FIRST
    text = path.read_text(encoding="utf-8")
    at = text.index(quote_in) + quote_in.index(quote)
    with Corpus.open(folder, annotator="tester") as corpus:
        doc = corpus.document_by_path(FIRST)
        span = corpus.add_annotation(doc.id, at, at + len(quote), "GPE", note="west bank")
    path.write_bytes(text.replace(OLD, NEW).encode("utf-8"))
    return folder, span.id, at


def span_state(folder, span_id):
    rows = db_rows(folder, 'SELECT start, "end", quote, anchor FROM spans WHERE id = ?', (span_id,))
    return rows[0] if rows else None


def screen_text(app) -> str:
    screen = app.screen
    parts = [str(static.render()) for static in screen.query(Static)]
    options = screen.query_one("#stale-list", OptionList)
    parts += [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return "\n".join(parts)


async def test_inspector_counts_stale_spans_and_names_the_key(tmp_path):
    folder, span_id, _ = make_stale(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)):
        assert span_state(folder, span_id)["anchor"] == "stale"
        shown = app.query_one(Inspector).text
        assert "1 stale span — press p to place or drop" in shown
        assert "press p to place or drop it" in str(app.query_one("#banner").render())
        assert "“Mosul”" in shown


async def test_p_lists_the_old_context_and_1_places_on_the_best_suggestion(tmp_path):
    folder, span_id, at = make_stale(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("p")
        assert isinstance(app.screen, StaleSpansScreen)
        text = screen_text(app)
        assert "GPE annotation" in text and "Old Mosul area in western Mosul and de-facto reac" in text
        assert app.screen.suggestions[0].start == at  # the one with the most context first
        await pilot.press("1")
        assert span_state(folder, span_id) == {"start": at, "end": at + 5, "quote": "Mosul", "anchor": "ok"}
        assert "No stale spans left" in screen_text(app) and "enter places" not in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, StaleSpansScreen)
        assert "stale span" not in app.query_one(Inspector).text
        banner = str(app.query_one("#banner").render())
        assert "could not be re-anchored" not in banner  # the banner follows: nothing stale now
        await pilot.press("u")
        assert span_state(folder, span_id)["anchor"] == "stale"


async def test_enter_places_on_the_reader_selection(tmp_path):
    folder, span_id, _ = make_stale(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        text = app.reader.text
        start = text.index("Tigris River")
        app.reader.move_to(start)
        app.reader.move_to(start + len("Tigris"), select=True)
        await pilot.pause()
        await pilot.press("p")
        assert "enter places it on" in screen_text(app) and "“Tigris”" in screen_text(app)
        await pilot.press("enter")
        assert span_state(folder, span_id) == {"start": start, "end": start + 6, "quote": "Tigris", "anchor": "ok"}
        assert app.reader.selection() is None


async def test_d_drops_the_span_and_u_brings_it_back(tmp_path):
    folder, span_id, _ = make_stale(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("p", "d")
        assert span_state(folder, span_id) is None
        await pilot.press("escape", "u")
        assert span_state(folder, span_id)["anchor"] == "stale"
        # u and ctrl+r inside the screen too, as its hint says (they did nothing there)
        await pilot.press("p", "d")
        await pilot.pause()
        assert span_state(folder, span_id) is None
        await pilot.press("u")
        await pilot.pause()
        assert span_state(folder, span_id)["anchor"] == "stale" and len(app.screen.spans) == 1
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert span_state(folder, span_id) is None and app.screen.spans == []


async def test_p_without_stale_spans_says_so(tmp_path):
    folder = seeds_copy(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("p")
        assert not isinstance(app.screen, StaleSpansScreen)
        assert any("No stale spans" in str(n.message) for n in app._notifications)


async def test_hostile_quote_and_context_are_shown_literally(tmp_path):
    folder = seeds_copy(tmp_path)
    hostile = "Intro [bold]red[/bold]\t\x1b[31mansi\x1b[0m [@click=app.quit]x[/] here.\n"
    path = folder / FIRST
    text = path.read_text(encoding="utf-8")
    path.write_text(hostile + text, encoding="utf-8")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        doc = corpus.document_by_path(FIRST)
        corpus.add_annotation(doc.id, 6, 22, "MARKUP")  # "[bold]red[/bold]"
    path.write_text(hostile.replace("Intro", "Changed intro").replace("here", "there") + text, encoding="utf-8")
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("p")
        shown = screen_text(app)
        assert "[bold]red[/bold]→␛[31mansi␛[0m [@click=app.quit]x[/]" in shown  # the old context, as it was
        assert "Intro " in shown and app.is_running


async def test_enter_places_a_second_span_of_the_same_text_on_the_same_paragraph(tmp_path):
    """An annotation and a boilerplate mark of one paragraph went stale together: after enter
    placed the first on the paragraph under the cursor, the second was told 'no selection'.
    A span of other text still is not put there by a second enter."""
    folder = seeds_copy(tmp_path)
    path = folder / FIRST
    text = path.read_text(encoding="utf-8")
    at = text.index(OLD)
    paragraph_end = text.index("\n", at)
    with Corpus.open(folder, annotator="tester") as corpus:
        doc = corpus.document_by_path(FIRST)
        note = corpus.add_annotation(doc.id, at, at + len(OLD), "EVENT")
        (mark,) = corpus.mark_boilerplate(doc.id, at - 5, paragraph_end)
        other = corpus.add_annotation(doc.id, 0, 5, "TITLE")
    path.write_bytes(text.replace(OLD, NEW).replace(text[:5], "Vidéo", 1).encode("utf-8"))
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        new_text = app.reader.text
        app.reader.move_to(new_text.index(NEW))
        start, end = app.reader.target()
        await pilot.pause()
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, StaleSpansScreen) and len(screen.spans) == 3
        options = screen.query_one("#stale-list", OptionList)

        async def highlight(span_id: int) -> None:
            options.highlighted = [s.id for s in screen.spans].index(span_id)
            await pilot.pause()

        await highlight(other.id)  # before anything is placed, any span may go on the selection
        assert f"enter places it on {start}-{end}" in screen_text(app)
        placed = []
        for span_id in (note.id, mark.id):
            await highlight(span_id)
            assert f"enter places it on {start}-{end}" in screen_text(app)
            await pilot.press("enter")
            await pilot.pause()
            placed.append(span_id)
        await highlight(other.id)  # then only a span of the same text
        assert "the selection went to a span of other text" in screen_text(app)
        await pilot.press("enter")
        assert sorted(placed) == sorted([note.id, mark.id])
        assert span_state(folder, note.id)["start"] == start and span_state(folder, mark.id)["start"] == start
        assert span_state(folder, other.id)["anchor"] == "stale"


async def test_p_after_another_process_rescanned_works_on_the_text_as_it_is_now(tmp_path):
    """p on a screen showing the old text (another process scanned the file since): the dialog
    drew the old text's context at the new text's offsets (a new user's trial)."""
    import subprocess
    import sys

    folder, span_id, at = make_stale(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        path = folder / FIRST
        shifted = "A line pushed in at the top of the page, long enough\n\n" + path.read_text(encoding="utf-8")
        path.write_text(shifted, encoding="utf-8")
        subprocess.run([sys.executable, "-c", f"from corpus_tui import Corpus; Corpus.open({str(folder)!r}).scan()"],
                       check=True, timeout=60)
        await pilot.press("p")
        assert isinstance(app.screen, StaleSpansScreen)
        assert app.reader.text == shifted  # the screen and the dialog show the file as it is now
        suggestion = app.screen.suggestions[0]
        assert shifted[suggestion.start : suggestion.start + 5] == "Mosul"
