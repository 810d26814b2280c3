"""State and primitives every part of ``Corpus`` shares: the connection, the
write transaction, the event log and reading single documents."""

from __future__ import annotations

import json
import os
import posixpath
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from .arguments import whole_numbers
from .errors import ChangedElsewhere, DocumentNotFound, InvalidValue
from .models import Document, TextVersion
from .store import now, translate, write_transaction


# (database, event id) of the events this process logged: small (one entry an action).
_MADE_HERE: set[tuple[str, int]] = set()


class CorpusBase:
    def __init__(self, folder: Path, db_path: Path, db: sqlite_utils.Database, annotator: str):
        self.folder = folder
        self.db_path = db_path
        self.db = db
        self.annotator = annotator
        self._logged: list[int] = []  # the current write's events

    # -- transactions and the event log -------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One atomic change (BEGIN IMMEDIATE ... COMMIT)."""
        self._logged: list[int] = []
        with write_transaction(self.db, self.db_path) as db:
            yield db
        # Committed: the events it logged are this process's (a rolled-back id may be another's later).
        _MADE_HERE.update((str(self.db_path), event_id) for event_id in self._logged)

    def log_event(self, action: str, document_id: int | None, payload: dict[str, Any]) -> int:
        """Append to the events log; call inside ``write()``."""
        cursor = self.db.execute(
            "INSERT INTO events (at, annotator, action, document_id, payload) VALUES (?, ?, ?, ?, ?)",
            [now(), self.annotator, action, document_id, json.dumps(payload, ensure_ascii=False)],
        )
        event_id = int(cursor.lastrowid or 0)
        self._logged.append(event_id)
        return event_id

    def made_here(self, event_id: int) -> bool:
        """Whether this process logged the event (any of its connections to this database): one
        history serves every process of a corpus, and the app names what another one did."""
        return (str(self.db_path), event_id) in _MADE_HERE

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Read rows as dicts, turning lock/corruption errors into CorpusErrors."""
        try:
            return list(self.db.query(sql, list(params)))
        except sqlite3.Error as error:
            raise translate(error, self.db_path) from None

    @whole_numbers("document_id")
    def document(self, document_id: int) -> Document:
        """The document with this id (``DocumentNotFound`` if there is none)."""
        rows = self.query("SELECT * FROM documents WHERE id = ?", [document_id])
        if not rows:
            raise DocumentNotFound(f"no document with id {document_id}")
        return Document.from_row(rows[0])

    def document_by_path(self, path: str | os.PathLike[str]) -> Document:
        """The document at ``path``, relative to the corpus folder as stored (``site/a.txt``); a
        ``pathlib.Path``, a ``./`` in front, or an absolute path inside the folder name it too."""
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if not isinstance(path, str):
            raise InvalidValue(f"a document's path is text, not {type(path).__name__} {path!r}")
        rows = self.query("SELECT * FROM documents WHERE path = ?", [path])
        if not rows and (other := self._stored_form(path)) != path:
            rows = self.query("SELECT * FROM documents WHERE path = ?", [other])
        if not rows:
            raise DocumentNotFound(f"{path}: not a document of this corpus")
        return Document.from_row(rows[0])

    def _stored_form(self, path: str) -> str:
        """``path`` as the database stores paths: relative to the folder, POSIX, normalized."""
        given = Path(path)
        if given.is_absolute():
            for folder in (self.folder, self.folder.resolve()):
                try:
                    given = given.relative_to(folder)
                    break
                except ValueError:
                    continue
        return posixpath.normpath(given.as_posix())

    @whole_numbers("document_id")
    def text(self, document_id: int) -> str:
        """The decoded text that offsets index ('' when the file was never readable)."""
        rows = self.query("SELECT text FROM document_texts WHERE document_id = ?", [document_id])
        if not rows:
            self.document(document_id)  # DocumentNotFound for an id of no document
            return ""
        return rows[0]["text"]

    @whole_numbers("document_id", "start", "end")
    def context(self, document_id: int, start: int, end: int, chars: int = 160) -> tuple[str, str, str]:
        """``text[start:end]`` and up to ``chars`` characters on each side, read with SQL substr
        (not the whole text): the copy of a passage in its place, for a person to judge."""
        lead = min(start, chars)
        rows = self.db.execute("SELECT substr(text, ?, ?) FROM document_texts WHERE document_id = ?",
                               [start - lead + 1, lead + (end - start) + chars, document_id]).fetchall()
        chunk = rows[0][0] if rows else ""
        if len(chunk) < lead + (end - start):  # SQLite's text functions stop at a NUL: slice in Python
            chunk = self.text(document_id)[start - lead : end + chars]
        return chunk[:lead], chunk[lead : lead + end - start], chunk[lead + end - start :]

    @whole_numbers("document_id")
    def versioned_text(self, document_id: int) -> tuple[TextVersion, str]:
        """The text and its version (``Document.version``), read in one statement: a scan
        committing between two reads could pair one text with another's version."""
        rows = self.query(  # a document never readable has no text row, and a version all the same
            "SELECT d.sha256, d.encoding, t.text FROM documents AS d "
            "LEFT JOIN document_texts AS t ON t.document_id = d.id WHERE d.id = ?", [document_id])
        return ((rows[0]["sha256"], rows[0]["encoding"]), rows[0]["text"] or "") if rows else ((None, None), "")

    @whole_numbers(lists=("document_ids",))
    def text_versions(self, document_ids: list[int]) -> dict[int, TextVersion]:
        """Each document's ``Document.version`` now (a document deleted since is left out)."""
        found: dict[int, TextVersion] = {}
        for start in range(0, len(document_ids), 5000):
            for doc, sha256, encoding in self.db.execute(
                "SELECT id, sha256, encoding FROM documents WHERE id IN (SELECT value FROM json_each(?))",
                [json.dumps(document_ids[start : start + 5000])],
            ):
                found[doc] = (sha256, encoding)
        return found

    @whole_numbers("document_id")
    def check_shown(self, document_id: int, shown_version: TextVersion | None) -> None:
        """Inside a write: ``ChangedElsewhere`` when the document's text is no longer the one
        that was shown (another process scanned a new version of its file)."""
        if shown_version is not None and self.text_versions([document_id]).get(document_id) != shown_version:
            raise ChangedElsewhere("the document changed on disk since it was shown: nothing changed; "
                                   "the screen shows it now")

