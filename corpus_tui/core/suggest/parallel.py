"""Scoring a whole corpus on every core: ``suggest_all`` a block of documents per process.

A line costs tens of microseconds of Python, so scoring 100,000 documents is bound by one core
(3x their first scan). With ``workers`` > 1 and enough documents, blocks of ``BLOCK`` documents
go to worker processes, each with its own read-only connection (started by spawn: a forked
child would carry this process's SQLite connection, which SQLite forbids); results come back in
path order, the same as ``suggest_all`` alone. Each worker fits the corpus's correction for
itself (``learner.correction_for``), from the same decisions.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..child_process import WorkerPool, pool_worker
from ..models import Document
from .scorer import Suggestion

BLOCK = 500  # documents a worker scores at a time
MIN_DOCUMENTS = 2000  # fewer: starting workers costs more than it saves
AHEAD = 2  # blocks queued per worker

_WORKER_CORPUS: Any = None  # the worker process's own read-only Corpus


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def score_corpus(corpus: Any, min_score: float | None = None, paths: list[str] | None = None,
                 workers: int | None = None) -> Iterator[tuple[Document, list[Suggestion]]]:
    """``corpus.suggest_all(min_score, paths)``, on ``workers`` processes when it pays."""
    workers = default_workers() if workers is None else workers
    if paths is not None or workers < 2:
        yield from corpus.suggest_all(min_score, paths)
        return
    threshold = corpus._threshold(min_score)
    documents = [Document.from_row(row) for row in corpus.query(
        "SELECT * FROM documents WHERE state = 'ok' ORDER BY path")]
    if len(documents) < MIN_DOCUMENTS:
        yield from corpus.suggest_all(min_score)
        return
    blocks = [documents[start : start + BLOCK] for start in range(0, len(documents), BLOCK)]
    context = multiprocessing.get_context("spawn")
    with WorkerPool(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(os.getpid(), str(corpus.folder), str(corpus.db_path))) as pool:
        pending = [pool.submit(_score_block, [d.id for d in block], threshold)
                   for block in blocks[: workers * AHEAD]]
        for index, block in enumerate(blocks):
            found = pending.pop(0).result()
            following = index + workers * AHEAD
            if following < len(blocks):
                pending.append(pool.submit(_score_block, [d.id for d in blocks[following]], threshold))
            for document, suggestions in zip(block, found):
                yield document, suggestions


def _start_worker(parent_pid: int, folder: str, db_path: str) -> None:
    global _WORKER_CORPUS
    pool_worker(parent_pid)
    from ..corpus import Corpus

    _WORKER_CORPUS = Corpus.open(Path(folder), db=Path(db_path), create=False, check_wal=False, read_only=True)


def _score_block(document_ids: list[int], threshold: float) -> list[list[Suggestion]]:
    corpus = _WORKER_CORPUS
    return [corpus._scored(corpus.document(document_id), threshold) for document_id in document_ids]
