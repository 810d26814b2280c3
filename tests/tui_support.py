"""Shared set-up for the app tests: a scanned copy of seeds/ and an app on it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import copy_seeds

from corpus_tui import Corpus
from corpus_tui.tui.app import CorpusApp, make_app

FIRST = "000_017fdcef885307d4.txt"
SECOND = "001_07e63e06108ae30e.txt"


def seeds_copy(tmp_path: Path, scanned: bool = True) -> Path:
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    if scanned:
        with Corpus.open(folder, annotator="tester") as corpus:
            corpus.scan()
    return folder


def numbered_pages(tmp_path: Path, count: int, page: Callable[[int], str], scanned: bool = True) -> Path:
    """A folder of ``count`` documents ``0000.txt``, ``0001.txt``…, each ``page(number)``; scanned
    unless told not to."""
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(count):
        (folder / f"{number:04}.txt").write_text(page(number))
    if scanned:
        with Corpus.open(folder, annotator="tester") as corpus:
            corpus.scan()
    return folder


def app_on(folder: Path, scan_on_open: bool = False) -> CorpusApp:
    return make_app(folder, annotator="tester", scan_on_open=scan_on_open)


def reader_lines(app: CorpusApp) -> list[str]:
    """The reader's visible rows as plain text, exactly as rendered."""
    reader = app.reader
    return [reader.render_line(y).text for y in range(reader.scrollable_content_region.height)]


def db_rows(folder: Path, sql: str, params: tuple = ()) -> list[dict]:
    with Corpus.open(folder, annotator="tester", create=False) as corpus:
        return corpus.query(sql, params)


async def settle(pilot, app, condition=lambda: True, rounds: int = 100) -> None:
    """Let workers and messages run until ``condition()`` holds (without sleeping blindly)."""
    for _ in range(rounds):
        await pilot.pause(0.02)
        if condition() and not any(worker.is_running for worker in app.workers):
            return
    raise AssertionError("the app did not settle")
