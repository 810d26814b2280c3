"""Run a corpus scan in a child process (``core.scan_child``), relaying its progress.

A scan of 100k files is mostly Python (walking, stat-ing, decoding): in a
thread it would hold the GIL against the UI for seconds. In its own process it
runs on the other core, and the app's worker thread only reads its messages.
"""

from __future__ import annotations

from pathlib import Path

from .reporting_child import ReportingChild


class ScanProcess(ReportingChild):
    """One background scan: ``run`` returns (the scan's summary as a dict, None) or (None, message)."""

    what = "scan"

    def __init__(self, folder: Path, db: Path, annotator: str):
        super().__init__("corpus_tui.core.scan_child", str(folder), str(db), annotator)
