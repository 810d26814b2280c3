"""An export worker process, started by ``parallel.WorkerPool`` (see ``parallel.worker_command``).

It checks files for changes and renders blocks of documents in one of the
line formats and puts them where the parent says. It speaks JSON lines: the
parent's messages arrive on stdin, its replies leave on stdout (the real
stdout is moved to stderr first, so nothing else can end up in the protocol).

    parent                                       worker
    {"check": {db, folder, where, params,        stats its share of the files
               part, parts}}                <-   {"checked": part, "changed": [[path, size,
                                                  mtime_ns], ...], "vanished": [id, ...]}
    {"snapshot": {db, where, params, format,     opens the database read-only and
                  allow_stale, target}}          starts its read transaction
                                            <-   {"ready": true}
    {"block": k, "first": path, "end": path}     renders the documents of the
                                                 selection with first <= path < end
                                            <-   {"rendered": k, "size": n, tallies...}
    {"write": k, "offset": o}                    os.pwrite into ``target``
                                            <-   {"written": k}
    {"send": k}                             <-   {"data": k, "size": n} + n bytes
    {"stop": true}                               exits 0

Any failure is one ``{"error": "..."}`` line and exit status 1; when the OS
refused to write ``target`` (a full disk), the line also carries its
``"write_errno"``, so the parent reports it as a failure to write the output.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import IO, Any

from .changes import find_changes
from .parallel import HELLO
from .records import chunked, fetch_chunk
from .stream import Rendered, render_chunk


class TargetError(Exception):
    """Writing (or opening) the target file failed: the export's output, not the worker, is at fault."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.errno = error.errno


class Protocol:
    """JSON lines in, JSON lines (and block bytes) out."""

    def __init__(self, inbox: IO[bytes], outbox: IO[bytes]):
        self.inbox, self.outbox = inbox, outbox

    def messages(self) -> Iterator[dict[str, Any]]:
        for line in self.inbox:
            yield json.loads(line)

    def send(self, message: dict[str, Any], payload: bytes = b"") -> None:
        self.outbox.write(json.dumps(message).encode("utf-8") + b"\n" + payload)
        self.outbox.flush()


def block_ids(conn: sqlite3.Connection, where: str, params: list[Any], first: str, end: str | None) -> Iterator[list[int]]:
    """The selection's ids with ``first <= path < end``, in path order, a chunk at a time."""
    sql = f"SELECT d.id, d.size FROM documents d{where} AND d.path >= ?"
    bounds: list[Any] = [first]
    if end is not None:
        sql += " AND d.path < ?"
        bounds.append(end)
    return chunked(conn.execute(sql + " ORDER BY d.path", [*params, *bounds]))


def render_block(conn: sqlite3.Connection, config: dict[str, Any], first: str, end: str | None) -> tuple[bytes, Rendered, int]:
    """One block's bytes, what went into it, and how many documents it selected."""
    tally = Rendered()
    parts: list[bytes] = []
    selected = 0
    for ids in block_ids(conn, config["where"], config["params"], first, end):
        selected += len(ids)
        chunk = render_chunk(config["format"], config["allow_stale"], ids, fetch_chunk(conn, ids))
        parts.append(chunk.data)
        tally.add(chunk)
    return b"".join(parts), tally, selected


def open_snapshot(db: str) -> sqlite3.Connection:
    """A read-only connection inside a read transaction that has seen the database."""
    conn = sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("SELECT 1 FROM documents LIMIT 1").fetchone()  # the first read fixes the snapshot
    return conn


def serve(protocol: Protocol) -> None:
    conn: sqlite3.Connection | None = None
    config: dict[str, Any] = {}
    target: int | None = None
    rendered: dict[int, bytes] = {}
    try:
        for message in protocol.messages():
            if "check" in message:
                job = message["check"]
                with closing(sqlite3.connect(f"{Path(job['db']).resolve().as_uri()}?mode=ro", uri=True)) as reader:
                    changed, vanished = find_changes(reader, job["folder"], job["where"], job["params"], job["part"],
                                                     job["parts"])
                protocol.send({"checked": job["part"], "changed": changed, "vanished": vanished})
            elif "snapshot" in message:
                config = message["snapshot"]
                conn = open_snapshot(config["db"])
                if config["target"] is not None:
                    target = _open_target(config["target"])
                protocol.send({"ready": True})
            elif "block" in message:
                if conn is None:
                    raise RuntimeError("asked for a block before the snapshot")
                data, tally, selected = render_block(conn, config, message["first"], message["end"])
                rendered[message["block"]] = data
                protocol.send({"rendered": message["block"], "size": len(data), "selected": selected,
                               "counts": tally.counts()})
            elif "write" in message:
                if target is None:
                    raise RuntimeError("asked to write without a target file")
                data = rendered.pop(message["write"])
                _pwrite_all(target, data, message["offset"])
                protocol.send({"written": message["write"]})
            elif "send" in message:
                data = rendered.pop(message["send"])
                protocol.send({"data": message["send"], "size": len(data)}, data)
            elif "stop" in message:
                return
    finally:
        if target is not None:
            os.close(target)
        if conn is not None:
            conn.close()


def _open_target(path: str) -> int:
    try:
        return os.open(path, os.O_WRONLY)
    except OSError as error:
        raise TargetError(error) from None


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    try:
        while view:
            written = os.pwrite(fd, view, offset)
            view, offset = view[written:], offset + written
    except OSError as error:  # a full disk: the parent names the output and the reason
        raise TargetError(error) from None


def main() -> int:
    # Only short-lived, acyclic objects are made here: the cycle collector
    # would walk them for nothing.
    gc.disable()
    outbox = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print cannot corrupt the protocol
    protocol = Protocol(sys.stdin.buffer, outbox)
    try:
        outbox.write(HELLO)
        outbox.flush()
        serve(protocol)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1  # the parent is gone
    except Exception as error:  # reported to the parent, which names it in its own error
        report: dict[str, Any] = {"error": f"{type(error).__name__}: {error}"}
        if isinstance(error, TargetError):
            report["write_errno"] = error.errno
        try:
            protocol.send(report)
        except OSError:
            pass
        return 1
    # Everything is written and closed: skip the interpreter's teardown (a tenth of a
    # second the parent would wait for before renaming the output).
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
