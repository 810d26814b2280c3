"""Exporting the annotated corpus: ``export(corpus, fmt, output, ...)``.

Modules: ``records`` (the native per-document record, streamed in chunks),
``clean`` (``clean_text``), ``selection`` (filters, changed files),
``output`` (atomic files and folders), one module per format family
(``json_formats``, ``table``, ``folders``, ``brat``, ``parquet``), and ``api``.
The format reference is docs/export.md.
"""

from .api import FOLDER_FORMATS, FORMATS, STREAM_FORMATS, ExportSummary, export
from .clean import clean_text
from .output import BadOutput, OutputExists
from .records import SCHEMA, DocumentRecord

__all__ = [
    "FOLDER_FORMATS", "FORMATS", "SCHEMA", "STREAM_FORMATS", "BadOutput", "DocumentRecord",
    "ExportSummary", "OutputExists", "clean_text", "export",
]
