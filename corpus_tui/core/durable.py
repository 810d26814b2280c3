"""Renaming a finished file into place so that a crash of the whole system cannot leave a
file under its final name that is not whole.

``os.replace`` alone orders nothing on disk: after a power cut or a kernel crash, the rename
may have reached the disk and the data not (ext4 and XFS allocate a new file's blocks lazily),
leaving an empty or short file that a rerun takes for finished work. Flushing the file before
the rename, and its folder after, closes that window; it costs about a second a gigabyte here,
writing the kernel would do a little later anyway.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


def replace_durably(written: Path, target: Path) -> None:
    """``os.replace(written, target)`` once ``written``'s bytes are on disk, then the rename too."""
    flush_file(written)
    os.replace(written, target)
    flush_folder(target.parent)


def flush_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY if os.name == "posix" else os.O_RDWR)  # Windows flushes only writers
    try:
        _fsync(descriptor)
    finally:
        os.close(descriptor)


def flush_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); Windows has no descriptor for a folder."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        _fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync(descriptor: int) -> None:
    """``os.fsync``, where the file system can: some (FUSE, some network ones) cannot flush a
    folder, or at all, and say so with EINVAL or ENOTSUP; a real failure (EIO, ENOSPC) is raised."""
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
