"""A corpus scan as a child process that reports on a pipe, one JSON object per line.

    python -m corpus_tui.core.scan_child FOLDER DB ANNOTATOR PARENT_PID

prints ``{"progress": [done, total]}`` lines, then ``{"done": summary}`` or
``{"error": message}``. The app runs its scans this way (see
``tui/scan_process``): a scan of 100k files is mostly Python and would hold
the GIL against the UI, and a plain subprocess (unlike a daemonic
multiprocessing child) may start the scanner's own reader process. The parent
gives it no terminal: its stderr is a file read only to explain an unexpected
end, so nothing, not even a traceback of a child whose parent was killed
mid-start, reaches the app's screen.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from .. import lean_start  # noqa: F401  (a process of its own: sqlite-utils without numpy)
    from .child_process import Send, serve_reports

    folder, db, annotator, parent_pid = argv

    def scan(send: Send) -> None:
        from . import Corpus

        # The app that started this scan checked the WAL when it opened the corpus.
        with Corpus.open(folder, db=db, annotator=annotator, create=False, check_wal=False) as corpus:
            def relay(done: int, total: int) -> None:
                send({"progress": [done, total]})

            summary = corpus.scan(progress=relay, duplicates_progress=relay)
        send({"done": summary.as_dict()})

    return serve_reports(int(parent_pid), scan, "scan")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
