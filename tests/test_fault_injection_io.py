"""Faults from the operating system, through the real command line: a full disk, a
read-only disk, a full stdout, a file that cannot be read.

Each must end as the CLI's contract says: exactly one line on stderr naming the
file and the OS reason, a non-zero exit, no traceback, the previous output
byte for byte as it was, and no temporary file or folder left behind.

The full disk is a 256 KiB tmpfs mounted for the test (we run as root in CI);
where mounting is not possible the tests that need it are skipped, with why.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus_tui.core import Corpus

DOCUMENTS = 60
LEAVE_FREE = 8192  # bytes left on the "full" disk: every export starts writing, then runs out


def run(*args: object, stdin: object = None, stdout: object = subprocess.PIPE, unbuffered: bool = False,
        close_stdin: bool = False) -> subprocess.CompletedProcess:
    """The installed command line, as a user runs it (``python -m corpus_tui``);
    ``unbuffered``: as ``python -u`` (then stdout's bytes go straight to the raw file);
    ``close_stdin``: as ``<&-`` in a shell."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-m", "corpus_tui", *[str(a) for a in args]],
        stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, timeout=120,
        env={**env, "PYTHONWARNINGS": "ignore", **({"PYTHONUNBUFFERED": "1"} if unbuffered else {})},
        preexec_fn=(lambda: os.close(0)) if close_stdin else None,
    )


def one_line_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("corpus-tui: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with the sha256 of its bytes ("dir" for a folder)."""
    return {
        str(p.relative_to(root)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
    }


# -- a corpus, and disks that fail -------------------------------------------------------------------


def _write_corpus(folder: Path, count: int, size: int, notes: bool = False) -> Corpus:
    """``count`` documents of ``size`` characters of hard-to-compress text, some annotated;
    with ``notes`` each has a note, so that the csv export (no text) is big too."""
    rng = random.Random(count)
    folder.mkdir(parents=True)
    for n in range(count):
        words = []
        while sum(len(w) + 1 for w in words) < size:
            words.append("%08x" % rng.getrandbits(32))
        lines = [" ".join(words[i : i + 8]) for i in range(0, len(words), 8)]
        (folder / f"doc{n:04}.txt").write_text(f"Title {n}\n" + "\n".join(lines) + "\n", encoding="utf-8")
    corpus = Corpus.open(folder, annotator="tester")
    corpus.scan()
    if notes:
        for doc in corpus.documents():
            corpus.set_note(doc.id, " ".join("%08x" % rng.getrandbits(32) for _ in range(40)))
    for doc in corpus.documents()[:10]:
        corpus.add_annotation(doc.id, 0, 5, "TITLE", note="the title")
        corpus.mark_boilerplate(doc.id, 0, 6, reason="header")
        corpus.add_tag(doc.id, "early")
        corpus.set_status(doc.id, "reviewed")
    return corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Iterator[Corpus]:
    corpus = _write_corpus(tmp_path_factory.mktemp("fault") / "corpus", DOCUMENTS, 8000, notes=True)
    yield corpus
    corpus.close()


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Iterator[Corpus]:
    """More documents than one worker block (1,000), so ``-j 2`` really starts two workers."""
    corpus = _write_corpus(tmp_path_factory.mktemp("fault-big") / "corpus", 1010, 300)
    yield corpus
    corpus.close()


def _mount_tmpfs(where: Path, size: str = "256k") -> None:
    if os.geteuid() != 0:
        pytest.skip("a small tmpfs (the full disk) needs root to mount")
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], capture_output=True)


@pytest.fixture
def disk(tmp_path) -> Iterator[Path]:
    """A 256 KiB file system of its own, empty."""
    where = tmp_path / "disk"
    _mount_tmpfs(where)
    try:
        yield where
    finally:
        _umount(where)


def fill(disk: Path, leave: int = LEAVE_FREE) -> None:
    """Fill ``disk`` up to ``leave`` free bytes."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    with open(disk / "filler", "wb") as handle:
        handle.write(b"\0" * max(free - leave, 0))


def previous_export(corpus: Corpus, disk: Path, fmt: str, name: str) -> Path:
    """A small earlier export (the reviewed documents) on ``disk``: what a failed one must keep."""
    out = disk / name
    result = run("export", corpus.folder, "-f", fmt, "--status", "reviewed", "-o", out)
    assert result.returncode == 0, result.stderr
    return out


FORMATS = [("jsonl", "out.jsonl"), ("prodigy", "out.prodigy.jsonl"), ("doccano", "out.doccano.jsonl"),
           ("csv", "out.csv"), ("markdown", "md"), ("brat", "brat"), ("text", "txt"), ("parquet", "out.parquet")]


def _needs(fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow", reason="parquet export needs pyarrow")


# -- export onto a full disk -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, name", FORMATS)
def test_a_full_disk_is_one_line_and_the_previous_export_stays(corpus, disk, fmt, name):
    _needs(fmt)
    out = previous_export(corpus, disk, fmt, name)
    fill(disk)
    before = tree(disk)
    result = run("export", corpus.folder, "-f", fmt, "-o", out, "--force")
    one_line_error(result, f"{out}: no space left on device", f"(the previous {name} is unchanged)")
    assert result.stdout == b""
    assert tree(disk) == before  # the old export byte for byte, and no NAME.tmp-XXXX or NAME.old-XXXX


@pytest.mark.parametrize("fmt, name", [("jsonl", "new.jsonl"), ("markdown", "new-md")])
def test_a_full_disk_without_a_previous_export_leaves_nothing(corpus, disk, fmt, name):
    fill(disk)
    result = run("export", corpus.folder, "-f", fmt, "-o", disk / name)
    one_line_error(result, f"{disk / name}: no space left on device", "(nothing was written)")
    assert sorted(p.name for p in disk.iterdir()) == ["filler"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_worker_processes_meeting_a_full_disk(big_corpus, disk, fmt):
    """With ``-j 2`` the workers write into the output themselves (``os.pwrite``)."""
    out = previous_export(big_corpus, disk, fmt, f"out.{fmt}")
    fill(disk, leave=16 * 1024)  # the parent's header fits; the workers' blocks do not
    before = tree(disk)
    result = run("export", big_corpus.folder, "-f", fmt, "-j", "2", "-o", out, "--force")
    one_line_error(result, f"{out}: no space left on device", f"(the previous out.{fmt} is unchanged)")
    assert tree(disk) == before


def test_a_read_only_disk_is_one_line(corpus, disk):
    out = previous_export(corpus, disk, "jsonl", "out.jsonl")
    before = tree(disk)
    remounted = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True)
    if remounted.returncode != 0:
        pytest.skip(f"cannot remount the tmpfs read-only: {remounted.stderr.strip()}")
    result = run("export", corpus.folder, "-o", out, "--force")
    one_line_error(result, f"{out}: read-only file system", "(the previous out.jsonl is unchanged)")
    assert tree(disk) == before


def test_an_output_that_is_a_symlink_loop(corpus, tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    result = run("export", corpus.folder, "-o", tmp_path / "loop", "--force")
    one_line_error(result, f"{tmp_path / 'loop'}: cannot check it as the output")
    assert (tmp_path / "loop").is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["loop"]


# -- export to a stdout that cannot take it ----------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("unbuffered", [False, True])
def test_stdout_on_dev_full(big_corpus, jobs, unbuffered):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full:
        result = run("export", big_corpus.folder, "-j", jobs, stdout=full, unbuffered=unbuffered)
    one_line_error(result, "stdout: no space left on device")


@pytest.mark.parametrize("unbuffered", [False, True])
def test_stdout_redirected_to_a_file_on_a_full_disk(corpus, disk, unbuffered):
    """Unbuffered, the first write takes what fits and returns: the rest must not vanish silently."""
    fill(disk)
    with open(disk / "piped.jsonl", "wb") as piped:
        result = run("export", corpus.folder, "-f", "doccano", stdout=piped, unbuffered=unbuffered)
    one_line_error(result, "stdout: no space left on device")


def test_summary_on_a_full_stdout_after_a_good_export(corpus, tmp_path):
    """The export to a file worked; only printing its summary on stdout failed."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    out = tmp_path / "good.jsonl"
    with open("/dev/full", "wb") as full:
        result = run("export", corpus.folder, "-o", out, stdout=full)
    one_line_error(result, "stdout: no space left on device", str(out))
    assert out.read_bytes().count(b"\n") == DOCUMENTS


def test_import_summary_on_a_full_stdout(corpus, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    exported = tmp_path / "again.jsonl"
    assert run("export", corpus.folder, "--status", "reviewed", "-o", exported).returncode == 0
    with open("/dev/full", "wb") as full:
        result = run("import", corpus.folder, exported, stdout=full)
    one_line_error(result, "stdout: no space left on device", "the import is complete")


# -- import from a file that cannot be read ----------------------------------------------------------


def _database_state(corpus: Corpus) -> dict[str, list]:
    return {table: corpus.query(f"SELECT * FROM {table}") for table in
            ("document_tags", "tags", "spans", "events", "imports")}


@pytest.mark.parametrize("command", ["import", "import-tags"])
def test_import_from_a_stdin_that_cannot_be_read(corpus, tmp_path, command):
    """A stdin open for writing only: reading it fails (``EBADF``), as a failing disk would."""
    before = _database_state(corpus)
    descriptor = os.open(tmp_path / "write-only", os.O_WRONLY | os.O_CREAT)
    try:
        result = run(command, corpus.folder, "-", stdin=descriptor)
    finally:
        os.close(descriptor)
    one_line_error(result, "<stdin>: cannot read: bad file descriptor")
    assert _database_state(corpus) == before


@pytest.mark.parametrize("command", ["import", "import-tags"])
def test_import_of_a_file_that_fails_while_read(corpus, command):
    """/proc/self/mem opens, then its first read fails (``EIO``)."""
    before = _database_state(corpus)
    one_line_error(run(command, corpus.folder, "/proc/self/mem"), "/proc/self/mem: cannot read: input/output error")
    assert _database_state(corpus) == before


@pytest.mark.parametrize("command", ["import", "import-tags"])
def test_import_from_a_closed_stdin(corpus, command):
    """``corpus-tui import FOLDER - <&-``: Python has no ``sys.stdin`` at all then."""
    before = _database_state(corpus)
    one_line_error(run(command, corpus.folder, "-", close_stdin=True), "<stdin>: no standard input")
    assert _database_state(corpus) == before


@pytest.mark.parametrize("unbuffered", [False, True])
@pytest.mark.parametrize("command", [("scan",), ("stats",), ("stats", "--json"), ("tags", "list"), ("check",),
                                     ("tags", "add", "{folder}", "new-tag")])
def test_every_command_on_a_full_stdout_is_one_line(corpus, command, unbuffered):
    """Not only export and import: whatever a command prints, a stdout that cannot take it
    is one line (buffered, the failure comes when Python flushes at exit: not a traceback there)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    args = [str(corpus.folder) if a == "{folder}" else f"{a}-{unbuffered}" if a == "new-tag" else a for a in command]
    if "{folder}" not in command:
        args.append(str(corpus.folder))
    with open("/dev/full", "wb") as full:
        result = run(*args, stdout=full, unbuffered=unbuffered)
    one_line_error(result, "stdout: no space left on device")


def test_a_reader_that_stops_early_ends_the_command_quietly(corpus):
    """``corpus-tui tags list FOLDER | head -1`` with a long list: no traceback, no error line.
    (Click already ends quietly on a broken pipe while a command writes; this keeps it so.)"""
    with Corpus.open(corpus.folder) as writer:
        for i in range(3000):
            writer.create_tag(f"tag-{i:05}")
    command = [sys.executable, "-m", "corpus_tui", "tags", "list", str(corpus.folder)]
    listing = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert listing.stdout is not None and listing.stdout.readline()
    listing.stdout.close()  # as head does once it has its line
    stderr = listing.stderr.read().decode() if listing.stderr else ""
    listing.wait(60)
    assert "Traceback" not in stderr and "Exception ignored" not in stderr and stderr == "", stderr


@pytest.mark.parametrize("command", ["import", "import-tags"])
def test_import_of_a_file_it_may_not_read(corpus, command):
    unreadable = Path("/proc/sys/vm/drop_caches")  # write-only, even for root
    try:
        unreadable.open("rb").close()
    except PermissionError:
        pass
    except OSError as error:
        pytest.skip(f"{unreadable}: {error.strerror}, not EACCES")
    else:
        pytest.skip(f"{unreadable} is readable here")
    before = _database_state(corpus)
    one_line_error(run(command, corpus.folder, unreadable), str(unreadable), "cannot read: permission denied")
    assert _database_state(corpus) == before


@pytest.mark.parametrize("command", ["import", "import-tags"])
def test_import_of_a_folder(corpus, tmp_path, command):
    before = _database_state(corpus)
    one_line_error(run(command, corpus.folder, tmp_path), str(tmp_path), "is a folder")
    assert _database_state(corpus) == before


def test_the_final_flush_of_stdout_is_one_line_not_a_traceback_at_exit(monkeypatch):
    """What Python still buffers for stdout is flushed inside main, where a failure is
    StdoutFailed (one line), and a broken pipe stays a broken pipe (a quiet end)."""
    import errno

    from corpus_tui.cli_output import StdoutFailed, flush_stdout

    class Failing(io.StringIO):
        def __init__(self, error: OSError):
            super().__init__()
            self.error = error

        def flush(self) -> None:
            raise self.error

    monkeypatch.setattr(sys, "stdout", Failing(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(StdoutFailed) as failed:
        flush_stdout()
    assert failed.value.errno == errno.ENOSPC
    monkeypatch.setattr(sys, "stdout", Failing(BrokenPipeError(errno.EPIPE, "Broken pipe")))
    with pytest.raises(BrokenPipeError):
        flush_stdout()
    monkeypatch.setattr(sys, "stdout", None)  # started with >&-: nothing to flush
    flush_stdout()


def test_an_os_error_that_is_not_stdouts_is_not_blamed_on_stdout(corpus, monkeypatch, capsys):
    """The last resort names what failed (here: no process could be started), and leaves stdout alone."""
    import errno

    from corpus_tui import cli

    def no_processes(*args, **kwargs):
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(cli.Corpus, "open", no_processes)
    monkeypatch.setattr(sys, "argv", ["corpus-tui", "stats", str(corpus.folder)])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err == "corpus-tui: error: resource temporarily unavailable\n"
