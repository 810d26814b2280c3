"""The repeats view (R): the corpus's repeated passages, their documents, and a copy opened."""

from __future__ import annotations

import threading

from textual.widgets import Input, OptionList
from tui_support import app_on, settle

from corpus_tui import Corpus
from corpus_tui.tui.scan_process import ScanProcess
from corpus_tui.tui.screens.repeats import RepeatsScreen

FOOTER = "Subscribe to our newsletter for more stories"


def scanned_folder(tmp_path, pages: dict[str, str], name: str = "site"):  # type: ignore[no-untyped-def]
    """A folder of these pages (name: text), scanned."""
    folder = tmp_path / name
    folder.mkdir()
    for page, text in pages.items():
        (folder / page).write_text(text)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    return folder


def site(tmp_path):  # type: ignore[no-untyped-def]
    pages = {f"{name}.txt": f"Story {name} begins here with words.\n\n{FOOTER}\n" for name in "abcd"}
    return scanned_folder(tmp_path, {**pages, "e.txt": "A story without the footer at all.\n"})


def site_with_two_passages(tmp_path):  # type: ignore[no-untyped-def]
    """``site`` and a second repeated passage, in three other documents."""
    folder = site(tmp_path)
    for name, story in (("f", "Another story."), ("g", "More words here."), ("h", "Even more words.")):
        (folder / f"{name}.txt").write_text(f"{story}\n\nShare this page with your friends today\n")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    return folder


def site_with_two_rules(tmp_path):  # type: ignore[no-untyped-def]
    """``site_with_two_passages``, each passage marked everywhere: (folder, the rules' ids)."""
    folder = site_with_two_passages(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        ids = [corpus.mark_everywhere(repeat.id).rule_id for repeat in corpus.repeats()]
    return folder, ids


def rows(app) -> list[str]:  # type: ignore[no-untyped-def]
    return app.screen.row_texts()


async def repeats_status(pilot, app):  # type: ignore[no-untyped-def]
    """Open the repeats view on its list: what its status line says, read when called."""
    await pilot.press("R", "enter")
    screen = app.screen
    await settle(pilot, app, lambda: bool(rows(app)))
    return lambda: str(screen.query_one("#repeats-status").render())


async def copies_listed(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """Open the repeats view on the documents of ``site``'s passage (four copies)."""
    await pilot.press("R")
    await settle(pilot, app, lambda: bool(rows(app)))
    await pilot.press("enter", "enter")
    await settle(pilot, app, lambda: len(rows(app)) == 4)


async def test_R_lists_repeats_then_their_documents_and_opens_a_copy_at_the_passage(tmp_path):
    app = app_on(site(tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        assert isinstance(app.screen, RepeatsScreen)
        await settle(pilot, app, lambda: bool(rows(app)))
        (line,) = rows(app)
        assert FOOTER in line and "4 docs" in line
        await pilot.press("enter", "enter")  # from the filter box to the list, then its documents
        await settle(pilot, app, lambda: [r.strip() for r in rows(app)] == ["a.txt", "b.txt", "c.txt", "d.txt"])
        await pilot.press("down", "down", "enter")
        assert not isinstance(app.screen, RepeatsScreen)
        assert app.doc.path == "c.txt" and app.reader.text[app.reader.cursor:].startswith(FOOTER)


async def test_the_filter_and_the_minimum_narrow_the_list_and_esc_steps_back(tmp_path):
    app = app_on(site(tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        await settle(pilot, app, lambda: bool(rows(app)))
        await pilot.press("enter", "plus", "plus")  # to the list; 5 documents or more: none
        await settle(pilot, app, lambda: rows(app) == [])
        await pilot.press("minus", "minus")
        await settle(pilot, app, lambda: len(rows(app)) == 1)
        app.screen.query_one("#repeats-filter", Input).value = "no such words"
        await settle(pilot, app, lambda: rows(app) == [])
        app.screen.query_one("#repeats-filter", Input).value = "NEWSLETTER"
        await settle(pilot, app, lambda: len(rows(app)) == 1)
        app.screen.query_one("#repeats-list").focus()
        await pilot.press("enter")
        await settle(pilot, app, lambda: len(rows(app)) == 4)
        await pilot.press("escape")  # back to the passages
        await settle(pilot, app, lambda: len(rows(app)) == 1)
        assert isinstance(app.screen, RepeatsScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, RepeatsScreen)


async def test_the_view_opens_in_its_filter_box_so_typing_filters_and_marks_nothing(tmp_path):
    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        screen = app.screen
        await settle(pilot, app, lambda: bool(rows(app)))
        assert app.focused is screen.filter_box
        await pilot.press(*"mu+-")  # the list's commands, typed into the box
        await settle(pilot, app, lambda: screen.filter_box.value == "mu+-" and rows(app) == [])
        assert boilerplate(folder) == {} and screen.min_docs == 3
        for _ in range(4):
            await pilot.press("backspace")
        await settle(pilot, app, lambda: len(rows(app)) == 1)
        await pilot.press("down")  # an arrow leaves the box for the list
        assert app.focused is screen.listing
        await pilot.press("slash", "x")  # / goes back to the box
        assert app.focused is screen.filter_box and screen.filter_box.value == "x"


async def test_a_view_opened_during_the_first_scan_lists_the_repeats_when_it_ends(tmp_path, monkeypatch):
    """The repeats are counted at the scan's end: a view opened before then re-reads them."""
    folder = tmp_path / "site"
    folder.mkdir()
    for name in "abcd":
        (folder / f"{name}.txt").write_text(f"Story {name} begins here with words.\n\n{FOOTER}\n")
    scan_may_run = threading.Event()
    real_run = ScanProcess.run

    def held_run(self, report):  # type: ignore[no-untyped-def]
        assert scan_may_run.wait(30)
        return real_run(self, report)

    monkeypatch.setattr(ScanProcess, "run", held_run)
    app = app_on(folder, scan_on_open=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        screen = app.screen
        assert isinstance(screen, RepeatsScreen)
        for _ in range(100):  # the scan waits, so the view can only list nothing
            await pilot.pause(0.02)
            if "0 passages" in str(screen.query_one("#repeats-status").render()):
                break
        assert rows(app) == []
        scan_may_run.set()
        await settle(pilot, app, lambda: len(rows(app)) == 1, rounds=500)  # a scan in a child process
        assert FOOTER in rows(app)[0] and "4 docs" in rows(app)[0] and app.screen is screen
        assert "1 passage in 3 or more documents" in str(screen.query_one("#repeats-status").render())


async def test_hostile_passage_text_is_shown_as_text(tmp_path):
    folder = scanned_folder(tmp_path, {f"{name}.txt": f"Body {name} here.\n\n[bold]Share[/] \x1b]0;X\x07 "
                                                     "[@click=app.quit]this[/]\n" for name in "abc"}, "hostile")
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        await settle(pilot, app, lambda: bool(rows(app)))
        assert "[bold]Share[/] ␛]0;X␇ [@click=app.quit]this[/]" in rows(app)[0]
        assert app.is_running


def boilerplate(folder) -> dict[str, list[tuple[int, int]]]:  # type: ignore[no-untyped-def]
    with Corpus.open(folder, annotator="tester", create=False) as corpus:
        rows = corpus.query('SELECT d.path, s.start, s."end" FROM spans s JOIN documents d ON d.id = s.document_id '
                            "WHERE s.kind = 'boilerplate' ORDER BY d.path, s.start")
    found: dict[str, list[tuple[int, int]]] = {}
    for row in rows:
        found.setdefault(row["path"], []).append((row["start"], row["end"]))
    return found


async def test_m_in_the_view_marks_every_copy_and_u_undoes_it_in_one_step(tmp_path):
    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        await settle(pilot, app, lambda: bool(rows(app)))
        await pilot.press("enter", "m")
        await settle(pilot, app, lambda: "4 marked" in rows(app)[0])
        assert sorted(boilerplate(folder)) == ["a.txt", "b.txt", "c.txt", "d.txt"]
        await pilot.press("u")
        await settle(pilot, app, lambda: "0 marked" in rows(app)[0])
        assert boilerplate(folder) == {}
        # Marked again, then the rule removed with its marks in the rules screen over the view: its
        # rows still said "4 marked" (a trial).
        await pilot.press("m")
        await settle(pilot, app, lambda: "4 marked" in rows(app)[0])
        await pilot.press("r", "x", "y")
        assert len(boilerplate(folder)) == 0
        await pilot.press("escape")
        assert isinstance(app.screen, RepeatsScreen)
        await settle(pilot, app, lambda: " 0 marked" in rows(app)[0])


async def test_stepping_through_copies_shows_each_copy_in_its_place(tmp_path):
    """Only paths were listed: a copy could not be judged before m marked it."""
    folder = site(tmp_path)
    (folder / "c.txt").write_text("Story c [/] begins \x1b[31m here.\n\n" + FOOTER + "\n")  # hostile text
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await copies_listed(pilot, app)
        context = app.screen.query_one("#repeats-context")
        assert context.has_class("shown")
        assert str(context.render()) == f"a.txt\nStory a begins here with words.\n\n{FOOTER}"
        await pilot.press("j", "j")
        await pilot.pause()
        assert str(context.render()) == f"c.txt\nStory c [/] begins ␛[31m here.\n\n{FOOTER}"
        await pilot.press("escape")  # back to the passages: no copy to show
        await settle(pilot, app, lambda: app.screen.showing is None)
        assert not context.has_class("shown")


async def test_at_80x24_the_copy_stays_in_the_box_under_long_lines(tmp_path):
    """The lines before a copy, wrapped at 80 columns, pushed the copy itself out of the box:
    the one thing the step-through is there to show (a trial)."""
    long_line = "A long paragraph of the article that goes on and on about the news of the day. " * 3
    appeal = ("Subscribe to our newsletter: every small gift from readers like you keeps this "
              "independent project alive and free")
    folder = scanned_folder(tmp_path, {f"{name}.txt": f"Story {name}\n\n{long_line}\n\n{appeal}\n\nThe end of {name}.\n"
                                       for name in "abcd"})
    app = app_on(folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("R")
        await settle(pilot, app, lambda: bool(rows(app)))
        app.screen.query_one("#repeats-filter", Input).value = "Subscribe"
        await settle(pilot, app, lambda: len(rows(app)) == 1)
        app.screen.query_one("#repeats-list").focus()
        await pilot.press("enter")
        await settle(pilot, app, lambda: len(rows(app)) == 4)
        await pilot.pause()
        context = app.screen.query_one("#repeats-context")
        drawn = " ".join("".join(segment.text for segment in strip).strip()
                         for strip in context.render_lines(context.region.reset_offset))
        assert "a.txt" in drawn and "keeps this" in drawn and "project alive and free" in drawn


def test_the_context_fits_its_rows_with_the_copy_first():
    from corpus_tui.tui.screens.repeats import fitted_context

    before = "\n".join(["x" * 200] * 3) + "\n" + "lead " * 30
    pieces = fitted_context(before, "THE COPY", " tail " * 30 + "\nnext line\nand another\nand more", 60, 4)
    text = "".join(piece for piece, _ in pieces)
    assert [piece for piece, style in pieces if style == "reverse"] == ["THE COPY"]
    rows = sum(max(1, -(-len(line) // 60)) for line in text.split("\n"))
    assert rows <= 4 and "THE COPY" in text
    assert text.split("\n")[-1] != ""  # no empty row at the end
    wide = fitted_context("\n".join(["漢字" * 40] * 3) + "\n", "複製された段落", "\n" + "漢字" * 40, 60, 4)
    text = "".join(piece for piece, _ in wide)
    from rich.cells import cell_len

    assert "複製された段落" in text  # CJK takes two cells a character: counted so (it was pushed out)
    assert sum(max(1, -(-cell_len(line) // 60)) for line in text.split("\n")) <= 4
    short = fitted_context("one\ntwo\nthree\nits line: ", "COPY", " rest\nafter\n", 60, 4)
    assert "".join(piece for piece, _ in short) == "two\nthree\nits line: COPY rest\nafter"


async def test_stepping_through_copies_marks_one_and_skips_another(tmp_path):
    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await copies_listed(pilot, app)
        assert "0 marked (enter opens one, m marks the one under the cursor" in \
            str(app.screen.query_one("#repeats-status").render())
        await pilot.press("m", "down", "m")  # a: marked, b: skipped, c: marked
        assert sorted(boilerplate(folder)) == ["a.txt", "c.txt"]
        assert [row.split() for row in rows(app)] == [["marked", "a.txt"], ["b.txt"], ["marked", "c.txt"], ["d.txt"]]
        await pilot.press("escape", "enter")  # back, and its documents again: read from the database
        await settle(pilot, app, lambda: [row.split() for row in rows(app)] == [
            ["marked", "a.txt"], ["b.txt"], ["marked", "c.txt"], ["d.txt"]])
        assert ", 2 marked (enter opens one" in str(app.screen.query_one("#repeats-status").render())
        await pilot.press("down", "down", "u")  # undoes c's mark, and the copies stay listed, the cursor on c
        await settle(pilot, app, lambda: [row.split() for row in rows(app)] == [
            ["marked", "a.txt"], ["b.txt"], ["c.txt"], ["d.txt"]])
        status = str(app.screen.query_one("#repeats-status").render())
        assert status.startswith("Undid marking 1 copy · ") and ", 1 marked (enter opens one" in status
        assert app.screen.listing.cursor == 2 and sorted(boilerplate(folder)) == ["a.txt"]
        await pilot.press("ctrl+r")  # redo here too (it did nothing, and said nothing: a trial)
        await settle(pilot, app, lambda: sorted(boilerplate(folder)) == ["a.txt", "c.txt"])
        assert str(app.screen.query_one("#repeats-status").render()).startswith("Redid marking 1 copy · ")
        await pilot.press("up", "up", "m")  # a, marked already: it said "marked this copy (0 ranges)"
        assert str(app.screen.query_one("#repeats-status").render()).startswith(
            "marked already: this copy was marked before, nothing changed")
        await pilot.press("escape")
        await settle(pilot, app, lambda: "2 marked" in rows(app)[0])


async def test_esc_from_a_passages_documents_comes_back_to_that_passage_and_m_waits_for_the_list(tmp_path):
    """esc from the documents of the second passage put the cursor on the first: the next m marked
    96 documents of the wrong passage (a new user's trial); and m or enter before the passages
    were listed again acted on the row number of a document."""
    folder = site_with_two_passages(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        await settle(pilot, app, lambda: len(rows(app)) == 2)
        await pilot.press("down", "enter")
        await settle(pilot, app, lambda: len(rows(app)) == 3)
        screen, listed = app.screen, threading.Event()
        load_ids = screen.load_ids
        screen.load_ids = lambda *args: listed.wait(10) and load_ids(*args)  # a slow listing
        await pilot.press("escape", "m")  # m before the passages are listed again: it waits
        assert "listing the passages" in str(screen.query_one("#repeats-status").render())
        listed.set()
        await settle(pilot, app, lambda: len(rows(app)) == 2)
        assert app.screen.listing.cursor == 1 and "Share this page" in rows(app)[1]
        assert boilerplate(folder) == {}
        await pilot.press("m")
        await settle(pilot, app, lambda: "3 marked" in rows(app)[1])
        assert sorted(boilerplate(folder)) == ["f.txt", "g.txt", "h.txt"]
        await pilot.press("enter", "escape", "enter")  # enter before the list: opens it once it is there
        await settle(pilot, app, lambda: app.screen.showing is not None and len(rows(app)) == 3)
        assert "Share this page" in app.screen.showing.text


async def test_m_typed_right_after_enter_marks_one_copy_not_every_copy(tmp_path):
    """enter then m in one burst, before the passage's documents were listed: m took the rows
    for the passages still and marked all 2,000 copies (a review, in tmux)."""
    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        await settle(pilot, app, lambda: bool(rows(app)))
        screen, listed = app.screen, threading.Event()
        load_copies = screen.load_copies
        screen.load_copies = lambda *args: listed.wait(10) and load_copies(*args)  # a slow listing
        await pilot.press("enter", "enter", "m")
        assert "listing the passage's documents" in str(screen.query_one("#repeats-status").render())
        listed.set()
        await settle(pilot, app, lambda: screen.showing is not None and len(rows(app)) == 4)
        assert boilerplate(folder) == {}
        await pilot.press("m")  # now it is the copy under the cursor
        await settle(pilot, app, lambda: "marked" in rows(app)[0])
        assert sorted(boilerplate(folder)) == ["a.txt"]
        # esc while a passage's documents are on their way: back to the passages, on it
        listed.clear()
        await pilot.press("escape")
        await settle(pilot, app, lambda: screen.showing is None and screen.listed)
        await pilot.press("enter", "escape")
        listed.set()
        await settle(pilot, app, lambda: screen.listed and screen.opening is None)
        await pilot.pause(0.2)
        assert screen.showing is None and "Subscribe" in rows(app)[0]


async def test_closing_the_view_while_it_marks_every_copy_keeps_the_mark_and_says_so(tmp_path):
    """esc while "marking every copy…": its progress report went to the closed view, raised
    inside the transaction, and the mark was rolled back without a word (a review)."""
    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        await settle(pilot, app, lambda: bool(rows(app)))
        screen, closed = app.screen, threading.Event()
        mark_all = screen.mark_all

        def mark_after_close(repeat_id, progress):  # type: ignore[no-untyped-def]
            closed.wait(10)
            progress(1, 4)  # a report to the view that is gone
            return mark_all(repeat_id, progress)

        screen.mark_all = mark_after_close
        await pilot.press("enter", "m")
        await pilot.press("escape")
        assert not isinstance(app.screen, RepeatsScreen)
        closed.set()
        await settle(pilot, app, lambda: any("Repeats: marked 4 ranges" in n.message for n in app._notifications))
        assert sorted(boilerplate(folder)) == ["a.txt", "b.txt", "c.txt", "d.txt"]


async def test_after_b_the_app_offers_M_which_marks_every_copy(tmp_path):
    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        text = app.reader.text
        app.reader.move_to(text.index(FOOTER))
        await pilot.press("b")
        await settle(pilot, app)
        assert any("Also in 3 other documents — M marks every copy" in n.message for n in app._notifications)
        await pilot.press("M")
        await settle(pilot, app, lambda: len(boilerplate(folder)) == 4)
        await settle(pilot, app, lambda: any("Marked" in n.message and "in 3 documents" in n.message
                                             for n in app._notifications))
        assert not any("M marks every copy" in n.message for n in app._notifications)  # done: withdrawn
        await pilot.press("u")  # one step: every copy M marked
        await settle(pilot, app, lambda: sorted(boilerplate(folder)) == ["a.txt"])


async def test_M_after_a_selection_of_several_repeated_passages_marks_every_copy_of_each(tmp_path):
    """A selection over two repeated passages: M marks both everywhere, one undo step, a rule
    each (it marked only the most frequent one, and said nothing of the other)."""
    folder = tmp_path / "two"
    folder.mkdir()
    appeal = "Please support our reporting with a small donation today"
    for name in "abcd":
        (folder / f"{name}.txt").write_text(f"Story {name} begins here with words.\n\n{appeal}\n\n{FOOTER}\n")
    for name in "ef":  # the footer alone: in 6 documents, the appeal in 4
        (folder / f"{name}.txt").write_text(f"Story {name} is another one.\n\n{FOOTER}\n")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        text = app.reader.text
        app.reader.move_to(text.index(appeal))
        await pilot.press("v", "G", "b")  # both passages, line-wise
        await settle(pilot, app)
        assert any("2 repeated passages here are also in 5 other documents — M marks every copy" in n.message
                   for n in app._notifications)
        await pilot.press("M")
        await settle(pilot, app, lambda: len(boilerplate(folder)) == 6)
        await settle(pilot, app, lambda: any("Marked" in n.message and "(2 passages)" in n.message
                                             for n in app._notifications))
        marked = boilerplate(folder)
        for name in "bcd":  # the appeal and the footer, each a range (a blank line between them)
            copy = (folder / f"{name}.txt").read_text()
            assert marked[f"{name}.txt"] == [(copy.index(appeal), copy.index(appeal) + len(appeal)),
                                             (copy.index(FOOTER), copy.index(FOOTER) + len(FOOTER))]
        with Corpus.open(folder, annotator="tester", create=False) as corpus:
            assert len(corpus.rules()) == 2
        await pilot.press("u")  # one step: every copy of both, and both rules
        await settle(pilot, app, lambda: sorted(boilerplate(folder)) == ["a.txt"])
        with Corpus.open(folder, annotator="tester", create=False) as corpus:
            assert corpus.rules() == []


async def test_u_in_a_screen_withdraws_the_offer_of_the_mark_it_undoes(tmp_path):
    """b offers M; u in the rules screen undoes that mark: M must not then mark every copy of a
    passage no longer marked here."""
    from corpus_tui.tui.screens.rules import RulesScreen

    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        app.reader.move_to(app.reader.text.index(FOOTER))
        await pilot.press("b")
        await settle(pilot, app, lambda: app.everywhere_offer is not None)
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, RulesScreen)
        await pilot.press("u")
        assert str(app.screen.query_one("#rules-status").render()) == "Undid boilerplate mark"
        await pilot.press("escape", "M")
        await settle(pilot, app)
        assert boilerplate(folder) == {} and app.everywhere_offer is None
        assert any("Mark a passage with b first" in n.message for n in app._notifications)


async def test_the_rules_screen_removes_a_rule_asking_whether_its_marks_go_too(tmp_path):
    from corpus_tui.tui.screens.rules import RulesScreen

    folder, _ = site_with_two_rules(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, RulesScreen)
        listing = app.screen.query_one("#rules-list", OptionList)
        assert listing.option_count == 2
        await pilot.press("x")
        assert "remove its 4 marks too?" in str(app.screen.query_one("#rules-status").render())
        await pilot.press("n")  # the rule goes, its marks stay: listed as off while they remain
        assert len(boilerplate(folder)) == 7 and listing.option_count == 2
        assert "(removed: its marks remain)" in str(listing.get_option_at_index(0).prompt)
        assert "(u undoes)" in str(app.screen.query_one("#rules-status").render())
        await pilot.press("u")  # as the status says: the rule is back, here
        assert isinstance(app.screen, RulesScreen)
        assert str(app.screen.query_one("#rules-status").render()) == "Undid rule removal"
        await pilot.press("ctrl+r")  # and redo, here too
        assert str(app.screen.query_one("#rules-status").render()) == "Redid rule removal"
        await pilot.press("u")
        assert "(removed" not in str(listing.get_option_at_index(0).prompt)
        await pilot.press("x", "n")  # and removed again, its marks kept
        assert "(removed: its marks remain)" in str(listing.get_option_at_index(0).prompt)
        app.screen._show()  # the listing as it opens again
        status = str(app.screen.query_one("#rules-status").render())
        assert status.startswith("1 rule: ") and "1 removed rule whose marks remain" in status
        await pilot.press("down", "x", "y")  # this one's marks go with it, and it is gone
        assert listing.option_count == 1 and sorted(boilerplate(folder)) == ["a.txt", "b.txt", "c.txt", "d.txt"]
        await pilot.press("u")  # the marks it took away come back, and are counted (not what took their place)
        assert str(app.screen.query_one("#rules-status").render()) == "Undid rule removal: 3 ranges in 3 documents"
        await pilot.press("ctrl+r")
        assert str(app.screen.query_one("#rules-status").render()) == "Redid rule removal: 3 ranges in 3 documents"
        await pilot.press("x")  # a removed rule: only its marks are left to decide on
        status = str(app.screen.query_one("#rules-status").render())
        assert "is removed: remove its 4 marks?" in status
        await pilot.press("n")  # keeps them, and says nothing went wrong
        status = str(app.screen.query_one("#rules-status").render())
        assert "Not saved" not in status and listing.option_count == 1 and len(boilerplate(folder)) == 4
        await pilot.press("x", "y")  # the switched-off rule's marks can still go
        assert listing.option_count == 0 and boilerplate(folder) == {}
        await pilot.press("escape")
        assert not isinstance(app.screen, RulesScreen)
    with Corpus.open(folder, annotator="tester") as corpus:
        assert corpus.rules() == []


async def test_j_and_k_move_in_the_rules_screen_as_in_the_repeats_view(tmp_path):
    """Only the arrows moved there: j then x asked to remove the rule the cursor was still on."""
    from corpus_tui.tui.screens.rules import RulesScreen

    folder, ids = site_with_two_rules(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, RulesScreen)
        await pilot.press("j", "x")
        assert f"Remove rule {ids[1]}:" in str(app.screen.query_one("#rules-status").render())
        await pilot.press("escape", "k", "x")
        assert f"Remove rule {ids[0]}:" in str(app.screen.query_one("#rules-status").render())
        await pilot.press("escape", "G", "x", "n")  # removed, its marks kept: the cursor stays on it
        assert app.screen.query_one("#rules-list", OptionList).highlighted == 1


async def test_M_offers_nothing_once_the_mark_is_undone_or_unmarked(tmp_path):
    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        app.reader.move_to(app.reader.text.index(FOOTER))
        await pilot.press("b", "b")  # marked, then unmarked
        await settle(pilot, app)
        await pilot.press("M")
        await settle(pilot, app)
        assert boilerplate(folder) == {}
        assert any("Mark a passage with b first" in n.message for n in app._notifications)
        await pilot.press("b", "u", "M")  # marked, the mark undone
        await settle(pilot, app)
        assert boilerplate(folder) == {}


def many_repeats(tmp_path, passages: int):  # type: ignore[no-untyped-def]
    """Three documents sharing ``passages`` lines: as many repeated passages, each in 3 documents."""
    folder = tmp_path / "many"
    folder.mkdir()
    shared = "\n\n".join(f"Shared line {_letters(n)} of the widget" for n in range(passages))
    for name in "abc":
        (folder / f"{name}.txt").write_text(f"Story {name}.\n\n{shared}\n")
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
    return folder


def _letters(number: int) -> str:
    """0 -> "aaa", 1 -> "aab", ...: distinct words, since every digit run normalizes alike."""
    return "".join("abcdefghijklmnopqrstuvwxyz"[number // 26**power % 26] for power in (2, 1, 0))


async def test_the_view_reads_only_the_rows_on_screen_and_fetches_the_rest_as_it_scrolls(tmp_path):
    app = app_on(many_repeats(tmp_path, 3000))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("R")
        screen = app.screen
        await settle(pilot, app, lambda: screen.listing.count > 0)
        assert screen.listing.count == len(screen.ids) == 3000  # all listed ...
        assert len(screen.loaded) <= 200  # ... but only a screenful or two read
        await pilot.press("enter", "end")
        last = screen.listing.count - 1
        await settle(pilot, app, lambda: screen.ids[last] in screen.loaded)
        assert screen.listing.cursor == last and "3 docs" in screen.row_texts()[last]
        assert len(screen.loaded) <= 400
        await pilot.press("enter")  # the documents of the last passage
        await settle(pilot, app, lambda: [r.strip() for r in rows(app)] == ["a.txt", "b.txt", "c.txt"])


async def test_m_says_what_it_marked_and_that_a_marked_passage_needed_nothing(tmp_path):
    """The status line leads with what m did, kept when the list is read again under it."""
    app = app_on(site(tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        status = await repeats_status(pilot, app)
        await pilot.press("m")
        await settle(pilot, app, lambda: "marked 4 ranges in 4 documents (u undoes) · 1 passage in 3" in status())
        await pilot.press("m")
        await settle(pilot, app, lambda: "every copy is marked already: nothing changed · 1 passage" in status())
        await pilot.press("u")
        await settle(pilot, app, lambda: status().startswith("Undid "))


async def test_M_right_after_b_marks_every_copy_once_they_are_found(tmp_path):
    """The offer is looked for in a worker (counting marked copies can take a good part of a
    second); an M pressed before it is found waits for it rather than being refused."""
    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        app.reader.move_to(app.reader.text.index(FOOTER))
        await pilot.press("b", "M")
        await settle(pilot, app, lambda: len(boilerplate(folder)) == 4)
        assert not any("Mark a passage with b first" in n.message for n in app._notifications)


async def test_remapped_keys_show_in_the_offers_messages_and_screens_and_work_there(tmp_path):
    """With M and u remapped, the offer said "M marks every copy", the mark "(u undoes)", the rules
    screen "u undoes" — and u did nothing there, the remapped key neither (a new user's trial)."""
    from corpus_tui.tui.app import make_app

    folder = site(tmp_path)
    app = make_app(folder, annotator="tester", scan_on_open=False,
                   keymap={"mark_everywhere": "ctrl+e", "undo": "U"})
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        app.reader.focus()
        app.reader.move_to(app.reader.text.index(FOOTER))
        await pilot.press("b")
        await settle(pilot, app, lambda: app.everywhere_offer is not None)
        said = [str(n.message) for n in app._notifications]
        assert any(m.endswith("^e marks every copy (one undo step)") for m in said), said  # as the footer writes it
        await pilot.press("ctrl+e")
        await settle(pilot, app, lambda: len(boilerplate(folder)) == 4)
        assert any("(U undoes)" in str(n.message) for n in app._notifications)
        await pilot.press("ctrl+k")
        await settle(pilot, app)
        assert "U undoes" in app.screen.query_one("Vertical").border_title
        await pilot.press("x", "y")  # the rule and its marks removed
        await settle(pilot, app, lambda: len(boilerplate(folder)) <= 1)
        await pilot.press("U")  # undone in the rules screen with the remapped key
        await settle(pilot, app, lambda: len(boilerplate(folder)) == 4)


async def test_m_on_a_passage_marked_by_hand_everywhere_says_it_kept_a_rule_and_u_takes_it_back(tmp_path):
    """It said "nothing changed", yet it made a rule (which marks later copies) and an undo step."""
    folder = site(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        (repeat,) = corpus.repeats()
        corpus.mark_copies(repeat.id, [doc for doc, _, _ in corpus.repeat_copies(repeat.id)])
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        status = await repeats_status(pilot, app)
        await pilot.press("m")
        await settle(pilot, app, lambda: status().startswith(
            "every copy is marked already; rule 1 kept, so documents added or changed later are marked at their "
            "scan (u undoes)"))
        assert [rule.id for rule in app.corpus.rules()] == [1]
        await pilot.press("u")
        await settle(pilot, app, lambda: status().startswith("Undid mark everywhere"))
        assert app.corpus.rules() == []


async def test_undo_of_one_copy_marked_in_the_view_opens_its_document(tmp_path):
    """The step names no document (it is logged as a step over many): u changed a document off
    screen and said only "Undid marking 1 copy" (a trial)."""
    folder = site(tmp_path)
    app = app_on(folder)
    async with app.run_test(size=(140, 40)) as pilot:
        await copies_listed(pilot, app)
        await pilot.press("down", "down", "m")  # c.txt
        assert sorted(boilerplate(folder)) == ["c.txt"]
        await pilot.press("escape", "escape")
        await settle(pilot, app, lambda: not isinstance(app.screen, RepeatsScreen))
        assert app.doc.path != "c.txt"
        await pilot.press("u")
        await settle(pilot, app, lambda: app.doc.path == "c.txt" and not boilerplate(folder))
