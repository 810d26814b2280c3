"""``export()``: write a corpus's annotated documents in one of ``FORMATS``.

    from corpus_tui import Corpus
    from corpus_tui.core.export import export

    with Corpus.open("seeds") as corpus:
        summary = export(corpus, "jsonl", Path("seeds.jsonl"), statuses=("reviewed",))
        print(summary.line())

Steps: check the filters and the output (nothing is written when either is
wrong); re-read files that changed on disk since the last scan (their spans
are re-anchored, as when the app opens them); then, inside one read snapshot
of the database, stream the documents in path order to a temporary file or
folder that replaces the output at the end. A document with spans that could
not be re-anchored (``stale``) is left out and reported, unless
``allow_stale``: then it is exported with its other spans and the stale ones
are omitted (and counted). Only the ``Corpus`` passed in is used, so a worker
thread with its own ``Corpus`` can run an export; ``progress(done, total)`` is
called with ``(0, total)`` first, then after every chunk of documents (every
block, with worker processes), and an exception raised from it cancels the
export, leaving nothing behind (to stdout, what was written stays written).

Large line-format exports are rendered by worker processes (``parallel``).
``label-studio`` also writes its labelling config beside the tasks
(``label_studio_output``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from ..errors import InvalidValue
from ..store import translate
from ..wording import plural
from . import output as out
from .brat import BratWriter
from .folders import MarkdownWriter, TextFolderWriter
from .label_studio_output import LabelStudioOutput, config_target
from .parquet import ParquetWriter, require_pyarrow
from .records import SCHEMA, fetch_chunk, records_from
from . import parallel
from .parallel import WorkerFailed, WorkerPool, check_jobs, workers_for
from .selection import (
    Filters, apply_changes, blocks, count_left_out, dedup_filters, refresh_changed, refresh_query, selected_count, selected_ids,
    selected_paths, selection_query,
)
from .stream import STREAM_FORMATS, Rendered, accept, add_counts, header, line_format, render_chunk

if TYPE_CHECKING:
    from ..corpus import Corpus

WRITE_LOCK_WAIT_MS = 1000  # how long an export with workers waits for the write lock
FOLDER_FORMATS = {"markdown": MarkdownWriter, "text": TextFolderWriter, "brat": BratWriter}
# The formats the app's export dialog lists (it describes each one); export() and
# the command line also take those of ALL_FORMATS.
FORMATS = ("jsonl", "prodigy", "doccano", "csv", "markdown", "brat", "text", "parquet")
ALL_FORMATS = (*FORMATS, "label-studio")


@dataclass
class ExportSummary:
    format: str
    output: str
    documents: int = 0
    annotations: int = 0
    boilerplate: int = 0
    refreshed: int = 0  # documents re-read because their file changed since the last scan
    left_out_stale: list[str] = field(default_factory=list)  # paths left out: spans could not be re-anchored
    stale_spans_omitted: int = 0  # with allow_stale: stale spans not exported
    missing_left_out: int = 0
    unreadable_left_out: int = 0
    duplicates_left_out: int = 0  # with dedup: near-duplicates left out, one kept per cluster
    workers: int = 0  # worker processes that rendered it (0: this process alone)
    label_config: str | None = None  # label-studio: where its labelling config went ("-": stdout)

    def line(self, command: str = "") -> str:
        """One line for a person. The options that would include what was left out are named as
        the CLI's flags; ``command`` (e.g. ``"corpus-tui export"``) names them as a command to run,
        for the app, where there are no flags to add."""
        where = "stdout" if self.output == "-" else self.output

        def include_them(flag: str) -> str:
            return f" ({command} {flag} includes them)" if command else f" ({flag} to include them)"

        text = (
            f"exported {plural(self.documents, 'document')} ({plural(self.annotations, 'annotation')}, "
            f"{plural(self.boilerplate, 'boilerplate range')}) as {self.format} to {where}"
        )
        if self.format == "label-studio":
            config = {None: None, "-": "stdout"}.get(self.label_config, self.label_config)
            text += (f", labelling config to {config}" if config
                     else ", no labelling config (--label-config PATH writes it)")
        notes = []
        if self.left_out_stale:
            notes.append(f"{len(self.left_out_stale):,} left out with stale spans" + include_them("--allow-stale"))
        if self.stale_spans_omitted:
            notes.append(f"{plural(self.stale_spans_omitted, 'stale span')} omitted")
        if self.missing_left_out:
            notes.append(f"{self.missing_left_out:,} missing left out" + include_them("--include-missing"))
        if self.unreadable_left_out:
            notes.append(f"{self.unreadable_left_out:,} unreadable left out")
        if self.duplicates_left_out:
            notes.append(f"{plural(self.duplicates_left_out, 'near-duplicate')} left out (one kept per cluster)")
        if self.refreshed:
            notes.append(f"{self.refreshed} changed on disk and re-read first")
        return text + ("; " + ", ".join(notes) if notes else "")

    def warnings(self) -> list[str]:
        return [
            f"{path}: left out: its file changed and some spans could not be found again "
            "(review it in the app, or --allow-stale to export its other spans)"
            for path in self.left_out_stale
        ]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, chunk: Rendered) -> None:
        add_counts(self, chunk)


def export(
    corpus: Corpus,
    fmt: str,
    output: Path | Literal["-"],
    *,
    statuses: Sequence[str] = (),
    tags: Sequence[str] = (),
    exclude_tags: Sequence[str] = (),
    only_annotated: bool = False,
    include_missing: bool = False,
    dedup: bool = False,
    allow_stale: bool = False,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    text_columns: Sequence[str] = (),
    doccano_spans: str = "label",
    label_studio_offsets: str = "code-points",
    label_config: Path | Literal["-"] | None = None,
) -> ExportSummary:
    """Export the documents the filters select to ``output`` (``"-"``: stdout) as ``fmt``.

    ``jobs``: worker processes for the line formats (see ``parallel``); None
    picks one per CPU for large selections, 1 renders everything here.
    ``text_columns`` (csv): add ``text`` and/or ``clean_text``. ``doccano_spans``:
    ``label`` or ``entities`` (intent detection and slot filling).
    ``label_studio_offsets``: ``code-points`` or ``utf-16``. ``label_config``
    (label-studio): where the labelling config goes; by default beside the
    output (``NAME.label-config.xml``), nowhere when the tasks go to stdout. ``dedup``:
    one document per cluster of near-duplicates at the default threshold (the one
    ``duplicates.clusters.keeper`` picks), the others counted in ``duplicates_left_out``.
    """
    if fmt not in ALL_FORMATS:
        raise InvalidValue(f"unknown export format {fmt!r} (one of: {', '.join(ALL_FORMATS)})")
    key = line_format(fmt, text_columns=text_columns, doccano_spans=doccano_spans, offsets=label_studio_offsets)
    if isinstance(output, str) and not output.strip():  # Path("") is ".": the current folder (a trial)
        raise InvalidValue("the output path is empty: give a file or a folder (-o PATH), or - for stdout")
    to_stdout = isinstance(output, str) and output == "-"
    if to_stdout and fmt not in STREAM_FORMATS:
        kind = "a file" if fmt == "parquet" else "a folder"
        raise InvalidValue(f"{fmt} writes {kind}: give an output path (-o PATH), not -")
    if label_config is not None and fmt != "label-studio":
        raise InvalidValue("a labelling config (--label-config) is written by the label-studio format only")
    if fmt == "parquet":
        require_pyarrow()
    path = None if to_stdout else Path(output)
    if path is not None:
        out.check_target(path, fmt in FOLDER_FORMATS, force, corpus.folder, corpus.db_path)
    studio = LabelStudioOutput(config_target(path, label_config)) if fmt == "label-studio" else None
    if studio is not None and isinstance(studio.target, Path):
        out.check_target(studio.target, False, force, corpus.folder, corpus.db_path)
    check_jobs(jobs)
    filters = Filters(tuple(statuses), tuple(tags), tuple(exclude_tags), only_annotated, include_missing, dedup)
    try:
        filters.check(corpus)
        summary = ExportSummary(fmt, "-" if path is None else str(path))
        if studio is not None and studio.target is not None:
            summary.label_config = str(studio.target)
        count = workers_for(jobs, selected_count(corpus, filters)) if fmt in STREAM_FORMATS else 0
        with _start_workers(count) as pool, _config_file(studio, force):
            summary.refreshed, starts = _refresh(corpus, filters, pool)
            if dedup:  # files re-read just now are signed; the kept documents follow today's statuses
                corpus.refresh_duplicates()
                filters = dedup_filters(corpus, filters, allow_stale)
                summary.duplicates_left_out = len(json.loads(filters.left_out))
            if pool is not None and pool.workers:
                with out.output_stream(path, force) as stream:
                    target = None if path is None else Path(stream.name)
                    summary.workers = len(pool.workers)
                    if not _write_in_workers(pool, corpus, key, stream, target, starts, filters, allow_stale,
                                             summary, progress, studio):
                        summary.workers = 0
                        with _read_snapshot(corpus):  # the workers could not start: render here
                            _count_left_out(corpus, filters, summary)
                            _write_stream(corpus, key, stream, filters, allow_stale, summary, progress, studio)
            else:
                with _read_snapshot(corpus):
                    _count_left_out(corpus, filters, summary)
                    _write(corpus, key, path, force, filters, allow_stale, summary, progress, studio)
    except sqlite3.Error as error:
        raise translate(error, corpus.db_path) from None
    if studio is not None:
        studio.print_config()
    return summary


@contextmanager
def _config_file(studio: LabelStudioOutput | None, force: bool) -> Iterator[None]:
    if studio is None:
        yield
        return
    with studio.config_file(force):
        yield


def _refresh(corpus: Corpus, filters: Filters, pool: WorkerPool | None) -> tuple[int, list[str]]:
    """Re-read files changed since the last scan, found by the workers when there are any
    (if they fail, they are stopped and this process does it all); and, for the
    workers, the first path of each block of documents, cut meanwhile."""
    if pool is not None:
        where, params = refresh_query(filters)
        try:
            pool.check_files(corpus.db_path, corpus.folder, where, params)
            starts = blocks(corpus, filters, parallel.BLOCK, parallel.BLOCK_BYTES)
            changes = pool.changes()
        except WorkerFailed:
            pool.close(kill=True)
        else:
            return apply_changes(corpus, *changes), starts
    return refresh_changed(corpus, filters), []


def _count_left_out(corpus: Corpus, filters: Filters, summary: ExportSummary) -> None:
    left_out = count_left_out(corpus, filters)
    summary.missing_left_out, summary.unreadable_left_out = left_out["missing"], left_out["unreadable"]


@contextmanager
def _start_workers(count: int) -> Iterator[WorkerPool | None]:
    """A pool of ``count`` export workers, or None (none wanted, or they cannot start)."""
    if count == 0:
        yield None
        return
    try:
        pool = WorkerPool(count)
    except OSError:  # no interpreter to start (an embedded Python): render here
        yield None
        return
    with pool:
        yield pool


def _write_in_workers(
    pool: WorkerPool,
    corpus: Corpus,
    fmt: str,
    stream: IO[bytes],
    target: Path | None,
    starts: list[str],
    filters: Filters,
    allow_stale: bool,
    summary: ExportSummary,
    progress: Callable[[int, int], None] | None,
    studio: LabelStudioOutput | None,
) -> bool:
    """Render the line format ``fmt`` (a ``line_format`` key) through ``pool`` into
    ``target`` (the file behind ``stream``) or, when None, to ``stream``. False when
    the workers could not start: nothing written then."""
    where, params = selection_query(filters)
    with _write_lock(corpus) as locked:
        if not locked:
            pool.close(kill=False)
            return False
        try:
            pool.take_snapshot(corpus.db_path, where, params, fmt, allow_stale, target)
        except WorkerFailed:
            pool.close(kill=True)
            return False
        _count_left_out(corpus, filters, summary)
        total = selected_count(corpus, filters)
        if studio is not None:
            studio.collect(corpus)
    advance = _progress_counter(total, progress)
    sink: Any = studio.wrap(stream) if studio is not None and target is None else stream
    sink.write(header(fmt))
    sink.flush()
    end = pool.render(starts or [""], total, stream.tell() if target else 0, None if target else sink, summary.add,
                      advance)
    pool.close(kill=False)  # they have written everything; done before the output is renamed
    if studio is not None:
        if target is None:
            studio.finish(sink)
        else:
            studio.finish_file(stream, end)
    return True


def _progress_counter(total: int, progress: Callable[[int, int], None] | None) -> Callable[[int], None]:
    """``advance(count)``: ``count`` more documents done; reports ``(done, total)``, starting at 0 now."""
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, total)

    advance(0)
    return advance


def _write_stream(
    corpus: Corpus,
    fmt: str,
    stream: IO[bytes],
    filters: Filters,
    allow_stale: bool,
    summary: ExportSummary,
    progress: Callable[[int, int], None] | None,
    studio: LabelStudioOutput | None,
) -> None:
    """A line format (a ``line_format`` key) rendered here, chunk by chunk (inside a read snapshot)."""
    total, chunks = selected_ids(corpus, filters)
    sink: Any = stream
    if studio is not None:
        studio.collect(corpus)
        sink = studio.wrap(stream)
    advance = _progress_counter(total, progress)
    sink.write(header(fmt))
    for ids in chunks:
        chunk = render_chunk(fmt, allow_stale, ids, fetch_chunk(corpus.db.conn, ids))
        sink.write(chunk.data)
        summary.add(chunk)
        advance(len(ids))
    if studio is not None:
        studio.finish(sink)


@contextmanager
def _write_lock(corpus: Corpus) -> Iterator[bool]:
    """Hold the database's write lock (no other connection can commit meanwhile), if it
    comes within ``WRITE_LOCK_WAIT_MS``; yields whether it did."""
    conn = corpus.db.conn
    if conn.in_transaction:
        raise RuntimeError("export needs a connection with no transaction open")
    (previous,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute(f"PRAGMA busy_timeout = {WRITE_LOCK_WAIT_MS}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # a long write elsewhere: export without workers rather than wait
        yield False
        return
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(previous)}")
    try:
        yield True
    finally:
        conn.execute("ROLLBACK")  # nothing was written: ending the transaction releases the lock


@contextmanager
def _read_snapshot(corpus: Corpus) -> Iterator[None]:
    """One read transaction: every chunk sees the same database state, even while
    another process writes (WAL readers never block writers, nor wait for them)."""
    conn = corpus.db.conn
    if conn.in_transaction:
        raise RuntimeError("export needs a connection with no transaction open")
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # nothing was written: ending the snapshot is all this does


def _write(
    corpus: Corpus,
    fmt: str,
    path: Path | None,
    force: bool,
    filters: Filters,
    allow_stale: bool,
    summary: ExportSummary,
    progress: Callable[[int, int], None] | None,
    studio: LabelStudioOutput | None,
) -> None:
    if fmt.partition(":")[0] in STREAM_FORMATS:
        with out.output_stream(path, force) as stream:
            _write_stream(corpus, fmt, stream, filters, allow_stale, summary, progress, studio)
        return
    total, chunks = selected_ids(corpus, filters)
    advance = _progress_counter(total, progress)

    def feed(writer: Any) -> None:
        for ids in chunks:
            tally = Rendered()
            for record in records_from(ids, fetch_chunk(corpus.db.conn, ids)):
                if accept(record, allow_stale, tally):
                    writer.write(record)
            summary.add(tally)
            advance(len(ids))
        writer.close()

    assert path is not None
    if fmt == "parquet":
        with out.atomic_file(path, force) as temporary:
            writer = ParquetWriter(temporary)
            try:
                feed(writer)
            except BaseException:
                writer.abort()
                raise
    else:
        marker = {"format": fmt, "schema": SCHEMA, "tool": "corpus-tui"}
        with out.atomic_folder(path, force, marker) as folder:
            if fmt == "brat":  # type names told apart by every label the corpus has (brat.BratWriter)
                labels = [row["label"] or "" for row in corpus.query(
                    "SELECT DISTINCT label FROM spans WHERE kind = 'annotation'")]
                feed(BratWriter(folder, selected_paths(corpus, filters), labels))
            else:
                feed(FOLDER_FORMATS[fmt](folder, selected_paths(corpus, filters)))


__all__ = ["ALL_FORMATS", "FORMATS", "STREAM_FORMATS", "ExportSummary", "export"]
