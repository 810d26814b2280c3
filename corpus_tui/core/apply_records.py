"""``corpus-tui apply``: a rules bundle applied to JSONL or Parquet shards, partition by partition.

A *partition* is one input file (folders are searched for ``*.jsonl``, ``*.json``, ``*.ndjson``
and ``*.parquet``, in path order). Each is read record by record (memory stays flat) and written
to ``OUTPUT/NAME.jsonl`` (or ``.parquet``), its records in their input order, each with its
original fields plus ``clean_text`` and ``attributes.corpus_tui__boilerplate``: the boilerplate
ranges as ``[start, end, score]`` lists (Dolma's attribute layout; code-point offsets into the
text field; score 1.0, a rule's decision). ``NAME`` is the input's path below its root with
``/`` as ``__``. A partition is written to a temporary file and renamed when complete, so a
crash leaves no half partition, and a rerun skips the partitions already there.

A record that is not JSON, not an object, or has no string text field is not dropped: it
goes to ``OUTPUT/NAME.rejects.jsonl`` as ``{"source", "line", "error"}`` (and ``"id"``, its
id field, when it has one) and is counted.

``process_partition`` is the whole job of one partition: the local engine runs it on every
core (processes), the Dask engine as one task a partition on a ``dask.distributed`` cluster,
so both give the same bytes (a killed Dask worker's task runs again from the start).
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .bundle import Bundle, apply_bundle
from .errors import InvalidValue

ATTRIBUTE = "corpus_tui__boilerplate"
INPUT_SUFFIXES = (".jsonl", ".json", ".ndjson", ".parquet")
FORMATS = ("jsonl", "parquet")
PARQUET_BATCH = 1000


@dataclass(frozen=True)
class Partition:
    source: str  # the input file
    name: str  # its output name, without suffix


@dataclass
class PartitionResult:
    name: str
    records: int = 0
    rejected: int = 0
    skipped: bool = False  # already written by an earlier run

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Job:
    bundle: Bundle
    output: str
    fmt: str = "jsonl"
    text_field: str = "text"
    id_field: str = "id"


def find_partitions(inputs: list[str]) -> list[Partition]:
    """Every input file, in path order; an input that is neither a file nor a folder is an error."""
    found: list[Partition] = []
    for given in inputs:
        path = Path(given)
        if path.is_file():
            found.append(Partition(str(path), _name(path.name)))
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(INPUT_SUFFIXES))
            found += [Partition(str(p), _name(str(p.relative_to(path)))) for p in files]
        else:
            raise InvalidValue(f"{given}: no such file or folder")
    names = [p.name for p in found]
    if len(set(names)) != len(names):
        duplicate = next(n for n in names if names.count(n) > 1)
        raise InvalidValue(f"two inputs would both be written as {duplicate}: give them from one folder")
    return found


def _name(relative: str) -> str:
    stem = relative
    for suffix in INPUT_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem.replace(os.sep, "__").replace("/", "__")


def output_path(job: Job, partition: Partition) -> Path:
    return Path(job.output) / f"{partition.name}.{job.fmt}"


def process_partition(job: Job, partition: Partition) -> PartitionResult:
    """Apply the bundle to every record of one partition and write it atomically (module docstring)."""
    target = output_path(job, partition)
    result = PartitionResult(partition.name)
    if target.exists():
        result.skipped = True
        return result
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    rejects_target = target.with_name(f"{partition.name}.rejects.jsonl")
    rejects_partial = rejects_target.with_name(f".{rejects_target.name}.{os.getpid()}.partial")
    try:
        with open(rejects_partial, "w", encoding="utf-8") as rejects, _writer(job.fmt, partial) as write:
            for number, record, error in _records(partition.source, job.text_field):
                if error is None:
                    try:
                        out = _applied(job, record)
                        write(_json_line(out) if job.fmt == "jsonl" else out)
                    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as problem:
                        error = _why(problem)
                if error is not None:
                    reject = {"source": partition.source, "line": number, "error": error}
                    if isinstance(record, dict) and isinstance(record.get(job.id_field), (str, int)):
                        reject["id"] = record[job.id_field]
                    rejects.write(_json_line(reject, lenient=True))
                    result.rejected += 1
                    continue
                result.records += 1
        if result.rejected:
            os.replace(rejects_partial, rejects_target)
        else:
            os.unlink(rejects_partial)
        os.replace(partial, target)  # last: its presence means the partition is complete
    except BaseException:
        for leftover in (partial, rejects_partial):
            if leftover.exists():
                leftover.unlink()
        raise
    return result


def _json_line(record: dict[str, Any], lenient: bool = False) -> str:
    """One JSONL line; dates and times as ISO 8601 (Parquet input), anything else JSON cannot
    hold (bytes, a lone surrogate) is a TypeError or UnicodeEncodeError: the record is rejected."""
    line = json.dumps(record, ensure_ascii=False, default=str if lenient else _plain) + "\n"
    if lenient:
        return line.encode("utf-8", "backslashreplace").decode("utf-8")
    line.encode("utf-8")  # a lone surrogate cannot be written as UTF-8
    return line


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"a {type(value).__name__} value, which JSON cannot hold")


def _why(problem: BaseException) -> str:
    if isinstance(problem, RecursionError):
        return "nested too deep"
    if isinstance(problem, UnicodeEncodeError):
        return "holds a lone surrogate, which UTF-8 cannot hold"
    return " ".join(str(problem).split()) or type(problem).__name__


def _applied(job: Job, record: dict[str, Any]) -> dict[str, Any]:
    applied = apply_bundle(job.bundle, record[job.text_field])
    out = dict(record)
    out["clean_text"] = applied.clean_text
    attributes = out.get("attributes")
    if isinstance(attributes, str):  # this command's own Parquet output keeps them as JSON text
        try:
            attributes = json.loads(attributes)
        except ValueError:
            raise ValueError("its 'attributes' is text that is not JSON") from None
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        raise ValueError(f"its 'attributes' is {type(attributes).__name__}, not an object: "
                         "corpus-tui would have to replace it")
    attributes = dict(attributes)
    attributes[ATTRIBUTE] = applied.spans
    out["attributes"] = attributes
    return out


def _records(source: str, text_field: str) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """(line or row number, record, error or None) of every record of a file."""
    if source.endswith(".parquet"):
        yield from _parquet_records(source, text_field)
        return
    with open(source, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError as error:
                yield number, {}, f"not JSON: {error}"
                continue
            except RecursionError:
                yield number, {}, "not JSON this reader can take: nested too deep"
                continue
            yield number, record, _problem(record, text_field)


def _problem(record: Any, text_field: str) -> str | None:
    if not isinstance(record, dict):
        return f"not a JSON object but {type(record).__name__}"
    if text_field not in record:
        return f"no {text_field!r} field"
    if not isinstance(record[text_field], str):
        return f"{text_field!r} is {type(record[text_field]).__name__}, not a string"
    return None


def _parquet_records(source: str, text_field: str) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    from .export.parquet import require_pyarrow

    require_pyarrow()
    import pyarrow.parquet as pq

    number = 0
    for batch in pq.ParquetFile(source).iter_batches(batch_size=PARQUET_BATCH):
        for record in batch.to_pylist():
            number += 1
            yield number, record, _problem(record, text_field)


class _writer:
    """A context manager giving ``write(record)`` for the output format. A Parquet partition's
    columns are its first record's (a field that is null there is a string column); a later
    record with another field, or a value its column cannot hold, raises ValueError there and
    then, so the caller rejects that record alone."""

    def __init__(self, fmt: str, path: Path):
        self.fmt, self.path = fmt, path
        self.handle: Any = None
        self.rows: list[dict[str, Any]] = []
        self.parquet: Any = None
        self.schema: Any = None

    def __enter__(self) -> Callable[[Any], Any]:
        if self.fmt == "jsonl":
            self.handle = open(self.path, "w", encoding="utf-8", newline="\n")
            return self.handle.write  # given lines: each was encoded (and checked) before
        return self._parquet_row

    def _parquet_row(self, record: dict[str, Any]) -> None:
        from .export.parquet import require_pyarrow

        pa = require_pyarrow()
        row = dict(record, attributes=json.dumps(record["attributes"], ensure_ascii=False))
        if self.schema is None:
            inferred = pa.Table.from_pylist([row]).schema
            self.schema = pa.schema([pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f
                                     for f in inferred])
        extra = [name for name in row if self.schema.get_field_index(name) < 0]
        if extra:
            raise ValueError(f"field {extra[0]!r} is not a column of this partition (its first record's fields)")
        try:
            pa.Table.from_pylist([row], schema=self.schema)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"a value its Parquet column cannot hold ({' '.join(str(error).split())[:200]})") from None
        self.rows.append(row)
        if len(self.rows) >= PARQUET_BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return
        from .export.parquet import require_pyarrow

        pa = require_pyarrow()
        import pyarrow.parquet as pq

        if self.parquet is None:
            self.parquet = pq.ParquetWriter(str(self.path), self.schema, compression="zstd")
        self.parquet.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
        self.rows = []

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()
        if self.fmt == "parquet":
            if exc[0] is None:
                self._flush()
            if self.parquet is not None:
                self.parquet.close()
            elif exc[0] is None:  # no record at all: an empty file still says "done"
                from .export.parquet import require_pyarrow

                pa = require_pyarrow()
                import pyarrow.parquet as pq

                pq.write_table(pa.table({}), str(self.path))


@dataclass
class ApplySummary:
    partitions: int = 0
    skipped: int = 0  # partitions an earlier run had finished
    records: int = 0
    rejected: int = 0
    engine: str = "local"

    def line(self) -> str:
        text = (f"applied the rules to {self.records} records in {self.partitions - self.skipped} partitions "
                f"({self.engine} engine)")
        notes = []
        if self.skipped:
            notes.append(f"{self.skipped} partitions already done, skipped")
        if self.rejected:
            notes.append(f"{self.rejected} records rejected (see the *.rejects.jsonl files)")
        return text + ("; " + ", ".join(notes) if notes else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, result: PartitionResult) -> None:
        self.partitions += 1
        self.skipped += result.skipped
        self.records += result.records
        self.rejected += result.rejected


def remove_leftovers(job: Job) -> None:
    """Delete the temporary files of partitions a killed worker or run was writing: they are
    written again (called by the driver before and after a run, when no task is running)."""
    folder = Path(job.output)
    if folder.is_dir():
        for leftover in folder.glob(".*.partial"):
            leftover.unlink(missing_ok=True)


def run_local(job: Job, partitions: list[Partition], workers: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> ApplySummary:
    """Every partition on ``workers`` processes (default: one per CPU); one alone runs here."""
    remove_leftovers(job)
    summary = ApplySummary(engine="local")
    workers = workers or max(1, os.cpu_count() or 1)
    if workers == 1 or len(partitions) == 1:
        for done, partition in enumerate(partitions, 1):
            summary.add(process_partition(job, partition))
            if progress:
                progress(done, len(partitions))
        return summary
    import multiprocessing

    with ProcessPoolExecutor(max_workers=min(workers, len(partitions)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(process_partition, job, partition) for partition in partitions]
        for done, future in enumerate(as_completed(futures), 1):
            summary.add(future.result())
            if progress:
                progress(done, len(partitions))
    return summary


def run_dask(job: Job, partitions: list[Partition], scheduler: str | None = None, workers: int = 2,
             progress: Callable[[int, int], None] | None = None) -> ApplySummary:
    """One task a partition on a ``dask.distributed`` cluster (at ``scheduler``; none: a
    ``LocalCluster`` of ``workers`` processes). Tasks are retried when a worker dies."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed as dask_completed
    except ImportError:
        raise InvalidValue("--engine dask needs dask.distributed: pip install 'corpus-tui[dask]'") from None
    remove_leftovers(job)
    summary = ApplySummary(engine="dask")
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster if cluster is not None else scheduler)
    try:
        futures = client.map(process_partition, [job] * len(partitions), partitions, pure=False, retries=3)
        for done, future in enumerate(dask_completed(futures), 1):
            summary.add(future.result())
            if progress:
                progress(done, len(partitions))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    remove_leftovers(job)  # a killed worker's half-written partition, written again by its retry
    return summary
