"""corpus-tui: read, tag, annotate and mark boilerplate in a corpus from the terminal."""

from .core import Corpus, CorpusError, Document, ScanSummary, Span, Tag

__all__ = ["Corpus", "CorpusError", "Document", "ScanSummary", "Span", "Tag"]
__version__ = "0.1.0"
