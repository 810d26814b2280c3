"""Who is annotating: --annotator, else $CORPUS_TUI_ANNOTATOR, else the OS user."""

from __future__ import annotations

import getpass
import os

from .errors import InvalidValue
from .safe_text import control_character_problem

ENV_VAR = "CORPUS_TUI_ANNOTATOR"


def resolve_annotator(explicit: str | None = None) -> str:
    """The annotator's name: given, else ``$CORPUS_TUI_ANNOTATOR``, else the user's login. A name
    that is not text, or holds a control character (shown raw in a pipe), is ``InvalidValue``."""
    if explicit is not None and not isinstance(explicit, str):
        raise InvalidValue(f"an annotator is a name (text), not {type(explicit).__name__} {explicit!r}")
    for candidate in (explicit, os.environ.get(ENV_VAR)):
        if candidate and candidate.strip():
            if problem := control_character_problem(candidate.strip(), "annotator"):
                raise InvalidValue(problem)
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. some containers
        return "unknown"
