"""The corpus-tui library: store, scanning and annotation logic. No Textual here."""

from .corpus import Corpus
from .errors import CorpusError
from .models import Document, Span, Tag
from .scanner import ScanSummary

__all__ = ["Corpus", "CorpusError", "Document", "ScanSummary", "Span", "Tag"]
