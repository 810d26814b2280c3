"""Start the app for the CLI."""

from __future__ import annotations

from pathlib import Path

from ..config import load_config
from .app import make_app
from .keymap import check_keymap


def run_app(folder: str | Path, db: str | Path | None = None, annotator: str | None = None,
            timeout: float = 5.0) -> None:
    # The config first: a bad one is one line before anything is opened.
    config = load_config()
    keymap = check_keymap(config.keys, str(config.path))
    app = make_app(folder, db=db, annotator=annotator, timeout=timeout, keymap=keymap)
    try:
        app.run()
    finally:
        app.stop_scan()  # however the app ended
        app.end_session()
        app.corpus.close()
    if app.return_code:
        # Textual has printed why; the shell and scripts must see the failure too.
        raise SystemExit(app.return_code)
