"""Import the native ``jsonl`` export: restore tags, spans, boilerplate, notes and status.

    from corpus_tui import Corpus
    from corpus_tui.core.annotation_import import import_annotations

    with Corpus.open("copy-of-seeds") as corpus:
        print(import_annotations(corpus, "seeds.jsonl").line())

Rules:

- **Matching.** A record goes to the document with the same ``path``, or with
  ``match="sha256"`` to the document with the same content (the one with the
  same path too when several have it; otherwise several are ambiguous).
- **Validation first, all or nothing.** The whole file is read and checked
  before anything is written: one JSON object per line, ``schema`` 1, known
  statuses, spans with integer offsets inside the text whose ``text`` equals
  ``text[start:end]`` of the document *as it is in this corpus*, the same
  ``sha256`` when matching by path (the content must be the one annotated),
  every document known, none named twice. Any problem raises ``InvalidImport``
  (``FILE:LINE: reason``) and nothing changes. Then every change is applied in
  one transaction.
- **Merging.** Tags are added (never removed). Spans are a set: an annotation
  is added unless one with the same (start, end, label, note) is there; a
  boilerplate range is added by union with the boilerplate already marked
  (kept merged and non-overlapping; a merged range keeps the reason already
  there, and the annotator and time of its earliest piece). Imported spans and
  tag links keep the ``annotator`` and ``created`` time of the file.
- **Conflicts.** A status or note that is set on both sides (status other than
  ``new``, note not empty) and differs is a conflict: reported, and by
  default (``prefer=None``) or with ``prefer="ours"`` this corpus's value is
  kept; ``prefer="theirs"`` takes the file's. An unset value on our side simply
  takes the file's. The same rule applies to the reason of a boilerplate range
  that both sides marked exactly.
- **Idempotent.** Importing the same file twice changes nothing the second time.
- ``dry_run=True`` computes the same summary (``changes`` lists each document's
  changes) and writes nothing. An import is logged as one ``import.annotations``
  event; it is not undone by ``undo``.

Modules: ``annotation_records`` reads the file and checks each record on its
own, ``annotation_merge`` matches records to documents and plans the merge,
and this one runs an import and writes the plan.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .annotation_merge import Conflict, ImportSummary, Plan, chunks, plan_merge
from .annotation_records import SCHEMA, Problems, read_records
from .duplicates.clusters import rebuild_clusters
from .errors import CorpusError, InvalidValue
from .os_errors import os_reason
from .store import now
from .wording import plural
from .titles import refresh_titles

if TYPE_CHECKING:
    from .corpus import Corpus

MATCHES = ("path", "sha256")
PREFERENCES = ("ours", "theirs")


class InvalidImport(CorpusError):
    """The file cannot be imported; ``problems`` holds every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        more = f" (and {plural(len(problems) - 1, 'more problem')})" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


def import_annotations(
    corpus: Corpus,
    source: str | Path | IO[bytes],
    match: str = "path",
    prefer: str | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Import a native ``jsonl`` export into ``corpus`` (see the module docstring).

    ``source`` is a path, ``"-"`` for stdin, or a binary stream.
    """
    if match not in MATCHES:
        raise InvalidValue(f"unknown match {match!r} (one of: {', '.join(MATCHES)})")
    if prefer is not None and prefer not in PREFERENCES:
        raise InvalidValue(f"unknown preference {prefer!r} (one of: {', '.join(PREFERENCES)})")
    with _open(source) as (name, handle):
        problems = Problems(name)
        records = list(read_records(handle, problems))
    summary = ImportSummary(name, dry_run=dry_run, records=len(records))
    with _transaction(corpus, dry_run):
        planned = plan_merge(corpus, records, match, prefer, problems, summary)
        if problems.items:
            raise InvalidImport(problems.items)
        if not dry_run and summary.documents_changed:
            _apply(corpus, planned)
            corpus.log_event("import.annotations", None, {
                "source": name, "match": match, "prefer": prefer,
                **{key: value for key, value in summary.as_dict().items()
                   if key not in ("source", "dry_run", "conflicts", "changes")},
                "conflicts": len(summary.conflicts),
            })
    return summary


@contextmanager
def _open(source: str | Path | IO[bytes]) -> Iterator[tuple[str, IO[bytes]]]:
    if not isinstance(source, (str, Path)):
        yield getattr(source, "name", "<stream>"), source
        return
    if str(source) == "-":
        if sys.stdin is None:  # started with stdin closed (`<&-`)
            raise InvalidValue("<stdin>: no standard input (it is closed); give a file")
        yield "<stdin>", sys.stdin.buffer
        return
    path = Path(source)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below, after the errors opening it
    except FileNotFoundError:
        raise InvalidValue(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidValue(f"{path}: is a folder, not a jsonl file") from None
    except OSError as error:
        raise InvalidValue(f"{path}: cannot read: {os_reason(error)}") from None
    with handle:
        yield str(path), handle


@contextmanager
def _transaction(corpus: Corpus, dry_run: bool) -> Iterator[None]:
    """The write transaction, or for a dry run a read snapshot that is rolled back."""
    if not dry_run:
        with corpus.write():
            yield
        return
    conn = corpus.db.conn
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


# -- writing ------------------------------------------------------------------------------


def _apply(corpus: Corpus, plan: Plan) -> None:
    """Inside the write transaction."""
    db = corpus.db
    stamp = now()
    for key, name in plan.new_tags.items():
        db.execute(
            "INSERT INTO tags (name, key, color, description, hotkey, annotator, created_at) "
            "VALUES (?, ?, NULL, '', NULL, ?, ?)",
            [name, key, corpus.annotator, stamp],
        )
    tag_ids = {row["key"]: row["id"] for row in corpus.query("SELECT id, key FROM tags")}
    db.conn.executemany(
        "INSERT OR IGNORE INTO document_tags (document_id, tag_id, annotator, created_at) VALUES (?, ?, ?, ?)",
        [(doc_id, tag_ids[key], annotator, created) for doc_id, key, annotator, created in plan.links],
    )
    for part in chunks(plan.deleted_spans):
        db.execute(f"DELETE FROM spans WHERE id IN ({', '.join('?' for _ in part)})", part)
    corpus.insert_span_rows(plan.span_rows)
    # Boilerplate ranges are only ever added (merged): the titles of those documents follow them.
    refresh_titles(db, {row["document_id"] for row in plan.span_rows if row["kind"] == "boilerplate"})
    for column, value, doc_id in plan.updates:
        db.execute(f"UPDATE documents SET {column} = ? WHERE id = ?", [value, doc_id])
    if any(column == "duplicate_of" for column, _, _ in plan.updates):
        rebuild_clusters(db)  # export --dedup and the clusters follow the marks


__all__ = ["MATCHES", "PREFERENCES", "SCHEMA", "Conflict", "ImportSummary", "InvalidImport",
           "import_annotations"]
