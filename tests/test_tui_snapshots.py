"""Looks: the main screen, help, tag picker and annotate dialog at 80x24 and 160x50.

After a deliberate change of looks, review the diff and run ``pytest --snapshot-update``.
"""

from __future__ import annotations

import pytest

from corpus_tui import Corpus
from tui_support import FIRST, app_on, seeds_copy, settle

SIZES = [(80, 24), (160, 50)]


def annotated_seeds(tmp_path):
    folder = seeds_copy(tmp_path)
    with Corpus.open(folder, annotator="tester") as corpus:
        doc = corpus.document_by_path(FIRST)
        text = corpus.text(doc.id)
        start = text.index("By [South Front]")
        corpus.mark_boilerplate(doc.id, start, text.index("On Thursday"))
        mosul = text.index("Old Mosul area")
        corpus.add_annotation(doc.id, mosul, mosul + 9, "GPE", note="the old city")
        corpus.add_tag(doc.id, "iraq")
        corpus.set_status(corpus.document_by_path("002_a7de4bf8afd987b8.txt").id, "reviewed")
    return folder


async def _settled(pilot) -> None:
    """Snapshots are taken once the list worker has delivered every row."""
    await settle(pilot, pilot.app, lambda: len(pilot.app.doclist.rows) == 5)


async def _move_to_mosul(pilot) -> None:
    await _settled(pilot)
    app = pilot.app
    app.reader.move_to(app.reader.text.index("On Thursday"))
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen(snap_compare, tmp_path, size):
    assert snap_compare(app_on(annotated_seeds(tmp_path)), terminal_size=size, run_before=_move_to_mosul)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare, tmp_path, size):
    assert snap_compare(app_on(annotated_seeds(tmp_path)), press=["question_mark"], terminal_size=size,
                        run_before=_settled)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_tag_picker(snap_compare, tmp_path, size):
    assert snap_compare(app_on(annotated_seeds(tmp_path)), press=["t", "i", "r"], terminal_size=size,
                        run_before=_settled)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_annotate_dialog(snap_compare, tmp_path, size):
    assert snap_compare(app_on(annotated_seeds(tmp_path)), press=["a", "G"], terminal_size=size,
                        run_before=_move_to_mosul)


async def _repeats_listed(pilot) -> None:
    """The repeats view with its rows (the seeds at 2 documents or more: one press of -)."""
    await _settled(pilot)
    await pilot.press("R", "enter", "minus")
    await settle(pilot, pilot.app, lambda: 0 < pilot.app.screen.listing.count == len(pilot.app.screen.loaded))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_repeats_view(snap_compare, tmp_path, size):
    assert snap_compare(app_on(annotated_seeds(tmp_path)), terminal_size=size, run_before=_repeats_listed)


async def _diff_shown(pilot) -> None:
    """The diff of 000 and its repost 001 (=), once the worker has computed it."""
    await _settled(pilot)
    await pilot.press("equals_sign")
    from corpus_tui.tui.screens.duplicate_diff import DiffView

    await settle(pilot, pilot.app, lambda: bool(pilot.app.screen.query(DiffView) and
                                                pilot.app.screen.query_one(DiffView).rows))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_duplicate_diff(snap_compare, tmp_path, size):
    assert snap_compare(app_on(annotated_seeds(tmp_path)), terminal_size=size, run_before=_diff_shown)
