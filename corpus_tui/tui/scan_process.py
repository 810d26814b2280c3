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
        self.command = [sys.executable, "-m", "corpus_tui.core.scan_child", str(folder), str(db), annotator,
                        str(os.getpid())]
        self.process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def run(self, on_progress: Callable[[int, int], None]) -> tuple[dict[str, Any] | None, str | None]:
        """(summary, None) on success, (None, message) on failure."""
        with self._lock:
            if self._stopped:
                return None, "scan stopped"
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                p for p in (_PACKAGE_PARENT, os.environ.get("PYTHONPATH")) if p))
            # No terminal for the child: the app's screen is the parent's stdout and stderr.
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env, text=True, encoding="utf-8", errors="replace",
            )
        assert self.process.stdout is not None
        result: tuple[dict[str, Any] | None, str | None] | None = None
        for line in self.process.stdout:
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
        code = self.process.wait()
        if result is not None:
            return result
        return None, f"scan stopped unexpectedly (exit code {code})"

    def stop(self) -> None:
        """Stop a scan in flight: SQLite rolls the open batch back; the next scan resumes."""
        with self._lock:
            self._stopped = True
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
