"""Suggestions in the app (issue 12): drawn apart from marks, decided with one key."""

from __future__ import annotations

import pytest
from tui_support import app_on, reader_lines, settle

from corpus_tui import Corpus
from corpus_tui.tui.widgets.inspector import Inspector
from corpus_tui.tui.widgets.reader import SUGGESTION_MARKER


def spans(folder):  # type: ignore[no-untyped-def]
    with Corpus.open(folder, annotator="tester", create=False) as corpus:
        return corpus.query("SELECT start, \"end\", reason FROM spans WHERE kind = 'boilerplate' ORDER BY start")


@pytest.fixture
def scanned_seeds(seeds_copy):  # type: ignore[no-untyped-def]
    with Corpus.open(seeds_copy, annotator="tester") as corpus:
        corpus.scan()
    return seeds_copy


async def open_002(pilot, app) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot, app)
    while not app.doc.path.startswith("002"):
        await pilot.press("right_square_bracket")
        await settle(pilot, app)


async def test_suggestions_are_drawn_with_a_margin_marker_and_their_reason_in_the_inspector(scanned_seeds):
    seeds_copy = scanned_seeds
    app = app_on(seeds_copy)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_002(pilot, app)
        assert app.suggestions and app.doc.path.startswith("002")
        lines = reader_lines(app)
        assert lines[0].strip().startswith(f"1{SUGGESTION_MARKER}0 $")  # the counter lines
        assert SUGGESTION_MARKER not in lines[5]  # the headline: not suggested
        await pilot.press("full_stop")
        assert app.suggestion_at_cursor() is not None
        text = app.query_one(Inspector).text
        assert "a counter or price line" in text and "y accepts, d rejects" in text
        await pilot.press("o")  # hidden: no marker, no suggestion under the cursor
        assert app.reader.suggested == [] and SUGGESTION_MARKER not in "".join(reader_lines(app))
        assert "hidden: o shows" in app.query_one(Inspector).text
        await pilot.press("y")
        assert spans(seeds_copy) == []  # nothing to accept while hidden
        await pilot.press("full_stop")  # and the keys say why: hidden, not absent
        hidden = f"Suggestions are hidden ({len(app.suggestions)} here): o shows them."
        assert [n.message for n in app._notifications][-2:] == [hidden, hidden]
        await pilot.press("o")
        assert app.reader.suggested


async def test_y_accepts_d_rejects_and_the_next_suggestion_is_under_the_cursor(scanned_seeds):
    seeds_copy = scanned_seeds
    app = app_on(seeds_copy)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_002(pilot, app)
        app.reader.move_to(0)
        first = app.suggestion_at_cursor()
        await pilot.press("y")
        assert spans(seeds_copy) == [{"start": first.start, "end": first.end, "reason": f"suggested: {first.reason}"}]
        second = app.suggestion_at_cursor()  # at once, before the background scoring
        assert second is not None and second.start > first.start
        count = len(app.suggestions)
        await pilot.press("d")
        assert app.suggestion_at_cursor() is not None and len(app.suggestions) < count
        await settle(pilot, app)
        with Corpus.open(seeds_copy, annotator="tester", create=False) as corpus:
            assert corpus.query("SELECT COUNT(*) AS n FROM suggestion_rejections")[0]["n"] == 1
        await pilot.press("u")  # the rejection: suggested again
        await settle(pilot, app)
        assert any(s.start == second.start for s in app.suggestions)
        await pilot.press("u")  # the acceptance
        await settle(pilot, app)
        assert spans(seeds_copy) == [] and any(s.start == first.start for s in app.suggestions)


async def test_Y_accepts_all_in_the_document_as_one_undo_step_and_stats_follow_only_then(scanned_seeds):
    seeds_copy = scanned_seeds
    app = app_on(seeds_copy)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_002(pilot, app)
        assert spans(seeds_copy) == []  # shown, not counted
        wanted = len(app.suggestions)
        await pilot.press("Y")
        await settle(pilot, app)
        assert app.suggestions == [] and 0 < len(spans(seeds_copy)) <= wanted
        await pilot.press("u")
        await settle(pilot, app)
        assert spans(seeds_copy) == [] and len(app.suggestions) == wanted


async def test_a_line_marked_with_b_is_no_longer_suggested_and_its_undo_brings_it_back(scanned_seeds):
    app = app_on(scanned_seeds)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app, lambda: bool(app.suggestions))
        byline = app.reader.text.index("By [South Front](#)")
        assert any(s.start == byline for s in app.suggestions)
        app.reader.move_to(byline)
        await pilot.press("b")  # the paragraph under the cursor: that one line
        await settle(pilot, app)
        assert not any(s.start == byline for s in app.suggestions)
        assert app.suggestion_at_cursor() is None  # what the inspector shows, and what y accepts
        await pilot.press("y")  # nothing to accept here now: no second, empty mark to undo
        await pilot.press("u")  # undoes the b
        await settle(pilot, app, lambda: any(s.start == byline for s in app.suggestions))
        assert spans(scanned_seeds) == []


async def test_a_short_document_opens_with_its_suggestions_drawn_in_the_same_frame(scanned_seeds, monkeypatch):
    """Scored within the keypress when cheap (one frame, not two); a long one in the background."""
    from corpus_tui.core.suggest import scorer

    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)  # the first document's worker fitted the learner
        ids = [row.id for row in app.doclist.rows]
        app.open_document(ids[2])  # no await: nothing else has run since
        expected = app.corpus.suggestions(ids[2])
        assert expected and app.suggestions == expected
        assert app.reader.suggested == [(s.start, s.end) for s in expected]
        monkeypatch.setattr(scorer, "QUICK_CHARS", 10)  # every seed is longer: scored in a worker
        app.open_document(ids[1])
        assert app.suggestions == [] and app.reader.suggested == []
        await settle(pilot, app)
        assert app.suggestions == app.corpus.suggestions(ids[1]) and app.reader.suggested


async def test_a_run_of_decisions_is_scored_again_once_when_the_keys_pause(scanned_seeds):
    """Each y, d and b refitted the learner in a worker (0.2-0.6 s of Python with a few hundred
    decisions), slowing the frames of the next keys: now once, RESCORE_AFTER after the last."""
    from corpus_tui.tui.suggesting import RESCORE_AFTER

    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_002(pilot, app)
        scored: list[int] = []
        score = app._score_document
        app._score_document = lambda document_id, request: (scored.append(request), score(document_id, request))[1]
        app.reader.move_to(app.suggestions[0].start)
        await pilot.press("d", "d", "d")
        assert scored == []  # the list was updated in place; no rescoring between the keys
        await pilot.pause(RESCORE_AFTER + 0.3)
        await settle(pilot, app)
        assert len(scored) == 1  # one rescoring for the three, within a second of the last
        with Corpus.open(scanned_seeds, annotator="tester", create=False) as corpus:
            assert corpus.query("SELECT COUNT(*) AS n FROM suggestion_rejections")[0]["n"] == 3


async def test_a_long_document_is_scored_in_a_child_process_with_the_same_suggestions(scanned_seeds, monkeypatch):
    """A 10 MB text's scoring (seconds of Python) in a thread held the GIL against every frame and
    key meanwhile: past CHILD_SCORING_CHARS it runs in a child process; a newer request stops it."""
    from corpus_tui.core.suggest import scorer
    from corpus_tui.tui import suggesting

    monkeypatch.setattr(scorer, "QUICK_CHARS", 10)  # no quick path: every seed goes to a worker
    monkeypatch.setattr(suggesting, "CHILD_SCORING_CHARS", 10)  # and every seed counts as long
    started: list[suggesting.ScoringProcess] = []
    real_init = suggesting.ScoringProcess.__init__

    def counted_init(self, corpus, document_id):  # type: ignore[no-untyped-def]
        real_init(self, corpus, document_id)
        started.append(self)

    monkeypatch.setattr(suggesting.ScoringProcess, "__init__", counted_init)
    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_002(pilot, app)
        expected = app.corpus.suggestions(app.doc.id)
        await settle(pilot, app, lambda: app.suggestions == expected)
        assert expected and app.reader.suggested == [(s.start, s.end) for s in expected]
        assert started and started[-1].process is not None and started[-1].process.returncode == 0
        assert len({process.command[-2] for process in started}) >= 2  # one a document opened on the way
        await pilot.press("right_square_bracket", "right_square_bracket")  # two requests in a row
        await settle(pilot, app, lambda: app.suggestions == app.corpus.suggestions(app.doc.id))
        assert started[-2].stopped  # the first one's answer was for a document no longer open
        assert started[-1].process is not None and started[-1].process.returncode == 0
        monkeypatch.setattr(scorer, "QUICK_CHARS", 100_000)  # a short document next, scored at once
        await pilot.press("right_square_bracket")
        await pilot.press("left_square_bracket")
        assert started[-1].stopped  # the long one's child stopped as the short one opened (it ran on)
    assert all(p.process is None or p.process.returncode is not None for p in started)  # none left running


def test_the_scoring_child_reports_an_unknown_document_as_an_error(scanned_seeds):
    from corpus_tui.tui.suggesting import ScoringProcess

    with Corpus.open(scanned_seeds, annotator="tester", create=False) as corpus:
        process = ScoringProcess(corpus, 999_999)
    assert process.run() == (None, "no document with id 999999")
    assert process.suggestions() is None


async def test_keys_say_the_suggestions_are_on_their_way_not_that_there_are_none(scanned_seeds, monkeypatch):
    """A document opened while the learner refitted: Y said "No suggestions in this document.",
    did nothing, and the next u undid a decision in the document before (a trial)."""
    import threading

    from corpus_tui.core.suggest import scorer

    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_002(pilot, app)
        expected = app.corpus.suggestions(app.doc.id)
        release = threading.Event()
        owner = next(cls for cls in type(app.corpus).__mro__ if "suggestions" in cls.__dict__)
        real = owner.suggestions

        def held(self, document_id, min_score=None):  # type: ignore[no-untyped-def]
            if threading.current_thread() is not threading.main_thread():
                release.wait(10)
            return real(self, document_id, min_score)

        monkeypatch.setattr(owner, "suggestions", held)
        monkeypatch.setattr(scorer, "QUICK_CHARS", 10)  # scored in a worker, held there
        app.open_document(app.doc.id)
        await pilot.pause()
        assert "being worked out…" in app.query_one(Inspector).text  # it said "none" meanwhile
        for key in ("Y", "full_stop", "y", "d"):
            await pilot.press(key)
            assert app._notifications and list(app._notifications)[-1].message == \
                "This document's suggestions are still being worked out: a moment."
        assert app.corpus.query("SELECT COUNT(*) AS n FROM spans")[0]["n"] == 0
        release.set()
        await settle(pilot, app, lambda: app.suggestions == expected)
        await pilot.press("Y")
        assert list(app._notifications)[-1].message.startswith(f"Accepted {len(expected)} suggestion")


async def test_at_80_columns_the_next_suggestion_says_its_reason(scanned_seeds):
    """The inspector folds away under 110 columns: the score and reason were nowhere (a trial)."""
    app = app_on(scanned_seeds)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_002(pilot, app)
        await pilot.press("full_stop")
        suggestion = app.suggestion_at_cursor()
        assert suggestion is not None
        assert list(app._notifications)[-1].message == \
            f"Suggested ({suggestion.score:.2f}): {suggestion.reason}. y accepts, d rejects."
    app = app_on(scanned_seeds)
    async with app.run_test(size=(140, 40)) as pilot:  # the inspector says it: no message
        await open_002(pilot, app)
        await pilot.press("full_stop")
        assert not any(n.message.startswith("Suggested (") for n in app._notifications)
