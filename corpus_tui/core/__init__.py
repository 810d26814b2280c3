"""The corpus-tui library: store, scanning and annotation logic. No Textual here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .corpus import Corpus
    from .errors import CorpusError
    from .models import Document, Span, Tag
    from .scanner import ScanSummary

_HOMES = {"Corpus": "corpus", "CorpusError": "errors", "Document": "models", "Span": "models", "Tag": "models",
          "ScanSummary": "scanner"}
__all__ = ["Corpus", "CorpusError", "Document", "ScanSummary", "Span", "Tag"]


def __getattr__(name: str) -> Any:
    # Loaded on first use (see corpus_tui/__init__.py).
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
