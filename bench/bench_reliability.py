"""Reliability: kill -9 at random moments, and several writers at once.

    python bench/bench_reliability.py [--trials N] [--kinds K,...] [--rounds R]
        [--scenarios S,...] [--docs D] [--workdir DIR] [--keep] [--json]

Kill trials (``reliability/kill_trials.py``), N per writer kind (default 200):
``library`` (single library actions, each acknowledged in a log once its call
returned), ``import-tags`` (64,000 rows), ``import`` (a jsonl export of 1,000
annotated documents), ``scan-first``, ``scan-rescan`` (files edited, deleted,
renamed, added and touched, and appended to while it runs), ``app`` (the app
during the first scan it starts). Each trial kills the writer with SIGKILL
after a delay spread over one unkilled run's duration, then counts:

- corrupt: ``PRAGMA integrity_check`` not ok, ``foreign_key_check`` not empty,
  or the full-text index not matching its table (checked with every writer dead);
- partial: an import neither all applied nor not at all; a scan batch half
  written; a library action whose change and event disagree;
- lost: an acknowledged action (or an import or scan that printed its result)
  not in the database;
- orphans: processes the killed writer started that are still alive 5 s later;
- unrecovered: the same operation, run again unkilled, failed or left the
  database different from what a complete run leaves;
- failed: the unkilled calibration run itself failed;
- tracebacks (app): a traceback reached the killed app's terminal.

Multi-writer scenarios (``reliability/multi_writer.py``), R rounds each
(default 3): two and three writers at once among library writers, import-tags,
scans of changing files and the real app in tmux (skipped without tmux).

Every figure must be 0; the exit status is 1 otherwise. The corpus (3,200
generated documents, so scans start their reader process) and its databases go
to WORKDIR (default /tmp/corpus-reliability), removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from bench_scan import REPO, judge, log, print_rows  # noqa: E402
from reliability.kill_trials import KINDS, run_kind  # noqa: E402
from reliability.multi_writer import SCENARIOS, run_scenario  # noqa: E402
from reliability.tmux_app import tmux_available  # noqa: E402
from reliability.workspace import Workspace  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=200, help="kill trials per writer kind (default 200)")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"writer kinds (default {','.join(KINDS)})")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each multi-writer scenario (default 3)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"multi-writer scenarios (default {','.join(SCENARIOS)})")
    parser.add_argument("--docs", type=int, default=3200, help="documents in the generated corpus (default 3200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/corpus-reliability"))
    parser.add_argument("--keep", action="store_true", help="keep the corpus and databases for the next run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = [k for k in kinds if k not in KINDS] + [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown kinds or scenarios: {', '.join(unknown)}")
    workdir = args.workdir.resolve()
    if workdir == REPO or REPO in workdir.parents:
        parser.error(f"--workdir must be outside the repository ({REPO})")

    started = time.monotonic()
    ws = Workspace(workdir, docs=args.docs, seed=args.seed, log=log).prepare()
    figures: dict[str, Any] = {"docs": args.docs, "kinds": [], "scenarios": [], "skipped": []}
    try:
        for kind in kinds:
            result = run_kind(ws, kind, args.trials, seed=args.seed, log=log)
            figures["kinds"].append(result.as_dict())
            log(f"{kind}: {json.dumps({k: v for k, v in result.as_dict().items() if k != 'examples'})}")
        for name in scenarios:
            if "app" in name and not tmux_available():
                figures["skipped"].append(f"{name}: tmux is not installed")
                continue
            for round_ in range(args.rounds):
                result = run_scenario(ws, name, seed=args.seed * 1000 + round_)
                figures["scenarios"].append({**result.__dict__, "failures": result.failures})
                log(f"{name} round {round_}: {result.failures} failures, {result.seconds:.1f} s "
                    + " | ".join(result.examples[:2]))
    finally:
        figures["total_s"] = time.monotonic() - started
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    targets = {f"kill {k['kind']}: nothing corrupt, partial, lost, orphaned, unrecovered":
               all(k[name] == 0 for name in ("corrupt", "partial", "lost", "orphans", "unrecovered", "failed",
                                             "tracebacks"))
               for k in figures["kinds"]}
    for name in scenarios:
        runs = [s for s in figures["scenarios"] if s["name"] == name]
        if runs:
            targets[f"{name}: nothing lost or corrupt, no failure"] = all(s["failures"] == 0 for s in runs)
    return judge(figures, targets, args.json, print_table)


def print_table(f: dict[str, Any]) -> None:
    t = f["targets"]
    mark = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    rows = [("kill -9 trials", "trials (killed mid-run)",
             "corrupt / partial / lost (of acked) / orphans / unrecovered; window, trial p50", "")]
    for k in f["kinds"]:
        failed = " / calibration FAILED" if k["failed"] else ""
        failed += f" / {k['tracebacks']} tracebacks on the terminal" if k["tracebacks"] else ""
        rows.append((
            k["kind"], f"{k['trials']} ({k['killed']})",
            f"{k['corrupt']} / {k['partial']} / {k['lost']} (of {k['acked']}) / {k['orphans']} / "
            f"{k['unrecovered']}{failed}; {k['window_s']:.2f} s, {k['trial_median_s'] or 0:.2f} s",
            mark(t[f"kill {k['kind']}: nothing corrupt, partial, lost, orphaned, unrecovered"]),
        ))
    rows.append(("writers at once", "runs (processes)", "acked / lost / partial / corrupt / failed exits / "
                 "app errors / unconverged; time", ""))
    names = list(dict.fromkeys(s["name"] for s in f["scenarios"]))
    for name in names:
        runs = [s for s in f["scenarios"] if s["name"] == name]
        total = {key: sum(s[key] for s in runs) for key in
                 ("processes", "acked", "lost", "partial", "corrupt", "failed", "app_errors", "unconverged")}
        rows.append((name, f"{len(runs)} ({total['processes']})",
                     f"{total['acked']} / {total['lost']} / {total['partial']} / {total['corrupt']} / "
                     f"{total['failed']} / {total['app_errors']} / {total['unconverged']}; "
                     f"{sum(s['seconds'] for s in runs):.0f} s",
                     mark(t[f"{name}: nothing lost or corrupt, no failure"])))
    for skipped in f["skipped"]:
        rows.append(("skipped", skipped, "", ""))
    rows.append(("total time", f"{f['total_s'] / 60:.1f} min", "", ""))
    print_rows(rows, f["passed"])
    for k in f["kinds"]:
        for example in k["examples"][:3]:
            print(f"  {k['kind']}: {example}")
    for s in f["scenarios"]:
        for example in s["examples"][:3]:
            print(f"  {s['name']}: {example}")


if __name__ == "__main__":
    sys.exit(main())
