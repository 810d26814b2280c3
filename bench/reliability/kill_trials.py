"""``kill -9`` at random moments of one writer, then check what it left.

Each kind is one writer: ``library`` (single library actions, acknowledged in a
log), ``import-tags``, ``import`` (annotations from a jsonl export),
``scan-first``, ``scan-rescan`` (files edited, deleted, renamed, added and
touched before, and appended to while it runs) and ``app`` (the app killed
during the first scan it starts). Per trial:

1. put the starting database (and files) in place;
2. start the writer; record its descendants while it runs (``procs.Watched``);
3. after a delay drawn from the calibrated window, ``kill -9`` it (only it);
4. count the descendants still alive 5 s later (orphans), then kill them;
5. with every writer dead, check the database (``checks.corruption``), the
   kind's all-or-nothing rule (partial) and its acknowledgements (lost);
6. run the operation again, unkilled: it must succeed and leave the store right
   (else the trial is ``unrecovered``).

The window is one unkilled run's duration, measured first (``calibrate``); the
delays are stratified over it (trial i of n falls in [i/n, (i+1)/n) of the
window, in shuffled order), so kills land at the start, the middle and the end.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import checks
from .ack_log import verify
from .app_pty import PtyApp
from .changes import ChangeSet, Churn
from .procs import Watched, kill_tree
from .workspace import BENCH, Workspace, child_env, cli_command, document_files

WRITER = BENCH / "reliability" / "writer.py"
KINDS = ("library", "import-tags", "import", "scan-first", "scan-rescan", "app")


@dataclass
class Outcome:
    """One trial (or, summed, one kind)."""

    trials: int = 0
    killed: int = 0  # the kill found the writer still running
    corrupt: int = 0
    partial: int = 0
    lost: int = 0
    orphans: int = 0
    unrecovered: int = 0
    failed: int = 0  # an unkilled run (the calibration) failed
    tracebacks: int = 0  # a traceback reached the killed app's terminal
    acked: int = 0  # acknowledged actions checked (library: actions; imports and scans: runs that reported)
    examples: list[str] = field(default_factory=list)

    def add(self, other: "Outcome") -> None:
        for name in ("trials", "killed", "corrupt", "partial", "lost", "orphans", "unrecovered", "failed", "tracebacks",
                     "acked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.examples += other.examples[: max(0, 8 - len(self.examples))]

    @property
    def failures(self) -> int:
        return (self.corrupt + self.partial + self.lost + self.orphans + self.unrecovered + self.failed
                + self.tracebacks)

    def note(self, text: str) -> None:
        self.examples.append(text)


class CalibrationFailed(Exception):
    """The unkilled run did not succeed: there is no complete state to compare with."""


class Kind:
    name = ""
    database: str | None = "scanned.db"  # the copy each trial starts from
    runs_after_failure = False  # run the kill trials even when the unkilled run failed

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.expected: dict[str, int] = {}  # what a complete run leaves (import kinds)
        self.batch = 0  # documents per scan transaction (scan kinds)
        self.trial_dir = ws.root / "trial"
        self.trial_dir.mkdir(exist_ok=True)
        self.stdout = self.trial_dir / "stdout"
        self.stderr = self.trial_dir / "stderr"

    def prepare(self, trial: int) -> None:
        self.ws.restore(self.database)
        for leftover in self.trial_dir.iterdir():
            leftover.unlink()

    def args(self, trial: int) -> list[str]:
        """The corpus-tui command line (after ``corpus-tui``)."""
        raise NotImplementedError

    def argv(self, trial: int) -> list[str]:
        return [*cli_command(), *self.args(trial)]

    def start(self, trial: int) -> Watched:
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            popen = subprocess.Popen(self.argv(trial), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                     env=child_env())
        return Watched(popen)

    def finish(self, trial: int) -> None:
        """After the kill and the orphan count, before the checks (stop helpers)."""

    def check(self, trial: int, outcome: Outcome) -> None:
        raise NotImplementedError

    def cleanup(self, trial: int) -> None:
        """After the checks (put files back)."""

    def wait_unkilled(self, watched: Watched) -> None:
        """Wait for the unkilled run to end; CalibrationFailed when it did not succeed."""
        code = watched.popen.wait()
        if code != 0:
            raise CalibrationFailed(f"exit {code}: {self.stderr.read_text()[-500:].strip()}")

    def calibrated(self, seconds: float, error: str | None) -> None:
        """After the unkilled run, its state still in place: learn what a complete run leaves."""

    def run_cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([*cli_command(), *args], capture_output=True, text=True, env=child_env(),
                              timeout=timeout)

    def recover(self, outcome: Outcome, *args: str) -> subprocess.CompletedProcess:
        result = self.run_cli(*args)
        if result.returncode != 0:
            outcome.unrecovered += 1
            outcome.note(f"rerun {' '.join(args[:1])} failed: {result.stderr.strip()[-300:]}")
        return result

    def corrupt(self, outcome: Outcome) -> None:
        problems = checks.corruption(self.ws.db)
        if problems:
            outcome.corrupt += 1
            outcome.note("corrupt: " + "; ".join(problems[:3]))


class LibraryKind(Kind):
    """Single library actions, each acknowledged in a log once its call returned."""

    name = "library"
    actions = 1000

    def argv(self, trial: int) -> list[str]:
        return [sys.executable, str(WRITER), str(self.ws.corpus),
                str(self.trial_dir / "acks.log"), "--writer", f"t{trial}", "--actions", str(self.actions),
                "--seed", str(trial), "--docs", "1:300"]

    def check(self, trial: int, outcome: Outcome) -> None:
        self.corrupt(outcome)
        report = verify(self.ws.db, self.trial_dir / "acks.log")
        outcome.acked += report.acked
        outcome.lost += report.lost
        outcome.partial += report.partial
        outcome.examples += report.examples[:3]
        self.recover(outcome, "tags", "add", str(self.ws.corpus), f"after-{trial}")


class ImportTagsKind(Kind):
    """``import-tags`` of a sizeable CSV (--create-tags): all or nothing."""

    name = "import-tags"

    def args(self, trial: int) -> list[str]:
        return ["import-tags", str(self.ws.corpus), str(self.ws.tags_csv(0)), "--create-tags", "--json"]

    def state(self) -> dict[str, int]:
        db = self.ws.db
        return {
            "imports": checks.one(db, "SELECT COUNT(*) FROM imports"),
            "links": checks.one(db, "SELECT COUNT(*) FROM document_tags WHERE import_id IS NOT NULL"),
            "tags": checks.one(db, "SELECT COUNT(*) FROM tags"),
            "events": checks.one(db, "SELECT COUNT(*) FROM events WHERE action = 'tags.import'"),
        }

    def calibrated(self, seconds: float, error: str | None) -> None:
        self.expected = self.state()
        if self.expected["imports"] != 1 or self.expected["links"] == 0:
            raise CalibrationFailed(f"import-tags calibration run applied nothing: {self.expected}")

    def check(self, trial: int, outcome: Outcome) -> None:
        self.corrupt(outcome)
        state = self.state()
        nothing = {key: 0 for key in state}
        if state not in (nothing, self.expected):
            outcome.partial += 1
            outcome.note(f"partial import-tags: {state} (expected {nothing} or {self.expected})")
        if self.stdout.read_text().strip():  # the JSON result was printed: the import was acknowledged
            outcome.acked += 1
            if state != self.expected:
                outcome.lost += 1
                outcome.note(f"acknowledged import-tags not in the database: {state}")
        self.recover(outcome, *self.args(trial))
        if not self.recovered(self.state()):
            outcome.unrecovered += 1
            outcome.note(f"{self.name} rerun left {self.state()}, expected {self.expected}")

    def recovered(self, state: dict[str, int]) -> bool:
        """After a rerun: everything applied once (a rerun of an applied import-tags
        is recorded as a second import that changed nothing)."""
        return all(state[key] == self.expected[key] for key in ("links", "tags"))


class ImportKind(ImportTagsKind):
    """``import`` of a jsonl export (spans, boilerplate, tags, statuses, notes): all or nothing."""

    name = "import"

    def args(self, trial: int) -> list[str]:
        return ["import", str(self.ws.corpus), str(self.ws.annotations_jsonl)]

    def state(self) -> dict[str, int]:
        db = self.ws.db
        return {
            "spans": checks.one(db, "SELECT COUNT(*) FROM spans WHERE kind = 'annotation'"),
            "boilerplate": checks.one(db, "SELECT COUNT(*) FROM spans WHERE kind = 'boilerplate'"),
            "links": checks.one(db, "SELECT COUNT(*) FROM document_tags"),
            "statuses": checks.one(db, "SELECT COUNT(*) FROM documents WHERE status != 'new'"),
            "notes": checks.one(db, "SELECT COUNT(*) FROM documents WHERE note != ''"),
            "events": checks.one(db, "SELECT COUNT(*) FROM events WHERE action = 'import.annotations'"),
        }

    def calibrated(self, seconds: float, error: str | None) -> None:
        self.expected = self.state()
        if self.expected["events"] != 1 or self.expected["spans"] == 0:
            raise CalibrationFailed(f"import calibration run applied nothing: {self.expected}")

    def recovered(self, state: dict[str, int]) -> bool:
        """A rerun of an applied import changes nothing (and is logged as a second event)."""
        return {**state, "events": 1} == self.expected


class ScanFirstKind(ImportTagsKind):
    """The first scan of a folder (no database yet): batches commit whole."""

    name = "scan-first"
    database = None

    def args(self, trial: int) -> list[str]:
        return ["scan", str(self.ws.corpus), "--json"]

    def calibrated(self, seconds: float, error: str | None) -> None:
        from corpus_tui.core.scanner import BATCH_SIZE

        self.batch = BATCH_SIZE
        mismatches = checks.disk_mismatches(self.ws.db, self.ws.corpus, self.ws.files)
        if mismatches:
            raise CalibrationFailed(f"{self.name} calibration run does not match the disk: {mismatches[:3]}")

    def check(self, trial: int, outcome: Outcome) -> None:
        self.corrupt(outcome)
        self.check_batches(outcome)
        if self.acknowledged():
            outcome.acked += 1
            mismatches = checks.disk_mismatches(self.ws.db, self.ws.corpus, self.ws.files)
            if mismatches:
                outcome.lost += 1
                outcome.note(f"acknowledged scan does not match the disk: {mismatches[:2]}")
        self.recover_scan(outcome, self.ws.files)

    def acknowledged(self) -> bool:
        """The scan printed its summary before the kill."""
        return bool(self.stdout.read_text().strip())

    def check_batches(self, outcome: Outcome) -> None:
        documents = 0
        if self.ws.db.exists():
            with checks.connection(self.ws.db) as conn:
                if checks.has_table(conn, "documents"):
                    documents = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        without_text = checks.documents_without_text(self.ws.db)
        if documents % self.batch and documents != len(self.ws.files) or without_text:
            outcome.partial += 1
            outcome.note(f"partial scan batch: {documents} documents, {without_text} without text")

    def recover_scan(self, outcome: Outcome, files: list[str]) -> None:
        result = self.recover(outcome, "scan", str(self.ws.corpus), "--json")
        if result.returncode == 0:
            mismatches = checks.disk_mismatches(self.ws.db, self.ws.corpus, files)
            if mismatches:
                outcome.unrecovered += 1
                outcome.note(f"rescan after the kill does not match the disk: {mismatches[:2]}")


class ScanRescanKind(ScanFirstKind):
    """A rescan of an annotated corpus whose files were edited, deleted, renamed,
    added and touched before it started, and are appended to while it runs."""

    name = "scan-rescan"
    database = "annotated.db"

    def prepare(self, trial: int) -> None:
        super().prepare(trial)
        self.spans_before = checks.one(self.ws.root / "annotated.db", "SELECT COUNT(*) FROM spans")
        self.changes = ChangeSet(self.ws.corpus, self.ws.files, self.ws.stats)
        rng = random.Random(10_000 + trial)
        self.changes.apply(rng, annotated=self.ws.annotated)
        churnable = [p for p in self.ws.files if (self.ws.corpus / p).exists()]
        self.churn = Churn(self.changes, rng.sample(churnable, 200), seed=trial)

    def start(self, trial: int) -> Watched:
        watched = super().start(trial)
        self.churn.__enter__()
        return watched

    def finish(self, trial: int) -> None:
        self.churn.stop()

    def calibrated(self, seconds: float, error: str | None) -> None:
        from corpus_tui.core.scanner import BATCH_SIZE

        self.batch = BATCH_SIZE

    def check(self, trial: int, outcome: Outcome) -> None:
        self.corrupt(outcome)
        without_text = checks.documents_without_text(self.ws.db)
        if without_text:
            outcome.partial += 1
            outcome.note(f"{without_text} documents without text")
        spans = checks.one(self.ws.db, "SELECT COUNT(*) FROM spans")
        if spans < self.spans_before:
            outcome.lost += 1
            outcome.note(f"spans lost by a killed rescan: {self.spans_before} -> {spans}")
        if self.stdout.read_text().strip():
            outcome.acked += 1
        self.recover_scan(outcome, document_files(self.ws.corpus))
        spans = checks.one(self.ws.db, "SELECT COUNT(*) FROM spans")
        if spans < self.spans_before:
            outcome.lost += 1
            outcome.note(f"spans lost after the rescan: {self.spans_before} -> {spans}")

    def cleanup(self, trial: int) -> None:
        self.changes.revert()


class AppKind(ScanFirstKind):
    """The app opened on a folder never scanned: killed during the scan it starts
    (a spawned scan process, which starts a reader process of its own)."""

    name = "app"
    runs_after_failure = True  # a failed first scan still leaves processes to kill and orphans to count

    def start(self, trial: int) -> Watched:
        self.app = PtyApp(self.ws.corpus)
        return Watched(self.app.popen)

    def wait_unkilled(self, watched: Watched, timeout: float = 120) -> None:
        """The app does not exit by itself: the run ends when its scan is logged,
        or when the app says the scan failed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if watched.popen.poll() is not None:
                raise CalibrationFailed(f"the app exited ({watched.popen.returncode}): {self.app.text()[-300:]}")
            failure = self.app.scan_failure()
            if failure:
                raise CalibrationFailed(f"the app's first scan of {len(self.ws.files)} files failed: {failure}")
            try:
                if checks.one(self.ws.db, "SELECT COUNT(*) FROM events WHERE action = 'scan'"):
                    return
            except Exception:  # noqa: BLE001 - no database or no schema yet
                pass
            time.sleep(0.05)
        raise CalibrationFailed("the app's first scan did not finish in 120 s")

    def calibrated(self, seconds: float, error: str | None) -> None:
        from corpus_tui.core.scanner import BATCH_SIZE

        self.batch = BATCH_SIZE
        if error is None:
            super().calibrated(seconds, error)

    def finish(self, trial: int) -> None:
        self.app.close()

    def acknowledged(self) -> bool:
        """The app said the scan was done ("Scan: 3200 added, ...")."""
        return self.app.saw("Scan: ")

    def check(self, trial: int, outcome: Outcome) -> None:
        if self.app.saw("Traceback"):
            text = self.app.text()
            outcome.note("a traceback on the app's terminal: " + text[text.index("Traceback"):][:600])
            outcome.tracebacks += 1
        super().check(trial, outcome)


KIND_CLASSES = {cls.name: cls for cls in (LibraryKind, ImportTagsKind, ImportKind, ScanFirstKind,
                                          ScanRescanKind, AppKind)}


@dataclass
class KindFigures:
    name: str
    outcome: Outcome
    window_s: float
    trial_s: list[float]
    total_s: float

    def as_dict(self) -> dict[str, Any]:
        o = self.outcome
        return {"kind": self.name, "trials": o.trials, "killed": o.killed, "corrupt": o.corrupt,
                "partial": o.partial, "lost": o.lost, "orphans": o.orphans, "unrecovered": o.unrecovered, "failed": o.failed,
                "tracebacks": o.tracebacks,
                "acked": o.acked, "window_s": round(self.window_s, 3),
                "trial_median_s": round(statistics.median(self.trial_s), 3) if self.trial_s else None,
                "total_s": round(self.total_s, 1), "examples": o.examples}


def run_kind(ws: Workspace, name: str, trials: int, seed: int = 0, log=print,  # type: ignore[no-untyped-def]
             calibration_runs: int = 2) -> KindFigures:
    kind = KIND_CLASSES[name](ws)
    started = time.monotonic()
    window, error = calibrate(kind, calibration_runs)
    total = Outcome()
    if error:
        total.failed += 1
        total.note(f"unkilled run failed: {error}")
        log(f"{name}: the unkilled run FAILED ({error})")
        if not kind.runs_after_failure:
            return KindFigures(name, total, window, [], time.monotonic() - started)
    log(f"{name}: unkilled run {window:.2f} s; {trials} trials")
    rng = random.Random(seed)
    fractions = [(i + rng.random()) / trials for i in range(trials)]
    rng.shuffle(fractions)
    durations = []
    for trial, fraction in enumerate(fractions):
        trial_started = time.monotonic()
        outcome = run_trial(kind, trial, fraction * window)
        durations.append(time.monotonic() - trial_started)
        if outcome.failures:
            log(f"{name} trial {trial} (kill at {fraction * window:.3f} s): " + " | ".join(outcome.examples[:3]))
        total.add(outcome)
    drift = ws.drift()
    if drift:
        total.unrecovered += 1
        total.note(f"the corpus was left changed: {drift[:3]}")
    return KindFigures(name, total, window, durations, time.monotonic() - started)


def calibrate(kind: Kind, runs: int = 2) -> tuple[float, str | None]:
    """Unkilled runs: the shortest one's duration is the kill window (the first run
    also warms the caches). (seconds, why a run failed or None)."""
    timings = []
    for _ in range(runs):
        seconds, error = _unkilled_run(kind)
        timings.append(seconds)
        if error:
            return seconds, error
    return min(timings), None


def _unkilled_run(kind: Kind) -> tuple[float, str | None]:
    kind.prepare(-1)
    watched = kind.start(-1)
    error = None
    try:
        kind.wait_unkilled(watched)
    except CalibrationFailed as failure:
        error = str(failure)
    finally:  # also on Ctrl-C or a harness error: the app never exits by itself
        seconds = time.monotonic() - watched.started
        watched.kill()
        watched.orphans()
        kind.finish(-1)
    try:
        kind.calibrated(seconds, error)
    except CalibrationFailed as failure:
        error = error or str(failure)
    finally:
        kind.cleanup(-1)
    return seconds, error


def run_trial(kind: Kind, trial: int, delay: float) -> Outcome:
    outcome = Outcome(trials=1)
    kind.prepare(trial)
    watched = kind.start(trial)
    try:
        time.sleep(max(0.0, watched.started + delay - time.monotonic()))
        outcome.killed += watched.kill()
        orphans = watched.orphans()
        if orphans:
            outcome.orphans += len(orphans)
            outcome.note(f"orphans: {[_name(pid) for pid, _ in orphans]}")
    finally:
        if watched.popen.poll() is None:  # interrupted (Ctrl-C): leave nothing running
            kill_tree(watched.popen.pid)
            watched.popen.wait()
        kind.finish(trial)
    try:
        kind.check(trial, outcome)
    finally:
        kind.cleanup(trial)
    return outcome


def _name(pid: int) -> str:
    try:
        return f"{pid} " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return str(pid)


def figures_json(figures: list[KindFigures]) -> str:
    return json.dumps([f.as_dict() for f in figures], indent=2)
