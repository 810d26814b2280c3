"""corpus-tui: read, tag, annotate and mark boilerplate in a corpus from the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes

if TYPE_CHECKING:
    from .core import Corpus, CorpusError, Document, ScanSummary, Span, Tag

__all__ = ["Corpus", "CorpusError", "Document", "ScanSummary", "Span", "Tag"]
__version__ = "0.1.0"
__getattr__, __dir__ = lazy_attributes(__name__, dict.fromkeys(__all__, "core"), globals())
