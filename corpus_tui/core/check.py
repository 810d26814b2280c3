"""``corpus-tui check``: is the corpus database whole, and does it match the folder?

Reports, one problem a line: a damaged write-ahead log (SQLite silently ignores
it: acknowledged changes vanish), ``PRAGMA integrity_check`` and foreign-key
failures, a search index out of step with the texts, orphan rows, spans outside
their text, documents whose file is missing, changed or not yet scanned, and
stale spans waiting for the analyst. Nothing is written: the search-index
check runs inside a transaction that is rolled back, and a database whose WAL
is damaged is opened read-only, so that closing it cannot delete the log.

``set_aside_wal=True`` is the analyst's way on past a damaged WAL: a copy of
the log is kept as ``DB-wal.damaged-TIMESTAMP`` (while no process has the
database open), then SQLite applies the commits it can read from the log (those
before the damage) and empties it; the rest are lost.

Example::

    from corpus_tui.core.check import check_corpus
    report = check_corpus("seeds")
    for problem in report.problems:
        print(problem.line())
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .corpus import Corpus, check_folder, database_path
from .discovery import DEFAULT_INCLUDE, FoundFile, cannot_tell, corpus_file_stat, discover
from .errors import CorpusError, DatabaseMissing
from .passage_index import repeats_owed
from .safe_text import visible
from .store import DEFAULT_TIMEOUT, connect
from .wal_check import confirmed_wal_problems, keep_wal_copy
from .wording import agreeing, plural

LISTED_PER_KIND = 20  # files listed one a line before "... and N more"

# (what is wrong, for one row and for several; SQL counting the rows it concerns)
ORPHAN_QUERIES = (
    ("text without a document", "texts without a document",
     "SELECT COUNT(*) FROM document_texts WHERE document_id NOT IN (SELECT id FROM documents)"),
    ("span without a document", "spans without a document",
     "SELECT COUNT(*) FROM spans WHERE document_id NOT IN (SELECT id FROM documents)"),
    ("tag link without a document or tag", "tag links without a document or tag",
     "SELECT COUNT(*) FROM document_tags WHERE document_id NOT IN (SELECT id FROM documents) "
     "OR tag_id NOT IN (SELECT id FROM tags)"),
    # A missing file's document keeps its last text, if it ever had one: one never readable (a
    # binary file, deleted since) has none, and that is no damage (check said so: a review).
    ("readable document without a text", "readable documents without a text",
     "SELECT COUNT(*) FROM documents WHERE (state = 'ok' OR (state = 'missing' AND char_count > 0)) "
     "AND id NOT IN (SELECT document_id FROM document_texts)"),
    ("span outside its document's text", "spans outside their document's text",
     "SELECT COUNT(*) FROM spans JOIN documents ON documents.id = spans.document_id "
     "WHERE spans.anchor != 'stale' AND spans.\"end\" > documents.char_count"),
)


@dataclass(frozen=True)
class Problem:
    kind: str  # wal, database, integrity, search-index, orphans, missing-file, changed-file, unscanned-file, stale-spans
    path: str  # the file the problem is about
    message: str

    def line(self) -> str:
        """``PATH: what is wrong``, one line whatever the path holds (a line break is ``␊``, as
        every control character is drawn: ``--json`` keeps the path as it is)."""
        return f"{visible(self.path)}: {self.message}"


@dataclass
class CheckReport:
    database: str
    documents: int = 0
    spans: int = 0
    wal_commits: int = 0
    wal_unreadable: bool = False
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was done or left unchecked, not problems

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        if self.ok:
            return (f"ok: {self.database}: {plural(self.documents, 'document')}, {plural(self.spans, 'span')}, "
                    "integrity ok, WAL ok, documents match their files by size and time")
        return f"{plural(len(self.problems), 'problem')} in {self.database}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def check_corpus(
    folder: str | Path,
    db: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    include: Iterable[str] = DEFAULT_INCLUDE,
    exclude: Iterable[str] = (),
    set_aside_wal: bool = False,
) -> CheckReport:
    """Check the corpus in ``folder``; see the module docstring for what is checked."""
    folder_path = check_folder(folder)
    db_path = database_path(folder_path, db)
    if not db_path.exists():
        raise DatabaseMissing(f"{db_path}: no corpus database here; run 'corpus-tui scan' first")
    # The WAL first, before this process opens the database: the first write
    # of any connection restarts a log SQLite found damaged, erasing the evidence.
    report = check_wal(db_path)
    if set_aside_wal:
        _set_aside_damaged_wal(db_path, report, timeout)
    damaged_wal = any(problem.kind == "wal" for problem in report.problems)
    try:
        corpus = Corpus.open(folder_path, db=db_path, timeout=timeout, create=False, check_wal=False,
                             read_only=damaged_wal)
    except CorpusError as error:
        report.problems.append(Problem("database", str(db_path), _without_path(str(error), db_path)))
        return report
    with corpus:
        check_open_corpus(corpus, report, include, exclude)
    return report


def _set_aside_damaged_wal(db_path: Path, report: CheckReport, timeout: float) -> None:
    """Keep a copy of a damaged log, then let SQLite apply what it can read of it (the
    commits before the damage) and empty it: the corpus can be used again."""
    wal = f"{db_path}-wal"
    damage = [problem for problem in report.problems if problem.kind == "wal"]
    if not damage:
        report.notes.append(f"{wal}: not damaged, nothing set aside")
        return
    if report.wal_unreadable:  # a log it could not read may be whole: never thrown away
        report.problems.append(Problem("wal", wal, "not set aside: the WAL could not be read"))
        return
    suffix = ".damaged-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    outcome = keep_wal_copy(db_path, suffix)
    if outcome["copy"] is None:
        report.problems.append(Problem("wal", wal, f"{outcome['problem']} (close every corpus-tui first)"))
        return
    try:
        database = connect(db_path, timeout=timeout, create=False)
        try:
            busy = database.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            database.close()
    except (CorpusError, sqlite3.Error) as error:
        report.problems.append(Problem("wal", wal, f"copy kept as {outcome['copy']}, but the log was not "
                                                   f"applied: {error}"))
        return
    if busy:
        report.problems.append(Problem("wal", wal, f"copy kept as {outcome['copy']}, but another process "
                                                   "opened the corpus meanwhile: run this again"))
        return
    report.problems = [problem for problem in report.problems if problem.kind != "wal"]
    report.notes.append(
        f"{wal}: the damaged log was kept as {outcome['copy']}; the {plural(report.wal_commits, 'commit')} SQLite "
        "could read from it (those before the damage) are in the database, the rest are lost"
    )
    report.wal_commits = 0


def check_wal(db_path: Path) -> CheckReport:
    """The write-ahead log alone (in a child process): run it before anything writes."""
    report = CheckReport(str(db_path))
    wal = confirmed_wal_problems(db_path)
    report.wal_commits = wal["commits"]
    report.wal_unreadable = bool(wal.get("unreadable"))
    report.problems += [Problem("wal", f"{db_path}-wal", text) for text in wal["problems"]]
    return report


def check_open_corpus(
    corpus: Corpus, report: CheckReport, include: Iterable[str] = DEFAULT_INCLUDE, exclude: Iterable[str] = ()
) -> CheckReport:
    """Everything but the WAL, on an open corpus: database, files, stale spans."""
    try:
        _check_database(corpus, report)
        if not any(p.kind == "integrity" for p in report.problems):
            _check_files(corpus, report, tuple(include) or DEFAULT_INCLUDE, tuple(exclude))
            _check_stale_spans(corpus, report)
    except sqlite3.DatabaseError as error:  # a database too damaged to query
        report.problems.append(Problem("integrity", str(corpus.db_path), f"the database cannot be read: {error}"))
    return report


def _without_path(message: str, db_path: Path) -> str:
    prefix = f"{db_path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _check_database(corpus: Corpus, report: CheckReport) -> None:
    db, where = corpus.db, str(corpus.db_path)
    rows = [row[0] for row in db.execute("PRAGMA integrity_check(100)").fetchall()]
    if rows != ["ok"]:
        report.problems += [Problem("integrity", where, f"integrity check: {row}") for row in rows]
        return
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()[:LISTED_PER_KIND]:
        report.problems.append(Problem("integrity", where, f"row {rowid} of {table} points to a missing {parent} row"))
    for one, many, sql in ORPHAN_QUERIES:
        orphans = db.execute(sql).fetchone()[0]
        if orphans:
            report.problems.append(Problem("orphans", where, plural(orphans, one, many)))
    search_index = _search_index_ok(db.conn)
    if search_index is None:
        report.notes.append("the search index was not checked: its check needs a (rolled back) write, "
                            "and the database is read-only here")
    elif not search_index:
        report.problems.append(Problem(
            "search-index", where, "the search index is out of step with the texts (corpus search may miss documents)"
        ))
    if repeats_owed(db):
        report.notes.append("the repeated passages' counts wait for a recount (a scan is running, or one was "
                            "stopped before its end, or a file was found missing): the next scan makes it")
    report.documents = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    report.spans = db.execute("SELECT COUNT(*) FROM spans").fetchone()[0]


def _search_index_ok(conn: sqlite3.Connection) -> bool | None:
    """FTS5's own integrity check against the texts (rank 1). It is an INSERT, so it
    runs in a transaction that is always rolled back: checking writes nothing."""
    conn.execute("BEGIN")
    try:
        conn.execute("INSERT INTO document_texts_fts (document_texts_fts, rank) VALUES ('integrity-check', 1)")
        return True
    except sqlite3.DatabaseError as error:
        if "corrupt" in str(error) or "malformed" in str(error):
            return False
        if "readonly" in str(error):
            return None
        raise
    finally:
        conn.execute("ROLLBACK")


def _check_files(corpus: Corpus, report: CheckReport, include: tuple[str, ...], exclude: tuple[str, ...]) -> None:
    on_disk: dict[str, FoundFile] = {}
    for found in discover(corpus.folder, include, exclude, corpus.db_path):
        # Two files for one stored path (a name not UTF-8, escaped): the scan reads the other one.
        if found.path not in on_disk or on_disk[found.path].name_problem is not None:
            on_disk[found.path] = found
    missing, changed, changed_outside = [], [], []
    for path, state, size, mtime_ns, sha256 in corpus.db.execute(
        "SELECT path, state, size, mtime_ns, sha256 FROM documents ORDER BY path"
    ):
        found = on_disk.pop(path, None)
        if found is None:
            # Gone (a link to nothing, now a folder or a link out of the folder counts as gone), or
            # outside this check's patterns: a scan with --include indexed it, so it is compared too
            # ("ok" was said of a changed .html a scan with --include '*.html' had read: a review).
            info = corpus_file_stat(corpus.folder, path)
            if info is None:
                reason = cannot_tell(corpus.folder, path)
                if reason is not None:  # as the scan says it: not gone, and a scan cannot help (a review)
                    report.problems.append(Problem("unreachable-file", path, f"cannot be reached ({reason}); a scan "
                                                   "leaves it as it was until its folder may be entered again"))
                elif state != "missing":
                    missing.append(path)
                continue
            if info.st_size != size or (info.st_mtime_ns != mtime_ns and _file_sha256(corpus.folder / path) != sha256):
                changed_outside.append(path)  # a scan with these patterns re-reads it; a plain one does not
            continue
        if state == "missing" or found.size != size or (
                found.mtime_ns != mtime_ns and _file_sha256(corpus.folder / path) != sha256):
            # Only its time changed (touch, cp -r) is no change: a scan finds it unchanged too.
            changed.append(path)
    _listed(report, "missing-file", missing, "the file is gone but the database says it is there (run scan)")
    _listed(report, "changed-file", changed, "the file changed since the last scan (run scan to re-read it)")
    _listed(report, "changed-file", changed_outside, "the file changed since the last scan, which read it with "
            "other patterns than these (run scan with the --include that names it, or check with it)")
    _listed(report, "unscanned-file", sorted(on_disk), "not scanned yet (run scan)")


def _listed(report: CheckReport, kind: str, paths: list[str], message: str) -> None:
    for path in paths[:LISTED_PER_KIND]:
        report.problems.append(Problem(kind, path, message))
    if len(paths) > LISTED_PER_KIND:
        report.problems.append(Problem(kind, f"... and {len(paths) - LISTED_PER_KIND} more", message))


def _check_stale_spans(corpus: Corpus, report: CheckReport) -> None:
    rows = corpus.db.execute(
        "SELECT documents.path, COUNT(*) FROM spans JOIN documents ON documents.id = spans.document_id "
        "WHERE spans.anchor = 'stale' GROUP BY documents.path ORDER BY documents.path"
    ).fetchall()
    for path, stale in rows:
        report.problems.append(Problem(
            "stale-spans", path, f"{plural(stale, 'stale span')}: the text changed and "
            f"{agreeing(stale, 'it', 'they')} could not be re-anchored; place or drop "
            f"{agreeing(stale, 'it', 'them')} in the app"
        ))


def _file_sha256(path: Path) -> str | None:
    """The file's sha256 read in pieces (None when it cannot be read: then it counts as changed)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:  # an original: read only
            while piece := handle.read(1 << 20):
                digest.update(piece)
    except OSError:
        return None
    return digest.hexdigest()
