"""Tag imports: rows of (document, tags) from CSV, TSV, JSONL or Python,
validated in full, then applied in one transaction — or not at all.

Streamed, so memory stays flat however long the file is:

1. parse — the file is read a megabyte of whole lines at a time (UTF-8 with or
   without BOM, LF or CRLF, quoted CSV fields with commas and newlines, blank
   lines) into ``RawRow``s;
2. resolve — each row's documents (by path, id, sha256 or glob) and tags are
   looked up in one read snapshot; problems are counted, the first 50 kept as
   ``FILE:LINE: reason``;
3. spool — valid (document, tag, action) triples are appended to a TEMP table,
   then collapsed to one per (document, tag), the last row winning;
4. apply — set-based SQL in one ``BEGIN IMMEDIATE`` transaction, which also
   records the import (``imports``), the provenance of every link it created
   (``document_tags.import_id``) and every link it removed
   (``import_removed_links``), so that ``undo_import`` reverts it as a unit.

Steps 1-3 hold no write lock. A dry run stops after step 3 and counts what
step 4 would do, with the same SQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import CorpusError, InvalidValue
from .os_errors import os_reason
from .store import now
from .tag_rows import RawRow, _Fatal, read_rows
from .tags import closest_tags, tag_key

if TYPE_CHECKING:
    from .tags import TagsMixin

MODES = ("add", "replace", "remove")
MATCHES = ("path", "glob")
MAX_PROBLEMS = 50
CHANGES_SHOWN = 20
SPOOL_BATCH = 10_000
ADD, REMOVE = 1, 0
_DRIVE = re.compile(r"^[A-Za-z]:([/\\]|$)")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class InvalidRows(CorpusError):
    """Rows that cannot be imported; nothing was applied.

    ``problems`` holds the first 50 as ``FILE:LINE: reason``; ``count`` all of them.
    """

    def __init__(self, source: str, problems: list[str], count: int, fatal: bool = False):
        rows = f"{count} invalid row{'' if count == 1 else 's'}"
        hint = "" if fatal else " (--skip-invalid imports the valid rows)"
        super().__init__(f"{source}: {'cannot read the file' if fatal else rows}; nothing was imported{hint}")
        self.problems = problems
        self.count = count


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    source: str
    sha256: str | None
    mode: str
    dry_run: bool
    import_id: int | None = None
    rows: int = 0  # valid rows
    invalid: int = 0
    added: int = 0
    already_present: int = 0
    removed: int = 0
    not_present: int = 0
    documents_added: int = 0
    documents_removed: int = 0
    documents: int = 0
    tags_created: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # ("+"|"-", path, tag), dry runs
    same_as: int | None = None  # an earlier, not undone import of the same file

    def as_dict(self) -> dict[str, Any]:
        result = asdict(self)
        result["changes"] = [{"change": op, "path": path, "tag": tag} for op, path, tag in self.changes]
        return result

    def line(self) -> str:
        """``import #7: added 120 tags to 57 documents, 3 already present``."""
        dry = self.dry_run
        parts = []
        if self.added:
            present = f", {self.already_present} already present" if self.already_present else ""
            parts.append(f"{'would add' if dry else 'added'} {_n(self.added, 'tag')} to "
                         f"{_n(self.documents_added, 'document')}{present}")
        if self.removed:
            absent = f", {self.not_present} not present" if self.not_present else ""
            parts.append(f"{'would remove' if dry else 'removed'} {_n(self.removed, 'tag')} from "
                         f"{_n(self.documents_removed, 'document')}{absent}")
        if self.tags_created:
            names = ", ".join(self.tags_created[:10]) + (", …" if len(self.tags_created) > 10 else "")
            parts.append(f"{'would create' if dry else 'created'} {_n(len(self.tags_created), 'tag')}: {names}")
        if not parts:
            unchanged = [f"{_n(self.already_present, 'tag')} already present"] if self.already_present else []
            unchanged += [f"{_n(self.not_present, 'tag')} to remove not present"] if self.not_present else []
            parts.append(f"nothing {'would change' if dry else 'changed'}"
                         + (": " + ", ".join(unchanged) if unchanged else ""))
        elif self.not_present and not self.removed:
            parts.append(f"{_n(self.not_present, 'tag')} to remove not present")
        if self.invalid:
            parts.append(f"skipped {_n(self.invalid, 'invalid row')}")
        head = "dry run" if dry else f"import #{self.import_id}"
        tail = f" (same file as import #{self.same_as})" if self.same_as else ""
        return f"{head}: {'; '.join(parts)}{tail}"


@dataclass(frozen=True)
class ImportRecord:
    """One row of ``imports``: who imported which file when, and what it changed."""

    id: int
    file_name: str
    file_sha256: str | None
    annotator: str
    at: str
    mode: str
    rows_read: int
    rows_invalid: int
    added: int
    already_present: int
    removed: int
    not_present: int
    documents: int
    tags_created: list[str]
    undone_at: str | None
    undone_by: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ImportRecord:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        return cls(**(values | {"tags_created": json.loads(row["tags_created"] or "[]")}))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- resolving ----------------------------------------------------------------------------------


def normalise_path(raw: str) -> str:
    """The stored relative POSIX path a row names; InvalidValue when it leaves the corpus.

    >>> normalise_path("sub\\\\a.txt"), normalise_path("./sub/../b.txt")
    ('sub/a.txt', 'b.txt')
    """
    path = raw.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(raw):
        raise InvalidValue(f"path {raw!r} is absolute; give it relative to the corpus folder")
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if not parts:
                raise InvalidValue(f"path {raw!r} is outside the corpus")
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    if not parts:
        raise InvalidValue(f"path {raw!r} names no file")
    return "/".join(parts)


def _plain(path: str) -> bool:
    """True when ``normalise_path`` would return ``path`` unchanged (the fast, common case)."""
    return not (path[:1] in ("/", ".") or path[1:2] == ":" or "\\" in path or "/." in path or "//" in path)


class Problems:
    """Counts every problem, keeps the first 50 as ``SOURCE:LINE: reason``."""

    def __init__(self, source: str):
        self.source = source
        self.shown: list[str] = []
        self.count = 0

    def add(self, line: int, reason: str | Callable[[], str]) -> None:
        self.count += 1
        if len(self.shown) < MAX_PROBLEMS:  # reasons are built only when shown (closest names cost)
            self.shown.append(f"{self.source}:{line}: {reason() if callable(reason) else reason}")


class _Resolver:
    """Looks documents and tags up from one snapshot, with small caches."""

    def __init__(self, corpus: TagsMixin, match: str, create_tags: bool):
        self.db = corpus.db
        self.glob = match == "glob"
        self.create_tags = create_tags
        self._by: dict[str, dict[Any, Any]] = {}
        self._globs: dict[str, tuple[int, ...] | str] = {}
        self.tag_ids = {key: tag_id for tag_id, key in self.db.execute("SELECT id, key FROM tags")}
        self.used_tags: set[int] = set()
        self.new_tags: dict[str, tuple[int, str]] = {}  # key -> (temporary negative id, first spelling)
        self._resolved: dict[str, int] = {}  # name as written -> tag id

    def _table(self, kind: str) -> dict[Any, Any]:
        if kind not in self._by:
            table: dict[Any, Any] = {}
            column = {"path": "path", "id": "id", "sha256": "sha256"}[kind]
            for key, doc_id in self.db.execute(f"SELECT {column}, id FROM documents WHERE {column} IS NOT NULL"):
                table[key] = (doc_id,) if key not in table else table[key] + (doc_id,)  # sha256 may repeat
            self._by[kind] = table
        return self._by[kind]

    def documents(self, kind: str, ref: str) -> tuple[int, ...] | str:
        if not ref:
            return f"empty {kind}" if kind != "path" else "empty path"
        if kind == "path":
            try:
                path = ref if _plain(ref) else normalise_path(ref)
            except InvalidValue as error:
                return str(error)
            if self.glob:
                return self._glob(path)
            return self._table("path").get(path) or f"no document with path {ref!r}"
        if kind == "id":
            if not ref.isdigit():
                return f"id must be a whole number, not {ref!r}"
            return self._table("id").get(int(ref)) or f"no document with id {ref}"
        digest = ref.lower()
        if not _SHA256.match(digest):
            return f"sha256 must be 64 hex digits, not {ref!r}"
        return self._table("sha256").get(digest) or f"no document with sha256 {digest}"

    def _glob(self, pattern: str) -> tuple[int, ...] | str:
        if pattern not in self._globs:
            from fnmatch import fnmatchcase

            if len(self._globs) > 1000:
                self._globs.clear()
            found = tuple(doc for path, (doc,) in self._table("path").items() if fnmatchcase(path, pattern))
            self._globs[pattern] = found or f"pattern {pattern!r} matches no document"
        return self._globs[pattern]

    def tag(self, name: str, adding: bool) -> int | None | Callable[[], str] | str:
        """The tag id (negative for a tag this import creates); None: skip (removing an unknown tag)."""
        tag_id = self._resolved.get(name)
        return tag_id if tag_id is not None else self._resolve_tag(name, adding)

    def _resolve_tag(self, name: str, adding: bool) -> int | None | Callable[[], str] | str:
        cleaned = " ".join(name.split())
        if not cleaned:
            return "empty tag"
        key = tag_key(cleaned)
        tag_id = self.tag_ids.get(key)
        if tag_id is not None:
            self.used_tags.add(tag_id)
        elif key in self.new_tags:
            tag_id = self.new_tags[key][0]
        elif not self.create_tags:
            return lambda: _unknown(name, list(self.tag_names()))
        elif not adding:
            return None  # removing a tag nobody has: nothing to do, nothing to create
        else:
            tag_id = -1 - len(self.new_tags)
            self.new_tags[key] = (tag_id, cleaned)
        if len(self._resolved) > 100_000:  # a file of endless distinct names must not grow memory
            self._resolved.clear()
        self._resolved[name] = tag_id
        return tag_id

    def tag_names(self) -> Iterator[str]:
        for (name,) in self.db.execute("SELECT name FROM tags"):
            yield name


def _unknown(name: str, names: list[str]) -> str:
    close = closest_tags(name, names)
    hint = f" (closest: {', '.join(close)})" if close else ""
    return f"unknown tag {' '.join(name.split())!r}{hint}; --create-tags adds new tags"


# -- spooling, counting, applying -------------------------------------------------------------------

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


def spool(db: Any, rows: Iterable[RawRow], resolver: _Resolver, problems: Problems, mode: str) -> int:
    """Validate every row, spooling the valid ones into TEMP tables; the number of valid rows.

    The hot loop of an import (once per row of the file): keep it lean.
    """
    for statement in _TEMP.split(";"):
        db.execute(statement)
    pairs: list[tuple[int, int, int]] = []
    docs: list[tuple[int]] = []
    valid = 0
    replace = mode == "replace"
    default = REMOVE if mode == "remove" else ADD
    documents, tag = resolver.documents, resolver.tag
    try:
        for line, kind, ref, names, raw_action, problem in rows:
            if problem is not None:
                problems.add(line, problem)
                continue
            action = default if raw_action is None else _action(raw_action, mode)
            if isinstance(action, str):
                problems.add(line, action)
                continue
            if not names and not replace:
                problems.add(line, "no tags")
                continue
            found = documents(kind, ref)
            if isinstance(found, str):
                problems.add(line, found)
                continue
            resolved = [tag(name, action == ADD) for name in names]
            bad = [t for t in resolved if t is not None and not isinstance(t, int)]
            if bad:
                problems.add(line, bad[0])
                continue
            tag_ids = [t for t in resolved if isinstance(t, int)]
            valid += 1
            for doc_id in found:
                pairs.extend((doc_id, tag_id, action) for tag_id in tag_ids)
                if replace:
                    docs.append((doc_id,))
            if len(pairs) >= SPOOL_BATCH or len(docs) >= SPOOL_BATCH:
                _flush(db, pairs, docs)
    except _Fatal as fatal:
        problems.add(fatal.line, fatal.reason)
        raise InvalidRows(problems.source, problems.shown, problems.count, fatal=True) from None
    _flush(db, pairs, docs)
    db.execute(_COLLAPSE)
    db.execute("DELETE FROM temp.tag_import_raw")
    db.conn.executemany(
        "INSERT INTO temp.tag_import_new_tags (temp_id, name) VALUES (?, ?)", list(resolver.new_tags.values())
    )
    return valid


def _action(raw: str, mode: str) -> int | str:
    if raw not in ("add", "remove"):
        return f"action must be 'add' or 'remove', not {raw!r}"
    if raw == "remove" and mode == "replace":
        return "action 'remove' cannot be used with --mode replace"
    return ADD if raw == "add" else REMOVE


def _flush(db: Any, pairs: list[tuple[int, int, int]], docs: list[tuple[int]]) -> None:
    db.conn.executemany("INSERT INTO temp.tag_import_raw (doc_id, tag_id, action) VALUES (?, ?, ?)", pairs)
    db.conn.executemany("INSERT OR IGNORE INTO temp.tag_import_docs (doc_id) VALUES (?)", docs)
    pairs.clear()
    docs.clear()


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


def apply_spooled(corpus: TagsMixin, result: ImportResult, resolver: _Resolver) -> None:
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


def run_import(
    corpus: TagsMixin,
    rows: Iterable[RawRow],
    *,
    source: str,
    mode: str,
    match: str,
    create_tags: bool,
    skip_invalid: bool,
    dry_run: bool,
    sha256: Callable[[], str | None] = lambda: None,
) -> ImportResult:
    """Validate every row, then apply them in one transaction (or count them, for a dry run)."""
    if mode not in MODES:
        raise InvalidValue(f"unknown mode {mode!r} (one of: {', '.join(MODES)})")
    if match not in MATCHES:
        raise InvalidValue(f"unknown match {match!r} (one of: {', '.join(MATCHES)})")
    db = corpus.db
    problems = Problems(source)
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("an import is its own transaction: it cannot run inside another one")
    try:
        # The file is read in a deferred transaction: a consistent snapshot for the lookups, and
        # TEMP-table inserts that do not commit one by one. No write lock is held on the corpus.
        conn.execute("BEGIN")
        resolver = _Resolver(corpus, match, create_tags)
        valid = spool(db, rows, resolver, problems, mode)
        result = ImportResult(source, sha256(), mode, dry_run, rows=valid, invalid=problems.count,
                              problems=problems.shown)
        result.tags_created = [name for _, name in resolver.new_tags.values()]
        if problems.count and not skip_invalid:
            raise InvalidRows(source, problems.shown, problems.count)
        if result.sha256:
            same = db.execute("SELECT MAX(id) FROM imports WHERE file_sha256 = ? AND undone_at IS NULL",
                              [result.sha256]).fetchone()[0]
            result.same_as = same
        if dry_run:
            count_pending(db, result)
            return result
        conn.execute("COMMIT")
        with corpus.write():
            apply_spooled(corpus, result, resolver)
        return result
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        drop_spool(db)


def import_file(
    corpus: TagsMixin, file: str | Path | IO[bytes], *, name: str | None, fmt: str | None, **options: Any
) -> ImportResult:
    """``run_import`` over a CSV/TSV/JSONL file (a path, or an open binary stream such as stdin)."""
    hasher = hashlib.sha256()
    if not isinstance(file, (str, Path)):
        source = name or str(getattr(file, "name", "<stream>"))
        try:
            return _import_stream(corpus, file, source, fmt, hasher, options)
        except OSError as error:  # stdin that is a folder (`< folder`), a disk failing, ...
            raise CorpusError(f"{source}: cannot read: {os_reason(error)}") from None
    try:
        with open(file, "rb") as handle:
            return _import_stream(corpus, handle, name or str(file), fmt, hasher, options)
    except IsADirectoryError:
        raise CorpusError(f"{file}: is a folder, not a file to import") from None
    except OSError as error:
        raise CorpusError(f"{file}: cannot read: {os_reason(error)}") from None


def _import_stream(corpus: TagsMixin, stream: IO[bytes], source: str, fmt: str | None, hasher: Any,
                   options: dict[str, Any]) -> ImportResult:
    try:
        rows = read_rows(stream, source, fmt, hasher)
    except _Fatal as fatal:
        raise InvalidRows(source, [f"{source}:{fatal.line}: {fatal.reason}"], 1, fatal=True) from None
    return run_import(corpus, rows, source=source, sha256=hasher.hexdigest, **options)


def undo_import(corpus: TagsMixin, import_id: int) -> dict[str, Any]:
    """Revert one import: remove the links it created, restore the links it removed."""
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
        corpus.db.execute("UPDATE imports SET undone_at = ?, undone_by = ? WHERE id = ?",
                          [now(), corpus.annotator, import_id])
        summary = {"import_id": import_id, "file": record["file_name"], "removed": removed, "restored": restored}
        corpus.log_event("tags.import.undo", None, summary)
    return summary
