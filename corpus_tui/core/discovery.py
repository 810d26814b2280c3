"""Find the documents of a corpus folder.

Recursive; hidden files and folders are skipped, and so are the corpus database
and its -wal/-shm/-journal files. Symlinks are followed only while they stay
inside the folder, and a folder reached twice (a loop) is walked once.
Patterns match case-insensitively: a pattern with a '/' is matched against the
relative POSIX path, one without against the file name.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from .os_errors import os_reason

DEFAULT_INCLUDE: tuple[str, ...] = ("*.txt", "*.md", "*.markdown")
DEFAULT_DB_NAME = "annotations.db"  # the corpus's database in its folder, unless --db names another
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class FoundFile:
    path: str  # relative, POSIX separators
    size: int
    mtime_ns: int
    name_problem: str | None = None  # set when the name cannot be stored as text


NAME_NOT_UTF8 = "file name is not valid UTF-8; rename the file to read it"


def _storable(rel: str) -> tuple[str, str | None]:
    """File names that are not valid UTF-8 cannot be stored or shown faithfully:
    keep an escaped form and say why the file cannot be used."""
    try:
        rel.encode("utf-8")
        return rel, None
    except UnicodeEncodeError:
        shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        return shown, NAME_NOT_UTF8


def is_scanned_name(rel_path: str) -> bool:
    """Whether a scan with the default patterns reads this path (relative to the corpus folder)."""
    return _matches(rel_path, DEFAULT_INCLUDE)


def _matches(rel_path: str, patterns: Iterable[str]) -> bool:
    name = rel_path.rsplit("/", 1)[-1].lower()
    lowered = rel_path.lower()
    for pattern in patterns:
        pattern = pattern.lower()
        if fnmatchcase(lowered if "/" in pattern else name, pattern):
            return True
    return False


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def corpus_file_stat(folder: Path | str, path: str, known: os.stat_result | None = None) -> os.stat_result | None:
    """The stat of a document's file when it is still one as ``discover`` finds them: a regular
    file (links followed) that is inside the folder; None otherwise (gone, now a folder, now a
    link that leaves the folder). ``known``: its ``os.stat`` already taken. A scan and an
    export's re-read took a file replaced by a folder for unchanged, and read (and exported) a
    private file a link had been put in its place to (a review)."""
    full = os.path.join(folder, path)
    try:
        info = known if known is not None else os.stat(full)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    if not _inside(os.path.realpath(full), os.path.realpath(folder)):
        return None
    return info


def cannot_tell(folder: Path, path: str) -> str | None:
    """Why a file the scan did not find cannot be said to be gone: the system refused to look
    (a folder without the permission to enter it), rather than said it is not there."""
    try:
        os.stat(os.path.join(folder, path))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        return os_reason(error)
    return None


def discover(
    folder: Path,
    include: Iterable[str] = DEFAULT_INCLUDE,
    exclude: Iterable[str] = (),
    database: Path | None = None,
) -> Iterator[FoundFile]:
    """Yield the folder's documents (callers sort by path when order matters)."""
    include = tuple(include) or DEFAULT_INCLUDE
    exclude = tuple(exclude)
    root = os.path.realpath(folder)
    # The database files, by identity: a stat per file is already paid for,
    # a realpath per file (several lstat calls) is not.
    skipped: set[tuple[int, int]] = set()
    if database is not None:
        for suffix in DATABASE_SUFFIXES:
            try:
                info = os.stat(str(database) + suffix)
                skipped.add((info.st_dev, info.st_ino))
            except OSError:
                pass
    root_info = os.stat(root)
    visited_dirs = {(root_info.st_dev, root_info.st_ino)}
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue  # an unreadable sub-folder is not a document; nothing to record
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = prefix + entry.name
            try:
                if entry.is_symlink() and not _inside(os.path.realpath(entry.path), root):
                    continue  # links that leave the folder are not part of the corpus
                if entry.is_dir(follow_symlinks=True):
                    info = entry.stat(follow_symlinks=True)
                    if (info.st_dev, info.st_ino) not in visited_dirs:  # a loop is walked once
                        visited_dirs.add((info.st_dev, info.st_ino))
                        stack.append((entry.path, rel + "/"))
                    continue
                if not _matches(rel, include) or (exclude and _matches(rel, exclude)):
                    continue
                info = entry.stat(follow_symlinks=True)
            except OSError:
                continue  # vanished between listing and stat, or a dangling link
            if (info.st_dev, info.st_ino) in skipped:
                continue
            path, problem = _storable(rel)
            yield FoundFile(path, info.st_size, info.st_mtime_ns, problem)
