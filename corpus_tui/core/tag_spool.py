"""The TEMP tables a tag import is spooled into, and the set-based SQL that counts and
applies them (steps 3 and 4 of ``tag_import``), and ``undo_import``.

Valid (document, tag, action) triples are appended in file order, collapsed to
one per (document, tag) with the last row winning, then applied in one write
transaction that also records the import and the provenance of every link it
created or removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .errors import CorpusError, InvalidValue
from .store import now

if TYPE_CHECKING:
    from .tag_import import ImportResult
    from .tag_resolve import Resolver
    from .tags import TagsMixin

CHANGES_SHOWN = 20
ADD, REMOVE = 1, 0

_TEMP = """
DROP TABLE IF EXISTS temp.tag_import_raw;
DROP TABLE IF EXISTS temp.tag_import_pairs;
DROP TABLE IF EXISTS temp.tag_import_docs;
DROP TABLE IF EXISTS temp.tag_import_new_tags;
CREATE TEMP TABLE tag_import_raw (doc_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, action INTEGER NOT NULL);
CREATE TEMP TABLE tag_import_pairs (
    doc_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, action INTEGER NOT NULL, PRIMARY KEY (doc_id, tag_id)
) WITHOUT ROWID;
CREATE TEMP TABLE tag_import_docs (doc_id INTEGER PRIMARY KEY);
CREATE TEMP TABLE tag_import_new_tags (temp_id INTEGER PRIMARY KEY, name TEXT NOT NULL, real_id INTEGER)
"""
_SPOOL_TABLES = ("tag_import_raw", "tag_import_pairs", "tag_import_docs", "tag_import_new_tags")
# Rows are appended in file order, then collapsed to one per (document, tag), the last row
# winning: sorted, that is twice as fast as an upsert per row into the keyed table.
_COLLAPSE = """INSERT INTO temp.tag_import_pairs (doc_id, tag_id, action)
    SELECT doc_id, tag_id, action FROM temp.tag_import_raw WHERE true ORDER BY doc_id, tag_id, rowid
    ON CONFLICT (doc_id, tag_id) DO UPDATE SET action = excluded.action"""
# New tags are spooled under temporary negative ids; the real id is joined in when applying.
_PAIRS = """(SELECT p.doc_id, COALESCE(n.real_id, p.tag_id) AS tag_id, p.action FROM temp.tag_import_pairs p
    LEFT JOIN temp.tag_import_new_tags n ON n.temp_id = p.tag_id)"""
_ADDITIONS = f"""SELECT p.doc_id, p.tag_id FROM {_PAIRS} p WHERE p.action = {ADD}
    AND NOT EXISTS (SELECT 1 FROM main.document_tags dt WHERE dt.document_id = p.doc_id AND dt.tag_id = p.tag_id)"""
_LINK = "dt.document_id, dt.tag_id, dt.annotator, dt.created_at, dt.import_id"
_REMOVALS = {
    # add/remove: the rows whose action is remove
    False: f"""SELECT {_LINK} FROM temp.tag_import_pairs p JOIN main.document_tags dt
        ON dt.document_id = p.doc_id AND dt.tag_id = p.tag_id WHERE p.action = {REMOVE}""",
    # replace: every link of a named document that its rows do not list. Spooled ids of new
    # tags are still negative here, which is right: a tag created by this import has no links yet.
    True: f"""SELECT {_LINK} FROM temp.tag_import_docs d JOIN main.document_tags dt ON dt.document_id = d.doc_id
        WHERE NOT EXISTS (SELECT 1 FROM temp.tag_import_pairs p WHERE p.doc_id = dt.document_id AND p.tag_id = dt.tag_id)""",
}


def create(db: Any) -> None:
    """Empty spool tables for a new import."""
    for statement in _TEMP.split(";"):
        db.execute(statement)


def flush(db: Any, pairs: list[tuple[int, int, int]], docs: list[tuple[int]]) -> None:
    db.conn.executemany("INSERT INTO temp.tag_import_raw (doc_id, tag_id, action) VALUES (?, ?, ?)", pairs)
    db.conn.executemany("INSERT OR IGNORE INTO temp.tag_import_docs (doc_id) VALUES (?)", docs)
    pairs.clear()
    docs.clear()


def collapse(db: Any, new_tags: Iterable[tuple[int, str]]) -> None:
    """One row per (document, tag), the last one winning; the tags to create, under their temporary ids."""
    db.execute(_COLLAPSE)
    db.execute("DELETE FROM temp.tag_import_raw")
    db.conn.executemany("INSERT INTO temp.tag_import_new_tags (temp_id, name) VALUES (?, ?)", list(new_tags))


def _count(db: Any, sql: str, params: Iterable[Any] = ()) -> int:
    return int(db.execute(sql, list(params)).fetchone()[0])


def count_pending(db: Any, result: ImportResult) -> None:
    """Fill ``result`` with what applying the spooled rows would change (dry run)."""
    removals = _REMOVALS[result.mode == "replace"]
    result.added = _count(db, f"SELECT COUNT(*) FROM ({_ADDITIONS})")
    result.documents_added = _count(db, f"SELECT COUNT(DISTINCT doc_id) FROM ({_ADDITIONS})")
    result.removed = _count(db, f"SELECT COUNT(*) FROM ({removals})")
    result.documents_removed = _count(db, f"SELECT COUNT(DISTINCT document_id) FROM ({removals})")
    result.documents = _count(
        db, f"SELECT COUNT(*) FROM (SELECT doc_id FROM ({_ADDITIONS}) UNION SELECT document_id FROM ({removals}))"
    )
    _fill_unchanged(db, result)
    names = "COALESCE(t.name, n.name)"
    joins = ("JOIN main.documents d ON d.id = c.doc_id LEFT JOIN main.tags t ON t.id = c.tag_id "
             "LEFT JOIN temp.tag_import_new_tags n ON n.temp_id = c.tag_id")
    for op, sql in (("-", f"SELECT document_id AS doc_id, tag_id FROM ({removals})"), ("+", _ADDITIONS)):
        room = CHANGES_SHOWN - len(result.changes)
        if room > 0:
            rows = db.execute(f"SELECT d.path, {names} FROM ({sql}) c {joins} LIMIT {room}").fetchall()
            result.changes += [(op, path, name) for path, name in rows]


def _fill_unchanged(db: Any, result: ImportResult) -> None:
    adds = _count(db, f"SELECT COUNT(*) FROM temp.tag_import_pairs WHERE action = {ADD}")
    result.already_present = adds - result.added
    if result.mode != "replace":
        removes = _count(db, f"SELECT COUNT(*) FROM temp.tag_import_pairs WHERE action = {REMOVE}")
        result.not_present = removes - result.removed


def apply_spooled(corpus: TagsMixin, result: ImportResult, resolver: Resolver) -> None:
    """Apply the spooled rows; call inside ``corpus.write()``."""
    db = corpus.db
    ids = sorted(resolver.used_tags)
    still = sum(
        _count(db, f"SELECT COUNT(*) FROM tags WHERE id IN ({', '.join('?' for _ in chunk)})", chunk)
        for chunk in (ids[start : start + 500] for start in range(0, len(ids), 500))
    )
    if still != len(ids):
        raise CorpusError("the tag vocabulary changed while the file was read (a tag was deleted or merged); "
                          "nothing was imported, run the import again")
    for temp_id, name in resolver.new_tags.values():
        tag = corpus._ensure_tag(name)
        db.execute("UPDATE temp.tag_import_new_tags SET real_id = ? WHERE temp_id = ?", [tag.id, temp_id])
    stamp = now()
    cursor = db.execute(
        "INSERT INTO imports (file_name, file_sha256, annotator, at, mode, tags_created) VALUES (?, ?, ?, ?, ?, ?)",
        [result.source, result.sha256, corpus.annotator, stamp, result.mode,
         json.dumps(result.tags_created, ensure_ascii=False)],
    )
    import_id = result.import_id = int(cursor.lastrowid or 0)
    removals = _REMOVALS[result.mode == "replace"]
    result.removed = db.execute(
        f"INSERT INTO import_removed_links (import_id, document_id, tag_id, annotator, created_at, link_import_id) "
        f"SELECT ?, * FROM ({removals})", [import_id],
    ).rowcount
    if result.removed:
        db.execute(
            "DELETE FROM document_tags WHERE rowid IN (SELECT dt.rowid FROM import_removed_links r "
            "JOIN document_tags dt ON dt.document_id = r.document_id AND dt.tag_id = r.tag_id WHERE r.import_id = ?)",
            [import_id],
        )
        result.documents_removed = _count(
            db, "SELECT COUNT(DISTINCT document_id) FROM import_removed_links WHERE import_id = ?", [import_id]
        )
    result.added = db.execute(
        "INSERT INTO document_tags (document_id, tag_id, annotator, created_at, import_id) "
        f"SELECT doc_id, tag_id, ?, ?, ? FROM ({_ADDITIONS})", [corpus.annotator, stamp, import_id],
    ).rowcount
    if result.added:
        result.documents_added = _count(
            db, "SELECT COUNT(DISTINCT document_id) FROM document_tags WHERE import_id = ?", [import_id]
        )
    result.documents = _count(
        db, "SELECT COUNT(*) FROM (SELECT document_id FROM document_tags WHERE import_id = ? "
        "UNION SELECT document_id FROM import_removed_links WHERE import_id = ?)", [import_id, import_id],
    )
    _fill_unchanged(db, result)
    db.execute(
        "UPDATE imports SET rows_read = ?, rows_invalid = ?, added = ?, already_present = ?, removed = ?, "
        "not_present = ?, documents = ? WHERE id = ?",
        [result.rows, result.invalid, result.added, result.already_present, result.removed, result.not_present,
         result.documents, import_id],
    )
    summary = {k: v for k, v in result.as_dict().items() if k not in ("problems", "changes", "dry_run")}
    corpus.log_event("tags.import", None, summary)


def drop_spool(db: Any) -> None:
    for table in _SPOOL_TABLES:
        db.execute(f"DROP TABLE IF EXISTS temp.{table}")


def undo_import(corpus: TagsMixin, import_id: int) -> dict[str, Any]:
    """Revert one import: remove the links it created, restore the links it removed; name the
    tags it created that nothing holds now (they stay: 'tags delete' removes them)."""
    with corpus.write():
        rows = corpus.query("SELECT * FROM imports WHERE id = ?", [import_id])
        if not rows:
            raise InvalidValue(f"no import #{import_id} (corpus-tui import-tags FOLDER --list shows them)")
        record = rows[0]
        if record["undone_at"]:
            raise InvalidValue(f"import #{import_id} was already undone ({record['undone_at']} by {record['undone_by']})")
        removed = corpus.db.execute("DELETE FROM document_tags WHERE import_id = ?", [import_id]).rowcount
        # A link that an import removed comes back with its own provenance, unless
        # the import that created it has been undone since.
        restored = corpus.db.execute(
            "INSERT OR IGNORE INTO document_tags (document_id, tag_id, annotator, created_at, import_id) "
            "SELECT r.document_id, r.tag_id, r.annotator, r.created_at, r.link_import_id FROM import_removed_links r "
            "LEFT JOIN imports source ON source.id = r.link_import_id "
            "WHERE r.import_id = ? AND (r.link_import_id IS NULL OR source.undone_at IS NULL)",
            [import_id],
        ).rowcount
        # The tags it created stay in the vocabulary (other imports' records and the undo
        # history may name them): those nothing holds now are reported, for 'tags delete'.
        unused = []
        for name in json.loads(record["tags_created"] or "[]"):
            tag = corpus.find_tag(name)
            if tag is not None and corpus.db.execute(
                    "SELECT 1 FROM document_tags WHERE tag_id = ? LIMIT 1", [tag.id]).fetchone() is None:
                unused.append(tag.name)
        corpus.db.execute("UPDATE imports SET undone_at = ?, undone_by = ? WHERE id = ?",
                          [now(), corpus.annotator, import_id])
        summary = {"import_id": import_id, "file": record["file_name"], "removed": removed, "restored": restored,
                   "unused_tags_created": unused}
        corpus.log_event("tags.import.undo", None, summary)
    return summary
