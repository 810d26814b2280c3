"""corpus-tui: read, tag, annotate and mark boilerplate in a corpus from the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Corpus, CorpusError, Document, ScanSummary, Span, Tag

__all__ = ["Corpus", "CorpusError", "Document", "ScanSummary", "Span", "Tag"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Loaded on first use, so a process that needs one small module (an export
    # worker) does not pay for the store and its dependencies.
    if name in __all__:
        from . import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
