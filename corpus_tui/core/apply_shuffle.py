"""The files ``apply --dedup``'s stages hand each other: how work keyed by a hash is split so
that no task holds more than its share, whatever the size of the input (a shuffle, on disk).

**Bucket files.** A task that produces keyed entries (a signature's hash, a band's slots)
writes them to one file, grouped by bucket (a number the key picks). It holds at most
``RUN_BYTES`` of entries: then it writes them out as a *run* — the buckets' byte offsets, then
the entries bucket by bucket — and starts again. A later task reads one range of buckets from
every such file (``read_bucket_range``: a seek and a read a run), so it sees only its share of
the keys, each key's entries in the order they were added (runs in order, a bucket's entries in
order within its run). A trailer — a magic number and the count of runs — ends the file, so a
file cut anywhere, even exactly between two runs, reads as damaged rather than as fewer entries.

**Segment files.** A task that produces output for other tasks (pairs for each verifying task,
members for each partition) writes it whole as segments: their byte offsets, then the segments;
the task that needs segment ``i`` reads only it.

Every file is written to a temporary name and renamed when complete, so a killed task leaves no
half file under the final name. Entries are fixed-width and hold native-order integers: the
machines of one cluster share a byte order.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate
from pathlib import Path
from types import TracebackType

from .durable import replace_durably
from .errors import damaged_work_file

RUN_BYTES = 16 << 20  # entries a bucket file's writer holds before writing a run
BUCKET_FILE_MAGIC = 0x3174656B63756243  # b"Cbucket1" little-endian: the trailer's first word
TRAILER_BYTES = 16  # the magic number, then the count of runs


def partial_path(target: Path) -> Path:
    """Where ``target`` is written before it is complete (its task's own name)."""
    return target.with_name(f".{target.name}.{os.getpid()}.partial")


class BucketWriter:
    """``with BucketWriter(path, buckets) as writer: writer.add(bucket, entry)``; the file
    appears under ``path`` only when the block ends without an error."""

    def __init__(self, path: Path, buckets: int):
        self.path, self.buckets = path, buckets
        self.partial = partial_path(path)
        self.pending = [bytearray() for _ in range(buckets)]
        self.held = 0
        self.runs = 0
        self.handle = None

    def __enter__(self) -> "BucketWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.partial, "wb")
        return self

    def add(self, bucket: int, entry: bytes) -> None:
        self.pending[bucket] += entry
        self.held += len(entry)
        if self.held >= RUN_BYTES:
            self._write_run()

    def _write_run(self) -> None:
        assert self.handle is not None
        self.handle.write(array("Q", accumulate(map(len, self.pending), initial=0)).tobytes())
        for chunk in self.pending:
            self.handle.write(chunk)
        self.pending = [bytearray() for _ in range(self.buckets)]
        self.held = 0
        self.runs += 1

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        assert self.handle is not None
        try:
            if kind is None:
                if self.held:
                    self._write_run()
                self.handle.write(array("Q", [BUCKET_FILE_MAGIC, self.runs]).tobytes())
            self.handle.close()
            if kind is None:
                replace_durably(self.partial, self.path)
        finally:
            self.partial.unlink(missing_ok=True)  # renamed already when the block ended well


def read_bucket_range(path: str | Path, buckets: int, first: int, end: int) -> Iterator[bytes]:
    """The entries of buckets ``first`` to ``end - 1`` of a bucket file, a run at a time.
    A file that is not whole raises ``DamagedWorkFile``."""
    header = (buckets + 1) * 8
    with open(path, "rb") as handle:
        runs_end = os.fstat(handle.fileno()).st_size - TRAILER_BYTES
        trailer = array("Q")
        if runs_end >= 0:
            handle.seek(runs_end)
            trailer.frombytes(handle.read(TRAILER_BYTES))
        if runs_end < 0 or trailer[0] != BUCKET_FILE_MAGIC:
            raise damaged_work_file(path, "a truncated bucket file")
        handle.seek(0)
        for _ in range(trailer[1]):
            raw = handle.read(header)
            if len(raw) < header:
                raise damaged_work_file(path, "a truncated bucket file")
            offsets = array("Q")
            offsets.frombytes(raw)
            start = handle.tell()
            if not offsets[first] <= offsets[end] <= offsets[buckets] <= runs_end - start:
                raise damaged_work_file(path, "a truncated bucket file")
            handle.seek(start + offsets[first])
            yield handle.read(offsets[end] - offsets[first])
            handle.seek(start + offsets[buckets])
        if handle.tell() != runs_end:  # the trailer counts fewer runs than the file holds
            raise damaged_work_file(path, "a truncated bucket file")


def bucket_range(task: int, tasks: int, buckets: int) -> tuple[int, int]:
    """The buckets task ``task`` of ``tasks`` reads: contiguous, the same share each (±1)."""
    return task * buckets // tasks, (task + 1) * buckets // tasks


def task_of_bucket(bucket: int, tasks: int, buckets: int) -> int:
    """The task whose ``bucket_range`` holds ``bucket``."""
    task = bucket * tasks // buckets
    while bucket_range(task, tasks, buckets)[1] <= bucket:  # floor division may land one short
        task += 1
    while bucket_range(task, tasks, buckets)[0] > bucket:
        task -= 1
    return task


def write_segments(path: Path, segments: Sequence[bytes]) -> None:
    """A segment file, whole or not at all."""
    partial = partial_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(partial, "wb") as handle:
            handle.write(len(segments).to_bytes(8, "little"))
            handle.write(array("Q", accumulate(map(len, segments), initial=0)).tobytes())
            for segment in segments:
                handle.write(segment)
        replace_durably(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_segment(path: str | Path, index: int) -> bytes:
    """Segment ``index`` of a segment file. A file that is not whole raises ``DamagedWorkFile``."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        count = int.from_bytes(handle.read(8), "little")
        header = 8 + (count + 1) * 8
        if header > size:
            raise damaged_work_file(path, "a truncated segment file")
        if not 0 <= index < count:
            raise damaged_work_file(path, f"has {count} segments, not {index + 1}")
        offsets = array("Q")
        offsets.frombytes(handle.read(header - 8))
        if not offsets[index] <= offsets[index + 1] <= offsets[count] <= size - header:
            raise damaged_work_file(path, "a truncated segment file")
        handle.seek(header + offsets[index])
        return handle.read(offsets[index + 1] - offsets[index])


def u64s(data: bytes) -> array[int]:
    values = array("Q")
    values.frombytes(data)
    return values
