"""``corpus-tui apply``: a rules bundle applied to JSONL or Parquet shards, partition by partition.

A *partition* is one input file (folders are searched for ``*.jsonl``, ``*.json``, ``*.ndjson``
and ``*.parquet``, in path order). Each is read record by record (memory stays flat) and written
to ``OUTPUT/NAME.jsonl`` (or ``.parquet``), its records in their input order, each with its
original fields plus ``clean_text`` and ``attributes.corpus_tui__boilerplate``: the boilerplate
ranges as ``[start, end, score]`` lists (Dolma's attribute layout; code-point offsets into the
text field; score 1.0, a rule's decision). A JSONL record that has neither yet keeps its own
fields as they were read, byte for byte (``_record_line``); any other is written again by
``json``. ``NAME`` is the input's path below its root with
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
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass
from json.encoder import encode_basestring  # json.dumps(text, ensure_ascii=False), without its set-up
from pathlib import Path
from typing import Any

from .apply_dedup import (
    DECISIONS,
    WORK_FOLDER,
    Decided,
    band_tasks,
    bundle_digest,
    decide_keepers,
    dedup_settings,
    equal_tasks,
    input_stamp,
    load_decisions,
    remove_work_files,
    run_identity,
    save_decisions,
    shard_count,
    sign_partition,
    signature_count,
    work_folder,
)
from .apply_lsh import SignatureFiles, find_equal, pair_bands, spill_bands, verify_shard
from .child_process import WorkerPool, pool_worker
from .bundle import RULE_SCORE, Bundle, apply_bundle, clean_and_ranges
from .apply_shuffle import partial_path
from .durable import replace_durably
from .errors import InvalidValue
from .export.json_formats import escape_separators, escape_separators_utf8
from .wording import json_problem, plural

ATTRIBUTE = "corpus_tui__boilerplate"
INPUT_SUFFIXES = (".jsonl", ".json", ".ndjson", ".parquet")
_SUFFIXES_SAID = ", ".join(INPUT_SUFFIXES[:-1]) + " or " + INPUT_SUFFIXES[-1]
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
    dropped: int = 0  # near-duplicates left out (--dedup)
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


def find_partitions(inputs: list[str], output: str | None = None) -> list[Partition]:
    """Every input file, in path order; an input that is neither a file nor a folder is an error,
    and so is an ``output`` folder inside an input folder (a rerun would read its outputs as
    inputs)."""
    if output is not None:
        _check_output_outside(inputs, output)
    found: list[Partition] = []
    for given in inputs:
        path = Path(given)
        if path.is_file():
            if not path.name.endswith(INPUT_SUFFIXES):
                raise InvalidValue(f"{given}: not an input apply reads: its name must end in {_SUFFIXES_SAID}")
            found.append(Partition(str(path), _name(path.name)))
        elif path.is_dir():
            found += [Partition(str(p), _name(str(p.relative_to(path)))) for p in _folder_inputs(given, path)]
        elif path.exists() or path.is_symlink():
            raise InvalidValue(f"{given}: not a file or folder apply reads (a link to nothing, a pipe, a device)")
        else:
            raise InvalidValue(f"{given}: no such file or folder")
    _check_read_once(found)
    for partition in found:
        _check_parquet(partition.source)
    names = [p.name for p in found]
    if len(set(names)) != len(names):
        duplicate = next(n for n in names if names.count(n) > 1)
        raise InvalidValue(f"two inputs would both be written as {duplicate}: give them from one folder")
    # NAME.rejects.jsonl and NAME.duplicates.jsonl are written beside each output: an input named
    # so beside NAME would be overwritten by NAME's (its records silently gone), and an earlier
    # run's output folder given back as input holds exactly such files.
    by_name = {p.name: p for p in found}
    for partition in found:
        for side in SIDE_FILES:
            clash = by_name.get(f"{partition.name}.{side}")
            if clash is not None:
                raise InvalidValue(f"{clash.source}: apply writes {partition.name}.{side}.jsonl for "
                                   f"{partition.source}, which would take this input's place "
                                   "(an earlier apply's output folder?): give it under another name")
    return found


def _folder_inputs(given: str, folder: Path) -> list[Path]:
    """The input files under a folder, in path order. Hidden files and folders are left out, as a
    scan leaves them (an editor's, a sync tool's; a crawl's ``.cache``). A folder apply wrote is
    refused: its outputs are records apply wrote, and its ``.apply-run.json`` was read as one.
    A link to nothing with an input's name is an error, not a file silently skipped."""
    files = []
    outputs = [found.parent for found in folder.rglob(RUN_RECORD)] + ([folder] if (folder / ".dedup").is_dir() else [])
    if outputs:  # given, or below what was given
        raise InvalidValue(f"{outputs[0]}: an output folder of apply (it holds {RUN_RECORD}): give the crawl it was "
                           "written from, or copy the records elsewhere to apply rules to them again")
    for path in folder.rglob("*"):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if not path.name.endswith(INPUT_SUFFIXES):
            continue
        if path.is_file():
            files.append(path)
        elif not path.is_dir():
            raise InvalidValue(f"{path}: not a file apply reads (a link to nothing, a pipe, a device)")
    if not files:  # a wrong folder must not look like a run that had nothing to do
        raise InvalidValue(f"{given}: no input file in this folder: no name in it ends in {_SUFFIXES_SAID}")
    return sorted(files)


def _check_read_once(found: list[Partition]) -> None:
    """One file given twice (``apply in in/sub``, or a link to it, hard or symbolic) would be
    written twice, under two names: refused, naming both."""
    seen: dict[tuple[int, int], Partition] = {}
    for partition in found:
        info = os.stat(partition.source)
        identity = (info.st_dev, info.st_ino)  # a link, hard or symbolic, is the file it names
        if identity in seen:
            first = seen[identity].source
            how = ("reached twice through the inputs given" if first == partition.source
                   else f"the same file as {first}, reached through two inputs")
            raise InvalidValue(f"{partition.source}: {how}: give it once")
        seen[identity] = partition


def _check_parquet(source: str) -> None:
    """A Parquet input whose footer does not read (cut short, not Parquet) is refused before
    anything is written, in one line: it was a traceback, with a run record left behind."""
    if not source.endswith(".parquet"):
        return
    from .export.parquet import require_pyarrow

    pa = require_pyarrow()
    import pyarrow.parquet as pq

    try:
        pq.ParquetFile(source).close()
    except (pa.ArrowException, OSError) as error:
        raise InvalidValue(f"{source}: not a Parquet file apply can read ({' '.join(str(error).split())[:160]})") from None


def _check_output_outside(inputs: list[str], output: str) -> None:
    """Outputs and inputs never share a folder: an output folder inside an input folder (a rerun
    would read the outputs as inputs), or holding an input file (its output could take the
    input's place), is refused."""
    target = Path(output).resolve()
    for given in inputs:
        path = Path(given).resolve()
        if path.is_dir() and (target == path or path in target.parents):
            raise InvalidValue(f"{output}: the output folder is inside the input folder {given}, so a rerun would "
                               "read its outputs as inputs: give a folder outside it")
        if path.is_file() and target in path.parents:
            raise InvalidValue(f"{output}: the output folder holds the input {given}, whose output could take "
                               "its place: give a folder outside it")


SIDE_FILES = ("rejects", "duplicates")  # NAME.rejects.jsonl, NAME.duplicates.jsonl beside NAME's output


def _name(relative: str) -> str:
    stem = relative
    for suffix in INPUT_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return stem.replace(os.sep, "__").replace("/", "__")


def output_path(job: Job, partition: Partition) -> Path:
    return Path(job.output) / f"{partition.name}.{job.fmt}"


def process_partition(job: Job, partition: Partition, decided: Decided | None = None,
                      partition_index: int = 0) -> PartitionResult:
    """Apply the bundle to every record of one partition and write it atomically (module
    docstring), leaving out the records ``decided`` (``apply --dedup``'s decisions) drops from
    it, which are listed in ``NAME.duplicates.jsonl``."""
    target = output_path(job, partition)
    result = PartitionResult(partition.name)
    if target.exists():
        result.skipped = True
        return result
    drops = decided.drops(partition_index) if decided is not None else {}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    rejects_target = target.with_name(f"{partition.name}.rejects.jsonl")
    rejects_partial = rejects_target.with_name(f".{rejects_target.name}.{os.getpid()}.partial")
    duplicates_target = target.with_name(f"{partition.name}.duplicates.jsonl")
    duplicates_partial = duplicates_target.with_name(f".{duplicates_target.name}.{os.getpid()}.partial")
    writer = _writer(job.fmt, partial, partition.source)
    try:
        with open(rejects_partial, "w", encoding="utf-8") as rejects, writer as write, \
                open(duplicates_partial, "w", encoding="utf-8") as duplicates:
            for number, record, error, raw in read_records(partition.source, job.text_field):
                if error is None and number in drops:
                    if job.fmt == "parquet":  # left out, but its columns count as when it was signed
                        writer.observe(_applied(job, record))
                    kept_source, kept_line = drops[number]
                    duplicates.write(_duplicate_line(partition.source, number, record, job.id_field,
                                                     kept_source, kept_line))
                    result.dropped += 1
                    continue
                if error is None:
                    try:
                        write(_record_line(job, record, raw)[0] if job.fmt == "jsonl" else _applied(job, record))
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
        for written, final, count in ((rejects_partial, rejects_target, result.rejected),
                                      (duplicates_partial, duplicates_target, result.dropped)):
            if count:
                replace_durably(written, final)
            else:
                os.unlink(written)
                final.unlink(missing_ok=True)  # an earlier attempt's, which this one's output replaces
        replace_durably(partial, target)  # last: its presence means the partition is complete
    except BaseException:
        for leftover in (partial, rejects_partial, duplicates_partial):
            if leftover.exists():
                leftover.unlink()
        raise
    return result


def remove_empty_outputs(job: Job, partitions: list[Partition]) -> int:
    """Remove the partitions' outputs that hold no record, keeping their rejects files: after a
    run that rejected every record it read (a wrong ``--text-field``), so the corrected rerun into
    the same folder is not refused as one over partitions written with other options. Returns
    how many it removed."""
    removed = 0
    for partition in partitions:
        target = output_path(job, partition)
        if target.exists() and _holds_no_record(target, job.fmt):
            target.unlink()
            removed += 1
    return removed


def _holds_no_record(path: Path, fmt: str) -> bool:
    if fmt == "jsonl":
        return path.stat().st_size == 0
    import pyarrow.parquet as pq  # a Parquet output was written with it

    return int(pq.read_metadata(path).num_rows) == 0


def _duplicate_line(source: str, line: int, record: Any, id_field: str, kept_source: str, kept_line: int) -> str:
    """The line ``NAME.duplicates.jsonl`` holds for a record ``--dedup`` left out."""
    entry: dict[str, Any] = {"source": source, "line": line}
    if isinstance(record, dict) and isinstance(record.get(id_field), (str, int)):
        entry["id"] = record[id_field]
    entry["kept"] = {"source": kept_source, "line": kept_line}
    return _json_line(entry, lenient=True)


def _json_line(record: dict[str, Any], lenient: bool = False) -> str:
    """One JSONL line; dates and times as ISO 8601 (Parquet input), anything else JSON cannot
    hold (bytes, a lone surrogate) is a TypeError or UnicodeEncodeError: the record is rejected."""
    # U+0085, U+2028 and U+2029 escaped, as the export writes them: JSON allows them raw, but
    # str.splitlines (and some JavaScript) cut the record in two there.
    line = escape_separators(json.dumps(record, ensure_ascii=False, default=str if lenient else _plain)) + "\n"
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


def _record_line(job: Job, record: dict[str, Any], raw: bytes | None) -> tuple[bytes, str]:
    """A record's JSONL output line (UTF-8), and its clean text.

    A record read from a JSONL line (``raw``) with no ``clean_text`` or ``attributes`` field
    keeps that line as it was, byte for byte (but U+0085, U+2028 and U+2029, which JSON holds
    only inside strings, escaped), with the two fields added before its closing brace: a field
    is not parsed and written again, so a number keeps its digits
    (``1.0000000000000001``, ``1e400``) and the work is the text's alone. Any other record
    (those fields to replace or add to, a line that is not UTF-8) is written again by
    ``json``, the fields in the same order. A lone surrogate in the clean text raises
    UnicodeEncodeError, as in ``_json_line``: the record is rejected."""
    if raw is not None and "clean_text" not in record and "attributes" not in record:
        kept = raw.strip(JSON_WHITESPACE)
        if not kept.isascii():  # most crawls write JSON with \u escapes: ASCII, UTF-8 by definition
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:  # UTF-16 or UTF-32, which json.loads reads too
                kept = b""
            kept = kept.removeprefix(BOM)
            kept = escape_separators_utf8(kept)  # raw in a string of the input, the same value escaped
        if kept.endswith(b"}"):
            clean, marked = clean_and_ranges(job.bundle, record[job.text_field])
            spans = ", ".join([f"[{start}, {end}, {SCORE_JSON}]" for start, end in marked])
            # Only the added fields are encoded: the line's own bytes are copied as they are.
            return b"".join((kept[:-1], CLEAN_PREFIX, json_string_utf8(clean),
                             ATTRIBUTES_PREFIX, spans.encode("ascii"), FIELDS_END)), clean
    out = _applied(job, record)
    return _json_line(out).encode("utf-8"), out["clean_text"]


def json_string_utf8(text: str) -> bytes:
    """``json.dumps(text, ensure_ascii=False).encode()``, for less: on the UTF-8 bytes, where no
    byte of a multi-byte character is below 0x80, the escapes a text meets (backslash, quote,
    line feed) are ``bytes.replace``, one C scan each; a text with another control character
    takes ``json``'s own encoder. A lone surrogate raises UnicodeEncodeError, as ``json.dumps``'
    output would on ``.encode()``."""
    data = text.encode("utf-8")
    if data.translate(None, _NOT_RARE_CONTROLS):
        return escape_separators_utf8(encode_basestring(text).encode("utf-8"))
    if b"\\" in data:
        data = data.replace(b"\\", b"\\\\")
    if b'"' in data:
        data = data.replace(b'"', b'\\"')
    return escape_separators_utf8(b"".join((b'"', data.replace(b"\n", b"\\n"), b'"')))


# Every byte but the control characters json escapes other than the line feed: deleting these
# leaves a text's rare control characters, if it has any.
_NOT_RARE_CONTROLS = bytes(code for code in range(256) if code >= 0x20 or code == 0x0A)

JSON_WHITESPACE = b" \t\r\n"
BOM = "\ufeff".encode("utf-8")  # json.loads skips one at a file's start; it is not kept in the output
# json.dumps's own spelling of what is added: , "clean_text": "…", "attributes": {"…": [[s, e, score], …]}}
CLEAN_PREFIX = f", {json.dumps('clean_text')}: ".encode("ascii")
ATTRIBUTES_PREFIX = f", {json.dumps('attributes')}: {{{json.dumps(ATTRIBUTE)}: [".encode("ascii")
FIELDS_END = b"]}}\n"
SCORE_JSON = json.dumps(RULE_SCORE)  # every span's score, as json.dumps writes it: "1.0"


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


def read_records(source: str, text_field: str) -> Iterator[tuple[int, dict[str, Any], str | None, bytes | None]]:
    """(line or row number, record, error or None, the JSONL line or None) of every record of a file."""
    if source.endswith(".parquet"):
        yield from _parquet_records(source, text_field)
        return
    with open(source, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                record = _loads(raw)
            except ValueError:
                yield number, {}, f"not JSON: {_json_error(raw)}", raw
                continue
            except RecursionError:
                yield number, {}, "not JSON this reader can take: nested too deep", raw
                continue
            yield number, record, _problem(record, text_field), raw


def _json_error(raw: bytes) -> str:
    """Why a line is not JSON, read without its line break: a record cut short inside a string
    was "Invalid control character" (the break), not "Unterminated string"."""
    try:
        json.loads(raw.rstrip(b"\r\n"))
    except json.JSONDecodeError as error:
        return json_problem(error)
    except ValueError as error:  # not UTF-8, UTF-16 or UTF-32
        return str(error)
    return "not one JSON value"  # unreachable: the line did not load with its break either


def _loads(raw: bytes) -> Any:
    """``json.loads(raw)``, the same value or the same error, for less: a line that starts with
    ``{`` not followed by a NUL (what ``json.detect_encoding`` calls UTF-8) goes to the decoder's C scanner itself,
    without ``json.loads``' Python steps (4 µs of 10 on a 2 KB record); anything else, and any
    line the scanner does not take whole, goes to ``json.loads``, whose error is the one reported."""
    if raw[:1] == b"{" and len(raw) >= 4 and raw[1]:
        try:
            text = raw.decode("utf-8", "surrogatepass")
            value, end = _SCAN_ONCE(text, 0)
        except (StopIteration, ValueError, RecursionError):
            return json.loads(raw)
        if end == len(text) or not text[end:].strip(JSON_SPACE):
            return value
    return json.loads(raw)


_SCAN_ONCE = json.decoder.JSONDecoder().scan_once  # json.loads' own decoder settings
JSON_SPACE = JSON_WHITESPACE.decode("ascii")  # what json.loads skips around a document


def _problem(record: Any, text_field: str) -> str | None:
    if not isinstance(record, dict):
        return f"not a JSON object but {type(record).__name__}"
    if text_field not in record:
        return f"no {text_field!r} field"
    if not isinstance(record[text_field], str):
        return f"{text_field!r} is {type(record[text_field]).__name__}, not a string"
    return None


def _parquet_records(source: str, text_field: str) -> Iterator[tuple[int, dict[str, Any], str | None, None]]:
    from .export.parquet import require_pyarrow

    require_pyarrow()
    import pyarrow.parquet as pq

    number = 0
    for batch in pq.ParquetFile(source).iter_batches(batch_size=PARQUET_BATCH):
        for record in batch.to_pylist():
            number += 1
            yield number, record, _problem(record, text_field), None


def written_records(job: Job, source: str) -> Iterator[tuple[int, str]]:
    """(line, clean text) of every record ``process_partition`` writes (and does not
    reject), in order, writing nothing: what ``apply --dedup`` signs, so a record it keeps
    is never one the partition then rejects."""
    with _writer(job.fmt, None, source) as check:
        for number, record, error, raw in read_records(source, job.text_field):
            if error is not None:
                continue
            try:
                if job.fmt == "jsonl":
                    clean = _record_line(job, record, raw)[1]
                else:
                    out = _applied(job, record)
                    check(out)
                    clean = out["clean_text"]
            except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
                continue
            yield number, clean


class _writer:
    """A context manager giving ``write(record)`` for the output format. A Parquet partition's
    columns are its input's when that is Parquet (its schema, ``clean_text`` and ``attributes``
    added as strings), else its first record's (a field that is null there is a string column);
    a later record with another field, or a value its column cannot hold, raises ValueError there
    and then, so the caller rejects that record alone. With no path, it checks and writes nothing."""

    def __init__(self, fmt: str, path: Path | None, source: str | None = None):
        self.fmt, self.path = fmt, path
        self.handle: Any = None
        self.rows: list[dict[str, Any]] = []
        self.parquet: Any = None
        self.schema: Any = _parquet_schema(source) if fmt == "parquet" and source else None

    def __enter__(self) -> Callable[[Any], Any]:
        if self.fmt == "jsonl":
            if self.path is None:
                return lambda line: None  # the line was encoded (and checked) before
            self.handle = open(self.path, "wb")
            return self.handle.write  # given lines encoded as UTF-8 (which checked them)
        return self._parquet_row

    def observe(self, record: dict[str, Any]) -> None:
        """Parquet: check a record as ``write`` does, and let it set the columns when it is the
        first, without writing it (``written_records`` checked it so)."""
        self._parquet_row(record, keep=False)

    def _parquet_row(self, record: dict[str, Any], keep: bool = True) -> None:
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
        if self.path is None or not keep:
            return
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
        if self.fmt == "parquet" and self.path is not None:
            if exc[0] is None:
                self._flush()
            if self.parquet is not None:
                self.parquet.close()
            elif exc[0] is None:  # no record at all: an empty file still says "done"
                from .export.parquet import require_pyarrow

                pa = require_pyarrow()
                import pyarrow.parquet as pq

                pq.write_table(pa.table({}), str(self.path))


def _parquet_schema(source: str) -> Any:
    """The columns of a Parquet input's output: its own (a nullable column stays its type, a
    decimal its precision: guessed from a first record they were a string, a narrower decimal),
    and ``clean_text`` and ``attributes`` as written. None for an input of JSON lines."""
    if not source.endswith(".parquet"):
        return None
    from .export.parquet import require_pyarrow

    pa = require_pyarrow()
    import pyarrow.parquet as pq

    schema = pq.ParquetFile(source).schema_arrow
    fields = [field for field in schema if field.name not in ("clean_text", "attributes")]
    return pa.schema([*fields, pa.field("clean_text", pa.string()), pa.field("attributes", pa.string())])


@dataclass
class ApplySummary:
    partitions: int = 0
    skipped: int = 0  # partitions an earlier run had finished
    records: int = 0
    rejected: int = 0
    dropped: int = 0
    engine: str = "local"

    def line(self) -> str:
        text = (f"applied the rules to {plural(self.records, 'record')} in "
                f"{plural(self.partitions - self.skipped, 'partition')} ({self.engine} engine)")
        notes = []
        if self.skipped:
            notes.append(f"{plural(self.skipped, 'partition')} already done, skipped")
        if self.dropped:
            notes.append(f"{plural(self.dropped, 'near-duplicate')} left out (see the *.duplicates.jsonl files)")
        if self.rejected:
            notes.append(f"{plural(self.rejected, 'record')} rejected (see the *.rejects.jsonl files)")
        return text + ("; " + ", ".join(notes) if notes else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, result: PartitionResult) -> None:
        self.partitions += 1
        self.skipped += result.skipped
        self.records += result.records
        self.rejected += result.rejected
        self.dropped += result.dropped


def remove_leftovers(job: Job) -> None:
    """Delete the temporary files of partitions a killed worker or run was writing: they are
    written again (called by the driver before and after a run, when no task is running)."""
    folder = Path(job.output)
    if folder.is_dir():
        for leftover in [*folder.glob(".*.partial"), *folder.glob(f"{WORK_FOLDER}/.*.partial")]:
            leftover.unlink(missing_ok=True)


Progress = Callable[[str], Callable[[int, int], None] | None]  # a stage's name -> its progress(done, total)


def run_local(job: Job, partitions: list[Partition], workers: int | None = None,
              progress: Progress | None = None, dedup: bool = False) -> ApplySummary:
    """Every task on ``workers`` processes (default: one per CPU); with one, here."""
    workers = workers or max(1, os.cpu_count() or 1)
    with _LocalEngine(workers) as engine:
        return _run(engine, job, partitions, progress, dedup)


def run_dask(job: Job, partitions: list[Partition], scheduler: str | None = None, workers: int = 2,
             progress: Progress | None = None, dedup: bool = False) -> ApplySummary:
    """Every task (a partition, or a ``--dedup`` stage's share) on a ``dask.distributed``
    cluster (at ``scheduler``; none: a ``LocalCluster`` of ``workers`` processes). Tasks are
    retried when a worker dies."""
    with _DaskEngine(scheduler, workers) as engine:
        return _run(engine, job, partitions, progress, dedup)


def _run(engine: "_Engine", job: Job, partitions: list[Partition], progress: Progress | None,
         dedup: bool) -> ApplySummary:
    if dedup:
        dedup_settings(job.bundle)  # a bundle whose settings cannot be used is refused before any work
    remove_leftovers(job)
    summary = ApplySummary(engine=engine.name)
    decided = _decided(engine, job, partitions, progress) if dedup else _no_decisions(job, partitions)
    tasks = [(job, partition, decided, index) for index, partition in enumerate(partitions)]
    for result in engine.map(process_partition, tasks, _stage(progress, "applying")):
        summary.add(result)
    remove_leftovers(job)  # a killed worker's half-written partition, written again by its retry
    if dedup:
        remove_work_files(job.output)  # every partition is written; decisions.json stays for a rerun
    return summary


def _decided(engine: "_Engine", job: Job, partitions: list[Partition], progress: Progress | None
             ) -> Decided | None:
    """What ``--dedup`` leaves out: an earlier run's decisions in this output, when they were
    made from the same inputs and bundle (a rerun resumes with the drops its finished partitions
    were written with; None when every partition is written and the decisions' files are gone),
    else decided now. Finished partitions of a run with other inputs, rules or options cannot be
    resumed with these: refused."""
    sources = [partition.source for partition in partitions]
    identity = run_identity(job, sources)
    saved = load_decisions(job.output, sources)
    if saved is not None and "id_field" not in saved[0]:  # recorded before the id field was: a rerun resumes
        saved = ({**saved[0], "id_field": job.id_field}, saved[1])
    if saved is not None and saved[0] == identity:
        if saved[1] is not None or all(output_path(job, partition).exists() for partition in partitions):
            return saved[1]
    elif any(_written(job, partition) for partition in partitions):
        raise InvalidValue(f"{job.output}: its finished partitions were written by a run with other inputs, rules "
                           "or options (or without --dedup), so their drops may differ: give a new output folder")
    # Gone before the files it describes change, so it never stands for another run's files.
    (work_folder(job.output) / DECISIONS).unlink(missing_ok=True)
    decided = _decide(engine, job, partitions, progress)
    save_decisions(job.output, identity, decided)
    return decided


def _no_decisions(job: Job, partitions: list[Partition]) -> None:
    """A run without ``--dedup`` cannot finish one that left records out, nor one made with
    other rules or options, nor from inputs that changed since (``RUN_RECORD``)."""
    if load_decisions(job.output, []) is not None:
        if any(_written(job, partition) for partition in partitions):
            raise InvalidValue(f"{job.output}: holds the partitions of a --dedup run: run with --dedup again, "
                               "or give a new output folder")
    shutil.rmtree(work_folder(job.output), ignore_errors=True)  # a --dedup run's, killed before writing
    _check_and_record_run(job, partitions)


# OUTPUT/.apply-run.json: the bundle and options a plain run wrote its partitions with, and the
# size and modification time of each partition's input, so a rerun resumes only what they made.
RUN_RECORD = ".apply-run.json"


def _check_and_record_run(job: Job, partitions: list[Partition]) -> None:
    path = Path(job.output) / RUN_RECORD
    settings = {"bundle": bundle_digest(job.bundle), "format": job.fmt, "text_field": job.text_field,
                "id_field": job.id_field}
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        made = {key: record[key] for key in settings}
        inputs = dict(record["inputs"])
    except (OSError, ValueError, KeyError, TypeError):
        made, inputs = None, {}
    stamps = {partition.source: input_stamp(partition.source) for partition in partitions}
    for partition in partitions:
        if not _written(job, partition):
            continue
        if made != settings:
            why = "by a run with other rules or options" if made is not None else "by a run that did not record its rules"
            raise InvalidValue(f"{job.output}: its finished partitions were written {why}: give a new output "
                               "folder, or remove them to write them again")
        if inputs.get(os.path.abspath(partition.source)) != stamps[partition.source]:
            raise InvalidValue(f"{partition.source}: changed since {output_path(job, partition)} was written from it: "
                               "give a new output folder, or remove that file to write it again")
    os.makedirs(job.output, exist_ok=True)
    inputs.update({stamp["source"]: stamp for stamp in stamps.values()})
    partial = partial_path(path)
    partial.write_text(json.dumps({**settings, "inputs": inputs}, ensure_ascii=True), encoding="utf-8")
    replace_durably(partial, path)


def _written(job: Job, partition: Partition) -> bool:
    """Whether the partition's output is in the folder, in either format: a rerun in the other
    one would write beside it and replace its rejects file (the only record of what was left out)."""
    return any((Path(job.output) / f"{partition.name}.{fmt}").exists() for fmt in FORMATS)


def _decide(engine: "_Engine", job: Job, partitions: list[Partition], progress: Progress | None) -> Decided:
    """``apply_dedup``'s stages 1 to 6, each task run by the engine."""
    bundle, output = job.bundle, job.output
    settings = dedup_settings(bundle)
    files = engine.map(sign_partition, [(job, p.source, p.name) for p in partitions], _stage(progress, "signing"))
    signed = sum(signature_count(settings, path) for path in files)
    equal_count = equal_tasks(signed)
    copies = engine.map(find_equal, [(files, output, task, equal_count) for task in range(equal_count)],
                        _stage(progress, "grouping"))
    in_bands = signed - sum(copies)
    band_files = engine.map(spill_bands, [(bundle, path, output, index, equal_count) for index, path in enumerate(files)],
                            _stage(progress, "banding"))
    pair_count, shards = band_tasks(settings, in_bands), shard_count(in_bands)
    engine.map(pair_bands, [(bundle, band_files, output, task, pair_count, shards) for task in range(pair_count)],
               _stage(progress, "pairing"))
    engine.map(verify_shard, [(bundle, files, output, shard, shards, pair_count) for shard in range(shards)],
               _stage(progress, "verifying"))
    with SignatureFiles(files, settings) as signatures:
        decide_keepers(output, equal_count, shards, signatures.near)
    return Decided(output, tuple(partition.source for partition in partitions), equal_count)


def _stage(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    return progress(name) if progress else None


class _Engine:
    name = ""

    def map(self, function: Callable[..., Any], tasks: list[tuple[Any, ...]],
            progress: Callable[[int, int], None] | None) -> list[Any]:
        """``function(*task)`` of every task, in the tasks' order, whatever order they finish in."""
        raise NotImplementedError

    def __enter__(self) -> "_Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _LocalEngine(_Engine):
    name = "local"

    def __init__(self, workers: int):
        self.workers = workers
        self.pool: WorkerPool | None = None

    def map(self, function: Callable[..., Any], tasks: list[tuple[Any, ...]],
            progress: Callable[[int, int], None] | None) -> list[Any]:
        results: list[Any] = [None] * len(tasks)
        if self.workers == 1 or len(tasks) <= 1:
            for done, task in enumerate(tasks, 1):
                results[done - 1] = function(*task)
                if progress:
                    progress(done, len(tasks))
            return results
        if self.pool is None:
            import multiprocessing

            # Workers that end with this process: after a kill -9 of apply they slept for good on
            # their task pipe, which each holds both ends of (a trial).
            self.pool = WorkerPool(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=pool_worker, initargs=(os.getpid(),))
        futures = {self.pool.submit(function, *task): index for index, task in enumerate(tasks)}
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            if progress:
                progress(done, len(tasks))
        return results

    def __exit__(self, *exc: object) -> None:
        if self.pool is None:
            return
        if exc[0] is not None:  # Ctrl-C, an error: the queued partitions are not waited for
            self.pool.stop_now()
        else:
            self.pool.shutdown(cancel_futures=True)


class _DaskEngine(_Engine):
    name = "dask"

    def __init__(self, scheduler: str | None, workers: int):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise InvalidValue("--engine dask needs dask.distributed: pip install 'corpus-tui[dask]'") from None
        self.cluster = None
        if scheduler is None:
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
        if self.cluster is not None:
            self.client = Client(self.cluster)
            return
        try:
            self.client = Client(scheduler)
        except ValueError as error:  # "missing port number in address ...": a traceback (a trial)
            raise InvalidValue(f"--scheduler {scheduler}: {error} (a scheduler's address is tcp://HOST:PORT)") from None

    def map(self, function: Callable[..., Any], tasks: list[tuple[Any, ...]],
            progress: Callable[[int, int], None] | None) -> list[Any]:
        from dask.distributed import as_completed as dask_completed

        if not tasks:
            return []
        futures = self.client.map(function, *zip(*tasks), pure=False, retries=3)
        order = {future.key: index for index, future in enumerate(futures)}
        results: list[Any] = [None] * len(tasks)
        for done, future in enumerate(dask_completed(futures), 1):
            results[order[future.key]] = future.result()
            if progress:
                progress(done, len(tasks))
        return results

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
