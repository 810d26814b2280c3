"""The console entry point (``corpus-tui``, ``python -m corpus_tui``). It imports the CLI only when
it runs, inside the same guard against Ctrl-C as the command itself: an interrupt while the CLI's
modules load (a third of a second) is one line, like any other, not a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("corpus-tui: interrupted\n")
        raise SystemExit(130) from None
    run()
