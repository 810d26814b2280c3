"""Which documents an export takes, and bringing changed files up to date first.

Filters (all must hold): ``statuses`` (any of them), ``tags`` (every one of
them, as ``tag:`` does in the app's filter), ``exclude_tags`` (none of them),
``only_annotated`` (at least one annotation span, stale ones too), ``dedup`` (not a
document a cluster of near-duplicates leaves out: each keeps one). Documents in state
``ok`` are exported; ``missing`` ones (file gone, annotations kept) only with
``include_missing``, from the text stored at their last scan; ``unreadable``
ones never (their file cannot be read now).
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .. import scanner
from ..discovery import FoundFile
from ..errors import InvalidValue
from ..schema import STATUSES
from ..listing import filter_clauses
from . import records
from .changes import Changed, Vanished, find_changes

if TYPE_CHECKING:
    from ..corpus import Corpus


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    only_annotated: bool = False
    include_missing: bool = False
    dedup: bool = False  # one document per cluster of near-duplicates (``duplicates.clusters``)
    left_out: str = "[]"  # with dedup: the ids it leaves out, a JSON array (``dedup_filters``)

    def check(self, corpus: Corpus) -> None:
        """Unknown statuses or tag names are errors: a typo must not export nothing quietly."""
        for status in self.statuses:
            if status not in STATUSES:
                raise InvalidValue(f"unknown status {status!r} (one of: {', '.join(STATUSES)})")
        for name in (*self.tags, *self.exclude_tags):
            corpus.tag(name)  # unknown: an error naming the closest tags


def _where(filters: Filters, states: tuple[str, ...]) -> tuple[str, list[Any]]:
    clauses, params = filter_clauses(filters.statuses, filters.tags, filters.exclude_tags, states)
    if filters.only_annotated:
        # Stale ones count: a document whose annotations went stale is then named as left out
        # for them (or exported with --allow-stale), not dropped without a word.
        clauses.append("EXISTS (SELECT 1 FROM spans s WHERE s.document_id = d.id AND s.kind = 'annotation')")
    if filters.left_out != "[]":  # one parameter, however many: every connection reads it the same
        clauses.append("d.id NOT IN (SELECT value FROM json_each(?))")
        params.append(filters.left_out)
    return " WHERE " + " AND ".join(clauses), params


def selected_ids(corpus: Corpus, filters: Filters) -> tuple[int, Iterator[list[int]]]:
    """How many documents the filters take, and their ids in path order, a chunk at a time
    (``records.chunked``: ``CHUNK`` documents or ``CHUNK_BYTES`` of files at most).

    A cursor streams the ids, so memory does not grow with the corpus.
    Call inside one read snapshot, so the count and the ids agree.
    """
    where, params = selection_query(filters)
    total = corpus.db.execute(f"SELECT COUNT(*) FROM documents d{where}", params).fetchone()[0]
    cursor = corpus.db.conn.execute(f"SELECT d.id, d.size FROM documents d{where} ORDER BY d.path", params)
    return int(total), records.chunked(cursor)


def selection_query(filters: Filters) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause (on ``documents d``) of the documents an export takes, and its parameters."""
    return _where(filters, _states(filters))


def dedup_filters(corpus: Corpus, filters: Filters, allow_stale: bool = False) -> Filters:
    """``filters`` with the documents ``dedup`` leaves out: in each cluster of near-duplicates,
    the selected members but the one kept among them (so a filter never loses a whole cluster).
    Without ``allow_stale``, a member with stale spans is not kept (the export leaves it out for
    them, and the cluster would be lost with it): another one is."""
    from ..duplicates.clusters import clusters, left_out, links
    from ..duplicates.pairs import DEFAULT_THRESHOLD

    where, params = selection_query(filters)
    selected = {row[0] for row in corpus.db.execute(f"SELECT d.id FROM documents d{where}", params)}
    found = clusters(corpus.db)
    if not allow_stale:
        members = [member.id for cluster in found for member in cluster.members if member.id in selected]
        selected -= _left_out_for_stale_spans(corpus, members)
    pairs = links(corpus.db, DEFAULT_THRESHOLD)
    return replace(filters, left_out=json.dumps(sorted(left_out(found, selected, pairs))))


def _left_out_for_stale_spans(corpus: Corpus, document_ids: list[int]) -> set[int]:
    """Those of these documents an export leaves out for their stale spans: a span marked stale,
    or one whose quote is not the text at its offsets (``records``: never exported there)."""
    found: set[int] = set()
    for start in range(0, len(document_ids), 500):
        part = json.dumps(document_ids[start : start + 500])
        found.update(row[0] for row in corpus.db.execute(
            "SELECT DISTINCT s.document_id FROM spans AS s JOIN document_texts AS t ON t.document_id = s.document_id "
            "WHERE s.document_id IN (SELECT value FROM json_each(?)) "
            "AND (s.anchor = 'stale' OR substr(t.text, s.start + 1, s.\"end\" - s.start) IS NOT s.quote)", [part]))
    return found


def selected_count(corpus: Corpus, filters: Filters) -> int:
    where, params = selection_query(filters)
    return int(corpus.db.execute(f"SELECT COUNT(*) FROM documents d{where}", params).fetchone()[0])


def blocks(corpus: Corpus, filters: Filters, count: int, max_bytes: int) -> list[str]:
    """The first path of each block of the selection, cut in path order into blocks of
    ``count`` documents at most and no more than ``max_bytes`` unless one document
    alone is larger (memory: one path per block)."""
    where, params = selection_query(filters)
    starts: list[str] = []
    documents = block_bytes = 0
    for path, size in corpus.db.conn.execute(f"SELECT d.path, d.size FROM documents d{where} ORDER BY d.path", params):
        if not starts or documents >= count or block_bytes + size > max_bytes:
            starts.append(path)
            documents = block_bytes = 0
        documents += 1
        block_bytes += size
    return starts


def selected_paths(corpus: Corpus, filters: Filters) -> Iterator[tuple[int, str]]:
    """(id, path) of every document the filters take (folder formats name their files from these)."""
    where, params = selection_query(filters)
    yield from corpus.db.conn.execute(f"SELECT d.id, d.path FROM documents d{where} ORDER BY d.path", params)


def _states(filters: Filters) -> tuple[str, ...]:
    return ("ok", "missing") if filters.include_missing else ("ok",)


def count_left_out(corpus: Corpus, filters: Filters) -> dict[str, int]:
    """How many documents the filters take that are missing or unreadable and so not exported."""
    states = ("unreadable",) if filters.include_missing else ("missing", "unreadable")
    where, params = _where(filters, states)
    counts = {"missing": 0, "unreadable": 0}
    for state, count in corpus.db.execute(f"SELECT d.state, COUNT(*) FROM documents d{where} GROUP BY d.state",
                                          params):
        counts[state] = count
    return counts


def refresh_query(filters: Filters) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause of the documents whose files an export checks for changes."""
    return _where(filters, ("ok",))


def refresh_changed(corpus: Corpus, filters: Filters) -> int:
    """Re-read the files that changed on disk since the last scan; returns how many.

    The same rule as opening a document in the app (``Corpus.refresh_document``):
    a changed file is re-decoded and its spans re-anchored by quote and context
    (or marked stale); a file that disappeared is marked missing. Done before
    the export reads anything, so what it writes matches the files on disk.
    """
    where, params = refresh_query(filters)
    return apply_changes(corpus, *find_changes(corpus.db.conn, str(corpus.folder), where, params))


def apply_changes(corpus: Corpus, changed: Changed, vanished: Vanished) -> int:
    """Re-read the ``changed`` files and mark the ``vanished`` documents missing."""
    if changed:
        scanner.scan(corpus, [FoundFile(path, size, mtime_ns) for path, size, mtime_ns in changed], None,
                     partial=True)
    for doc_id in vanished:
        corpus.refresh_document(doc_id)
    return len(changed) + len(vanished)
