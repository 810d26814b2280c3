"""The passage index: every line and paragraph of every document, as a fingerprint
of its normalized text (``normalize``, ``passages``), kept in step with the scans.

``passages`` rows change only with a document's text (a new, changed or first
readable file); a rename keeps them. ``repeats`` — the fingerprints found in two
or more documents, with their document and source counts and one copy to show —
is rebuilt in one statement after a scan that changed passages or sources, so
listing the repeats of 100,000 documents reads a small table, not a million rows.
A corpus indexed with an older normalization is re-indexed, once, by its next scan.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any

from .normalize import NORMALIZATION_VERSION, fingerprint, normalize
from .passages import ROW_WIDTH, passage_table
from .sources import document_source

INDEX_STATE_KEY = "passage_normalization"


def passage_rows(text: str, body_start: int) -> array[int]:
    """A text's passages, in the form the scanner's reader process sends back (``passage_table``)."""
    return passage_table(text, body_start)


def store_passages(db: Any, document_id: int, table: Sequence[int], new: bool = False) -> None:
    """Replace a document's passages (``passage_table``'s flat rows). Inside the caller's write
    transaction; ``new``: a document inserted in it, which has none to delete yet."""
    if not new:
        db.execute("DELETE FROM passages WHERE document_id = ?", [document_id])
    db.conn.executemany(
        'INSERT INTO passages (document_id, start, paragraph, "end", fingerprint) VALUES (?, ?, ?, ?, ?)',
        zip(repeat(document_id), table[1::ROW_WIDTH], table[0::ROW_WIDTH], table[2::ROW_WIDTH], table[3::ROW_WIDTH]),
    )


# The index's own index (a document's rows need none: the table is clustered by document).
# A first scan of many files drops it and builds it once at the end: a B-tree sorted at once
# is 3x cheaper than one grown a document at a time, whose random inserts rewrite most of its
# pages in every batch's commit (at 100,000 documents, 11.7 s against 3.2 s). A scan killed
# before the end leaves it missing; the next scan builds it again, and every query is right
# without it, only slower.
PASSAGE_INDEXES = {
    "passages_fingerprint": "CREATE INDEX IF NOT EXISTS passages_fingerprint ON passages (fingerprint, document_id)",
}


def drop_passage_indexes(db: Any) -> None:
    for name in PASSAGE_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")


def passage_indexes_missing(db: Any) -> bool:
    present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'passages'")}
    return not present.issuperset(PASSAGE_INDEXES)


# The page cache while an index is built. SQLite sorts the rows in chunks of about this size
# and merges them; a chunk that fits the processor's caches sorts faster, so the scan's 64 MiB
# cache made the fingerprint index of 1.3 million passages take 1.3 s, this one 0.6 s.
INDEX_BUILD_CACHE_KIB = -4096


def build_passage_indexes(db: Any) -> None:
    """Inside the caller's write transaction."""
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = {INDEX_BUILD_CACHE_KIB}")
    try:
        for statement in PASSAGE_INDEXES.values():
            db.execute(statement)
    finally:
        db.execute(f"PRAGMA cache_size = {cache}")


def index_is_current(db: Any) -> bool:
    row = db.execute("SELECT value FROM corpus_state WHERE key = ?", [INDEX_STATE_KEY]).fetchone()
    return row is not None and row[0] == str(NORMALIZATION_VERSION)


def record_index_version(db: Any) -> None:
    db.execute(
        "INSERT INTO corpus_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [INDEX_STATE_KEY, str(NORMALIZATION_VERSION)],
    )


def documents_to_reindex(db: Any) -> list[int]:
    return [row[0] for row in db.execute(
        "SELECT d.id FROM documents d JOIN document_texts t ON t.document_id = d.id ORDER BY d.id"
    )]


def reindex(db: Any, document_ids: Iterable[int]) -> None:
    """Recompute the passages of documents from their stored texts (the index's version changed)."""
    for document_id in document_ids:
        row = db.execute(
            "SELECT t.text, d.body_start FROM document_texts t JOIN documents d ON d.id = t.document_id "
            "WHERE d.id = ?", [document_id],
        ).fetchone()
        if row is not None:
            store_passages(db, document_id, passage_rows(row[0], row[1]))


def refingerprint_decisions(db: Any, version: int) -> None:
    """The rules and rejected suggestions of a corpus indexed by normalization ``version``,
    fingerprinted by this one. Inside the write transaction that records the new version.

    A rule is its passage's text as shown when it was made. A rejection names its document and
    the fingerprint of the line rejected: the line is found again in the text now as the one
    with that fingerprint by the old rule (its offsets first: they were the line's when it was
    rejected); a rejection whose line is gone keeps its fingerprint, as it would have had.
    """
    if not 1 <= version < NORMALIZATION_VERSION:  # the versions ``normalize`` still knows
        return
    db.conn.executemany(
        "UPDATE rules SET fingerprint = ?, normalization = ? WHERE id = ?",
        [(fingerprint(normalize(text)), NORMALIZATION_VERSION, rule_id)
         for rule_id, text in db.execute("SELECT id, text FROM rules WHERE normalization = ?", [version]).fetchall()])
    # The rejections, and the rows the history keeps of them (undo and redo put those back: the
    # old fingerprint came back with a redo, and the line was suggested again: a review).
    rejected: dict[int, list[tuple[str, int, int, int, int]]] = {}  # document -> (where, id, old, start, end)
    for row_id, document_id, old, start, end in db.execute(
            'SELECT id, document_id, fingerprint, start, "end" FROM suggestion_rejections').fetchall():
        rejected.setdefault(document_id, []).append(("table", row_id, old, start, end))
    for event_id, payload in db.execute("SELECT id, payload FROM events WHERE action = 'suggestion.reject'").fetchall():
        try:
            row = json.loads(payload)["row"]
            rejected.setdefault(int(row["document_id"]), []).append(
                ("event", event_id, int(row["fingerprint"]), int(row["start"]), int(row["end"])))
        except (ValueError, KeyError, TypeError):
            continue  # not a row this version wrote: left as it is
    table, events = [], []
    for document_id, rows in rejected.items():
        found = db.execute("SELECT text FROM document_texts WHERE document_id = ?", [document_id]).fetchone()
        if found is None:
            continue
        text = found[0]
        lines: list[str] | None = None
        for where, row_id, old, start, end in rows:
            line = text[start:end]
            if fingerprint(normalize(line, version)) != old:
                if lines is None:
                    lines = text.splitlines()
                line = next((candidate for candidate in lines if fingerprint(normalize(candidate, version)) == old), "")
            if line and (new := fingerprint(normalize(line))) != old:
                (table if where == "table" else events).append((new, row_id))
    # OR IGNORE: two lines rejected apart may now be one passage; the first rejection stands for both.
    db.conn.executemany("UPDATE OR IGNORE suggestion_rejections SET fingerprint = ? WHERE id = ?", table)
    db.conn.executemany("UPDATE events SET payload = json_set(payload, '$.row.fingerprint', ?) WHERE id = ?", events)


def stored_index_version(db: Any) -> int | None:
    """The normalization the stored passages were made by (None: no index was ever made)."""
    row = db.execute("SELECT value FROM corpus_state WHERE key = ?", [INDEX_STATE_KEY]).fetchone()
    return int(row[0]) if row is not None and str(row[0]).isdigit() else None


def refresh_sources(db: Any) -> None:
    """Every document's source from its path and stored front matter: a corpus made before the
    index has none yet (and a change of the rule would change them)."""
    changes = []
    for document_id, path, meta, source in db.execute("SELECT id, path, meta, source FROM documents"):
        try:
            parsed = json.loads(meta or "{}")
        except ValueError:
            parsed = {}
        new = document_source(path, parsed if isinstance(parsed, dict) else {})
        if new != source:
            changes.append((new, document_id))
    db.conn.executemany("UPDATE documents SET source = ? WHERE id = ?", changes)


# corpus_state: a change the repeats count (passages, a document's state or source) was committed
# and the recount after it may not have been: a scan killed before its end, or a document found
# missing when the app opened it. Written in the change's own transaction; the next scan recounts.
REPEATS_OWED_KEY = "repeats_owed"


def owe_repeats(db: Any) -> None:
    """Inside the write transaction of a change the repeats count."""
    db.execute("INSERT OR REPLACE INTO corpus_state (key, value) VALUES (?, '1')", [REPEATS_OWED_KEY])


# corpus_state: an index redone by another normalization, whose rules have not yet marked their
# passage in every document (written with the new version: a scan stopped before the end of that
# marking left it undone for good, since no later scan reads those files anew: a review).
RULES_OWED_KEY = "rules_owed_everywhere"


def owe_rules_everywhere(db: Any) -> None:
    db.execute("INSERT OR REPLACE INTO corpus_state (key, value) VALUES (?, '1')", [RULES_OWED_KEY])


def rules_owed_everywhere(db: Any) -> bool:
    return db.execute("SELECT 1 FROM corpus_state WHERE key = ?", [RULES_OWED_KEY]).fetchone() is not None


def rules_done_everywhere(db: Any) -> None:
    db.execute("DELETE FROM corpus_state WHERE key = ?", [RULES_OWED_KEY])


def repeats_owed(db: Any) -> bool:
    return db.execute("SELECT 1 FROM corpus_state WHERE key = ?", [REPEATS_OWED_KEY]).fetchone() is not None


def rebuild_repeats(db: Any) -> None:
    """Recount every fingerprint found in two or more documents that are on disk.

    One copy to show each: the first in the smallest document id (the first document
    indexed with it). Missing files do not count: their text is only what was last scanned.
    Inside the caller's write transaction, which also settles what ``owe_repeats`` noted.
    """
    db.execute("DELETE FROM corpus_state WHERE key = ?", [REPEATS_OWED_KEY])
    db.execute("DELETE FROM repeats")
    # The documents on disk and their sources, as a table of their own for this statement: it
    # looks one up for each of ~700,000 copies at 100,000 documents, and the rows of
    # ``documents`` (paths, front matter) fill 20 times the pages (0.4 s against 0.6-1.4 s).
    db.execute("DROP TABLE IF EXISTS temp.documents_on_disk")
    db.execute("CREATE TEMP TABLE documents_on_disk (id INTEGER PRIMARY KEY, source TEXT NOT NULL)")
    db.execute("INSERT INTO temp.documents_on_disk SELECT id, source FROM documents WHERE state = 'ok'")
    db.execute(
        'INSERT INTO repeats (fingerprint, documents, sources, document_id, start, "end") '
        'SELECT g.fingerprint, g.documents, g.sources, g.document_id, MIN(c.start), c."end" FROM ('
        "  SELECT p.fingerprint, COUNT(DISTINCT p.document_id) AS documents, "
        "         COUNT(DISTINCT d.source) AS sources, MIN(p.document_id) AS document_id "
        "  FROM passages AS p JOIN temp.documents_on_disk AS d ON d.id = p.document_id "
        # Most fingerprints are in one document: find the others from the covering index alone
        # (4x faster than joining every passage to its document).
        "  WHERE p.fingerprint IN (SELECT fingerprint FROM passages GROUP BY fingerprint "
        "                          HAVING COUNT(DISTINCT document_id) >= 2) "
        "  GROUP BY p.fingerprint HAVING COUNT(DISTINCT p.document_id) >= 2) AS g "
        # Only the copy shown reads its end from the table: the counts come from the index.
        "JOIN passages AS c ON c.fingerprint = g.fingerprint AND c.document_id = g.document_id "
        "GROUP BY g.fingerprint"
    )
    db.execute("DROP TABLE temp.documents_on_disk")
