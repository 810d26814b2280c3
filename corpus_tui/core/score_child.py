"""Boilerplate suggestions for one document, worked out in a child process.

    python -m corpus_tui.core.score_child FOLDER DB ANNOTATOR DOCUMENT_ID PARENT_PID

prints ``{"done": [[start, end, score, reason], ...]}`` (``Corpus.suggestions``) or
``{"error": message}``. The app scores a long document this way (``tui/suggesting``):
a 10 MB text takes seconds of Python, which in a thread would hold the GIL against every
frame and key meanwhile.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from .. import lean_start  # noqa: F401  (a process of its own: sqlite-utils without numpy)
    from .child_process import Send, serve_reports

    folder, db, annotator, document_id, parent_pid = argv

    def score(send: Send) -> None:
        from . import Corpus

        # Read only: the app that started it checked the WAL when it opened the corpus.
        with Corpus.open(folder, db=db, annotator=annotator, create=False, check_wal=False) as corpus:
            found = corpus.suggestions(int(document_id))
        send({"done": [[s.start, s.end, s.score, s.reason] for s in found]})

    return serve_reports(int(parent_pid), score, "scoring")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
