"""Errors a user can meet. Each carries a one-line message fit to print as is."""

from __future__ import annotations


class CorpusError(Exception):
    """Base class: the CLI prints ``str(error)`` on one line and exits non-zero."""

    exit_code = 1


class FolderNotFound(CorpusError):
    pass


class NotAFolder(CorpusError):
    pass


class NotADatabase(CorpusError):
    pass


class NotOurDatabase(CorpusError):
    """An SQLite database that another application made: never changed."""


class DamagedWal(CorpusError):
    """The write-ahead log holds commits SQLite would silently ignore: nothing opened."""


class DatabaseMissing(CorpusError):
    pass


class DatabaseLocked(CorpusError):
    pass


class NewerSchema(CorpusError):
    pass


class NoDocuments(CorpusError):
    pass


class DocumentNotFound(CorpusError):
    pass


class InvalidSpan(CorpusError):
    pass


class InvalidValue(CorpusError):
    pass
