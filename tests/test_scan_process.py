"""The app's scan child (core.scan_child driven by tui.scan_process): progress, result, errors, stop."""

from __future__ import annotations

import os
import sqlite3
import sys

from tui_support import seeds_copy

from corpus_tui import Corpus
from corpus_tui.tui.scan_process import ScanProcess


def scan_process(folder) -> ScanProcess:
    return ScanProcess(folder, folder / "annotations.db", "tester")


def test_a_scan_reports_progress_and_its_summary(tmp_path):
    folder = seeds_copy(tmp_path)
    (folder / "new.txt").write_text("a new document\n")
    seen: list[tuple[int, int]] = []
    summary, error = scan_process(folder).run(lambda done, total: seen.append((done, total)))
    assert error is None and summary is not None
    assert (summary["added"], summary["unchanged"]) == (1, 5)
    # the files read, then the documents signed for near-duplicates (the new one)
    assert seen[: seen.index((6, 6)) + 1][-1] == (6, 6) and seen[-1] == (1, 1)


def test_a_failing_scan_reports_one_line(tmp_path):
    folder = seeds_copy(tmp_path, scanned=False)  # no database: the child may not create one
    summary, error = scan_process(folder).run(lambda done, total: None)
    assert summary is None and error is not None and "\n" not in error and "annotations.db" in error
    assert not (folder / "annotations.db").exists()


def test_a_stopped_scan_never_starts(tmp_path):
    folder = seeds_copy(tmp_path)
    process = scan_process(folder)
    process.stop()
    assert process.run(lambda done, total: None) == (None, "scan stopped")
    assert process.process is None


def test_stopping_a_scan_in_flight_rolls_its_batch_back_and_the_next_scan_finishes(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    files = 5_000  # five batches, read by the scanner's own reader process (over its threshold)
    for i in range(files):
        (folder / f"{i:05}.txt").write_text(f"document {i}\n" + "some words here\n" * 20)
    Corpus.open(folder, annotator="tester").close()
    process = scan_process(folder)
    stopped_at: list[int] = []

    def stop_after_the_first_batch(done: int, total: int) -> None:
        if 0 < done < total and not stopped_at:
            stopped_at.append(done)
            process.stop()

    summary, error = process.run(stop_after_the_first_batch)
    assert stopped_at and summary is None and "stopped" in error
    with sqlite3.connect(folder / "annotations.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    assert stopped_at[0] <= kept < files  # committed batches stay; the one in flight is rolled back
    summary, error = scan_process(folder).run(lambda done, total: None)
    assert error is None and (summary["added"], summary["unchanged"]) == (files - kept, kept)


def scan_children(folder) -> list[int]:
    """Live scan children (and their reader processes) working on ``folder``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace")
            state = open(f"/proc/{entry}/stat", "rb").read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state != b"Z" and "scan_child" in cmdline and str(folder) in cmdline:
            found.append(int(entry))
    return found


def test_a_stopped_scan_leaves_no_process_behind_and_says_it_was_stopped(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    for i in range(4000):
        (folder / f"{i:05}.txt").write_text(f"document {i}\n" + "words\n" * 20)
    Corpus.open(folder, annotator="tester").close()
    process = scan_process(folder)
    outcome = process.run(lambda done, total: process.stop() if 0 < done < total else None)
    assert outcome == (None, "scan stopped")
    assert scan_children(folder) == []


def test_the_working_directory_cannot_shadow_the_childs_modules(tmp_path, monkeypatch):
    """`corpus-tui .` inside a scraped folder holding a json.py must not run it."""
    folder = seeds_copy(tmp_path)
    marker = tmp_path / "ran"
    (folder / "json.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (folder / "corpus_tui").mkdir()
    (folder / "corpus_tui" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    monkeypatch.chdir(folder)
    summary, error = scan_process(folder).run(lambda done, total: None)
    assert error is None and summary is not None and not marker.exists()


def test_a_progress_callback_that_fails_still_reaps_the_child(tmp_path):
    folder = seeds_copy(tmp_path)
    (folder / "new.txt").write_text("new\n")
    process = scan_process(folder)

    def gone(done: int, total: int) -> None:
        raise RuntimeError("the app has closed")

    try:
        process.run(gone)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the callback's error was swallowed")
    assert process.process is not None and process.process.returncode is not None
    assert scan_children(folder) == []


def test_an_unexpected_end_says_what_the_child_said_last(tmp_path):
    folder = seeds_copy(tmp_path)
    process = scan_process(folder)
    process.command = [sys.executable, "-c", "import sys; print('Traceback…', file=sys.stderr); "
                       "print('ValueError: broken', file=sys.stderr); sys.exit(3)"]
    assert process.run(lambda done, total: None) == (None, "scan stopped unexpectedly (exit code 3): "
                                                            "ValueError: broken")
