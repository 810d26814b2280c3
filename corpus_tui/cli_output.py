"""Writing the CLI's output safely.

Text from documents (paths, titles, tags, labels, notes, YAML errors) is data,
never terminal commands: a message on stderr (``say``) shows every control
character as a visible glyph and is always one line; output on stdout
(``out``) is shown the same way when stdout is a terminal (newlines and tabs
kept), and written byte for byte to a file or a pipe. The glyphs are the app's
(``core.safe_text``), one for one.

A stdout that cannot take the output is one line, never a traceback: ``| head``
closing the pipe early ends the command quietly (as coreutils do); a stdout
on a full disk or ``/dev/full`` is one line on stderr saying what was done
anyway (``echo``: the import is complete; its summary was not printed).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import click

from .core import CorpusError
from .core.os_errors import os_reason
from .core.safe_text import for_terminal, visible


class StdoutFailed(OSError):
    """Writing stdout failed (a full disk, /dev/full): not any other OSError."""


def is_terminal(stream: object) -> bool:
    try:
        return bool(stream is not None and stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):  # no stream, or a closed one
        return False


def out(text: str) -> None:
    """A line of output on stdout: safe on a terminal, byte-exact elsewhere."""
    try:
        if is_terminal(sys.stdout):
            click.echo(for_terminal(text))
        else:  # color=True: click.echo would otherwise strip ANSI sequences from the data
            click.echo(text, color=True)
    except BrokenPipeError:
        raise
    except OSError as error:
        raise StdoutFailed(error.errno, error.strerror) from None


def flush_stdout() -> None:
    """Flush what Python still buffers for stdout, here rather than at exit (where a
    failure is a traceback): a failure is ``StdoutFailed``."""
    if sys.stdout is None:  # started with stdout closed (>&-)
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise StdoutFailed(error.errno, error.strerror) from None


def say(message: str) -> None:
    """A one-line message on stderr (an error, a warning, a problem with a row)."""
    click.echo(visible(message), err=True)


def echo(message: str, done: str) -> None:
    """``out``; a stdout that cannot take it is one line saying what was ``done``."""
    try:
        out(message)
    except BrokenPipeError:
        quiet_stdout()
        sys.exit(1)
    except OSError as error:  # stdout on a full disk, /dev/full, ...
        quiet_stdout()
        raise CorpusError(f"stdout: {os_reason(error)} ({done})") from None


def quiet_stdout() -> None:
    """After ``export ... | head``, or a full stdout: stop writing, and let nothing the
    stream still buffers fail again (with a traceback) when Python exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):  # no stdout at all (closed with >&-)
        pass


def progress_line(label: str, unit: str) -> Callable[[int, int], None] | None:
    """A ``progress(done, total)`` that rewrites one stderr line (``LABEL: 3/40 UNIT``), or None
    when stderr is not a terminal (a log file gets no carriage returns)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        click.echo(f"\r{label}: {done}/{total} {unit}", err=True, nl=done >= total)

    return show
