"""Run a module of corpus_tui as a child process that reports on a pipe, one JSON object per line.

The child (``core.scan_child``, ``core.score_child``) prints ``{"progress": [done, total]}``
lines, then ``{"done": result}`` or ``{"error": message}``. Work that is mostly Python (a
scan, scoring a 10 MB document) would hold the GIL against the UI for seconds in a thread;
in its own process it runs on another core, and the app's worker thread only reads its
messages. The child never gets the app's terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import corpus_tui

STOP_SECONDS = 5.0
# The child imports corpus_tui from where this process did, installed or not.
_PACKAGE_PARENT = str(Path(corpus_tui.__file__).resolve().parents[1])


class ReportingChild:
    """One child run; ``run`` blocks (call it from a worker thread), ``stop`` from any thread.

    ``what`` names the work in messages ("scan", "scoring"). The child's last argument is
    this process's id: it exits when this process dies (``core.child_process``)."""

    what = "child"

    def __init__(self, module: str, *arguments: str):
        # -P: the app's working directory (often the scraped folder itself) must not put
        # a json.py or a corpus_tui/ of its own ahead of the real ones.
        self.command = [sys.executable, "-P", "-m", module, *arguments, str(os.getpid())]
        self.process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def stopped(self) -> bool:
        return self._stopped

    def run(self, on_progress: Callable[[int, int], None] = lambda done, total: None
            ) -> tuple[Any, str | None]:
        """(result, None) on success, (None, message) on failure. The child is always reaped."""
        # Its stderr goes to a file, read only to explain an unexpected end.
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
            with self._lock:
                if self._stopped:
                    return None, f"{self.what} stopped"
                env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                    p for p in (_PACKAGE_PARENT, os.environ.get("PYTHONPATH")) if p))
                self.process = subprocess.Popen(
                    self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
                    env=env, text=True, encoding="utf-8", errors="replace",
                )
            try:
                result = self._relay(self.process, on_progress)
            finally:
                self._end(self.process)
                assert self.process.stdout is not None
                self.process.stdout.close()
            if result is not None:
                return result
            if self._stopped:
                return None, f"{self.what} stopped"
            stderr.seek(0)
            last = ([line.strip() for line in stderr.read().splitlines() if line.strip()] or [""])[-1]
            reason = f": {last}" if last else ""
            return None, f"{self.what} stopped unexpectedly (exit code {self.process.returncode}){reason}"

    @staticmethod
    def _relay(process: subprocess.Popen[str], on_progress: Callable[[int, int], None]
               ) -> tuple[Any, str | None] | None:
        assert process.stdout is not None
        result: tuple[Any, str | None] | None = None
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "progress" in message:
                on_progress(*message["progress"])
            elif "done" in message:
                result = message["done"], None
            elif "error" in message:
                result = None, message["error"]
        process.wait()
        return result

    def stop(self) -> None:
        """Stop the child if it runs (a scan's open batch is rolled back by SQLite)."""
        with self._lock:
            self._stopped = True
            process = self.process
        if process is not None:
            self._end(process)

    @staticmethod
    def _end(process: subprocess.Popen[str]) -> None:
        """Terminate the child if it still runs, and reap it."""
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
