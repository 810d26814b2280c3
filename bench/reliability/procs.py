"""Process trees read from /proc: who a process started, and who outlived it.

A process killed with ``kill -9`` cannot clean up: the children it started (a
scan's reader process, the app's scan process, multiprocessing's resource
tracker) must die on their own. ``Watched`` records every descendant of a
process while it runs (they come and go), kills it, then counts those still
alive a few seconds later: the orphans.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

POLL_SECONDS = 0.02
ORPHAN_GRACE_SECONDS = 5.0

ProcessId = tuple[int, int]  # (pid, start time in clock ticks): a pid can be reused, the pair cannot


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, starttime) of a live process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()  # the command name may hold spaces and ')'
    return fields[0].decode(), int(fields[1]), int(fields[19])


def process_table() -> dict[int, tuple[str, int, int]]:
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None:
                table[int(name)] = stat
    return table


def descendants(roots: set[int], table: dict[int, tuple[str, int, int]] | None = None) -> set[ProcessId]:
    """Every live process below ``roots`` (not the roots themselves)."""
    table = process_table() if table is None else table
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: set[ProcessId] = set()
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), ()):
            if (child, table[child][2]) not in found:
                found.add((child, table[child][2]))
                stack.append(child)
    return found


def alive(process: ProcessId) -> bool:
    """Still running (a zombie is dead: it only waits to be reaped)."""
    stat = _stat(process[0])
    return stat is not None and stat[2] == process[1] and stat[0] not in ("Z", "X")


@dataclass
class Watched:
    """A child process whose descendants are recorded from start to kill."""

    popen: subprocess.Popen
    seen: set[ProcessId] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="watch-descendants", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set() and self.popen.poll() is None:
            self.seen |= descendants({self.popen.pid})
            self._stop.wait(POLL_SECONDS)

    def kill(self) -> bool:
        """SIGKILL the process (not its children); True when it was still running."""
        self.seen |= descendants({self.popen.pid})
        running = self.popen.poll() is None
        if running:
            try:
                os.kill(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                running = False
        self.popen.wait()
        self._stop.set()
        self._thread.join()
        return running

    def orphans(self, grace: float = ORPHAN_GRACE_SECONDS) -> list[ProcessId]:
        """After ``kill`` (or a normal exit): the descendants still alive after ``grace``
        seconds. They are counted, then killed, so no trial leaves one behind."""
        self.seen |= descendants({self.popen.pid}) if self.popen.poll() is None else set()
        deadline = time.monotonic() + grace
        while True:
            living = {p for p in self.seen if alive(p)}
            # A survivor may still start processes of its own: they count too.
            self.seen |= descendants({pid for pid, _ in living})
            living = {p for p in self.seen if alive(p)}
            if not living or time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS * 2)
        for pid, _ in living:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return sorted(living)


def kill_tree(pid: int) -> None:
    """SIGKILL a process and everything below it (clean-up only, never the measurement)."""
    below = descendants({pid})
    for process in [(pid, 0), *below]:
        try:
            os.kill(process[0], signal.SIGKILL)
        except ProcessLookupError:
            pass
