"""Run a corpus scan in a separate process, reporting progress back.

A scan of 100k files is mostly Python (walking, stat-ing, decoding): in a
thread it would hold the GIL against the UI for seconds. In its own process it
runs on the other core, and the app's worker thread only relays messages.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.2


def _scan_job(folder: str, db: str, annotator: str, messages: Any, parent_pid: int) -> None:
    """The child process: scan, sending ("progress", done, total), then ("done", summary) or ("error", text)."""
    from ..core import Corpus, CorpusError
    from ..core.child_process import die_with_parent

    die_with_parent(parent_pid)  # a killed app must not leave its scan running
    # The parent's terminal is the app's screen: nothing from here may reach it.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        with Corpus.open(folder, db=db, annotator=annotator, create=False) as corpus:
            summary = corpus.scan(progress=lambda done, total: messages.put(("progress", done, total)))
        messages.put(("done", summary.as_dict()))
    except CorpusError as error:
        messages.put(("error", str(error)))
    except Exception as error:  # the UI must hear about it rather than wait forever
        messages.put(("error", f"scan failed: {type(error).__name__}: {error}"))


@contextmanager
def _real_stderr() -> Iterator[None]:
    """Textual swaps sys.stderr for a capture object without a file descriptor,
    and multiprocessing passes sys.stderr.fileno() to its helper process."""
    swapped, sys.stderr = sys.stderr, sys.__stderr__ or sys.stderr
    try:
        yield
    finally:
        sys.stderr = swapped


class ScanProcess:
    """One background scan; ``run`` blocks (call it from a worker thread)."""

    def __init__(self, folder: Path, db: Path, annotator: str):
        context = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited connections
        with _real_stderr():  # creating the queue may start multiprocessing's helper process
            self.messages = context.Queue()
        self.process = context.Process(
            target=_scan_job, args=(str(folder), str(db), annotator, self.messages, os.getpid()), daemon=True
        )

    def run(self, on_progress: Callable[[int, int], None]) -> tuple[dict[str, Any] | None, str | None]:
        """(summary, None) on success, (None, message) on failure."""
        with _real_stderr():
            self.process.start()
        while True:
            try:
                message = self.messages.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not self.process.is_alive():
                    return None, f"scan stopped unexpectedly (exit code {self.process.exitcode})"
                continue
            if message[0] == "progress":
                on_progress(message[1], message[2])
            elif message[0] == "done":
                self.process.join()
                return message[1], None
            else:
                self.process.join()
                return None, message[1]

    def stop(self) -> None:
        """Stop a scan in flight: SQLite rolls the open batch back; the next scan resumes."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
