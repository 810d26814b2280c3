"""A corpus scan as a child process that reports on a pipe, one JSON object per line.

    python -m corpus_tui.core.scan_child FOLDER DB ANNOTATOR PARENT_PID

prints ``{"progress": [done, total]}`` lines, then ``{"done": summary}`` or
``{"error": message}``. The app runs its scans this way (see
``tui/scan_process``): a scan of 100k files is mostly Python and would hold
the GIL against the UI, and a plain subprocess (unlike a daemonic
multiprocessing child) may start the scanner's own reader process. The parent
gives it no terminal: its stderr is /dev/null, so nothing, not even a
traceback of a child whose parent was killed mid-start, reaches the app's screen.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any


def run(folder: str, db: str, annotator: str, report: IO[str]) -> None:
    from . import Corpus, CorpusError

    def send(message: dict[str, Any]) -> None:
        report.write(json.dumps(message) + "\n")
        report.flush()

    try:
        # The app that started this scan checked the WAL when it opened the corpus.
        with Corpus.open(folder, db=db, annotator=annotator, create=False, check_wal=False) as corpus:
            def relay(done: int, total: int) -> None:
                send({"progress": [done, total]})

            summary = corpus.scan(progress=relay, duplicates_progress=relay)
        send({"done": summary.as_dict()})
    except CorpusError as error:
        send({"error": str(error)})
    except BrokenPipeError:
        raise  # nobody is listening any more
    except Exception as error:  # the UI must hear about it rather than wait forever
        send({"error": f"scan failed: {type(error).__name__}: {error}"})


def main(argv: list[str]) -> int:
    from .. import lean_start  # noqa: F401  (a process of its own: sqlite-utils without numpy)
    from .child_process import die_with_parent

    folder, db, annotator, parent_pid = argv
    die_with_parent(int(parent_pid))  # a killed app must not leave its scan running
    # The pipe is kept on a descriptor of its own; stdout goes to /dev/null so that
    # nothing printed by accident can break a message.
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        run(folder, db, annotator, report)
    except BrokenPipeError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
