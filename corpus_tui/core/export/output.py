"""Where an export goes, written so that the final name only ever holds a whole export.

A file is written to ``NAME.tmp-XXXX`` in the same folder and renamed over
``NAME`` at the end; a folder is built as ``NAME.tmp-XXXX/`` and renamed the
same way. On any error (or an interrupt) the temporary file or folder is
removed: an export is all there under its final name, or not there at all.
An existing output is replaced only with ``force``, and a folder only when it
is empty or an earlier corpus-tui export (it holds the ``MARKER`` file), so a
mistyped ``-o ~/Documents --force`` cannot wipe a folder of other files.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ..errors import CorpusError

MARKER = ".corpus-tui-export.json"


class OutputExists(CorpusError):
    pass


class BadOutput(CorpusError):
    pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_target(output: Path, folder_output: bool, force: bool, corpus_folder: Path) -> None:
    """Refuse an output that exists (without force), cannot be replaced, or sits in the corpus."""
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
    if not os.path.lexists(output):
        return
    if not force:
        raise OutputExists(f"{output}: already exists (use --force to replace it)")
    is_folder = output.is_dir() and not output.is_symlink()
    if folder_output and not is_folder:
        raise BadOutput(f"{output}: is a file; this format writes a folder")
    if not folder_output and is_folder:
        raise BadOutput(f"{output}: is a folder; this format writes a file")
    if is_folder and any(output.iterdir()) and not (output / MARKER).is_file():
        raise BadOutput(f"{output}: is a folder corpus-tui did not write; refusing to replace it")


@contextmanager
def atomic_file(output: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary path beside ``output``; rename it to ``output`` on success."""
    handle, name = tempfile.mkstemp(prefix=f"{output.name}.tmp-", dir=output.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; an export is a normal file
        if not force and os.path.lexists(output):
            raise OutputExists(f"{output}: already exists (use --force to replace it)")
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def atomic_folder(output: Path, force: bool, marker: dict[str, object]) -> Iterator[Path]:
    """Yield a temporary folder beside ``output``; it replaces ``output`` on success."""
    temporary = Path(tempfile.mkdtemp(prefix=f"{output.name}.tmp-", dir=output.parent))
    old: Path | None = None
    try:
        yield temporary
        (temporary / MARKER).write_text(json.dumps(marker, sort_keys=True) + "\n", encoding="utf-8")
        os.chmod(temporary, 0o777 & ~_umask())
        if os.path.lexists(output):
            if not force:
                raise OutputExists(f"{output}: already exists (use --force to replace it)")
            old = Path(tempfile.mkdtemp(prefix=f"{output.name}.old-", dir=output.parent))
            os.replace(output, old / "previous")
        try:
            os.replace(temporary, output)
        except BaseException:
            if old is not None:
                os.replace(old / "previous", output)  # put the earlier export back
            raise
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


WRITE_BUFFER = 1 << 20  # bytes: big writes for big exports


@contextmanager
def output_stream(path: Path | None, force: bool) -> Iterator[IO[bytes]]:
    """A binary stream for a line format: a temporary file renamed to ``path`` at the end,
    or stdout (its bytes, whatever the locale's encoding) when ``path`` is None."""
    if path is None:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # stdout replaced by a text-only stream (some test runners)
            raise BadOutput("stdout does not take bytes here; give -o PATH")
        yield buffer
        buffer.flush()
        return
    # "r+b", not "wb": the file mkstemp made is empty already, and truncating it would
    # make ext4 write out every block of it when it is closed (auto_da_alloc).
    with atomic_file(path, force) as temporary, open(temporary, "r+b", buffering=WRITE_BUFFER) as handle:
        yield handle
