"""The database schema, its version, and forward migrations.

The database is meant to be read by people too (sqlite3 shell, sqlite-utils,
Datasette): plain table and column names, foreign keys, indexes, FTS5.
Offsets (``spans.start``/``spans.end``) are code-point offsets into the whole
decoded text of the document (BOM removed, front matter included, no newline
translation); ``documents.body_start`` says where the body after front matter
begins. ``tags.key`` is the case-folded name: tag names match
case-insensitively and the first spelling is kept.

Version 2 adds tag imports: ``imports`` records each ``import-tags`` run (file,
its sha256, annotator, time, mode, counts, ``undone_at``); ``document_tags.import_id``
is the provenance of every link an import created, and ``import_removed_links``
keeps the links an import removed, so that undoing it restores them.

Version 3 adds the passage index (repeated passages across the corpus):
``passages`` holds every line and paragraph of every document as a fingerprint
of its normalized text (see ``normalize``) with its offsets, ``repeats`` the
fingerprints found in two or more documents (counts and one copy to show,
rebuilt after a scan that changed passages), and ``documents.source`` the
document's source (see ``sources``). An existing corpus is indexed at its next scan.

Version 4 adds rules (marking a passage everywhere, see ``propagate`` and ``rules``):
``rules`` keeps each rule's passage fingerprint, the normalization version it was
computed with, the copy's text shown when it was made, reason, annotator and
times (``removed_at`` set when it no longer applies); ``spans.rule_id`` is the
rule that made a boilerplate range (NULL for marks made by hand).

Version 5 adds ``suggestion_rejections``: the lines an analyst said are not
boilerplate when the app suggested them, by document and the fingerprint of the
line's normalized text, with where it was, its score and reason, who and when.

Version 6 adds near-duplicate documents (see ``duplicates``): ``minhashes`` holds each
document's MinHash signature of its own text's word shingles (with the sha256 of the
text it was computed from, its word and shingle counts; no signature for a text too
short to compare), ``near_duplicates`` every verified pair (``a`` < ``b``, exact
Jaccard and containment), ``duplicate_clusters`` the cluster of each document in
one at the default threshold (numbered in the order of their first paths, ``keep`` 1 for the
document ``export --dedup`` keeps; rebuilt with the pairs and marks), and ``documents.duplicate_of`` the document an analyst
said this one duplicates.

Version 7 stores ``passages`` clustered by document (``WITHOUT ROWID``, primary key
``(document_id, start, paragraph)``) with ``paragraph`` 1 for a paragraph and 0 for a
line in place of the ``kind`` text: the rows of a document are together on disk, so the
table needs no second index to find them (a first scan of 100,000 documents spends
about a fifth less time writing and sorting them). Documents are never deleted (a file
gone is ``state = 'missing'``), so ``passages`` keeps no foreign key: every query joins
``documents`` for the state.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from .errors import NewerSchema, NotOurDatabase

SCHEMA_VERSION = 7
STATUSES = ("new", "in_progress", "reviewed", "skipped")
DOCUMENT_STATES = ("ok", "missing", "unreadable")
SPAN_KINDS = ("annotation", "boilerplate")
ANCHOR_STATES = ("ok", "reanchored", "stale")

_V1 = f"""
CREATE TABLE schema_version (version INTEGER NOT NULL);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'ok' CHECK (state IN {DOCUMENT_STATES}),
    problem TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT,
    encoding TEXT,
    encoding_guessed INTEGER NOT NULL DEFAULT 0,
    encoding_override TEXT,
    char_count INTEGER NOT NULL DEFAULT 0,
    line_count INTEGER NOT NULL DEFAULT 0,
    body_start INTEGER NOT NULL DEFAULT 0,
    title TEXT,
    meta TEXT NOT NULL DEFAULT '{{}}',
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN {STATUSES}),
    note TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    changed_at TEXT
);
CREATE INDEX documents_status ON documents (status);
CREATE INDEX documents_sha256 ON documents (sha256);

CREATE TABLE document_texts (
    document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    text TEXT NOT NULL
);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    color TEXT,
    description TEXT NOT NULL DEFAULT '',
    hotkey INTEGER UNIQUE CHECK (hotkey BETWEEN 1 AND 9),
    annotator TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE document_tags (
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (document_id, tag_id)
);
CREATE INDEX document_tags_tag ON document_tags (tag_id);

CREATE TABLE spans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN {SPAN_KINDS}),
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    label TEXT,
    note TEXT,
    reason TEXT,
    quote TEXT NOT NULL,
    prefix TEXT NOT NULL,
    suffix TEXT NOT NULL,
    anchor TEXT NOT NULL DEFAULT 'ok' CHECK (anchor IN {ANCHOR_STATES}),
    annotator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (start >= 0 AND "end" > start),
    CHECK (kind = 'boilerplate' OR label IS NOT NULL)
);
CREATE INDEX spans_document ON spans (document_id, kind, start);
CREATE INDEX spans_label ON spans (label);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    annotator TEXT NOT NULL,
    action TEXT NOT NULL,
    document_id INTEGER,
    payload TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX events_document ON events (document_id);

CREATE TABLE corpus_state (
    key TEXT PRIMARY KEY,
    value TEXT
);
"""


def _create_v1(db: sqlite_utils.Database) -> None:
    for statement in _V1.split(";"):
        if statement.strip():
            db.execute(statement)
    db["document_texts"].enable_fts(["text"], create_triggers=True)
    # Updates and deletes keep the index in sync through sqlite-utils' triggers,
    # but new texts are indexed by the scanner with one INSERT ... SELECT per
    # batch (see scanner.index_new_texts): FTS5 flushes at every statement, so a
    # per-row insert trigger made a first scan ~3x slower.
    db.execute("DROP TRIGGER document_texts_ai")
    # Merge index segments 16 at a time instead of 4: a first scan of 60k
    # documents writes ~20% faster, and queries stay as fast (measured).
    db.execute("INSERT INTO document_texts_fts (document_texts_fts, rank) VALUES ('automerge', 16)")
    db.execute("INSERT INTO schema_version (version) VALUES (1)")


_V1_TO_V2 = """
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_sha256 TEXT,
    annotator TEXT NOT NULL,
    at TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('add', 'replace', 'remove')),
    rows_read INTEGER NOT NULL DEFAULT 0,
    rows_invalid INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0,
    already_present INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    not_present INTEGER NOT NULL DEFAULT 0,
    documents INTEGER NOT NULL DEFAULT 0,
    tags_created TEXT NOT NULL DEFAULT '[]',
    undone_at TEXT,
    undone_by TEXT
);
CREATE INDEX imports_file_sha256 ON imports (file_sha256);

ALTER TABLE document_tags ADD COLUMN import_id INTEGER REFERENCES imports (id);
CREATE INDEX document_tags_import ON document_tags (import_id);

CREATE TABLE import_removed_links (
    import_id INTEGER NOT NULL REFERENCES imports (id),
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    link_import_id INTEGER,
    PRIMARY KEY (import_id, document_id, tag_id)
);
CREATE INDEX import_removed_links_tag ON import_removed_links (tag_id);
CREATE INDEX import_removed_links_document ON import_removed_links (document_id);
"""


def _v1_to_v2(db: sqlite_utils.Database) -> None:
    """Tag imports: the ``imports`` record, link provenance, removed links for undo."""
    for statement in _V1_TO_V2.split(";"):
        if statement.strip():
            db.execute(statement)


_V2_TO_V3 = """
ALTER TABLE documents ADD COLUMN source TEXT NOT NULL DEFAULT '';

CREATE TABLE passages (
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    fingerprint INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('line', 'paragraph')),
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX passages_fingerprint ON passages (fingerprint, document_id);
CREATE INDEX passages_document ON passages (document_id);

CREATE TABLE repeats (
    fingerprint INTEGER PRIMARY KEY,
    documents INTEGER NOT NULL,
    sources INTEGER NOT NULL,
    document_id INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX repeats_documents ON repeats (documents DESC, fingerprint);
"""


def _v2_to_v3(db: sqlite_utils.Database) -> None:
    """The passage index: ``passages``, ``repeats`` and ``documents.source``."""
    for statement in _V2_TO_V3.split(";"):
        if statement.strip():
            db.execute(statement)


_V3_TO_V4 = """
CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    fingerprint INTEGER NOT NULL,
    normalization INTEGER NOT NULL,
    text TEXT NOT NULL,
    reason TEXT,
    annotator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX rules_fingerprint ON rules (fingerprint);

ALTER TABLE spans ADD COLUMN rule_id INTEGER REFERENCES rules (id);
CREATE INDEX spans_rule ON spans (rule_id) WHERE rule_id IS NOT NULL;
"""


def _v3_to_v4(db: sqlite_utils.Database) -> None:
    """Rules: ``rules`` and ``spans.rule_id``."""
    for statement in _V3_TO_V4.split(";"):
        if statement.strip():
            db.execute(statement)


_V4_TO_V5 = """
CREATE TABLE suggestion_rejections (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    fingerprint INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    score REAL,
    reason TEXT,
    annotator TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX suggestion_rejections_line ON suggestion_rejections (document_id, fingerprint);
"""


def _v4_to_v5(db: sqlite_utils.Database) -> None:
    """Suggestions: the lines an analyst rejected (``suggestion_rejections``), by the
    fingerprint of their normalized text, so a rejection follows the line through edits."""
    for statement in _V4_TO_V5.split(";"):
        if statement.strip():
            db.execute(statement)


_V5_TO_V6 = """
ALTER TABLE documents ADD COLUMN duplicate_of INTEGER REFERENCES documents (id) ON DELETE SET NULL;

CREATE TABLE minhashes (
    document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    words INTEGER NOT NULL,
    shingles INTEGER NOT NULL,
    signature BLOB,
    paired INTEGER NOT NULL DEFAULT 0  -- its pairs were verified since it was signed
);

CREATE TABLE near_duplicates (
    a INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    b INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    jaccard REAL NOT NULL,
    containment REAL NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
) WITHOUT ROWID;
CREATE INDEX near_duplicates_b ON near_duplicates (b, a);
CREATE INDEX minhashes_unpaired ON minhashes (document_id) WHERE paired = 0;
CREATE INDEX documents_duplicate_of ON documents (duplicate_of);

CREATE TABLE duplicate_clusters (
    document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    cluster INTEGER NOT NULL,
    keep INTEGER NOT NULL DEFAULT 0 CHECK (keep IN (0, 1))
);
CREATE INDEX duplicate_clusters_cluster ON duplicate_clusters (cluster);
"""


def _v5_to_v6(db: sqlite_utils.Database) -> None:
    """Near-duplicates: ``minhashes``, ``near_duplicates`` and ``documents.duplicate_of``;
    an existing corpus gets its signatures at its next scan."""
    for statement in _V5_TO_V6.split(";"):
        if statement.strip():
            db.execute(statement)


_V6_TO_V7 = """
CREATE TABLE passages_v7 (
    document_id INTEGER NOT NULL,
    start INTEGER NOT NULL,
    paragraph INTEGER NOT NULL CHECK (paragraph IN (0, 1)),
    "end" INTEGER NOT NULL,
    fingerprint INTEGER NOT NULL,
    PRIMARY KEY (document_id, start, paragraph)
) WITHOUT ROWID;
INSERT INTO passages_v7 (document_id, start, paragraph, "end", fingerprint)
    SELECT document_id, start, kind = 'paragraph', "end", fingerprint FROM passages ORDER BY document_id, start, kind = 'paragraph';
DROP TABLE passages;
ALTER TABLE passages_v7 RENAME TO passages;
CREATE INDEX passages_fingerprint ON passages (fingerprint, document_id)
"""


def _v6_to_v7(db: sqlite_utils.Database) -> None:
    """``passages`` clustered by document, its kind an integer; its rows are copied (the
    ``repeats`` and rules that count them stay as they are)."""
    for statement in _V6_TO_V7.split(";"):
        if statement.strip():
            db.execute(statement)


# MIGRATIONS[n] upgrades a database from version n to n + 1. New databases are
# created at version 1 and migrated, so every migration runs in every test.
MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5, 5: _v5_to_v6, 6: _v6_to_v7,
}


def read_version(db: sqlite_utils.Database) -> int:
    """0 for a database with no corpus-tui tables yet; NotOurDatabase for a version that is no
    number (``int()`` of it was a traceback: a trial)."""
    if not db["schema_version"].exists():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    value = row[0]
    if value is None:
        return 0
    if type(value) is not int or value < 1:
        raise NotOurDatabase(f"its schema_version holds {str(value)[:40]!r}, not a corpus-tui version: the "
                             "database is damaged or another application's; corpus-tui leaves it unchanged")
    return value


def check_version(db: sqlite_utils.Database, path: Path) -> int:
    try:
        version = read_version(db)
    except NotOurDatabase as error:
        raise NotOurDatabase(f"{path}: {error}") from None
    if version > SCHEMA_VERSION:
        raise NewerSchema(
            f"{path}: database schema version {version} is newer than this corpus-tui "
            f"supports ({SCHEMA_VERSION}); upgrade corpus-tui to open it"
        )
    return version


def check_is_ours(db: sqlite_utils.Database, path: Path) -> None:
    """Refuse a database that holds another application's tables.

    A corpus-tui database has a ``schema_version`` table from its first commit
    (the schema is created in one transaction), so a database with tables but
    without it belongs to someone else and is left exactly as it is.
    """
    if read_version(db) > 0:
        return
    names = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 4"
    ).fetchall()]
    if names:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise NotOurDatabase(
            f"{path}: an SQLite database of another application (it holds {shown}); "
            "corpus-tui leaves it unchanged: use --db PATH to choose another file"
        )


def ensure_schema(db: sqlite_utils.Database, path: Path) -> bool:
    """Create or upgrade the schema; True when it created a new database. Call inside a
    write transaction."""
    version = check_version(db, path)
    created = version == 0
    if created:
        _create_v1(db)
        version = 1
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](db)
        version += 1
        db.execute("UPDATE schema_version SET version = ?", [version])
    return created
