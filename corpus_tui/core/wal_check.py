"""Is the database's write-ahead log intact? SQLite cannot say: it silently
ignores a WAL whose header is damaged, and every frame after a damaged one,
so committed changes vanish without an error. This reads the WAL the way
SQLite's recovery does (https://www.sqlite.org/fileformat2.html#walformat)
and says what SQLite would ignore.

Run it in its own process (``wal_problems``): closing a file descriptor of the
-wal drops every POSIX lock the process holds on it, including those of its
open SQLite connections. The module imports only the standard library so the
child starts in a few milliseconds: ``python -I -S wal_check.py DB``.

The same child sets a damaged WAL aside (``set_aside_wal``) once the analyst
accepts the loss, and only when no process has the database open.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from array import array

WAL_MAGIC = (0x377F0682, 0x377F0683)  # checksums little- / big-endian
WAL_VERSION = 3007000
HEADER_BYTES = 32
FRAME_HEADER_BYTES = 24
CHILD_TIMEOUT = 600.0
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
                    "transaction(s) after it, which are missing from the database"
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


def in_use(db_path: str) -> bool | None:
    """Has any process the database open? None when it cannot be told (no POSIX locks).

    Tries SQLite's own test: a connection that cannot take the dead-man-switch
    byte of the -shm exclusively is not the only one. Only in a child process."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fd = os.open(db_path + "-shm", os.O_RDWR)
    except FileNotFoundError:
        return False  # SQLite makes the -shm on open: no -shm, no connection
    except OSError:
        return None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SHM_DMS_BYTE, os.SEEK_SET)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, SHM_DMS_BYTE, os.SEEK_SET)
        return False
    finally:
        os.close(fd)


def set_aside(db_path: str, suffix: str) -> dict:
    """Rename ``DB-wal`` to ``DB-wal`` + suffix when no process has the database open."""
    busy = in_use(db_path)
    if busy is not False:
        reason = "another process has the database open" if busy else "cannot tell whether another process has it open"
        return {"moved": None, "problem": f"not set aside: {reason}"}
    target = db_path + "-wal" + suffix
    os.rename(db_path + "-wal", target)
    return {"moved": target, "problem": None}


def wal_problems(db_path: str | os.PathLike[str]) -> dict:
    """``inspect_wal`` in a child process, so no descriptor of the -wal is ever
    closed in a process that may have SQLite connections to the database."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", os.path.abspath(__file__), os.fspath(db_path)],
        capture_output=True, text=True, timeout=CHILD_TIMEOUT,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {"wal_bytes": 0, "frames": 0, "commits": 0, "problems": [f"the WAL could not be read: {reason}"]}
    return json.loads(result.stdout)


def set_aside_wal(db_path: str | os.PathLike[str], suffix: str) -> dict:
    """``set_aside`` in a child process: {"moved": new path or None, "problem": why not or None}.
    Call it with no connection to the database open in this process."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", os.path.abspath(__file__), "--set-aside", os.fspath(db_path), suffix],
        capture_output=True, text=True, timeout=CHILD_TIMEOUT,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {"moved": None, "problem": f"not set aside: {reason}"}
    return json.loads(result.stdout)


if __name__ == "__main__":
    try:
        if sys.argv[1] == "--set-aside":
            print(json.dumps(set_aside(sys.argv[2], sys.argv[3])))
        else:
            print(json.dumps(inspect_wal(sys.argv[1])))
    except OSError as error:
        print(f"{error.filename}: {error.strerror}", file=sys.stderr)
        sys.exit(1)
