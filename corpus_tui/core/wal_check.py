"""Is the database's write-ahead log intact? SQLite cannot say: it silently
ignores a WAL whose header is damaged, and every frame after a damaged one,
so committed changes vanish without an error. This reads the WAL the way
SQLite's recovery does (https://www.sqlite.org/fileformat2.html#walformat)
and says what SQLite would ignore.

Run it in its own process (``wal_problems``): closing a file descriptor of the
-wal drops every POSIX lock the process holds on it, including those of its
open SQLite connections. The module imports only the standard library so the
child starts in a few milliseconds: ``python -I -S wal_check.py DB``.

The same child keeps a byte-for-byte copy of a damaged WAL (``keep_wal_copy``)
once the analyst accepts the loss, and only while no process has the database open.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager

WAL_MAGIC = (0x377F0682, 0x377F0683)  # checksums little- / big-endian
WAL_VERSION = 3007000
HEADER_BYTES = 32
FRAME_HEADER_BYTES = 24
CHILD_TIMEOUT = 600.0
RECHECK_SECONDS = 0.05
# SQLite's unix VFS: every open connection holds a shared lock on this byte of
# the -shm file (the "dead man switch", UNIX_SHM_DMS = (22 + 8) * 4 + 8).
SHM_DMS_BYTE = 128


def _checksum(data: bytes, big_endian: bool, s1: int, s2: int) -> tuple[int, int]:
    """SQLite's WAL checksum (walChecksumBytes) over ``data``, continuing from (s1, s2)."""
    words = array("I", data)
    if (sys.byteorder == "big") != big_endian:
        words.byteswap()
    pairs = iter(words)
    for x0, x1 in zip(pairs, pairs):
        s1 = (s1 + x0 + s2) & 0xFFFFFFFF
        s2 = (s2 + x1 + s1) & 0xFFFFFFFF
    return s1, s2


def inspect_wal(db_path: str) -> dict:
    """What SQLite's recovery would make of ``DB-wal``: counts and problems (strings)."""
    wal_path = db_path + "-wal"
    report: dict = {"wal_bytes": 0, "frames": 0, "commits": 0, "problems": []}
    try:
        size = os.path.getsize(wal_path)
    except OSError:
        return report  # no WAL: everything is in the database file
    report["wal_bytes"] = size
    if size == 0:
        return report
    with open(wal_path, "rb") as wal:
        header = wal.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES:
            report["problems"].append(f"the WAL is shorter than its header ({size} bytes): SQLite ignores it")
            return report
        magic, version, page_size, _, salt1, salt2, check1, check2 = struct.unpack(">8I", header)
        if magic not in WAL_MAGIC or version != WAL_VERSION or not _valid_page_size(page_size):
            report["problems"].append(
                f"the WAL header is damaged: SQLite ignores the whole WAL ({size:,} bytes), "
                "so changes committed since the last checkpoint are missing from the database"
            )
            return report
        big_endian = bool(magic & 1)
        sums = _checksum(header[:24], big_endian, 0, 0)
        if sums != (check1, check2):
            report["problems"].append(
                f"the WAL header checksum is wrong: SQLite ignores the whole WAL ({size:,} bytes), "
                "so changes committed since the last checkpoint are missing from the database"
            )
            return report
        _walk_frames(wal, report, page_size, (salt1, salt2), big_endian, sums)
    return report


def _valid_page_size(size: int) -> bool:
    return 512 <= size <= 65536 and size & (size - 1) == 0


def _walk_frames(wal, report: dict, page_size: int, salts: tuple[int, int], big_endian: bool,  # type: ignore[no-untyped-def]
                 sums: tuple[int, int]) -> None:
    """Frames are valid while their salts match the header and their checksums chain."""
    frame_bytes = FRAME_HEADER_BYTES + page_size
    index = 0
    while True:
        frame = wal.read(frame_bytes)
        if len(frame) < frame_bytes:
            return  # end of the log (a torn last frame is an uncommitted transaction)
        index += 1
        _, commit_size, salt1, salt2, check1, check2 = struct.unpack(">6I", frame[:FRAME_HEADER_BYTES])
        if (salt1, salt2) != salts:
            return  # a frame of an earlier generation of the log: the normal end
        sums = _checksum(frame[:8], big_endian, *sums)
        sums = _checksum(frame[FRAME_HEADER_BYTES:], big_endian, *sums)
        if sums != (check1, check2):
            lost = _later_commits(wal, frame_bytes, salts)
            if lost:
                report["problems"].append(
                    f"WAL frame {index} is damaged: SQLite ignores it and {lost} committed "
                    f"transaction{'' if lost == 1 else 's'} after it, which are missing from the database"
                )
            return
        report["frames"] = index
        if commit_size:
            report["commits"] += 1


def _later_commits(wal, frame_bytes: int, salts: tuple[int, int]) -> int:  # type: ignore[no-untyped-def]
    """Commit frames of this generation after a damaged frame: lost transactions
    (a damaged frame with none after it is just a write a crash cut short)."""
    commits = 0
    while True:
        frame = wal.read(frame_bytes)
        if len(frame) < frame_bytes:
            return commits
        _, commit_size, salt1, salt2 = struct.unpack(">4I", frame[:16])
        if (salt1, salt2) != salts:
            return commits
        commits += 1 if commit_size else 0


@contextmanager
def _sole_user(db_path: str) -> Iterator[bool | None]:
    """Hold SQLite's own "first connection" lock while the block runs: True when no other
    process has the database open (and none can open it meanwhile), False when one has,
    None when it cannot be told (no POSIX locks, an -shm it may not write).

    Every open connection holds a shared lock on the dead-man-switch byte of the
    -shm; taking it exclusively is how SQLite knows it is the first. Only in a
    child process: closing the descriptor drops the process's locks on the file."""
    try:
        import fcntl
    except ImportError:
        yield None
        return
    try:
        fd = os.open(db_path + "-shm", os.O_RDWR)
    except FileNotFoundError:
        yield True  # SQLite makes the -shm on open: no -shm, no connection
        return
    except OSError:
        yield None
        return
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_BYTE, os.SEEK_SET)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, SHM_DMS_BYTE, os.SEEK_SET)
    finally:
        os.close(fd)


def inspect_if_idle(db_path: str) -> dict:
    """``inspect_wal`` unless another process has the database open.

    Only the first connection's recovery reads the log and silently drops what is
    damaged; while another process has the database open, its index of the log
    stands and opening changes nothing. So the (possibly long) walk is skipped."""
    with _sole_user(db_path) as sole:
        if sole is False:
            return {"wal_bytes": 0, "frames": 0, "commits": 0, "problems": [], "in_use": True}
        return inspect_wal(db_path)


def keep_copy(db_path: str, suffix: str) -> dict:
    """Copy ``DB-wal`` to ``DB-wal`` + suffix, byte for byte, while no process has the
    database open (and none can open it until the copy is done)."""
    with _sole_user(db_path) as sole:
        if sole is not True:
            reason = ("another process has the database open" if sole is False
                      else "cannot tell whether another process has it open")
            return {"copy": None, "problem": f"not set aside: {reason}"}
        target = db_path + "-wal" + suffix
        with open(db_path + "-wal", "rb") as source, open(target, "xb") as copy:
            shutil.copyfileobj(source, copy, 1 << 20)
            copy.flush()
            os.fsync(copy.fileno())
        return {"copy": target, "problem": None}


def _child(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", "-S", os.path.abspath(__file__), *args],
        capture_output=True, text=True, timeout=CHILD_TIMEOUT,
    )


def _failure(result: subprocess.CompletedProcess) -> str:
    return (result.stderr.strip().splitlines() or ["no output"])[-1]


def wal_problems(db_path: str | os.PathLike[str], if_idle: bool = False) -> dict:
    """``inspect_wal`` (or, ``if_idle``, ``inspect_if_idle``) in a child process, so no
    descriptor of the -wal is ever closed in a process that may have SQLite connections
    to the database. A log it could not read says so with ``"unreadable": True``."""
    result = _child(*(["--if-idle"] if if_idle else []), os.fspath(db_path))
    if result.returncode != 0:
        return {"wal_bytes": 0, "frames": 0, "commits": 0, "unreadable": True,
                "problems": [f"the WAL could not be read: {_failure(result)}"]}
    return json.loads(result.stdout)


def confirmed_wal_problems(db_path: str | os.PathLike[str], if_idle: bool = False) -> dict:
    """``wal_problems``, read twice when the first read finds any: a log that another
    process is writing can look torn for an instant (a frame half written, with a
    commit after it), a damaged one stays damaged."""
    report = wal_problems(db_path, if_idle)
    if report["problems"]:
        time.sleep(RECHECK_SECONDS)
        report = wal_problems(db_path, if_idle)
    return report


def keep_wal_copy(db_path: str | os.PathLike[str], suffix: str) -> dict:
    """``keep_copy`` in a child process: {"copy": its path or None, "problem": why not or None}."""
    result = _child("--keep-copy", os.fspath(db_path), suffix)
    if result.returncode != 0:
        return {"copy": None, "problem": f"not set aside: {_failure(result)}"}
    return json.loads(result.stdout)


if __name__ == "__main__":
    try:
        if sys.argv[1] == "--keep-copy":
            print(json.dumps(keep_copy(sys.argv[2], sys.argv[3])))
        elif sys.argv[1] == "--if-idle":
            print(json.dumps(inspect_if_idle(sys.argv[2])))
        else:
            print(json.dumps(inspect_wal(sys.argv[1])))
    except OSError as error:
        print(f"{error.filename}: {error.strerror}", file=sys.stderr)
        sys.exit(1)
