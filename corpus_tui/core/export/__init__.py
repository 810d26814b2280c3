"""Exporting the annotated corpus: ``export(corpus, fmt, output, ...)``.

Modules: ``records`` (the native per-document record, streamed in chunks),
``clean`` (``clean_text``), ``selection`` (filters, changed files),
``output`` (atomic files and folders), one module per format family
(``json_formats``, ``table``, ``folders``, ``brat``, ``parquet``),
``parallel`` and ``worker`` (rendering in worker processes), and ``api``.
The format reference is the README's Export section.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import FOLDER_FORMATS, FORMATS, STREAM_FORMATS, ExportSummary, export
    from .clean import clean_text
    from .output import BadOutput, OutputExists
    from .records import SCHEMA, DocumentRecord

_HOMES = {
    "FOLDER_FORMATS": "api", "FORMATS": "api", "STREAM_FORMATS": "api", "ExportSummary": "api", "export": "api",
    "clean_text": "clean", "BadOutput": "output", "OutputExists": "output", "SCHEMA": "records",
    "DocumentRecord": "records",
}
__all__ = [
    "FOLDER_FORMATS", "FORMATS", "SCHEMA", "STREAM_FORMATS", "BadOutput", "DocumentRecord",
    "ExportSummary", "OutputExists", "clean_text", "export",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: an export worker process imports only what it renders with.
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
