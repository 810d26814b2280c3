"""The corpus-tui library: store, scanning and annotation logic. No Textual here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .corpus import Corpus
    from .errors import CorpusError
    from .models import Document, Span, Tag
    from .scanner import ScanSummary

__all__ = ["Corpus", "CorpusError", "Document", "ScanSummary", "Span", "Tag"]
__getattr__, __dir__ = lazy_attributes(__name__, {
    "Corpus": "corpus", "CorpusError": "errors", "Document": "models", "Span": "models", "Tag": "models",
    "ScanSummary": "scanner",
}, globals())
