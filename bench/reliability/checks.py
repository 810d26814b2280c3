"""What the checking process asks of a database once every writer is dead.

Run with the plain ``sqlite3`` module, never corpus-tui: the check must not
depend on the code it checks.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def connection(db: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def one(db: Path, sql: str, params: tuple[Any, ...] = ()) -> Any:
    with connection(db) as conn:
        row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with connection(db) as conn:
        return conn.execute(sql, params).fetchall()


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def corruption(db: Path) -> list[str]:
    """Problems that make a database corrupt: integrity_check, foreign_key_check and
    the full-text index against its content table. [] for a healthy (or absent) one."""
    if not db.exists():
        return []
    problems: list[str] = []
    try:
        with connection(db) as conn:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                problems += [f"integrity_check: {line}" for line in result[:5]]
            problems += [f"foreign_key_check: {row}" for row in conn.execute("PRAGMA foreign_key_check").fetchall()[:5]]
            if has_table(conn, "document_texts_fts"):
                try:
                    conn.execute("INSERT INTO document_texts_fts (document_texts_fts) VALUES ('integrity-check')")
                except sqlite3.Error as error:
                    problems.append(f"fts integrity-check: {error}")
    except sqlite3.Error as error:
        problems.append(f"cannot read: {error}")
    return problems


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def disk_mismatches(db: Path, folder: Path, files: list[str]) -> list[str]:
    """After a completed scan: every file has a document in state ok with its
    sha256, and every other document is missing. Returns what differs."""
    if not db.exists():
        return ["no database"]
    with connection(db) as conn:
        known = {path: (state, sha) for path, state, sha in conn.execute("SELECT path, state, sha256 FROM documents")}
    problems = []
    on_disk = set(files)
    for path in files:
        row = known.get(path)
        if row is None:
            problems.append(f"{path}: no document")
        elif row[0] != "ok" or row[1] != sha256_file(folder / path):
            problems.append(f"{path}: stored {row}, differs from the file")
    for path, (state, _) in known.items():
        if path not in on_disk and state != "missing":
            problems.append(f"{path}: gone from disk but {state}")
    return problems


def documents_without_text(db: Path) -> int:
    """Documents in state ok whose text row is not there (a half-applied scan batch)."""
    if not db.exists():
        return 0
    with connection(db) as conn:
        if not has_table(conn, "documents"):
            return 0
        return conn.execute(
            "SELECT COUNT(*) FROM documents d LEFT JOIN document_texts t ON t.document_id = d.id "
            "WHERE d.state = 'ok' AND t.document_id IS NULL"
        ).fetchone()[0]
