"""Faults in the database itself, through the real command line.

Each fault is made for real: a full disk (a small tmpfs), a read-only folder (a
tmpfs remounted read-only) and a read-only database file (a read-only bind
mount: as root, chmod stops nothing), a text file, another application's SQLite
file, a corpus database cut at half its size, a write-ahead log with a garbage
header that holds acknowledged actions (written by a child process killed with
SIGKILL, so nothing checkpointed it), and a schema newer than this corpus-tui.

Then ``scan``, ``stats``, ``tags add``, ``export``, ``import-tags`` and ``check``
run as a user runs them. The contract: a non-zero exit, exactly one line on
stderr naming the file and what is wrong, no traceback, and the database's bytes
as they were wherever the command must not write. ``check`` prints one line per
problem (``PATH: problem``) on stdout and exits 1, or ``ok: ...`` and 0.
(Export and import meeting a full or read-only disk for their own files are in
test_fault_injection_io.py.)
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from corpus_tui.core import Corpus, CorpusError

from conftest import copy_seeds

DB = "annotations.db"
FIRST = "000_017fdcef885307d4.txt"


def run(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "corpus_tui", *[str(a) for a in args]], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def one_line_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Non-zero, no traceback, exactly one stderr line holding every needle."""
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def check_problems(result: subprocess.CompletedProcess, *needles: str) -> list[str]:
    """``check``: exit 1, one ``PATH: problem`` line per problem, the needles in one of them."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(": " in line and not line.startswith(" ") for line in lines), result.stdout
    assert any(all(needle in line for needle in needles) for line in lines), result.stdout
    return lines


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def files_state(folder: Path) -> dict[str, str | None]:
    """The database and its -wal/-shm/-journal: which exist, with what bytes."""
    return {suffix: digest(folder / f"{DB}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")}


def tags_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tags.csv"
    path.write_text(f"path,tag\n{FIRST},imported\n", encoding="utf-8")
    return path


# Each command as a user types it: (name, args builder(folder, tmp_path), writes?)
COMMANDS: dict[str, Callable[[Path, Path], list[object]]] = {
    "scan": lambda folder, tmp: ["scan", folder],
    "stats": lambda folder, tmp: ["stats", folder],
    "tags add": lambda folder, tmp: ["tags", "add", folder, "new-tag"],
    "export": lambda folder, tmp: ["export", folder, "-o", tmp / "out.jsonl"],
    "import-tags": lambda folder, tmp: ["import-tags", folder, tags_csv(tmp), "--create-tags"],
}
WRITING = ("scan", "tags add", "import-tags")


def scanned_seeds(tmp_path: Path, name: str = "seeds") -> Path:
    folder = tmp_path / name
    copy_seeds(folder)
    with Corpus.open(folder, annotator="tester") as corpus:
        corpus.scan()
        corpus.add_annotation(1, 0, 5, "KEPT")
        corpus.add_tag(2, "kept")
    return folder


def checkpointed(folder: Path) -> None:
    """Everything in the database file, no -wal or -shm left (as after a clean close)."""
    conn = sqlite3.connect(folder / DB)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        (folder / f"{DB}{suffix}").unlink(missing_ok=True)


# -- databases that are not ours, not whole, or too new: refused, never changed --------


def _not_a_database(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    (folder / DB).write_text("these are my notes, not a database\n", encoding="utf-8")
    return folder


def _foreign(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    conn = sqlite3.connect(folder / DB)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer TEXT, total REAL)")
    conn.execute("INSERT INTO invoices (customer, total) VALUES ('ACME', 12.5)")
    conn.commit()
    conn.close()
    return folder


def _truncated(tmp_path: Path) -> Path:
    folder = scanned_seeds(tmp_path)
    checkpointed(folder)
    size = (folder / DB).stat().st_size
    os.truncate(folder / DB, size // 2)
    return folder


def _newer(tmp_path: Path) -> Path:
    folder = scanned_seeds(tmp_path)
    conn = sqlite3.connect(folder / DB)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    checkpointed(folder)
    return folder


REFUSED = {
    # fault: (make it, words the error line must hold)
    "not a database": (_not_a_database, ("not an SQLite database",)),
    "foreign SQLite file": (_foreign, ("another application", "invoices")),
    "truncated database": (_truncated, ("damaged",)),
    "newer schema": (_newer, ("newer", "99")),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("fault", list(REFUSED))
def test_a_database_it_cannot_use_is_one_line_and_left_unchanged(tmp_path: Path, fault: str, command: str):
    make, words = REFUSED[fault]
    folder = make(tmp_path)
    before = files_state(folder)
    line = one_line_error(run(*COMMANDS[command](folder, tmp_path)), *words)
    assert str(folder / DB) in line
    assert files_state(folder) == before
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("fault", list(REFUSED))
def test_check_names_the_database_it_cannot_use_and_changes_nothing(tmp_path: Path, fault: str):
    make, words = REFUSED[fault]
    folder = make(tmp_path)
    before = files_state(folder)
    check_problems(run("check", folder), str(folder / DB), *words)
    assert files_state(folder) == before


# -- a damaged write-ahead log holding acknowledged actions -----------------------------

ACKED_WRITER = """
import os, signal, sys
from corpus_tui import Corpus
corpus = Corpus.open(sys.argv[1], annotator="writer")
corpus.add_annotation(1, 0, 5, "ACKED")
corpus.add_tag(2, "acked-tag")
print("acked", flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint: the actions live only in the WAL
"""


def damaged_wal(tmp_path: Path) -> Path:
    """A corpus whose WAL holds two acknowledged actions and then gets a garbage header
    (a plain write, while no process has the database open)."""
    folder = scanned_seeds(tmp_path)
    checkpointed(folder)
    writer = subprocess.run([sys.executable, "-c", ACKED_WRITER, str(folder)], capture_output=True, text=True,
                            timeout=60)
    assert writer.returncode == -signal.SIGKILL and writer.stdout.strip() == "acked", writer.stderr
    wal = folder / f"{DB}-wal"
    assert wal.stat().st_size > 32
    with wal.open("r+b") as handle:  # no SQLite connection is open anywhere: nothing to unlock
        handle.write(b"not a WAL header, just garbage!!")
    return folder


def test_check_reports_a_damaged_wal(tmp_path: Path):
    folder = damaged_wal(tmp_path)
    check_problems(run("check", folder), f"{folder / DB}-wal", "damaged")


def test_check_finds_nothing_wrong_with_a_wal_a_kill_left_behind(tmp_path: Path):
    """The same kill, no damage: the WAL is whole, the next open replays it."""
    folder = scanned_seeds(tmp_path)
    checkpointed(folder)
    subprocess.run([sys.executable, "-c", ACKED_WRITER, str(folder)], capture_output=True, timeout=60)
    assert (folder / f"{DB}-wal").stat().st_size > 32
    result = run("check", folder)
    assert result.returncode == 0 and result.stdout.startswith("ok: "), (result.stdout, result.stderr)
    conn = sqlite3.connect(folder / DB)
    assert conn.execute("SELECT COUNT(*) FROM spans WHERE label = 'ACKED'").fetchone() == (1,)


def test_check_leaves_a_damaged_wal_as_it_found_it(tmp_path: Path):
    folder = damaged_wal(tmp_path)
    before = files_state(folder)
    run("check", folder)
    assert files_state(folder)["-wal"] == before["-wal"]
    check_problems(run("check", folder), f"{folder / DB}-wal", "damaged")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_damaged_wal_is_one_line_and_left_for_check(tmp_path: Path, command: str):
    folder = damaged_wal(tmp_path)
    before = files_state(folder)
    one_line_error(run(*COMMANDS[command](folder, tmp_path)), f"{folder / DB}-wal", "corpus-tui check",
                   "--set-aside-wal")
    assert files_state(folder)["-wal"] == before["-wal"]


def test_set_aside_wal_keeps_the_damaged_log_and_lets_the_corpus_be_used_again(tmp_path: Path):
    folder = damaged_wal(tmp_path)
    damaged = (folder / f"{DB}-wal").read_bytes()
    result = run("check", folder, "--set-aside-wal")
    assert result.returncode == 0 and result.stdout.startswith("ok: "), (result.stdout, result.stderr)
    (kept,) = folder.glob(f"{DB}-wal.damaged-*")
    assert kept.read_bytes() == damaged and f"kept as {kept}" in result.stdout
    assert "the 0 commits SQLite could read" in result.stdout  # the header is gone: nothing was readable
    assert run("tags", "add", folder, "after-set-aside").returncode == 0
    assert run("check", folder).returncode == 0


MANY_COMMITS_WRITER = """
import os, signal, sys
from corpus_tui import Corpus
corpus = Corpus.open(sys.argv[1], annotator="writer")
for i in range(6):
    corpus.add_tag(1 + i % 5, f"commit-{i}")
print("acked", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _commit_frames(wal: Path) -> tuple[int, list[int]]:
    """(frame size, 0-based indexes of the commit frames) of a WAL, from its headers."""
    data = wal.read_bytes()
    page_size = int.from_bytes(data[8:12], "big")
    frame = 24 + page_size
    count = (len(data) - 32) // frame
    commits = [i for i in range(count) if int.from_bytes(data[32 + i * frame + 4 : 32 + i * frame + 8], "big")]
    return frame, commits


def test_set_aside_wal_keeps_every_commit_before_a_damaged_frame(tmp_path: Path):
    """Damage in the middle of the log: SQLite still reads the commits before it, and going on
    must keep them, not throw the whole log away."""
    folder = scanned_seeds(tmp_path)
    checkpointed(folder)
    writer = subprocess.run([sys.executable, "-c", MANY_COMMITS_WRITER, str(folder)], capture_output=True,
                            text=True, timeout=60)
    assert writer.returncode == -signal.SIGKILL, writer.stderr
    wal = folder / f"{DB}-wal"
    frame, commits = _commit_frames(wal)
    assert len(commits) == 6
    damaged_at = commits[2] + 1  # the first frame of the fourth commit
    with wal.open("r+b") as handle:  # no SQLite connection is open anywhere
        handle.seek(32 + damaged_at * frame + 24 + 100)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    check_problems(run("check", folder), f"{wal}", f"WAL frame {damaged_at + 1} is damaged", "3 committed")
    result = run("check", folder, "--set-aside-wal")
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "the 3 commits SQLite could read from it (those before the damage) are in the database" in result.stdout
    listed = run("tags", "list", folder).stdout
    assert [f"commit-{i}" in listed for i in range(6)] == [True, True, True, False, False, False], listed
    assert wal.stat().st_size == 0 if wal.exists() else True


def test_set_aside_wal_refuses_while_another_process_has_the_corpus_open(tmp_path: Path):
    folder = damaged_wal(tmp_path)
    before = files_state(folder)
    holder = subprocess.Popen(  # a reader that never writes: it keeps the database open, nothing more
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT COUNT(*) FROM documents').fetchone(); print('open', flush=True); sys.stdin.read()",
         str(folder / DB)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        result = run("check", folder, "--set-aside-wal")
        check_problems(result, f"{folder / DB}-wal", "another process has the database open")
        assert not list(folder.glob(f"{DB}-wal.damaged-*"))
        assert files_state(folder)["-wal"] == before["-wal"]
    finally:
        holder.communicate("")


def test_set_aside_wal_with_a_whole_log_moves_nothing(tmp_path: Path):
    folder = scanned_seeds(tmp_path)
    result = run("check", folder, "--set-aside-wal")
    assert result.returncode == 0 and "not damaged, nothing set aside" in result.stdout
    assert not list(folder.glob(f"{DB}-wal.damaged-*"))


# -- read-only folder and read-only database file (mounts: root only) ---------------------


def _mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("read-only and full disks are made with mounts, which need root")
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here (mount {' '.join(args)}): {result.stderr.strip()}")


def _umount(where: Path) -> None:
    if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)  # busy: detach it anyway


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``tmpfs("1m")`` mounts a fresh tmpfs of that size; all are unmounted afterwards."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"tmpfs{len(mounted)}"
        where.mkdir()
        _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        _umount(where)


@pytest.fixture
def read_only_file() -> Iterator[Callable[[Path], None]]:
    """Bind-mount a file read-only over itself (chmod does not stop root)."""
    mounted: list[Path] = []

    def protect(path: Path) -> None:
        _mount("--bind", str(path), str(path))
        mounted.append(path)
        _mount("-o", "remount,bind,ro", str(path))

    yield protect
    for path in reversed(mounted):
        _umount(path)


def read_only_folder(tmpfs: Callable[[str], Path]) -> Path:
    disk = tmpfs("2m")
    folder = scanned_seeds(disk)
    checkpointed(folder)
    _mount("-o", "remount,ro", str(disk))
    return folder


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_read_only_folder_is_one_line_suggesting_db(tmp_path: Path, tmpfs, command: str):
    folder = read_only_folder(tmpfs)
    before = files_state(folder)
    line = one_line_error(run(*COMMANDS[command](folder, tmp_path)), str(folder / DB), "read-only", "--db")
    assert "Traceback" not in line
    assert files_state(folder) == before


def test_check_on_a_read_only_folder(tmp_path: Path, tmpfs):
    folder = read_only_folder(tmpfs)
    check_problems(run("check", folder), str(folder / DB), "read-only")


def test_a_first_scan_of_a_read_only_folder_works_with_db_elsewhere(tmp_path: Path, tmpfs):
    disk = tmpfs("1m")
    folder = disk / "seeds"
    copy_seeds(folder)
    _mount("-o", "remount,ro", str(disk))
    one_line_error(run("scan", folder), "read-only", "--db")
    elsewhere = tmp_path / "elsewhere.db"
    assert run("scan", folder, "--db", elsewhere).returncode == 0
    assert run("check", folder, "--db", elsewhere).stdout.startswith("ok: ")
    assert not (folder / DB).exists()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_read_only_database_file_refuses_writes_and_serves_reads(tmp_path: Path, read_only_file, command: str):
    folder = scanned_seeds(tmp_path)
    checkpointed(folder)
    before = digest(folder / DB)
    read_only_file(folder / DB)
    result = run(*COMMANDS[command](folder, tmp_path))
    if command in WRITING:
        one_line_error(result, str(folder / DB), "read-only")
    else:
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert digest(folder / DB) == before


def test_check_on_a_read_only_database_file_does_not_call_it_unreadable(tmp_path: Path, read_only_file):
    folder = scanned_seeds(tmp_path)
    checkpointed(folder)
    read_only_file(folder / DB)
    result = run("check", folder)
    assert "Traceback" not in result.stdout + result.stderr
    assert "cannot be read" not in result.stdout, result.stdout
    assert result.returncode == 0 or "read-only" in result.stdout, result.stdout


# -- a full disk (a small tmpfs) ---------------------------------------------------------------


def fill(disk: Path, leave: int = 0) -> Path:
    """Write a filler file until only ``leave`` bytes are free on ``disk``."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        chunk = b"\0" * 4096
        while True:
            free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
            if free <= leave:
                break
            os.write(fd, chunk[: max(1, min(len(chunk), free - leave))])
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(fd)
    return filler


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


# Room left on the disk: the schema does not fit, or it does and the first batch does not.
FIRST_SCAN_ROOM = {
    "creating the schema": 64 * 1024,
    "writing the first batch": 300 * 1024,
}


@pytest.mark.parametrize("room", FIRST_SCAN_ROOM.values(), ids=FIRST_SCAN_ROOM.keys())
def test_a_full_disk_during_a_first_scan_is_one_line(tmp_path: Path, tmpfs, room: int):
    disk = tmpfs("1m")
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    fill(disk, leave=room)
    db = disk / DB
    one_line_error(run("scan", folder, "--db", db), str(db), "full")


@pytest.mark.parametrize("room", [64 * 1024, 300 * 1024], ids=["creating the schema", "writing the first batch"])
def test_a_full_disk_during_a_first_scan_leaves_a_database_the_next_scan_completes(tmp_path: Path, tmpfs,
                                                                                   room: int):
    disk = tmpfs("1m")
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    filler = fill(disk, leave=room)
    db = disk / DB
    failed = run("scan", folder, "--db", db)
    assert failed.returncode != 0 and "Traceback" not in failed.stderr, failed.stderr
    assert "full" in failed.stderr
    if db.exists():
        assert integrity(db) == "ok"
    filler.unlink()
    done = run("scan", folder, "--db", db, "--json")
    assert done.returncode == 0, done.stderr
    checked = run("check", folder, "--db", db)
    assert checked.returncode == 0 and checked.stdout.startswith("ok: "), checked.stdout
    assert "5 documents" in checked.stdout


def test_a_full_disk_during_library_writes_loses_nothing_acknowledged(tmp_path: Path, tmpfs):
    disk = tmpfs("1m")
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    db = disk / DB
    assert run("scan", folder, "--db", db).returncode == 0
    corpus = Corpus.open(folder, db=db, annotator="tester")
    acked = []
    try:
        corpus.add_annotation(1, 0, 5, "BEFORE")
        acked.append("BEFORE")
        filler = fill(disk)
        errors = []
        for i in range(200):  # until the disk refuses (the WAL may have room for a few)
            try:
                corpus.add_annotation(1 + i % 5, 0, 5, f"L{i}")
                acked.append(f"L{i}")
            except CorpusError as error:
                errors.append(str(error))
                break
        assert errors, "the full disk never refused a write"
        assert str(db) in errors[0] and "full" in errors[0], errors[0]
        for write in (lambda: corpus.add_tag(2, "t"), lambda: corpus.set_status(3, "reviewed"),
                      lambda: corpus.mark_boilerplate(4, 0, 9)):
            with pytest.raises(CorpusError, match="full"):
                write()
        one_line_error(run("tags", "add", folder, "new-tag", "--db", db), str(db), "full")
        one_line_error(run("import-tags", folder, tags_csv(tmp_path), "--create-tags", "--db", db), str(db), "full")
        filler.unlink()
        corpus.add_annotation(1, 0, 5, "AFTER")  # space again: the same connection writes
        acked.append("AFTER")
    finally:
        corpus.close()
    assert integrity(db) == "ok"
    conn = sqlite3.connect(db)
    labels = {row[0] for row in conn.execute("SELECT label FROM spans")}
    assert set(acked) <= labels
    assert conn.execute("SELECT COUNT(*) FROM tags").fetchone() == (0,)  # nothing of the refused writes
    assert conn.execute("SELECT COUNT(*) FROM imports").fetchone() == (0,)
    conn.close()


def test_opening_a_corpus_on_a_full_disk_says_the_disk_is_full(tmp_path: Path, tmpfs):
    disk = tmpfs("1m")
    folder = tmp_path / "seeds"
    copy_seeds(folder)
    db = disk / DB
    assert run("scan", folder, "--db", db).returncode == 0
    fill(disk)
    one_line_error(run("stats", folder, "--db", db), str(db), "full")
