"""``parquet``: the native record's columns, for pandas, DuckDB and ``datasets``.

Needs the optional extra (``pip install 'corpus-tui[parquet]'``, pyarrow).
Columns as in ``jsonl``: ``schema``, ``id``, ``path``, ``sha256``, ``title``,
``status``, ``tags`` (list of strings), ``note``, ``meta`` (the front matter as
a JSON string: its keys differ from document to document), ``text``,
``clean_text``, ``spans`` and ``boilerplate`` (lists of structs), ``tag_links``.
Written ``ROW_GROUP`` documents at a time, so memory stays flat.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from ..errors import CorpusError
from .records import DocumentRecord

ROW_GROUP = 2000


class ParquetMissing(CorpusError):
    pass


def require_pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ParquetMissing(
            "parquet export needs pyarrow: pip install 'corpus-tui[parquet]'"
        ) from None
    return pyarrow


def schema() -> Any:
    pa = require_pyarrow()
    string = pa.string()
    return pa.schema([
        ("schema", pa.int32()),
        ("id", pa.int64()),
        ("path", string),
        ("sha256", string),
        ("title", string),
        ("status", string),
        ("tags", pa.list_(string)),
        ("note", string),
        ("duplicate_of", string),
        ("meta", string),
        ("text", string),
        ("clean_text", string),
        ("spans", pa.list_(pa.struct([
            ("start", pa.int64()), ("end", pa.int64()), ("label", string), ("note", string),
            ("text", string), ("annotator", string), ("created", string),
        ]))),
        ("boilerplate", pa.list_(pa.struct([
            ("start", pa.int64()), ("end", pa.int64()), ("reason", string),
            ("text", string), ("annotator", string), ("created", string),
        ]))),
        ("tag_links", pa.list_(pa.struct([("tag", string), ("annotator", string), ("created", string)]))),
    ])


class ParquetWriter:
    def __init__(self, path: Path):
        pa = require_pyarrow()
        import pyarrow.parquet as pq

        self.pa = pa
        self.schema = schema()
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self.rows: list[dict[str, Any]] = []

    def write(self, record: DocumentRecord) -> None:
        row = record.native()
        row["meta"] = json.dumps(row["meta"], ensure_ascii=False, sort_keys=True)
        self.rows.append(row)
        if len(self.rows) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self.writer.write_table(self.pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self._flush()
        self.writer.close()

    def abort(self) -> None:
        """Release the file after a failure (the caller removes it)."""
        self.rows = []
        with contextlib.suppress(Exception):  # already failing: the original error is the one to report
            self.writer.close()
