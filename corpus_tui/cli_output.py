"""Writing the CLI's output: a stdout that cannot take it is one line, never a traceback.

``| head`` closing the pipe early ends the command quietly (as coreutils do);
a stdout on a full disk or ``/dev/full`` is one line on stderr saying what was
done anyway (the import is complete; its summary was not printed).
"""

from __future__ import annotations

import os
import sys

import click

from .core import CorpusError
from .core.os_errors import os_reason


def echo(message: str, done: str) -> None:
    """``click.echo`` to stdout; a stdout that cannot take it is one line saying what was ``done``."""
    try:
        click.echo(message)
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
