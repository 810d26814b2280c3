"""Child processes that never outlive the process that started them.

A ``kill -9`` of a scan must not leave its reader process behind, blocked
forever writing to a pipe nobody reads. On Linux the kernel kills the child
when its parent dies (``PR_SET_PDEATHSIG``); elsewhere, and for the instant
before that is set, a watcher thread notices that the parent changed.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
STOP_GRACE_SECONDS = 2.0  # a stopped pool's workers finish the task in hand for this long
WATCH_SECONDS = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Call first thing in a child: exit as soon as ``parent_pid`` is gone."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass  # no prctl here: the watcher below still covers it
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="die-with-parent", daemon=True).start()


def pool_worker(parent_pid: int) -> None:
    """First thing in a process pool's worker: it dies with its parent, and leaves Ctrl-C to it.
    A terminal sends SIGINT to the whole process group: interrupted workers printed tracebacks,
    and one interrupted mid-task left the pool, and the command, waiting at exit for good (a
    trial). The parent stops its workers itself (``WorkerPool``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


class WorkerPool(ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` left by an exception (Ctrl-C) at once: the queued work is
    dropped and the workers are ended, where the executor's own exit waited for all of it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        # Workers start on a submit. SIGINT blocked meanwhile is blocked in them from their first
        # instruction (a mask survives fork and exec): a Ctrl-C while one was still importing gave
        # a traceback before ``pool_worker`` could set it aside. Here it waits, and is delivered after.
        if not hasattr(signal, "pthread_sigmask"):
            return super().submit(fn, *args, **kwargs)
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return super().submit(fn, *args, **kwargs)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> bool:
        if exc_type is None:
            return bool(super().__exit__(exc_type, exc, traceback))
        self.stop_now()
        return False

    def stop_now(self) -> None:
        # Private attributes, read before shutdown drops them; without them only the last step goes.
        processes = list((getattr(self, "_processes", None) or {}).values())
        results = getattr(self, "_result_queue", None)
        self.shutdown(wait=False, cancel_futures=True)
        # An idle worker takes its stop and leaves; one in a task finishes it, unless that is long.
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        ended = [process for process in processes if process.is_alive()]
        for process in ended:
            process.terminate()
        for process in ended:
            process.join(5)
        writer = getattr(results, "_writer", None)
        if ended and writer is not None:
            # A worker ended while writing its result leaves half a message in the pipe, which the
            # executor's thread, and so the interpreter's exit, waited on for ever (a trial): with
            # every writer gone it reads the end of the pipe and stops.
            writer.close()


def _watch(parent_pid: int) -> None:
    event = threading.Event()
    while not event.wait(WATCH_SECONDS):
        if os.getppid() != parent_pid:
            os._exit(1)


def start_method() -> str:
    """'fork' from a single-threaded process (the CLI, a plain script): nothing is
    re-imported, so a user's script needs no ``__main__`` guard. With other threads
    running, forking is unsafe (a lock held elsewhere stays held in the child), so
    'spawn' starts a clean interpreter instead: in the app, in the app's scan child
    (its die-with-parent watcher is a thread), in a script with threads."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


Send = Callable[[dict[str, Any]], None]


def serve_reports(parent_pid: int, work: Callable[[Send], None], what: str) -> int:
    """The child's side of ``tui.reporting_child``: run ``work`` with a ``send`` that writes
    one JSON message a line to the parent's pipe; the exit code for ``sys.exit``.

    The pipe is kept on a descriptor of its own; stdout goes to /dev/null so that nothing
    printed by accident can break a message. A ``CorpusError`` is sent as ``{"error": ...}``,
    and so is any other exception ("``what`` failed: ..."): the app must hear about it rather
    than wait forever."""
    from .errors import CorpusError

    die_with_parent(parent_pid)  # a killed app must not leave its child running
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)

    def send(message: dict[str, Any]) -> None:
        report.write(json.dumps(message) + "\n")
        report.flush()

    try:
        try:
            work(send)
        except CorpusError as error:
            send({"error": str(error)})
        except BrokenPipeError:
            raise  # nobody is listening any more
        except Exception as error:
            send({"error": f"{what} failed: {type(error).__name__}: {error}"})
    except BrokenPipeError:
        return 1
    return 0
