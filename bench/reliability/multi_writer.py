"""Two and three writers on one corpus at once: nothing lost, nothing corrupt, no crash.

Writers (a scenario picks two or three):

- ``library``, ``library2``: ``writer.py`` processes, each on its own documents,
  every action acknowledged in its log;
- ``import-tags``: ``corpus-tui import-tags`` of sizeable CSVs (tag names unique
  to each file), one after another; acknowledged by the JSON result it prints;
- ``scan``: ``corpus-tui scan`` three times while documents are appended to;
- ``app``: the real app in tmux, tagging, annotating, marking boilerplate and
  reviewing documents (``tmux_app``).

At the end, with every writer gone: each process exited 0, the app never showed
a traceback or a write it could not save, every acknowledged write of every
writer is in the database, the database passes ``checks.corruption``, and after
the files stop changing one more scan leaves the database equal to the disk.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import checks
from .ack_log import LogReport, verify
from .changes import ChangeSet, Churn
from .procs import kill_tree
from .tmux_app import AppStuck, TmuxApp, missing_acks
from .workspace import BENCH, Workspace, child_env, cli_command, document_files

WRITER = BENCH / "reliability" / "writer.py"
LIBRARY_DOCS = {"library": "1001:1600", "library2": "1601:2200"}  # the app works on the first documents
SCENARIOS = {
    "library+library": ("library", "library2"),
    "library+import-tags": ("library", "import-tags"),
    "library+import-tags+scan": ("library", "import-tags", "scan"),
    "app+library+import-tags": ("app", "library", "import-tags"),
    "app+scan+library": ("app", "scan", "library"),
}


@dataclass
class ScenarioResult:
    name: str
    processes: int = 0  # writer processes started (each scan and import run counts)
    acked: int = 0
    lost: int = 0
    partial: int = 0
    corrupt: int = 0
    failed: int = 0  # a writer exited non-zero (or the app got stuck)
    app_errors: int = 0  # tracebacks and "Not saved" on the app's screen
    unconverged: int = 0  # the last scan did not leave the database equal to the disk
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return self.lost + self.partial + self.corrupt + self.failed + self.app_errors + self.unconverged

    def note(self, text: str) -> None:
        if len(self.examples) < 8:
            self.examples.append(text)


class _Runs:
    """CLI runs in a thread, one after another; their results kept."""

    def __init__(self, commands: list[list[str]], result: ScenarioResult):
        self.commands, self.result = commands, result
        self.outputs: list[subprocess.CompletedProcess] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for command in self.commands:
            self.outputs.append(subprocess.run(command, capture_output=True, text=True, env=child_env(),
                                               timeout=600))


def run_scenario(ws: Workspace, name: str, seed: int = 0, app_steps: int = 4,
                 library_actions: int = 300) -> ScenarioResult:
    parts = SCENARIOS[name]
    result = ScenarioResult(name)
    started = time.monotonic()
    ws.restore("scanned.db")
    logs = {part: ws.root / f"{part}-{seed}.log" for part in parts if part.startswith("library")}
    for log in logs.values():
        log.unlink(missing_ok=True)
    rng = random.Random(seed)
    changes = ChangeSet(ws.corpus, ws.files, ws.stats)
    writers: dict[str, subprocess.Popen] = {}
    runs: dict[str, _Runs] = {}
    app: TmuxApp | None = None
    try:
        for part, log in logs.items():
            writers[part] = subprocess.Popen(
                [sys.executable, str(WRITER), str(ws.corpus), str(log), "--writer", f"{part}-{seed}",
                 "--actions", str(library_actions), "--seed", str(seed), "--docs", LIBRARY_DOCS[part],
                 "--pace", "0.01"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env())
        if "import-tags" in parts:
            runs["import-tags"] = _Runs([[*cli_command(), "import-tags", str(ws.corpus), str(ws.tags_csv(n)),
                                          "--create-tags", "--json"] for n in range(1, ws.tag_files)], result)
        if "scan" in parts:
            runs["scan"] = _Runs([[*cli_command(), "scan", str(ws.corpus), "--json"]] * 3, result)
        churn = Churn(changes, rng.sample(ws.files[2400:], 100), seed=seed, interval=0.01) if "scan" in parts else None
        if churn:
            churn.__enter__()
        for run in runs.values():
            run.thread.start()
        if "app" in parts:
            app = TmuxApp(ws.corpus)
            try:
                for step in range(app_steps):
                    app.step(step, ws.db)
            except AppStuck as stuck:
                result.failed += 1
                result.note(f"app: {str(stuck)[:9000]}")
            code = app.quit()
            if code != 0:
                result.failed += 1
                result.note(f"app exit status {code}: {app.problems[-1:] or ''}")
        for part, writer in writers.items():
            try:
                _, stderr = writer.communicate(timeout=600)
            except subprocess.TimeoutExpired:
                kill_tree(writer.pid)
                _, stderr = writer.communicate()
            if writer.returncode != 0:
                result.failed += 1
                result.note(f"{part} exit {writer.returncode}: {stderr.decode(errors='replace')[-400:]}")
        for run in runs.values():
            run.thread.join()
        if churn:
            churn.stop()
    finally:
        if app is not None:
            app.kill()
        for writer in writers.values():
            if writer.poll() is None:
                kill_tree(writer.pid)
                writer.wait()
    result.processes = len(writers) + sum(len(run.commands) for run in runs.values()) + (app is not None)
    _check(ws, result, logs, runs, app)
    changes.revert()
    result.seconds = time.monotonic() - started
    return result


def _check(ws: Workspace, result: ScenarioResult, logs: dict[str, Path], runs: dict[str, _Runs],
           app: TmuxApp | None) -> None:
    for name, run in runs.items():
        for output in run.outputs:
            if output.returncode != 0 or "Traceback" in output.stderr:
                result.failed += 1
                result.note(f"{name} exit {output.returncode}: {output.stderr.strip()[-400:]}")
    problems = checks.corruption(ws.db)
    if problems:
        result.corrupt += 1
        result.note("corrupt: " + "; ".join(problems[:3]))
    report = LogReport()
    for log in logs.values():
        report.add(verify(ws.db, log))
    result.acked += report.acked
    result.lost += report.lost
    result.partial += report.partial
    for example in report.examples[:3]:
        result.note(example)
    for output in runs["import-tags"].outputs if "import-tags" in runs else []:
        if output.returncode != 0:
            continue
        summary = json.loads(output.stdout.strip().splitlines()[-1])
        result.acked += 1
        links = checks.one(ws.db, "SELECT COUNT(*) FROM document_tags WHERE import_id = ?", (summary["import_id"],))
        if links != summary["added"]:
            result.lost += 1
            result.note(f"import #{summary['import_id']}: {summary['added']} links acknowledged, {links} stored")
    if app is not None:
        result.acked += len(app.acks)
        missing = missing_acks(ws.db, app.acks)
        result.lost += len(missing)
        for line in missing[:3]:
            result.note(f"lost: {line}")
        result.app_errors += app.tracebacks + app.not_saved
        for problem in app.problems[:2]:
            result.note(problem[:600])
    if "scan" in runs:
        final = subprocess.run([*cli_command(), "scan", str(ws.corpus)], capture_output=True, text=True,
                               env=child_env())
        mismatches = checks.disk_mismatches(ws.db, ws.corpus, document_files(ws.corpus))
        if final.returncode != 0 or mismatches:
            result.unconverged += 1
            result.note(f"final scan: exit {final.returncode} {final.stderr.strip()[-200:]} {mismatches[:3]}")
