"""Opening the corpus database and running write transactions.

Connections are in autocommit mode (``isolation_level=None``) so that every
write is an explicit ``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock is taken
up front (no deadlock-prone lock upgrade), and nothing is ever left in an
implicit, uncommitted transaction.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from . import schema
from .errors import CorpusError, DatabaseLocked, DatabaseMissing, NotADatabase

DEFAULT_TIMEOUT = 5.0
FULL_DISK_BYTES = 64 * 1024  # an -shm alone takes 32 KiB


def now() -> str:
    """UTC timestamp, ISO 8601 with milliseconds: sorts as text."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def translate(error: sqlite3.Error, path: Path) -> CorpusError:
    """Turn a sqlite3 error users can meet into a one-line CorpusError naming the file."""
    message = str(error)
    if "locked" in message or "busy" in message:
        return DatabaseLocked(
            f"{path}: database is locked by another process (gave up after waiting; --timeout SECONDS waits longer)"
        )
    if "not a database" in message or "malformed" in message:
        return NotADatabase(f"{path}: not an SQLite database or damaged ({message})")
    if "disk is full" in message or ("disk I/O error" in message and _disk_full(path)):
        # With no room for its -shm, SQLite says "disk I/O error": the disk is full all the same.
        return CorpusError(f"{path}: database or disk is full (free some space and try again)")
    if "readonly" in message or "read-only" in message or "unable to open" in message:
        return CorpusError(f"{path}: {message}{_read_only_hint(path)}")
    return CorpusError(f"{path}: database error: {message}")


def _read_only_hint(path: Path) -> str:
    """Why SQLite could not open or write: a read-only folder (where the -wal and
    -shm files live) or file. Only stat-like checks: nothing here opens the file."""
    folder = path.parent if str(path.parent) else Path(".")
    if not os.access(folder, os.W_OK) or _on_read_only_mount(folder):
        return f" (the folder {folder} is read-only; use --db PATH to keep the database elsewhere)"
    if path.exists() and not os.access(path, os.W_OK):
        return " (the database file is read-only)"
    return ""


def _disk_full(path: Path) -> bool:
    """Less room left where the database lives than one write of a few pages needs."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < FULL_DISK_BYTES


def _on_read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def connect(path: Path, timeout: float = DEFAULT_TIMEOUT, create: bool = True,
            read_only: bool = False) -> sqlite_utils.Database:
    """Open (or create) the database with the settings corpus-tui relies on.

    Only SQLite ever opens the database file (and its -wal and -shm): on POSIX,
    closing any other descriptor of the file drops every lock this process's
    SQLite connections hold on it, and another process may then delete the WAL
    under them. So the file is checked by SQLite reading it, never by open().
    ``read_only`` opens it with ``mode=ro``: nothing is written, and closing it
    never checkpoints or deletes the -wal.
    """
    if path.is_dir():
        raise NotADatabase(f"{path}: is a folder, not an SQLite database")
    if not path.exists():
        if not create:
            raise DatabaseMissing(f"{path}: no corpus database here; run 'corpus-tui scan' first")
        if not path.parent.is_dir():
            raise CorpusError(f"{path.parent}: folder for the database does not exist")
    try:
        if read_only:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout,
                                   isolation_level=None)
        else:
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    except sqlite3.Error as error:
        raise translate(error, path) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn, execute_plugins=False)
        # Refuse a newer or a foreign database before anything writes to it:
        # even switching the journal mode rewrites its header.
        version = schema.check_version(db, path)
        schema.check_is_ours(db, path)
        if not create and version == 0:
            # An empty file (`: > corpus.db`, a scan stopped before its first commit): read-only
            # commands turned it into a database with no corpus, and `check` said it wrote nothing.
            raise DatabaseMissing(f"{path}: holds no corpus yet; run 'corpus-tui scan' first")
        if read_only:
            return db
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            _switch_to_wal(conn, timeout)
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as error:
        conn.close()
        raise translate(error, path) from None
    except CorpusError:
        conn.close()
        raise
    return db


def _switch_to_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch a new database to WAL, waiting like any write.

    The switch needs an exclusive lock and SQLite does not call the busy
    handler for it, so two processes creating the same database at once
    (two first scans) would fail at once without this retry.
    """
    _retry_while_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal", timeout)


# Taking the write lock fairly. SQLite's own busy handler sleeps longer and longer between
# tries (100 ms apart after the first 0.3 s), so a writer that commits batch after batch
# (a scan, a refresh) takes the lock again before a waiting process looks: with three
# writers, one waited past its timeout while the lock was free a good part of the time.
# So a writer polls for the lock every few milliseconds and gets in at the next gap.
POLL_S = (0.0005, 0.002)  # first and longest pause between tries


@contextmanager
def write_transaction(db: sqlite_utils.Database, path: Path) -> Iterator[sqlite_utils.Database]:
    """One atomic change: BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on any error."""
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("write transactions do not nest")
    try:
        _begin_immediate(conn)
    except sqlite3.OperationalError as error:
        raise translate(error, path) from None
    try:
        yield db
        conn.execute("COMMIT")
    except BaseException as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(error, sqlite3.OperationalError):
            raise translate(error, path) from None
        raise


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting up to the connection's busy timeout by polling (see above)."""
    (timeout_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")  # one try per BEGIN: the pauses are ours
    try:
        _retry_while_busy(lambda: conn.execute("BEGIN IMMEDIATE") is not None, timeout_ms / 1000)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")


def _retry_while_busy(attempt: Callable[[], bool], timeout: float) -> None:
    """Call ``attempt`` until it returns True, every few ms while another process holds the
    lock it needs, for up to ``timeout`` seconds; then 'database is locked'."""
    deadline = time.monotonic() + timeout
    pause = POLL_S[0]
    while True:
        try:
            if attempt():
                return
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
        if time.monotonic() >= deadline:
            raise sqlite3.OperationalError("database is locked")
        time.sleep(pause)
        pause = min(pause * 2, POLL_S[1])


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)
