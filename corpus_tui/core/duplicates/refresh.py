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
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..child_process import die_with_parent, start_method
from .clusters import rebuild_clusters
from .pairs import SignatureIndex, find_pairs, replace_pairs
from .signatures import (
    Signature,
    SigningInput,
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
    sign,
    signatures_of,
    signing_inputs,
    store_signatures,
    unpaired_waiting,
    unreadable_with_pairs,
)

BLOCK = 500  # documents a worker signs at a time, and a transaction stores
# Fewer documents than this: signing here (~0.3 ms a document) beats starting workers, which
# costs ~10 ms forked and ~1 s spawned (a new interpreter imports corpus-tui).
PARALLEL_MIN = {"fork": 2_000, "spawn": 10_000}
AHEAD = 2  # blocks queued per worker


@dataclass(frozen=True)
class RefreshSummary:
    signed: int = 0
    pairs: int = 0  # pairs stored for the documents signed (now or by a refresh cut short)


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
    affected = sorted(set(to_pair) | neighbours(db, to_pair + gone) - set(gone))
    index = SignatureIndex(db) if affected else None
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
    return RefreshSummary(signed, len(pairs))


def _signed_blocks(corpus: Any, ids: list[int], workers: int | None,
                   only_unsigned: bool = False) -> Iterator[list[Signature]]:
    """Signatures of ``ids``, a block at a time (``only_unsigned``: of those still unsigned
    when their block comes). Many are made in worker processes, which get the texts and
    ranges from here (``SigningInput``) and never open the database."""
    blocks = [ids[start : start + BLOCK] for start in range(0, len(ids), BLOCK)]
    workers = max(1, min(os.cpu_count() or 1, 8)) if workers is None else workers
    method = start_method()
    if workers < 2 or len(ids) < PARALLEL_MIN[method]:
        for block in blocks:
            yield list(signatures_of(corpus.db, block, only_unsigned))
        return
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        waiting = iter(blocks)
        pending: deque[Future[list[Signature]]] = deque()

        def submit_next() -> None:
            block = next(waiting, None)
            if block is not None:
                pending.append(pool.submit(_sign_all, list(signing_inputs(corpus.db, block, only_unsigned))))

        for _ in range(workers * AHEAD):
            submit_next()
        while pending:
            found = pending.popleft().result()
            submit_next()
            yield found


def _sign_all(inputs: list[SigningInput]) -> list[Signature]:
    return [sign(found) for found in inputs]
