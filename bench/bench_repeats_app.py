"""Benchmark the app's side of repeated passages (issue 11) on a large generated corpus.

    python bench/bench_repeats_app.py [--docs N] [--folder DIR] [--json]

Generates N documents (``generate_sites.py``; or uses ``--folder``, scanned if need be), then
runs the app headless (Textual's pilot, 140x40) and measures:

- the repeats view (``R``) of the whole corpus: from the key to its first rows on screen, and
  to their counts of copies already marked (filled in after the rows);
- keys while the largest passage is marked everywhere in the app's worker (``M``'s worker): a
  ``down`` in the document list every 20 ms, each timed from when it is sent to when the
  screen has been repainted after it, until the mark has committed; and whether progress was
  shown meanwhile.

Targets (the issue's): the list on screen ≤ 1 s; keys answered < 50 ms while a large mark
commits (max over the keys pressed), with progress. Exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import judge, print_rows  # noqa: E402
from generate_sites import generate_sites  # noqa: E402

from corpus_tui import Corpus  # noqa: E402
from corpus_tui.tui.app import make_app  # noqa: E402
from corpus_tui.tui.screens.repeats import RepeatsScreen  # noqa: E402
from corpus_tui.tui.widgets.document_list import DocumentList  # noqa: E402

KEY_TARGET_S = 0.050
DEBUG = bool(__import__("os").environ.get("BENCH_DEBUG"))
LIST_TARGET_S = 1.0


async def until(pilot: Any, condition: Any, timeout: float = 60.0) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the app did not get there")
        await asyncio.sleep(0.005)  # not pilot.pause: it waits for the app's workers too
    return time.perf_counter() - started


async def keys_while_marking(app: Any, pilot: Any, repeat_id: int) -> dict[str, Any]:
    """Press ``down`` in the document list every 20 ms while the mark commits in the worker;
    each key is timed from when it is sent to when the screen has been repainted after it."""
    listing = app.query_one(DocumentList)
    listing.focus()
    await pilot.pause(0.2)
    sent: list[float] = []
    painted: list[float] = []
    notes: list[str] = []
    real_cursor, real_show_work = listing.action_cursor, app._show_work

    def cursor(step: int) -> None:
        real_cursor(step)
        app.call_after_refresh(lambda: painted.append(time.perf_counter()))

    def show_work(note: str | None) -> None:
        real_show_work(note)
        if note:
            notes.append(note)

    listing.action_cursor = cursor
    app._show_work = show_work
    worker = app.mark_everywhere(repeat_id)
    started = time.perf_counter()
    while not worker.is_finished:
        sent.append(time.perf_counter())
        app.simulate_key("down")
        await asyncio.sleep(0.02)
    commit_s = time.perf_counter() - started
    await until(pilot, lambda: len(painted) >= len(sent) and app.work_note is None)
    latencies = [done - key for key, done in zip(sent, painted)]
    if DEBUG:
        print([(round(key - started, 3), round(lat * 1000)) for key, lat in zip(sent, latencies) if lat > 0.02],
              file=sys.stderr)
    return {"commit_s": round(commit_s, 2), "keys_pressed": len(latencies),
            "key_max_ms": round(max(latencies) * 1000, 1),
            "key_median_ms": round(statistics.median(latencies) * 1000, 1),
            "progress_shown": any("/" in note for note in notes)}


async def measure(folder: Path) -> dict[str, Any]:
    app = make_app(folder, annotator="bench", scan_on_open=False)
    figures: dict[str, Any] = {}
    opened = time.perf_counter()
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: app.doc is not None and not any(w.is_running for w in app.workers))
        figures["app_ready_s"] = round(time.perf_counter() - opened, 2)
        await pilot.pause(0.5)
        started = time.perf_counter()
        app.simulate_key("R")  # not pilot.press: it waits up to 1 s for the process to go idle
        await until(pilot, lambda: isinstance(app.screen, RepeatsScreen))
        screen = app.screen
        await until(pilot, lambda: screen.listing.count > 0 and screen.ids[0] in screen.loaded)
        figures["list_s"] = round(time.perf_counter() - started, 3)
        on_screen = [screen.ids[index] for index in screen.listing.visible_rows()]
        await until(pilot, lambda: all(screen.loaded[i].marked is not None for i in on_screen if i in screen.loaded))
        figures["counted_s"] = round(time.perf_counter() - started, 3)
        figures["marked_spans"] = app.corpus.db.execute("SELECT COUNT(*) FROM spans").fetchone()[0]
        figures["listed"] = screen.listing.count
        largest = screen.loaded[screen.ids[0]]
        figures["largest_docs"] = largest.documents
        await pilot.press("escape")
        figures.update(await keys_while_marking(app, pilot, largest.id))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents to generate (default 100,000)")
    parser.add_argument("--folder", type=Path, default=None, help="an existing corpus folder instead")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    workdir = None
    folder = args.folder
    figures: dict[str, Any] = {}
    try:
        if folder is None:
            workdir = Path(tempfile.mkdtemp(prefix="corpus-repeats-app-"))
            folder = generate_sites(workdir / "sites", docs=args.docs)
        with Corpus.open(folder, annotator="bench") as corpus:
            started = time.perf_counter()
            corpus.scan()
            figures["scan_s"] = round(time.perf_counter() - started, 1)
            figures["docs"] = corpus.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        figures.update(asyncio.run(measure(folder)))
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    targets = {"list": figures["list_s"] <= LIST_TARGET_S,
               "keys": figures["key_max_ms"] < KEY_TARGET_S * 1000 and figures["progress_shown"]}

    def table(figures: dict[str, Any]) -> None:
        print(f"{figures['docs']:,} documents, {figures['listed']:,} repeated passages in ≥ 3 documents")
        ok = lambda name: "PASS" if figures["targets"][name] else "FAIL"  # noqa: E731
        print_rows([
            ("repeats on screen", f"{figures['list_s']} s", "from R to the first rows, target ≤ 1 s", ok("list")),
            ("marked counts", f"{figures['counted_s']} s", f"from R to the rows on screen counted "
             f"({figures['marked_spans']:,} spans in the corpus)", "-"),
            ("keys while marking", f"max {figures['key_max_ms']} ms",
             f"median {figures['key_median_ms']} ms over {figures['keys_pressed']} keys while a passage in "
             f"{figures['largest_docs']:,} documents committed ({figures['commit_s']} s); "
             f"progress shown: {figures['progress_shown']}; "
             "target < 50 ms", ok("keys")),
        ], figures["passed"])

    return judge(figures, targets, args.json, table)


if __name__ == "__main__":
    sys.exit(main())
