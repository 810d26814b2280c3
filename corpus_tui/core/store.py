"""Opening the corpus database and running write transactions.

Connections are in autocommit mode (``isolation_level=None``) so that every
write is an explicit ``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock is taken
up front (no deadlock-prone lock upgrade), and nothing is ever left in an
implicit, uncommitted transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from . import schema
from .errors import CorpusError, DatabaseLocked, DatabaseMissing, NotADatabase

SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_TIMEOUT = 5.0


def now() -> str:
    """UTC timestamp, ISO 8601 with milliseconds: sorts as text."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _check_is_sqlite(path: Path) -> None:
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except IsADirectoryError:
        raise NotADatabase(f"{path}: is a folder, not an SQLite database") from None
    except OSError as error:
        raise NotADatabase(f"{path}: cannot read database: {error.strerror}") from None
    if header and header != SQLITE_HEADER:
        raise NotADatabase(f"{path}: not an SQLite database")


def translate(error: sqlite3.Error, path: Path) -> CorpusError:
    """Turn a sqlite3 error users can meet into a one-line CorpusError."""
    message = str(error)
    if "locked" in message or "busy" in message:
        return DatabaseLocked(
            f"{path}: database is locked by another process (gave up after waiting)"
        )
    if "not a database" in message or "malformed" in message:
        return NotADatabase(f"{path}: not an SQLite database or damaged ({message})")
    return CorpusError(f"{path}: database error: {message}")


def connect(path: Path, timeout: float = DEFAULT_TIMEOUT, create: bool = True) -> sqlite_utils.Database:
    """Open (or create) the database with the settings corpus-tui relies on."""
    if path.exists():
        _check_is_sqlite(path)
    elif not create:
        raise DatabaseMissing(f"{path}: no corpus database here; run 'corpus-tui scan' first")
    elif not path.parent.is_dir():
        raise CorpusError(f"{path.parent}: folder for the database does not exist")
    try:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    except sqlite3.Error as error:
        raise translate(error, path) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn, execute_plugins=False)
        # Refuse a newer database before anything writes to it: even switching
        # the journal mode rewrites its header.
        schema.check_version(db, path)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as error:
        conn.close()
        raise translate(error, path) from None
    except CorpusError:
        conn.close()
        raise
    return db


@contextmanager
def write_transaction(db: sqlite_utils.Database, path: Path) -> Iterator[sqlite_utils.Database]:
    """One atomic change: BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on any error."""
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("write transactions do not nest")
    try:
        conn.execute("BEGIN IMMEDIATE")
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
