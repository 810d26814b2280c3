"""kill -9 at random moments, and several writers at once: the short mode of
``bench/bench_reliability.py`` (same machinery, ``bench/reliability/``), for CI.

Each kill test runs a handful of trials of one writer, killed after a delay
spread over one unkilled run's duration, and asserts what the bench counts:
nothing corrupt, no import half-applied, no acknowledged action lost, no
process left behind, and the same operation run again afterwards succeeds.
The corpus has 3,200 documents so that scans start their reader process.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from reliability.ack_log import verify  # noqa: E402
from reliability.kill_trials import AppKind, Outcome, calibrate, run_kind  # noqa: E402
from reliability.multi_writer import run_scenario  # noqa: E402
from reliability.procs import Watched  # noqa: E402
from reliability.tmux_app import tmux_available  # noqa: E402
from reliability.workspace import Workspace  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads process trees from /proc")

TRIALS = 3  # the bench runs many more (bench/bench_reliability.py)
LATE_KILL_SEEDS = (2, 15, 22)  # one trial each: killed at 96%, 97%, 96% of the unkilled run


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("reliability"), docs=3200, annotated=300, tag_files=3,
                     log=lambda message: None).prepare()


def assert_clean(outcome: Outcome) -> None:
    figures = {name: getattr(outcome, name)
               for name in ("corrupt", "partial", "lost", "orphans", "unrecovered", "failed", "tracebacks")}
    assert figures == {name: 0 for name in figures}, outcome.examples
    assert outcome.trials > 0


def kill_trials(workspace: Workspace, kind: str, trials: int = TRIALS, seed: int = 7) -> Outcome:
    return run_kind(workspace, kind, trials, seed=seed, log=lambda message: None, calibration_runs=1).outcome


# -- the counters count: a harness that cannot fail proves nothing ---------------------


def test_the_orphan_count_sees_a_child_that_outlives_its_killed_parent():
    watched = Watched(subprocess.Popen(["sh", "-c", "sleep 30 & wait"]))
    deadline = time.monotonic() + 10
    while not watched.seen and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watched.kill()
    orphans = watched.orphans(grace=0.3)
    assert len(orphans) == 1  # the sleep: counted, then killed
    time.sleep(0.1)
    assert not Path(f"/proc/{orphans[0][0]}/stat").exists() or "Z" in Path(f"/proc/{orphans[0][0]}/stat").read_text()


def test_the_ack_check_sees_a_lost_action_and_a_change_without_its_event(workspace: Workspace, tmp_path: Path):
    workspace.restore("scanned.db")
    log = tmp_path / "acks.log"
    intents = [{"writer": "w", "step": 0, "op": "add_annotation", "doc": 1, "start": 0, "end": 3, "value": "GONE"},
               {"writer": "w", "step": 1, "op": "add_tag", "doc": 1, "value": "no-event"},
               {"writer": "w", "step": 2, "op": "set_status", "doc": 2, "value": "reviewed"}]
    log.write_text("".join(json.dumps({**i, "phase": "intent"}) + "\n" + json.dumps(
        {"writer": "w", "step": i["step"], "phase": "ack"}) + "\n" for i in intents))
    conn = sqlite3.connect(workspace.db)
    conn.execute("INSERT INTO tags (name, key, annotator, created_at) VALUES ('no-event', 'no-event', 't', 'now')")
    conn.execute("INSERT INTO document_tags (document_id, tag_id, annotator, created_at) "
                 "VALUES (1, last_insert_rowid(), 't', 'now')")
    conn.commit()
    conn.close()
    report = verify(workspace.db, log)
    assert (report.acked, report.lost, report.partial) == (3, 2, 1), report.examples  # annotation, status; tag


# -- kill -9 at random moments ------------------------------------------------------------


def test_killed_library_writer_loses_no_acknowledged_action(workspace: Workspace):
    outcomes = [kill_trials(workspace, "library")]
    # Some kill must land after actions were acknowledged, or nothing acknowledged was at stake. On
    # a loaded machine the writer can start slower than in its unkilled run and every kill land
    # before its first action: a trial more, measured again, follows the machine.
    for late in LATE_KILL_SEEDS:
        if any(outcome.acked for outcome in outcomes):
            break
        outcomes.append(kill_trials(workspace, "library", trials=1, seed=late))
    for outcome in outcomes:
        assert_clean(outcome)
    assert any(outcome.acked for outcome in outcomes)


def test_killed_import_tags_is_all_or_nothing(workspace: Workspace):
    assert_clean(kill_trials(workspace, "import-tags"))


def test_killed_import_is_all_or_nothing(workspace: Workspace):
    assert_clean(kill_trials(workspace, "import"))


def test_killed_first_scan_commits_whole_batches_and_leaves_no_reader(workspace: Workspace):
    assert_clean(kill_trials(workspace, "scan-first"))


def test_killed_rescan_of_changing_files_loses_no_span(workspace: Workspace):
    assert_clean(kill_trials(workspace, "scan-rescan"))


def test_killed_app_leaves_no_scan_process_behind(workspace: Workspace):
    # Killing the app must leave nothing running, nothing damaged, and nothing on its
    # terminal (the scan child has none: the bench counts tracebacks there).
    assert_clean(kill_trials(workspace, "app", trials=3))


def test_the_apps_first_scan_of_3000_files_completes(workspace: Workspace):
    _, error = calibrate(AppKind(workspace), runs=1)
    assert error is None


# -- writers at once -------------------------------------------------------------------------


def test_three_writers_library_import_tags_and_a_scan_of_changing_files(workspace: Workspace):
    result = run_scenario(workspace, "library+import-tags+scan", seed=3, library_actions=200)
    assert result.failures == 0, result.examples
    assert result.acked > 200


@pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (the app runs in a private tmux server)")
def test_three_writers_the_app_in_tmux_a_library_writer_and_import_tags(workspace: Workspace):
    result = run_scenario(workspace, "app+library+import-tags", seed=4, app_steps=2, library_actions=200)
    assert result.failures == 0, result.examples
    assert result.acked > 200
