"""Line-format exports rendered by worker processes, a block of documents each.

Why: a document's line costs tens of microseconds of Python (decoding, clean
text, JSON escaping) against a few of SQLite reading, so a large export is
bound by one core. With several cores, ``WorkerPool`` runs that many worker
processes (``worker.py``, started by ``worker_command``), and the output is
byte for byte the one ``export`` writes alone:

- the files are checked for changes since the last scan by the workers, a
  share each, while they would otherwise wait; the parent re-reads what changed;
- one snapshot: the parent takes the write lock (``BEGIN IMMEDIATE``), so no
  commit can land; every worker, already running, starts its read transaction
  on its own read-only connection; the parent counts the selection under the
  same lock and releases it. Writers (the app) wait that long: well under a
  tenth of a second for 100,000 documents;
- blocks of ``BLOCK`` documents are cut by path while the workers check files
  (before the snapshot: a block is a range of paths, and the first and last
  ranges are open, so they cover the selection whatever changed meanwhile); a
  worker selects a block with the serial query plus its path range;
- placement: a worker renders a block in memory and reports its size; the
  parent, once it knows the sizes of all earlier blocks, tells it the offset,
  and the worker writes the block there itself (``os.pwrite`` into the
  temporary output), so no byte is copied twice. To stdout, which has no
  offsets, the parent asks for each block in turn and passes it on;
- each worker holds at most ``AHEAD`` blocks, and a block is at most ``BLOCK``
  documents and ``BLOCK_BYTES`` of files (unless one document alone is
  larger, or documents were added to the open first or last range between the
  cut and the snapshot), so memory stays flat;
- anything going wrong with a worker (it cannot start, dies, answers nonsense,
  or the write lock is busy) before the snapshot leaves the export to the
  parent alone; after it, the export fails with ``WorkerFailed`` and leaves
  nothing behind. A worker the OS refused to let write the output (a full
  disk) is not at fault: that is raised as the ``OSError`` it met, as when the
  parent writes, so the caller reports it as a failure to write the output.

Plain subprocesses speaking JSON lines: ``multiprocessing`` would re-run the
caller's ``__main__`` (spawn) or carry open SQLite connections into the child
(fork), which SQLite forbids.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import CorpusError, InvalidValue
from .changes import Changed, Vanished
from .stream import Rendered

BLOCK = 1000  # documents per block at most
BLOCK_BYTES = 8 << 20  # and about this much text (file sizes), so big documents make small blocks
AHEAD = 2  # blocks a worker may hold (rendered, not yet placed)
AUTO_MIN_DOCUMENTS = 20_000  # below this, starting workers costs more than it saves
AUTO_MAX_JOBS = 4
MAX_JOBS = 64
CHECK_TIMEOUT = 600.0  # seconds for the workers to start and check their share of the files
SNAPSHOT_TIMEOUT = 3.0  # seconds for running workers to start their read transactions (under the write lock)
ANSWER_TIMEOUT = 120.0  # seconds a worker may take over one block
PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the folder holding corpus_tui/
HELLO = b'{"corpus-tui export worker": 1}\n'  # a worker's first line; whatever came before is not ours


class WorkerFailed(CorpusError):
    pass


def worker_command() -> list[str]:
    """How a worker is started: this interpreter, with this copy of corpus_tui.

    ``-P``: the current folder is not put on ``sys.path`` (a ``json.py`` there
    would be imported instead of the standard one); the parent's package root
    is put first only when it is not on the path already (a source checkout),
    so the worker always runs the parent's code.
    """
    bootstrap = (
        "import sys; root = sys.argv[1]; sys.path.insert(0, root) if root not in sys.path else None; "
        "from corpus_tui.core.export.worker import main; sys.exit(main())"
    )
    return [sys.executable, "-P", "-c", bootstrap, str(PACKAGE_ROOT)]


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_jobs(jobs: int | None) -> None:
    if jobs is not None and not 1 <= jobs <= MAX_JOBS:
        raise InvalidValue(f"jobs must be between 1 and {MAX_JOBS}, not {jobs}")


def workers_for(jobs: int | None, selected: int) -> int:
    """How many worker processes export ``selected`` documents (0: none, render here).

    ``jobs`` None is automatic: one per usable CPU (at most ``AUTO_MAX_JOBS``),
    only for selections of ``AUTO_MIN_DOCUMENTS`` or more; an explicit number
    is taken as asked (1: no workers), but never more than there are blocks.
    """
    check_jobs(jobs)
    if not hasattr(os, "pwrite"):  # workers write with os.pwrite (not on Windows)
        return 0
    if jobs is None:
        jobs = min(usable_cpus(), AUTO_MAX_JOBS) if selected >= AUTO_MIN_DOCUMENTS else 1
    jobs = min(jobs, -(-selected // BLOCK))  # a worker per block at most
    return jobs if jobs > 1 else 0


@dataclass
class _Event:
    worker: int
    message: dict[str, Any] | None  # None: the worker's output ended or made no sense (``ended`` says how)
    payload: bytes = b""
    ended: str = ""


class _Worker:
    def __init__(self, index: int, events: queue.Queue[_Event]):
        self.index = index
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
        )
        assert self.process.stdin is not None and self.process.stdout is not None  # both are pipes
        self.inbox: IO[bytes] = self.process.stdin
        self.reader = threading.Thread(target=self._read, args=(self.process.stdout, events), daemon=True,
                                       name=f"export-worker-{index}")
        self.reader.start()
        self.holding = 0  # blocks given and not yet placed

    @property
    def name(self) -> str:
        return f"export worker {self.index + 1}"

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.inbox.write(json.dumps(message).encode("utf-8") + b"\n")
            self.inbox.flush()
        except OSError:  # it has exited
            raise WorkerFailed(f"{self.name} failed: {self.why_it_ended('it stopped reading')}") from None

    def _read(self, stdout: IO[bytes], events: queue.Queue[_Event]) -> None:
        ended = "it exited"
        try:
            lines = iter(stdout)
            for line in lines:  # lines a site hook printed before the worker took over its stdout
                if line.endswith(HELLO):  # a hook's output without a newline may precede it
                    break
            for line in lines:
                message = json.loads(line)
                if not isinstance(message, dict):
                    raise ValueError(f"not a message: {line[:80]!r}")
                payload = b""
                if "data" in message:
                    payload = stdout.read(message["size"])
                    if len(payload) != message["size"]:
                        ended = "a block it sent was cut short"
                        break
                events.put(_Event(self.index, message, payload))
        except (OSError, ValueError, KeyError) as error:
            ended = f"it answered nonsense ({error})"
        events.put(_Event(self.index, None, ended=ended))

    def why_it_ended(self, fallback: str) -> str:
        """The last line it wrote on stderr, else its exit status, else ``fallback``."""
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return fallback
        self.stderr.seek(0)
        lines = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"{fallback}, exit status {self.process.returncode}"

    def stop(self, kill: bool) -> None:
        """Ask it to exit (or kill it); ``wait`` for it after stopping the others."""
        try:
            if kill:
                self.process.kill()
            else:
                self.send({"stop": True})
            self.inbox.close()
        except (OSError, WorkerFailed):
            pass

    def wait(self) -> None:
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=10)
        self.stderr.close()


class WorkerPool:
    """Worker processes for one export; started early, so they load while the parent works.

    Use as a context manager: leaving it stops (or, after an error, kills) them.
    """

    def __init__(self, count: int):
        self.events: queue.Queue[_Event] = queue.Queue()
        self.workers: list[_Worker] = []
        self.failed = False
        try:
            for index in range(count):
                self.workers.append(_Worker(index, self.events))
        except BaseException:
            self.close(kill=True)
            raise

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        self.close(kill=kind is not None or self.failed)

    def close(self, kill: bool) -> None:
        for worker in self.workers:
            worker.stop(kill)
        for worker in self.workers:
            worker.wait()
        self.workers = []

    def _next(self, timeout: float) -> _Event:
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            self.failed = True
            raise WorkerFailed(f"export workers did not answer within {timeout:g} s") from None
        if event.message is None or "error" in event.message:
            self.failed = True
            errno = event.message.get("write_errno") if event.message else None
            if errno:  # the output could not be written (a full disk): no fault of the worker's
                raise OSError(errno, os.strerror(errno))
            worker = self.workers[event.worker]
            reason = event.message["error"] if event.message else worker.why_it_ended(event.ended)
            raise WorkerFailed(f"{worker.name} failed: {' '.join(str(reason).split())}")  # one line
        return event

    def _send(self, worker: _Worker, message: dict[str, Any]) -> None:
        try:
            worker.send(message)
        except WorkerFailed:
            self.failed = True
            raise

    def check_files(self, db: Path, folder: Path, where: str, params: list[Any]) -> None:
        """Every worker checks its share of the files for changes since the last scan
        (``changes`` collects what they found)."""
        parts = len(self.workers)
        for part, worker in enumerate(self.workers):
            self._send(worker, {"check": {"db": str(db), "folder": str(folder), "where": where, "params": params,
                                          "part": part, "parts": parts}})

    def changes(self) -> tuple[Changed, Vanished]:
        changed: Changed = []
        vanished: Vanished = []
        for _ in self.workers:
            event = self._next(CHECK_TIMEOUT)
            if not event.message or "checked" not in event.message:
                self.failed = True
                raise WorkerFailed(f"{self.workers[event.worker].name} answered {event.message!r} to the check")
            changed += [(path, size, mtime_ns) for path, size, mtime_ns in event.message["changed"]]
            vanished += event.message["vanished"]
        return changed, vanished

    def take_snapshot(self, db: Path, where: str, params: list[Any], fmt: str, allow_stale: bool,
                      target: Path | None) -> None:
        """Every worker starts its read transaction (call while holding the write lock)."""
        config = {"db": str(db), "where": where, "params": params, "format": fmt, "allow_stale": allow_stale,
                  "target": None if target is None else str(target)}
        for worker in self.workers:
            self._send(worker, {"snapshot": config})
        for _ in self.workers:
            event = self._next(SNAPSHOT_TIMEOUT)
            if not event.message or "ready" not in event.message:
                self.failed = True
                raise WorkerFailed(f"{self.workers[event.worker].name} answered {event.message!r} to the snapshot")

    def render(
        self,
        starts: list[str],
        total: int,
        first_offset: int,
        stream: IO[bytes] | None,
        tally: Callable[[Rendered], None],
        advance: Callable[[int], None],
    ) -> int:
        """Render the blocks beginning at ``starts``, in order: ``total`` documents in all.

        The first block takes every path before ``starts[1]`` and the last every
        path from its start on, so the blocks cover the whole selection however
        it changed since they were cut.

        With ``stream`` None the workers write into their target file from
        ``first_offset`` on; otherwise the parent writes the blocks to ``stream``.
        ``tally`` gets each block's counts and ``advance`` its number of
        documents, in block order. Returns the offset after the last block.
        Raises ``WorkerFailed``, or the ``OSError`` a worker met writing the target.
        """
        blocks = len(starts)
        owner: dict[int, _Worker] = {}
        reports: dict[int, dict[str, Any]] = {}  # "rendered" messages of blocks not yet finished
        written: set[int] = set()
        given = finished = 0  # blocks handed out; blocks placed and counted, in order
        counted = 0  # documents in the finished blocks
        placing = 0  # file: the next block to get an offset; stdout: the block asked for (or next to ask)
        asked = False
        offset = first_offset

        def hand_out(worker: _Worker) -> None:
            nonlocal given
            while given < blocks and worker.holding < AHEAD:
                first = starts[given] if given else ""
                end = starts[given + 1] if given + 1 < blocks else None
                self._send(worker, {"block": given, "first": first, "end": end})
                owner[given] = worker
                worker.holding += 1
                given += 1

        def finish_in_order() -> None:
            nonlocal finished, counted
            while finished < blocks and finished in written:
                report = reports.pop(finished)
                tally(Rendered(**report["counts"]))
                counted += report["selected"]
                if report["selected"]:
                    advance(report["selected"])
                worker = owner.pop(finished)
                worker.holding -= 1
                finished += 1
                hand_out(worker)

        for worker in self.workers:
            hand_out(worker)
        while finished < blocks:
            event = self._next(ANSWER_TIMEOUT)
            message = event.message
            assert message is not None  # _next raised otherwise
            if "rendered" in message:
                reports[message["rendered"]] = message
            elif "written" in message:
                written.add(message["written"])
            elif "data" in message:  # only ever asked for, in order, when writing to a stream
                assert stream is not None and message["data"] == placing
                stream.write(event.payload)
                offset += len(event.payload)
                written.add(placing)
                placing += 1
                asked = False
            if stream is None:  # every block whose predecessors' sizes are known gets its offset
                while placing in reports:
                    self._send(owner[placing], {"write": placing, "offset": offset})
                    offset += reports[placing]["size"]
                    placing += 1
            elif not asked and placing in reports:
                self._send(owner[placing], {"send": placing})
                asked = True
            finish_in_order()
        if counted != total:
            self.failed = True
            raise WorkerFailed(f"the export workers found {counted} documents, not {total}: their snapshots differ")
        return offset
