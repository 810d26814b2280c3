"""Errors a user can meet. Each carries a one-line message fit to print as is."""

from __future__ import annotations

import os


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


class ChangedElsewhere(CorpusError):
    """What a change was asked for on was changed by another process since the caller read it."""


class DamagedWorkFile(CorpusError):
    """A file of ``apply --dedup``'s work folder is not whole (a disk fault, or a crash of the
    system before it reached the disk): the message names it and says how to go on."""


def damaged_work_file(path: str | os.PathLike[str], what: str) -> DamagedWorkFile:
    """The error for a damaged work file: everything in that folder can be made again."""
    folder = os.path.dirname(os.fspath(path))
    return DamagedWorkFile(f"{path}: {what}: --dedup makes every file of its work folder again, so remove "
                           f"{folder} and run again (the partitions already written are kept)")
