"""Who is annotating: --annotator, else $CORPUS_TUI_ANNOTATOR, else the OS user."""

from __future__ import annotations

import getpass
import os

ENV_VAR = "CORPUS_TUI_ANNOTATOR"


def resolve_annotator(explicit: str | None = None) -> str:
    for candidate in (explicit, os.environ.get(ENV_VAR)):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. some containers
        return "unknown"
