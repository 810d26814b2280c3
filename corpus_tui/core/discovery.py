"""Find the documents of a corpus folder.

Recursive; hidden files and folders are skipped, and so are the corpus database
and its -wal/-shm/-journal files. Symlinks are followed only while they stay
inside the folder, and a folder reached twice (a loop) is walked once.
Patterns match case-insensitively: a pattern with a '/' is matched against the
relative POSIX path, one without against the file name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

DEFAULT_INCLUDE: tuple[str, ...] = ("*.txt", "*.md", "*.markdown")
DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class FoundFile:
    path: str  # relative, POSIX separators
    size: int
    mtime_ns: int


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
    skipped = set()
    if database is not None:
        real_db = os.path.realpath(database)
        skipped = {real_db + suffix for suffix in DATABASE_SUFFIXES}
    visited_dirs = {root}
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
                if entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if not _inside(target, root):
                        continue
                    is_dir = os.path.isdir(target)
                else:
                    target = entry.path
                    is_dir = entry.is_dir(follow_symlinks=False)
                if is_dir:
                    real = os.path.realpath(target)
                    if real not in visited_dirs:
                        visited_dirs.add(real)
                        stack.append((entry.path, rel + "/"))
                    continue
                if not _matches(rel, include) or (exclude and _matches(rel, exclude)):
                    continue
                if os.path.realpath(entry.path) in skipped:
                    continue
                stat = entry.stat(follow_symlinks=True)
            except OSError:
                continue  # vanished between listing and stat, or a dangling link
            yield FoundFile(rel, stat.st_size, stat.st_mtime_ns)
