"""Which selected documents' files changed on disk since the last scan.

A read-only pass over ``os.stat``, with no heavy imports: the export workers
run it too, each on a share of the documents, while the parent waits for
their answers instead of doing it all alone (see ``parallel``).
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from ..discovery import corpus_file_stat

Changed = list[tuple[str, int, int]]  # path, size, mtime_ns of files that changed
Vanished = list[int]  # ids of documents whose file is gone


def find_changes(conn: sqlite3.Connection, folder: str, where: str, params: list[Any], part: int = 0,
                 parts: int = 1) -> tuple[Changed, Vanished]:
    """Files of the documents ``where`` selects (the ``part``-th of ``parts`` shares, by id)
    whose size or modification time differs from the last scan's, and those that are gone."""
    sql = f"SELECT d.id, d.path, d.size, d.mtime_ns FROM documents d{where}"
    if parts > 1:
        sql += " AND d.id % ? = ?"
        params = [*params, parts, part]
    prefix = folder.rstrip(os.sep) + os.sep
    changed: Changed = []
    vanished: Vanished = []
    stat = os.stat
    for doc_id, path, size, mtime_ns in conn.execute(sql, params):
        try:
            found = stat(prefix + path)
        except OSError:
            vanished.append(doc_id)
            continue
        if found.st_size != size or found.st_mtime_ns != mtime_ns:
            if corpus_file_stat(folder, path, found) is None:  # now a folder, or a link out of the corpus
                vanished.append(doc_id)
                continue
            changed.append((path, found.st_size, found.st_mtime_ns))
    return changed, vanished
