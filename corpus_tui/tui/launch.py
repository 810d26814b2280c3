"""Start the app for the CLI."""

from __future__ import annotations

from pathlib import Path

from .app import make_app


def run_app(folder: str | Path, db: str | Path | None = None, annotator: str | None = None,
            timeout: float = 5.0) -> None:
    app = make_app(folder, db=db, annotator=annotator, timeout=timeout)
    try:
        app.run()
    finally:
        app.stop_scan()  # however the app ended
        app.end_session()
        app.corpus.close()
    if app.return_code:
        # Textual has printed why; the shell and scripts must see the failure too.
        raise SystemExit(app.return_code)
