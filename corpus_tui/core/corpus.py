"""``Corpus``: a folder of originals plus the SQLite database beside them.

This is the whole library surface the CLI and the TUI use; it imports no
Textual. Example::

    from corpus_tui import Corpus
    with Corpus.open("seeds") as corpus:
        corpus.scan()
        doc = corpus.document_by_path("000_017fdcef885307d4.txt")
        corpus.mark_boilerplate(doc.id, 0, 10, reason="navigation")
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import scanner, schema, stats
from .annotator import resolve_annotator
from .discovery import DEFAULT_DB_NAME, DEFAULT_INCLUDE, NAME_NOT_UTF8, FoundFile, corpus_file_stat, discover
from .duplicates.api import DuplicatesMixin
from .duplicates.signatures import record_settings as record_signature_settings
from .decoding import encoding_problem, refused_reading
from .errors import DamagedWal, FolderNotFound, InvalidValue, NoDocuments, NotAFolder
from .wording import plural
from .history import HistoryMixin
from .models import Document
from .passage_index import owe_repeats, record_index_version
from .propagate import PropagateMixin
from .repeats import RepeatsMixin
from .review import ReviewMixin
from .rules import RulesMixin
from .suggest.decisions import SuggestDecisionsMixin
from .suggest.scorer import SuggestMixin
from .spans import SpansMixin
from .store import DEFAULT_TIMEOUT, connect, write_transaction
from .tags import TagsMixin
from .titles import record_title_rule
from .wal_check import confirmed_wal_problems

def check_folder(folder: str | Path) -> Path:
    path = Path(folder)
    if not path.exists():
        raise FolderNotFound(f"{path}: no such folder")
    if not path.is_dir():
        raise NotAFolder(f"{path}: is a file, not a folder")
    return path


def database_path(folder: Path, db: str | Path | None) -> Path:
    return Path(db) if db is not None else folder / DEFAULT_DB_NAME


def find_documents(
    folder: str | Path,
    include: Iterable[str] = DEFAULT_INCLUDE,
    exclude: Iterable[str] = (),
    db: str | Path | None = None,
) -> list[FoundFile]:
    """The folder's documents sorted by path; NoDocuments when there are none.

    Runs before any database is opened, so a wrong folder creates nothing.
    """
    folder_path = check_folder(folder)
    include = tuple(include) or DEFAULT_INCLUDE
    found = sorted(discover(folder_path, include, exclude, database_path(folder_path, db)), key=lambda f: f.path)
    if not found:
        raise NoDocuments(f"{folder_path}: no documents found (patterns: {', '.join(include)})")
    return found


def refuse_damaged_wal(folder: Path, db_path: Path) -> None:
    """Raise DamagedWal when the -wal holds commits SQLite would silently drop.

    SQLite ignores a damaged log without an error when it opens the database
    first, and the last connection to close deletes it: the commits in it would
    vanish unnoticed. Costs a stat; when the log is not empty, a child process
    (about 20 ms) that reads it unless another process has the database open
    (then its index of the log stands and opening changes nothing).
    """
    try:
        if os.stat(f"{db_path}-wal").st_size == 0:  # a stat opens no descriptor
            return
    except OSError:
        return
    problems = confirmed_wal_problems(db_path, if_idle=True)["problems"]
    if problems:
        raise DamagedWal(
            f"{db_path}-wal: {problems[0]}; nothing was opened or changed: see 'corpus-tui check "
            f"{shlex.quote(str(folder))}', and add --set-aside-wal to go on without those changes"
        )


MAX_TIMEOUT = 86_400  # seconds (the CLI's --timeout limit)


class Corpus(SpansMixin, TagsMixin, ReviewMixin, HistoryMixin, RepeatsMixin, PropagateMixin, RulesMixin,
             SuggestMixin, SuggestDecisionsMixin, DuplicatesMixin):
    """A corpus folder and its annotation database. Use ``Corpus.open``."""

    @classmethod
    def open(
        cls,
        folder: str | Path,
        db: str | Path | None = None,
        annotator: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        create: bool = True,
        check_wal: bool = True,
        read_only: bool = False,
    ) -> "Corpus":
        """Open the corpus in ``folder``; the database defaults to ``folder/annotations.db``.

        ``create=False`` refuses to create a database that does not exist yet.
        A database written by a newer corpus-tui is refused, never rewritten.
        A damaged write-ahead log is refused (``DamagedWal``, see ``refuse_damaged_wal``);
        ``check_wal=False`` skips that test, for a second connection of a process
        whose first one passed it. ``read_only=True`` writes nothing, ever.
        """
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout <= MAX_TIMEOUT:
            # SQLite takes milliseconds in a C int: a day is the CLI's limit (1e7 s was "never wait").
            raise InvalidValue(f"timeout is seconds to wait for another process's write, from 0 to "
                               f"{MAX_TIMEOUT:,}, not {type(timeout).__name__} {timeout!r}")
        annotator = resolve_annotator(annotator)  # a bad name is refused before anything is opened
        folder_path = check_folder(folder)
        db_path = database_path(folder_path, db)
        if check_wal:
            refuse_damaged_wal(folder_path, db_path)
        database = connect(db_path, timeout=timeout, create=create and not read_only, read_only=read_only)
        try:
            if not read_only and schema.read_version(database) < schema.SCHEMA_VERSION:
                with write_transaction(database, db_path):
                    if schema.ensure_schema(database, db_path):
                        record_current_rules(database)
        except BaseException:
            database.close()
            raise
        return cls(folder_path, db_path, database, annotator)

    def close(self) -> None:
        """Close the database connection (``with Corpus.open(...) as corpus`` closes it too)."""
        self.db.close()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- scanning ----------------------------------------------------------------

    def scan(
        self,
        include: Iterable[str] = DEFAULT_INCLUDE,
        exclude: Iterable[str] = (),
        progress: Callable[[int, int], None] | None = None,
        found: list[FoundFile] | None = None,
        duplicates_progress: Callable[[int, int], None] | None = None,
    ) -> scanner.ScanSummary:
        """Index new and changed files, then sign them for near-duplicates (``progress``:
        files read; ``duplicates_progress``: documents signed); see ``scanner`` for the rules."""
        if found is None:
            try:
                found = find_documents(self.folder, include, exclude, self.db_path)
            except NoDocuments as error:
                known = self.db.execute("SELECT COUNT(*) FROM documents WHERE state != 'missing'").fetchone()[0]
                if not known:
                    raise
                # Every file gone at once is more likely a folder not mounted than a corpus
                # deleted: nothing is marked missing; said so (check sent the user to scan, and
                # scan said only "no documents found": a trial).
                raise NoDocuments(f"{error}; the corpus knows {plural(known, 'document')} here: nothing was "
                                  "marked missing (the wrong folder or patterns, or a folder not mounted?); 'corpus-tui check' "
                                  "lists the files it misses") from None
        summary = scanner.scan(self, found, progress)
        signed = self.refresh_duplicates(progress=duplicates_progress)
        # The corpus's pairs, as 'duplicates' lists them (not only the pairs of the documents
        # signed now: a rescan of one changed file said "0" beside a listed pair).
        summary.signed, summary.duplicate_pairs = signed.signed, self.duplicate_pair_count()
        return summary

    def set_encoding(self, path: str, encoding: str | None, force: bool = False) -> Document:
        """Override (or with None, clear) the encoding of one file, then re-decode it.

        An encoding Python does not know, or one the file on disk does not decode with, is
        refused (``InvalidValue``) and nothing is stored: the document stays readable as it was.
        So is one that reads a file of valid UTF-8 otherwise (``utf-16`` makes a page of UTF-8
        Chinese-looking noise, ``latin-1`` turns its "©" into "Â©"), unless ``force``: such a
        file is UTF-8 all but surely. A file that cannot be read now (missing from disk) cannot
        be checked: refused too, unless ``force``, which stores the override for its next scan.
        """
        doc = self.document_by_path(path)
        if encoding:
            self._check_encoding(doc, encoding, force)
        with self.write():
            self.db.execute("UPDATE documents SET encoding_override = ?, mtime_ns = -1 WHERE id = ?", [encoding, doc.id])
            self.log_event("document.encoding", doc.id, {"before": doc.encoding_override, "after": encoding})
        file = next((f for f in discover(self.folder, ("*",), (), self.db_path) if f.path == doc.path), None)
        if file is not None:
            scanner.scan(self, [file], None, partial=True)
        return self.document(doc.id)

    def _check_encoding(self, doc: Document, encoding: str, force: bool = False) -> None:
        problem = encoding_problem(encoding)
        if problem:
            raise InvalidValue(f"{doc.path}: {problem}; the encoding was not changed")
        try:
            data = (self.folder / doc.path).read_bytes()  # opened read-only, as every original
        except OSError as error:
            if force:
                return
            reason = "it is missing" if isinstance(error, FileNotFoundError) else f"it cannot be read ({error.strerror})"
            raise InvalidValue(f"{doc.path}: {reason}, so {encoding} cannot be checked; the encoding was not changed "
                               "(--force stores it all the same, for its next scan)") from None
        refusal = refused_reading(data, encoding)
        if refusal is not None:
            reason, forceable = refusal
            if not forceable:
                raise InvalidValue(f"{doc.path}: {reason}; the encoding was not changed")
            if not force:
                raise InvalidValue(f"{doc.path}: {reason}; the encoding was not changed (--force sets it all the same)")

    def refresh_document(self, document_id: int) -> scanner.ScanSummary | None:
        """Re-read one document if its file changed on disk (re-anchoring its spans).

        Returns None when nothing changed. A file that disappeared is marked missing.
        """
        doc = self.document(document_id)
        if doc.problem == NAME_NOT_UTF8:
            return None  # stored under an escaped name, no file has: opening it marked it missing (a review)
        stat = corpus_file_stat(self.folder, doc.path)  # a folder or a link out of the corpus is no file of it
        if stat is None:
            if doc.state != "missing":
                with self.write():
                    self.db.execute("UPDATE documents SET state = 'missing' WHERE id = ?", [doc.id])
                    owe_repeats(self.db)  # its copies stop counting: recounted by the next scan
            return None
        if doc.state != "missing" and (stat.st_size, stat.st_mtime_ns) == (doc.size, doc.mtime_ns):
            return None
        return scanner.scan(self, [FoundFile(doc.path, stat.st_size, stat.st_mtime_ns)], partial=True)

    # -- reading documents ---------------------------------------------------------

    def documents(self) -> list[Document]:
        """Every document the scans found (missing and unreadable ones too), in path order."""
        return [Document.from_row(row) for row in self.query("SELECT * FROM documents ORDER BY path")]

    def stats(self) -> dict[str, Any]:
        """What ``corpus-tui stats --json`` prints: documents by status, the reviewed share, the
        boilerplate share of characters, tags with their counts, annotation labels, and more."""
        return stats.corpus_stats(self)

    # -- small persistent UI state (last document, cursor) ----------------------

    def get_state(self, key: str, default: str | None = None) -> str | None:
        """A value the app keeps in ``corpus_state`` (last document, cursor positions), or ``default``."""
        rows = self.query("SELECT value FROM corpus_state WHERE key = ?", [key])
        return rows[0]["value"] if rows else default

    def set_state(self, key: str, value: str) -> None:
        """Keep a value in ``corpus_state`` (one transaction; not an undoable step)."""
        self.set_states({key: value})

    def delete_states(self, keys: Iterable[str]) -> None:
        """Remove these keys from ``corpus_state``."""
        keys = list(keys)
        if keys:
            with self.write():
                self.db.execute(f"DELETE FROM corpus_state WHERE key IN ({', '.join('?' for _ in keys)})", keys)

    def set_states(self, values: dict[str, str]) -> None:
        """Several state keys in one transaction."""
        with self.write():
            for key, value in values.items():
                self.db.execute(
                    "INSERT INTO corpus_state (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, value],
                )


def record_current_rules(db: Any) -> None:
    """A new database is, trivially, indexed, titled and signed by this version's rules: so a
    second scan started while the first is still running (it finds documents already there)
    does not take them all for ones stored by an older version and do them again."""
    record_index_version(db)
    record_title_rule(db)
    record_signature_settings(db)


