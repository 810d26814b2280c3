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

Modules: ``tag_rows`` parses (step 1; ``tag_jsonl`` parses JSONL lines, checking
the type of every field), ``tag_resolve`` checks and resolves the
rows (step 2), ``tag_spool`` spools, counts and applies them (3 and 4) and
undoes an import; this one runs an import and holds its result types.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import CorpusError, InvalidValue
from .os_errors import os_reason
from .tag_resolve import Problems, Resolver, normalise_path, spool
from .tag_jsonl import read_rows
from .tag_rows import RawRow, _Fatal
from .tag_spool import apply_spooled, count_pending, drop_spool, undo_import

if TYPE_CHECKING:
    from .tags import TagsMixin

MODES = ("add", "replace", "remove")
MATCHES = ("path", "glob")


class InvalidRows(CorpusError):
    """Rows that cannot be imported; nothing was applied.

    ``problems`` holds the first 50 as ``FILE:LINE: reason``; ``count`` all of them.
    """

    def __init__(self, source: str, problems: list[str], count: int, fatal: bool = False,
                 skip_option: str = "skip_invalid=True"):
        rows = f"{count} invalid row{'' if count == 1 else 's'}"
        hint = "" if fatal else f" ({skip_option} imports the valid rows)"  # the CLI names its option
        if count == 1 and problems:  # the problem is the message: one line, as every error (a trial)
            super().__init__(f"{problems[0]}; nothing was imported{hint}")
        else:
            super().__init__(f"{source}: {'cannot read the file' if fatal else rows}; nothing was imported{hint}")
        self.source, self.problems, self.count, self.fatal = source, problems, count, fatal

    def worded_for(self, skip_option: str) -> "InvalidRows":
        """The same error, its hint naming another way to skip invalid rows (a command-line option)."""
        return InvalidRows(self.source, self.problems, self.count, self.fatal, skip_option)


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
        resolver = Resolver(corpus, match, create_tags)
        try:
            valid = spool(db, rows, resolver, problems, mode)
        except _Fatal as fatal:
            problems.add(fatal.line, fatal.reason)
            raise InvalidRows(source, problems.shown, problems.count, fatal=True) from None
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
        except OSError as error:  # stdin that cannot be read (EBADF), a failing disk (EIO), ...
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


__all__ = ["MATCHES", "MODES", "ImportRecord", "ImportResult", "InvalidRows", "import_file", "normalise_path",
           "run_import", "undo_import"]
