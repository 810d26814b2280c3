"""Run a corpus scan in a child process (``core.scan_child``), relaying its progress.

A scan of 100k files is mostly Python (walking, stat-ing, decoding): in a
thread it would hold the GIL against the UI for seconds. In its own process it
runs on the other core, and the app's worker thread only reads its messages.
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


class ScanProcess:
    """One background scan; ``run`` blocks (call it from a worker thread), ``stop`` from any."""

    def __init__(self, folder: Path, db: Path, annotator: str):
        # -P: the app's working directory (often the scraped folder itself) must not put
        # a json.py or a corpus_tui/ of its own ahead of the real ones.
        self.command = [sys.executable, "-P", "-m", "corpus_tui.core.scan_child", str(folder), str(db),
                        annotator, str(os.getpid())]
        self.process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def run(self, on_progress: Callable[[int, int], None]) -> tuple[dict[str, Any] | None, str | None]:
        """(summary, None) on success, (None, message) on failure. The child is always reaped."""
        # No terminal for the child (the app's screen is the parent's stdout and stderr):
        # its stderr goes to a file, read only to explain an unexpected end.
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
            with self._lock:
                if self._stopped:
                    return None, "scan stopped"
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
                return None, "scan stopped"
            stderr.seek(0)
            last = ([line.strip() for line in stderr.read().splitlines() if line.strip()] or [""])[-1]
            reason = f": {last}" if last else ""
            return None, f"scan stopped unexpectedly (exit code {self.process.returncode}){reason}"

    @staticmethod
    def _relay(process: subprocess.Popen[str], on_progress: Callable[[int, int], None]
               ) -> tuple[dict[str, Any] | None, str | None] | None:
        assert process.stdout is not None
        result: tuple[dict[str, Any] | None, str | None] | None = None
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
        """Stop a scan in flight: SQLite rolls the open batch back; the next scan resumes."""
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
