"""Exporting the annotated corpus: ``export(corpus, fmt, output, ...)``.

Modules: ``records`` (the native per-document record, streamed in chunks),
``native_lines`` (``jsonl`` lines straight from the fetched rows), ``clean``
(``clean_text``), ``selection`` (filters, blocks, re-reading changed files),
``changes`` (finding them), ``output`` (atomic files and folders), ``stream``
(the line formats, a chunk at a time), one module per format family
(``json_formats``, ``table``, ``label_studio``, ``folders``, ``brat``,
``parquet``), ``label_studio_output`` (the labelling config beside the tasks),
``parallel`` and ``worker`` (rendering in worker processes), and ``api``.
The format reference is the README's Export section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_attributes

if TYPE_CHECKING:
    from .api import ALL_FORMATS, FOLDER_FORMATS, FORMATS, STREAM_FORMATS, ExportSummary, export
    from .clean import clean_text
    from .output import BadOutput, OutputExists
    from .records import SCHEMA, DocumentRecord

__all__ = [
    "ALL_FORMATS", "FOLDER_FORMATS", "FORMATS", "SCHEMA", "STREAM_FORMATS", "BadOutput", "DocumentRecord",
    "ExportSummary", "OutputExists", "clean_text", "export",
]
__getattr__, __dir__ = lazy_attributes(__name__, {
    "ALL_FORMATS": "api", "FOLDER_FORMATS": "api", "FORMATS": "api", "STREAM_FORMATS": "api", "ExportSummary": "api",
    "export": "api",
    "clean_text": "clean", "BadOutput": "output", "OutputExists": "output", "SCHEMA": "records",
    "DocumentRecord": "records",
}, globals())
