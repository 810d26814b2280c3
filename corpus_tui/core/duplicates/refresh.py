"""Keeping signatures and pairs in step with the scans.

After a scan that changed a text or a document's state (it leaves a mark in
``corpus_state``), documents that are new, changed, or signed with other settings get a
signature (in worker processes when there are many), then their pairs are found and
verified again; pairs between unchanged documents stay. A no-change rescan costs one
lookup. Signatures leave out the marked boilerplate and repeats known when they
are made: ``Corpus.refresh_duplicates(everything=True)`` (``corpus-tui duplicates
--refresh``) makes them all again after marking much more boilerplate.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..child_process import WorkerPool, pool_worker
from .clusters import rebuild_clusters
from .pairs import DEFAULT_THRESHOLD, SignatureIndex, find_pairs, replace_pairs
from .signatures import (
    Signature,
    clear_pending,
    documents_to_pair,
    forget_pairs,
    neighbours,
    record_paired_unsigned,
    documents_to_sign,
    pending_generation,
    record_paired,
    record_settings,
    settings_current,
    signatures_of,
    store_signatures,
    unpaired_waiting,
    unreadable_with_pairs,
)

BLOCK = 500  # documents a worker signs at a time, and a transaction stores
PARALLEL_MIN = 10_000  # fewer: signing here (~0.3 ms a document) beats starting workers (~1 s each)
AHEAD = 2  # blocks queued per worker


@dataclass(frozen=True)
class RefreshSummary:
    signed: int = 0
    pairs: int = 0  # pairs stored for the documents signed (now or by a refresh cut short)
    listed: int = 0  # those of them at the default threshold: what 'duplicates' lists, the app shows


def refresh(corpus: Any, everything: bool = False, progress: Callable[[int, int], None] | None = None,
            workers: int | None = None) -> RefreshSummary:
    db = corpus.db
    again = everything or not settings_current(db)
    generation = pending_generation(db)
    if not again and generation is None and not unpaired_waiting(db):
        return RefreshSummary()  # no scan changed anything since the last complete refresh
    ids = documents_to_sign(db, everything)
    signed = 0
    for block in _signed_blocks(corpus, ids, workers, only_unsigned=not again):
        with corpus.write():
            store_signatures(db, block)
        signed += len(block)
        if progress:
            progress(signed, len(ids))
    # With those a refresh killed after signing left unpaired (a crash loses no pair), and the
    # neighbours of changed and vanished documents: a copy linked only through one of those
    # (the first of a group of equal signatures) is linked again.
    to_pair = documents_to_pair(db)
    gone = unreadable_with_pairs(db)
    index = SignatureIndex(db) if to_pair or gone else None
    # And the copies that share a signature with one of them: a copy with a smaller id (a file
    # moved onto a missing row) becomes the group's first, and the old first's pairs must go,
    # or the corpus kept a pair a fresh scan does not make (a review).
    group = set(to_pair) | (_signature_groups(index, to_pair) if index is not None else set())
    affected = sorted(group | neighbours(db, sorted(group) + gone) - set(gone))
    pairs = find_pairs(db, affected, index=index) if affected else []
    with corpus.write():
        forget_pairs(db, gone)
        replace_pairs(db, None if again else affected, pairs)
        if index is not None:
            record_paired(db, {i: index.sha256.get(i) for i in to_pair if i in index.sha256})
        record_paired_unsigned(db, to_pair)
        record_settings(db)
        clear_pending(db, generation)
        rebuild_clusters(db)
    return RefreshSummary(signed, len(pairs), sum(1 for pair in pairs if pair.containment >= DEFAULT_THRESHOLD))


def _signature_groups(index: SignatureIndex, document_ids: list[int]) -> set[int]:
    """Every document whose signature is one of these documents' (their groups, whole)."""
    found: set[int] = set()
    for first in {index.representative[i] for i in document_ids if i in index.representative}:
        found.add(first)
        found.update(index.members.get(first, ()))
    return found


def _signed_blocks(corpus: Any, ids: list[int], workers: int | None,
                   only_unsigned: bool = False) -> Iterator[list[Signature]]:
    """Signatures of ``ids``, a block at a time (``only_unsigned``: of those still unsigned
    when their block comes); many in worker processes, each reading its blocks itself."""
    blocks = [ids[start : start + BLOCK] for start in range(0, len(ids), BLOCK)]
    workers = max(1, min(os.cpu_count() or 1, 8)) if workers is None else workers
    if workers < 2 or len(ids) < PARALLEL_MIN:
        for block in blocks:
            yield list(signatures_of(corpus.db, block, only_unsigned))
        return
    # Spawned: a forked child would carry this process's SQLite connection and lock state.
    # (Workers fed texts by this process instead were measured slower: 62.8 s against 52.9 s
    # for 101,200 documents, this process became the bottleneck.)
    context = multiprocessing.get_context("spawn")
    with WorkerPool(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(os.getpid(), str(corpus.db_path))) as pool:
        waiting = iter(blocks)
        pending: deque[Future[list[Signature]]] = deque()

        def submit_next() -> None:
            block = next(waiting, None)
            if block is not None:
                pending.append(pool.submit(_sign_block, block, only_unsigned))

        for _ in range(workers * AHEAD):
            submit_next()
        while pending:
            found = pending.popleft().result()
            submit_next()
            yield found


_WORKER_DB: Any = None


def _start_worker(parent_pid: int, db_path: str) -> None:
    global _WORKER_DB
    pool_worker(parent_pid)
    from ..store import connect

    _WORKER_DB = connect(Path(db_path), create=False, read_only=True)


def _sign_block(ids: list[int], only_unsigned: bool) -> list[Signature]:
    return list(signatures_of(_WORKER_DB, ids, only_unsigned))
