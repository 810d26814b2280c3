"""Files changing under a scan, and putting them back afterwards.

``ChangeSet.apply`` edits some documents (a line inserted at the top, so every
span after it moves and must be re-anchored), deletes some, renames some (same
bytes, new path: a move that keeps its annotations), adds new ones, and bumps
the mtime of every other file, so a rescan reads them all (with a reader
process from 3,000 files). ``Churn`` keeps appending to documents while a scan
runs. ``ChangeSet.revert`` restores the exact bytes and mtimes, so the next
trial starts from the state its database copy describes.
"""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path

EDIT_LINE = "An inserted first line that moves every offset after it.\n"


@dataclass
class ChangeSet:
    folder: Path
    files: list[str]
    stats: dict[str, tuple[int, int]]
    originals: dict[str, bytes] = field(default_factory=dict)  # path -> bytes before any change
    added: set[str] = field(default_factory=set)

    def _keep(self, path: str) -> None:
        if path not in self.originals and path in self.stats:
            self.originals[path] = (self.folder / path).read_bytes()

    def apply(self, rng: random.Random, edits: int = 40, deletes: int = 10, renames: int = 10, adds: int = 10,
              touch_all: bool = True, annotated: int = 400) -> None:
        pool = list(self.files)
        rng.shuffle(pool)
        # Edits go mostly to annotated documents (the first ones in path order = the lowest ids).
        edited = rng.sample(self.files[:annotated], min(edits, annotated)) if annotated else pool[:edits]
        chosen = set(edited)
        rest = [p for p in pool if p not in chosen]
        deleted, renamed = rest[:deletes], rest[deletes : deletes + renames]
        for path in edited:
            self._keep(path)
            data = self.originals[path]
            (self.folder / path).write_bytes(EDIT_LINE.encode() + data if not data.startswith(b"\xef\xbb\xbf")
                                             else data + b"\nappended\n")
        for path in deleted:
            self._keep(path)
            (self.folder / path).unlink()
        for path in renamed:
            self._keep(path)
            target = _renamed(path)
            os.rename(self.folder / path, self.folder / target)
            self.added.add(target)
        for number in range(adds):
            target = f"added/new_{rng.randrange(10**9)}_{number}.txt"
            (self.folder / target).parent.mkdir(exist_ok=True)
            (self.folder / target).write_text(f"New document {number}\n\nSome text {rng.random()}.\n")
            self.added.add(target)
        if touch_all:
            bump = rng.randint(1, 10**9)
            for path in self.files:
                if path not in self.originals:
                    _, mtime = self.stats[path]
                    os.utime(self.folder / path, ns=(mtime + bump, mtime + bump))

    def revert(self) -> None:
        for path in self.added:
            (self.folder / path).unlink(missing_ok=True)
        added_dir = self.folder / "added"
        if added_dir.exists():
            for leftover in added_dir.iterdir():
                leftover.unlink()
            added_dir.rmdir()
        for path, data in self.originals.items():
            (self.folder / path).write_bytes(data)
        for path in self.files:
            _, mtime = self.stats[path]
            os.utime(self.folder / path, ns=(mtime, mtime))
        self.originals.clear()
        self.added.clear()


def _renamed(path: str) -> str:
    head, _, name = path.rpartition("/")
    return f"{head}/moved_{name}" if head else f"moved_{name}"


class Churn:
    """Appends a line to random documents every few milliseconds until stopped."""

    def __init__(self, changes: ChangeSet, paths: list[str], seed: int, interval: float = 0.005):
        self.changes, self.paths, self.interval = changes, paths, interval
        self.rng = random.Random(seed)
        self.writes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="churn", daemon=True)

    def __enter__(self) -> "Churn":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            path = self.rng.choice(self.paths)
            target = self.changes.folder / path
            if not target.exists():
                continue
            self.changes._keep(path)
            with target.open("ab") as handle:
                handle.write(f"churn {self.writes}\n".encode())
            self.writes += 1
