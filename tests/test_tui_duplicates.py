"""Near-duplicates in the app (issue 13): the inspector, the diff, the mark, clusters, the list."""

from __future__ import annotations

import pytest
from tui_support import app_on, settle

from corpus_tui import Corpus
from corpus_tui.tui.screens.duplicate_diff import DiffView, DuplicateDiffScreen
from corpus_tui.tui.widgets.inspector import Inspector

FIRST, SECOND = "000_017fdcef885307d4.txt", "001_07e63e06108ae30e.txt"


@pytest.fixture
def scanned_seeds(seeds_copy):  # type: ignore[no-untyped-def]
    with Corpus.open(seeds_copy, annotator="tester") as corpus:
        corpus.scan()
    return seeds_copy


def duplicate_of(folder, path):  # type: ignore[no-untyped-def]
    with Corpus.open(folder, annotator="tester", create=False) as corpus:
        doc = corpus.document_by_path(path)
        return corpus.duplicate_of_path(doc.id)


async def open_path(pilot, app, prefix: str) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot, app)
    for _ in range(10):
        if app.doc.path.startswith(prefix):
            return
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
    raise AssertionError(f"never reached {prefix}")


async def test_the_inspector_names_the_near_duplicate_with_its_containment(scanned_seeds):
    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_path(pilot, app, "001")
        text = app.query_one(Inspector).text
        assert "near-duplicates (1)" in text
        assert f"{FIRST} (containment 0.68)" in text
        await open_path(pilot, app, "002")
        assert "near-duplicates (0)" in app.query_one(Inspector).text


async def test_equals_opens_the_diff_with_the_changes_marked(scanned_seeds):
    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_path(pilot, app, "000")
        await pilot.press("equals_sign")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, DuplicateDiffScreen)
        for _ in range(50):
            view = screen.query_one(DiffView)
            if view.rows:
                break
            await pilot.pause(0.05)
        kinds = set(view.kinds)
        assert {"removed", "added"} <= kinds  # the two frames differ
        plain = "\n".join(line.plain for line in view.lines)
        assert "⋯" in plain or "same" in kinds  # equal lines shown or folded
        await pilot.press("n")  # next change: scrolls, never fails
        view.scroll_to(y=0, animate=False, immediate=True)
        for _ in range(3):  # a burst of j, handled before any refresh: every one scrolls
            view.action_scroll_down()
        await pilot.pause()
        await pilot.pause()
        assert view.scroll_y == min(3, view.max_scroll_y)
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, DuplicateDiffScreen)


async def test_d_marks_a_duplicate_u_undoes_and_the_list_shows_it(scanned_seeds):
    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_path(pilot, app, "001")
        await pilot.press("D")
        await settle(pilot, app)
        assert duplicate_of(scanned_seeds, SECOND) == FIRST
        row = next(r for r in app.doclist.rows if r.path == SECOND)
        assert row.marked_duplicate
        assert "marked a duplicate of 000" in app.query_one(Inspector).text
        await pilot.press("u")
        await settle(pilot, app)
        assert duplicate_of(scanned_seeds, SECOND) is None
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert duplicate_of(scanned_seeds, SECOND) == FIRST
        await pilot.press("D")  # clears it
        await settle(pilot, app)
        assert duplicate_of(scanned_seeds, SECOND) is None


async def test_curly_brackets_step_to_the_next_cluster_and_the_filter_finds_duplicates(scanned_seeds):
    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_path(pilot, app, "003")
        await pilot.press("right_curly_bracket")
        await settle(pilot, app)
        assert app.doc.path == FIRST  # the kept document of the only cluster (the longer)
        await pilot.press("f")
        await pilot.press(*"dup:yes", "enter")
        await settle(pilot, app)
        assert sorted(r.path for r in app.doclist.rows) == [FIRST, SECOND]
        assert all(r.cluster == 1 for r in app.doclist.rows)


async def test_u_that_cannot_put_a_duplicate_mark_back_takes_the_step_and_says_so(scanned_seeds):
    """Another annotator marked the other document the copy since: the mark stays as it is, the
    step is taken (refusing blocked the history for good), and the app says what it left."""
    with Corpus.open(scanned_seeds, annotator="tester") as tester, Corpus.open(scanned_seeds, annotator="bob") as bob:
        a, b = (d.id for d in tester.documents()[:2])
        tester.mark_duplicate(a, b)
        tester.mark_duplicate(a, None)
        bob.mark_duplicate(b, a)
    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("u")
        await settle(pilot, app)
        said = [str(n.message) for n in app._notifications]
        assert any(m.startswith("But the duplicate mark was left as it is: marking") for m in said), said
    with Corpus.open(scanned_seeds, annotator="tester") as corpus:
        assert [corpus.document(d).duplicate_of for d in (a, b)] == [None, a]


async def test_D_on_a_mark_another_process_made_since_changes_nothing_and_says_so(scanned_seeds):
    """D said "Marked a duplicate … (u undoes)" when the mark was there already (another process
    made it): nothing was written, and the next u undid an older, unrelated mark (a new user's trial)."""
    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_path(pilot, app, "001")
        with Corpus.open(scanned_seeds, annotator="bob") as bob:
            bob.mark_duplicate(bob.document_by_path(app.doc.path).id, bob.document_by_path(FIRST).id)
            events = bob.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
        await pilot.press("D")
        await settle(pilot, app)
        said = [str(n.message) for n in app._notifications]
        assert said[-1].startswith("Not changed: marked a duplicate by another process since it was shown"), said
        assert app.doc.duplicate_of is not None  # the screen shows the mark now
        with Corpus.open(scanned_seeds, annotator="bob") as bob:
            assert bob.query("SELECT COUNT(*) AS n FROM events")[0]["n"] == events
        await pilot.press("D")  # on what the screen now shows: clears it
        await settle(pilot, app)
    assert duplicate_of(scanned_seeds, "001_07e63e06108ae30e.txt") is None
