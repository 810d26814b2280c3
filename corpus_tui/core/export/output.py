"""Where an export goes, written so that the final name only ever holds a whole export.

A file is written to ``NAME.tmp-XXXX`` in the same folder and renamed over
``NAME`` at the end; a folder is built as ``NAME.tmp-XXXX/`` and renamed the
same way. On any error (or an interrupt) the temporary file or folder is
removed: an export is all there under its final name, or not there at all.
An existing output is replaced only with ``force``, and a folder only when it
is empty or an earlier corpus-tui export (it holds the ``MARKER`` file), so a
mistyped ``-o ~/Documents --force`` cannot wipe a folder of other files.

The operating system refusing a write (a full disk, a read-only one, a full
stdout) is ``WriteFailed``: one line naming the output and the reason, and
since nothing was renamed, the previous output is as it was.
"""

from __future__ import annotations

import codecs
import json
import os
import select
import secrets
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from ..discovery import DEFAULT_INCLUDE, is_scanned_name
from ..durable import replace_durably
from ..errors import CorpusError
from ..os_errors import os_reason
from ..safe_text import for_terminal

MARKER = ".corpus-tui-export.json"


class OutputExists(CorpusError):
    """The output is there already; ``output`` names it (the app words the remedy its own way)."""

    def __init__(self, output: Path | str) -> None:
        self.output = output
        super().__init__(f"{output}: already exists (use --force to replace it)")


class BadOutput(CorpusError):
    pass


class WriteFailed(CorpusError):
    """The OS refused to write the output (``errno`` says why); the previous output is unchanged.

    ``output`` is the path, or None for stdout.
    """

    def __init__(self, message: str, output: Path | None, errno: int | None):
        super().__init__(message)
        self.output = output
        self.errno = errno


@contextmanager
def write_errors(output: Path | None) -> Iterator[None]:
    """Turn an ``OSError`` met while writing ``output`` (None: stdout) into ``WriteFailed``.

    A broken pipe to stdout is left alone: the reader stopped reading, which is
    no error of ours (``export ... | head``).
    """
    existed = output is not None and os.path.lexists(output)
    try:
        yield
    except OSError as error:
        if output is None and isinstance(error, BrokenPipeError):
            raise
        reason = os_reason(error)
        if output is None:
            message = f"stdout: {reason}; the export written there is incomplete"
        elif existed:
            message = f"{output}: {reason} (the previous {output.name} is unchanged)"
        else:
            message = f"{output}: {reason} (nothing was written)"
        raise WriteFailed(message, output, error.errno) from error


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_target(output: Path, folder_output: bool, force: bool, corpus_folder: Path,
                 database: Path | None = None) -> None:
    """Refuse an output that exists (without force), cannot be replaced, sits in the corpus, or
    is the corpus's database (or a folder holding it): --force replaced the database with the
    export, every tag and span lost (a trial)."""
    try:
        if database is not None:
            refuse_database_output(output, folder_output, database)
        _check_target(output, folder_output, force, corpus_folder)
    except OSError as error:  # a folder it may not list, ...
        raise BadOutput(f"{output}: cannot check it as the output: {os_reason(error)}") from None
    except RuntimeError as error:  # pathlib: a symlink loop
        raise BadOutput(f"{output}: cannot check it as the output: {error}") from None


def refuse_database_output(output: Path, folder_output: bool, database: Path) -> None:
    db = database.resolve()
    resolved = output.resolve()
    if resolved in {db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))}:
        raise BadOutput(f"{output}: is the corpus's database; pick another output")
    if folder_output and resolved in db.parents:
        raise BadOutput(f"{output}: holds the corpus's database; pick another output")


def _check_target(output: Path, folder_output: bool, force: bool, corpus_folder: Path) -> None:
    parent = output.parent
    if not parent.is_dir():
        raise BadOutput(f"{parent}: folder for the output does not exist")
    resolved = output.resolve()
    corpus = corpus_folder.resolve()
    if resolved == corpus or resolved in corpus.parents:
        raise BadOutput(f"{output}: is the corpus folder or contains it; pick another output")
    if folder_output and corpus in resolved.parents:
        raise BadOutput(
            f"{output}: is inside the corpus folder, where its files would be scanned as documents; "
            "pick a folder outside it"
        )
    if not folder_output and corpus in resolved.parents and is_scanned_name(resolved.relative_to(corpus).as_posix()):
        raise BadOutput(
            f"{output}: is inside the corpus folder with a name a scan reads ({', '.join(DEFAULT_INCLUDE)}): "
            "it would become a document; pick another name or a place outside it"
        )
    if not os.path.lexists(output):
        return
    refuse_special_file(output)
    # What --force could not replace is said first: "already exists (use --force …)" for a folder
    # given to a file format was followed, with --force, by "is a folder" (a trial).
    is_folder = output.is_dir() and not output.is_symlink()
    if folder_output and not is_folder:
        raise BadOutput(f"{output}: is a file; this format writes a folder")
    if not folder_output and is_folder:
        raise BadOutput(f"{output}: is a folder; this format writes a file")
    if is_folder and any(output.iterdir()) and not (output / MARKER).is_file():
        raise BadOutput(f"{output}: is a folder corpus-tui did not write; refusing to replace it")
    if not force:
        raise OutputExists(output)


@contextmanager
def atomic_file(output: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary path beside ``output``; rename it to ``output`` on success.

    An ``OSError`` on the way (from the caller's writes too) becomes ``WriteFailed``.
    """
    refuse_special_file(output)
    with write_errors(output):
        temporary = _temporary_beside(output)
        try:
            yield temporary
            _publish(temporary, output, force)
        finally:
            temporary.unlink(missing_ok=True)


def refuse_special_file(output: Path) -> None:
    """An output that is a device, a pipe or a socket (``-o /dev/null``) is never replaced: the
    rename that makes an export whole would put a regular file in its place (``/dev/null`` was
    one, for every program of the machine)."""
    try:
        mode = os.stat(output).st_mode
    except OSError:
        return  # not there (or a dangling link): an ordinary new file
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise BadOutput(f"{output}: is not a regular file (a device, a pipe or a socket) and is never replaced; "
                        "write to a file, or to stdout with -o -")


def _temporary_beside(output: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f"{output.name}.tmp-", dir=output.parent)
    os.close(handle)
    return Path(name)


def _publish(temporary: Path, output: Path, force: bool) -> None:
    """Rename the finished ``temporary`` to ``output``, unless that exists and ``force`` is off."""
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; an export is a normal file
    if not force and os.path.lexists(output):
        raise OutputExists(output)
    refuse_special_file(output)  # made one since it was checked
    replace_durably(temporary, output)  # a crash of the system leaves the earlier export, not an empty one


@contextmanager
def companion_file(output: Path, force: bool) -> Iterator[Path]:
    """``atomic_file`` for a second file an export writes beside its output (Label
    Studio's labelling config): open it around the output's own context, so the
    output is renamed into place first and this file right after it.

    Only what goes wrong creating, writing (``write_companion``) or renaming this
    file is reported as this file's; an error of the output's passes through as it is.
    """
    with write_errors(output):
        temporary = _temporary_beside(output)
    try:
        yield temporary
        with write_errors(output):
            _publish(temporary, output, force)
    finally:
        temporary.unlink(missing_ok=True)


def write_companion(output: Path, temporary: Path, text: str) -> None:
    """Write ``text`` (UTF-8, as it is) into ``companion_file``'s temporary file for ``output``."""
    with write_errors(output), open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


@contextmanager
def atomic_folder(output: Path, force: bool, marker: dict[str, object]) -> Iterator[Path]:
    """Yield a temporary folder beside ``output``; it replaces ``output`` on success.

    An ``OSError`` on the way (from the caller's writes too) becomes ``WriteFailed``.
    """
    with write_errors(output):
        # Named before it is made, so an interrupt at any point after (Ctrl-C inside mkdtemp,
        # after its mkdir: a trial saw the folder left behind) finds it to remove.
        temporary: Path | None = output.parent / f"{output.name}.tmp-{secrets.token_hex(6)}"
        old: Path | None = None
        try:
            try:
                os.mkdir(temporary, 0o700)  # type: ignore[arg-type]
            except FileExistsError:
                temporary = None  # another's: never removed here
                raise
            assert temporary is not None
            yield temporary
            (temporary / MARKER).write_text(json.dumps(marker, sort_keys=True) + "\n", encoding="utf-8")
            os.chmod(temporary, 0o777 & ~_umask())
            if os.path.lexists(output):
                if not force:
                    raise OutputExists(output)
                refuse_special_file(output)
                old = Path(tempfile.mkdtemp(prefix=f"{output.name}.old-", dir=output.parent))
                os.replace(output, old / "previous")
            try:
                os.replace(temporary, output)
            except BaseException:
                if old is not None:
                    os.replace(old / "previous", output)  # put the earlier export back
                raise
        finally:
            if temporary is not None and temporary.exists():
                shutil.rmtree(temporary, ignore_errors=True)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)


def _is_terminal(stream: IO[bytes]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


WRITE_BUFFER = 1 << 20  # bytes: big writes for big exports


class _Stdout:
    """stdout's bytes, every one written or an error.

    Under ``python -u`` (``PYTHONUNBUFFERED``) ``sys.stdout.buffer`` is the raw
    file, whose ``write`` may take only part of the bytes: on a full disk the
    first write takes what fits and the rest would be lost without an error.
    """

    def __init__(self, stream: IO[bytes]):
        self.stream = stream

    def write(self, data: bytes | memoryview) -> int:
        view = memoryview(data)
        size = len(view)
        while view:
            written = self.stream.write(view)
            if written is None:  # a non-blocking stdout that is full: wait until it takes more
                select.select([], [self.stream], [])
                continue
            view = view[written:]
        return size

    def flush(self) -> None:
        self.stream.flush()


class _TerminalStdout:
    """An export shown on a terminal: its text with control characters as visible glyphs
    (``safe_text.for_terminal``), so a title cannot retitle the window or hide a line.
    Only when stdout is a terminal; a file or a pipe gets the exact bytes."""

    def __init__(self, stdout: _Stdout):
        self.stdout = stdout
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a write may end mid-character

    def write(self, data: bytes | memoryview) -> int:
        text = self.decoder.decode(bytes(data))
        self.stdout.write(for_terminal(text).encode("utf-8"))
        return len(data)

    def flush(self) -> None:
        tail = self.decoder.decode(b"", final=True)
        if tail:
            self.stdout.write(for_terminal(tail).encode("utf-8"))
        self.stdout.flush()


@contextmanager
def output_stream(path: Path | None, force: bool) -> Iterator[IO[bytes]]:
    """A binary stream for a line format: a temporary file renamed to ``path`` at the end,
    or stdout (its bytes, whatever the locale's encoding) when ``path`` is None.

    Writing it failing is ``WriteFailed`` (a broken pipe to stdout stays ``BrokenPipeError``)."""
    if path is None:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # stdout replaced by a text-only stream (some test runners)
            raise BadOutput("stdout does not take bytes here; give -o PATH")
        with write_errors(None):
            sys.stdout.flush()
            stdout: _Stdout | _TerminalStdout = _Stdout(buffer)
            if _is_terminal(buffer):
                stdout = _TerminalStdout(stdout)
            yield cast(IO[bytes], stdout)  # write and flush are all a line format uses of stdout
            stdout.flush()
        return
    # "r+b", not "wb": the file mkstemp made is empty already, and truncating it would
    # make ext4 write out every block of it when it is closed (auto_da_alloc).
    with atomic_file(path, force) as temporary, open(temporary, "r+b", buffering=WRITE_BUFFER) as handle:
        yield handle
