"""Benchmark ``corpus-tui import-tags`` against ``sqlite-utils insert`` of the same CSV.

    python bench/bench_import_tags.py [--docs N] [--rows R] [--small-rows S] [--tags T]
                                      [--workdir DIR] [--json]

Generates (or reuses) a synthetic corpus of N documents (default 100,000; see
generate_corpus.py) in WORKDIR/corpus and scans it once into WORKDIR/scanned.db
(reused by later runs). Writes a CSV of R ``path,tag`` rows (default 1,000,000)
over those documents and T distinct tags (default 300), and a second CSV of S
rows (default 100,000) with the same distribution. Then measures in one run:

- baseline: ``sqlite-utils insert BASE.db rows CSV --csv``, loading the same
  CSV into a plain table of a fresh database;
- import: ``corpus-tui import-tags CORPUS CSV --create-tags --db COPY --json``
  into a fresh copy of the scanned database (wall time and peak RSS of that
  process, from os.wait4);
- rerun: the same import again, which must change nothing;
- small import: the S-row CSV into another fresh copy, for memory: a streamed
  import's peak RSS must not grow with the file (target: the R-row import's
  peak RSS at most 1.25x the S-row import's, where 10x more rows held in memory
  would show as several times more).

Targets: import <= 3x baseline; memory flat as above; the database then holds
exactly the distinct (document, tag) pairs of the CSV, all with the import's
provenance; the rerun adds nothing. Exit status 1 when a target fails.

Everything lives outside the repository (default /tmp/corpus-bench-tags) and
stays there for the next run; the database copies are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import MIB, REPO, judge, log, prepare_corpus, print_rows, remove_database, scan_command

IMPORT_MAX_RATIO = 3.0
MEMORY_MAX_GROWTH = 1.25
CSV_VERSION = 1


# Runs COMMAND from a fresh, small interpreter and reports its wall time and peak RSS.
# Not os.wait4 from this process: on Linux a child's ru_maxrss starts from the RSS of
# the process that forked it (kept across exec), and this one holds the CSV's pairs.
_MEASURE = r"""
import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": time.perf_counter() - started, "peak_rss_kib": usage.ru_maxrss,
               "user_s": usage.ru_utime, "sys_s": usage.ru_stime,
               "returncode": os.waitstatus_to_exitcode(status)}, out)
"""


def run_measured(command: list[str]) -> dict[str, Any]:
    """Wall seconds and peak RSS of ``command`` alone, with its stdout and stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures.json"
        done = subprocess.run([sys.executable, "-c", _MEASURE, str(figures), *command], capture_output=True, check=False)
        result = json.loads(figures.read_text())
    result["peak_rss_mib"] = result.pop("peak_rss_kib") / 1024  # Linux: ru_maxrss is in KiB
    result["stdout"] = done.stdout.decode("utf-8", "replace")
    result["stderr"] = done.stderr.decode("utf-8", "replace")
    return result


def scanned_database(corpus: Path, db: Path, docs: int) -> None:
    """Scan the corpus once into ``db``; later runs reuse it."""
    if db.exists():
        conn = sqlite3.connect(db)
        try:
            count = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        except sqlite3.Error:
            count = -1
        conn.close()
        if count == docs:
            return
        remove_database(db)
    log(f"scanning {docs} documents into {db} (once) ...")
    from corpus_tui import Corpus

    with Corpus.open(corpus, db=db, annotator="bench") as opened:
        opened.scan()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    conn.close()


def write_csv(db: Path, out: Path, rows: int, tags: int, seed: int) -> dict[str, Any]:
    """``path,tag`` rows over the documents of ``db``; returns how many distinct pairs it holds."""
    marker = out.with_suffix(".json")
    wanted = {"rows": rows, "tags": tags, "seed": seed, "version": CSV_VERSION}
    if out.exists() and marker.exists() and json.loads(marker.read_text()).get("params") == wanted:
        return json.loads(marker.read_text())
    log(f"writing {rows:,} rows to {out} ...")
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    paths = [path for (path,) in conn.execute("SELECT path FROM documents ORDER BY path")]
    conn.close()
    rng = random.Random(seed)
    names = [f"topic_{n:03d}" for n in range(tags)]
    pairs: set[tuple[int, int]] = set()
    with open(out, "w", encoding="utf-8", newline="") as handle:
        handle.write("path,tag\n")
        for _ in range(rows):
            doc, tag = rng.randrange(len(paths)), rng.randrange(tags)
            pairs.add((doc, tag))
            handle.write(f"{paths[doc]},{names[tag]}\n")
    figures = {"params": wanted, "distinct_pairs": len(pairs), "documents": len({d for d, _ in pairs}),
               "bytes": out.stat().st_size}
    marker.write_text(json.dumps(figures))
    return figures


def fresh_copy(source: Path, target: Path) -> Path:
    """Copy through SQLite (VACUUM INTO): a file copy would miss what is still in the
    source's WAL, and only SQLite may open a database file (closing another descriptor
    drops the locks of the process's SQLite connections)."""
    remove_database(target)  # no process has the target open: it is about to be replaced
    with closing(sqlite3.connect(source)) as conn:
        conn.execute("VACUUM INTO ?", [str(target)])
    return target


def run_import(corpus: Path, csv_path: Path, db: Path) -> dict[str, Any]:
    command = [*scan_command(), "import-tags", str(corpus), str(csv_path), "--create-tags", "--db", str(db),
               "--json", "--annotator", "bench"]
    result = run_measured(command)
    if result["returncode"] != 0:
        raise SystemExit(f"import failed (exit {result['returncode']}):\n{result['stderr'][-4000:]}")
    result["summary"] = json.loads(result["stdout"].strip().splitlines()[-1])
    return result


def link_counts(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        total = conn.execute("SELECT COUNT(*) FROM document_tags").fetchone()[0]
        provenance = conn.execute("SELECT COUNT(*) FROM document_tags WHERE import_id IS NOT NULL").fetchone()[0]
        return total, provenance
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents in the corpus (default 100000)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the big CSV (default 1000000)")
    parser.add_argument("--small-rows", type=int, default=100_000, help="rows in the small CSV (default 100000)")
    parser.add_argument("--tags", type=int, default=300, help="distinct tags (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the corpus and the CSVs (default 0)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/corpus-bench-tags"),
                        help="where the corpus, databases and CSVs go (default /tmp/corpus-bench-tags)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    if workdir == REPO or REPO in workdir.parents:
        parser.error(f"--workdir must be outside the repository ({REPO})")
    workdir.mkdir(parents=True, exist_ok=True)
    corpus, scanned = workdir / "corpus", workdir / "scanned.db"

    marker, reused = prepare_corpus(corpus, args.docs, args.seed)
    log(f"corpus: {marker['docs']} documents ({'reused' if reused else 'generated'})")
    scanned_database(corpus, scanned, marker["docs"])
    big_csv, small_csv = workdir / f"tags-{args.rows}.csv", workdir / f"tags-{args.small_rows}.csv"
    big = write_csv(scanned, big_csv, args.rows, args.tags, args.seed)
    small = write_csv(scanned, small_csv, args.small_rows, args.tags, args.seed + 1)

    # Warm the page cache for both sides: each reads the CSV once first.
    big_csv.read_bytes()
    base_db = workdir / "baseline.db"
    remove_database(base_db)
    log("baseline: sqlite-utils insert ...")
    baseline = run_measured(["sqlite-utils", "insert", str(base_db), "rows", str(big_csv), "--csv"])
    if baseline["returncode"] != 0:
        raise SystemExit(f"sqlite-utils failed:\n{baseline['stderr'][-2000:]}")
    remove_database(base_db)

    work = fresh_copy(scanned, workdir / "import.db")
    log(f"import of {args.rows:,} rows ...")
    imported = run_import(corpus, big_csv, work)
    links, provenance = link_counts(work)
    log("rerun of the same file ...")
    rerun = run_import(corpus, big_csv, work)
    links_after_rerun, _ = link_counts(work)

    small_work = fresh_copy(scanned, workdir / "import-small.db")
    log(f"import of {args.small_rows:,} rows ...")
    small_import = run_import(corpus, small_csv, small_work)
    remove_database(work)
    remove_database(small_work)

    ratio = imported["seconds"] / baseline["seconds"]
    growth = imported["peak_rss_mib"] / small_import["peak_rss_mib"]
    summary = imported["summary"]
    figures: dict[str, Any] = {
        "docs": marker["docs"], "rows": args.rows, "small_rows": args.small_rows, "tags": args.tags,
        "csv_mib": big["bytes"] / MIB, "distinct_pairs": big["distinct_pairs"],
        "baseline_s": baseline["seconds"], "baseline_peak_rss_mib": baseline["peak_rss_mib"],
        "import_s": imported["seconds"], "import_ratio": ratio, "import_user_s": imported["user_s"],
        "import_sys_s": imported["sys_s"], "import_peak_rss_mib": imported["peak_rss_mib"],
        "rerun_s": rerun["seconds"], "rerun_peak_rss_mib": rerun["peak_rss_mib"],
        "small_import_s": small_import["seconds"], "small_import_peak_rss_mib": small_import["peak_rss_mib"],
        "memory_growth": growth, "import_summary": summary, "rerun_summary": rerun["summary"],
        "links": links, "links_with_provenance": provenance,
    }
    targets = {
        "import <= 3x baseline": ratio <= IMPORT_MAX_RATIO,
        f"peak RSS {args.rows:,} rows <= {MEMORY_MAX_GROWTH}x {args.small_rows:,} rows": growth <= MEMORY_MAX_GROWTH,
        "links = distinct pairs, all with provenance": links == provenance == big["distinct_pairs"]
        and summary["added"] == big["distinct_pairs"],
        "rerun adds nothing": rerun["summary"]["added"] == 0 and links_after_rerun == links
        and rerun["summary"]["already_present"] == big["distinct_pairs"],
        "small import: links = distinct pairs": small_import["summary"]["added"] == small["distinct_pairs"],
    }
    return judge(figures, targets, args.json, print_table)


def print_table(f: dict[str, Any]) -> None:
    t = f["targets"]
    mark = lambda ok: "PASS" if ok else "FAIL"
    memory_key = next(key for key in t if key.startswith("peak RSS"))
    rows = [
        ("corpus", f"{f['docs']:,} documents", "", ""),
        ("CSV", f"{f['rows']:,} rows",
         f"{f['csv_mib']:.1f} MiB, {f['tags']} tags, {f['distinct_pairs']:,} distinct pairs", ""),
        ("baseline: sqlite-utils insert --csv", f"{f['baseline_s']:.2f} s",
         f"peak RSS {f['baseline_peak_rss_mib']:.0f} MiB", ""),
        ("corpus-tui import-tags", f"{f['import_s']:.2f} s",
         f"{f['import_ratio']:.2f}x baseline (<= {IMPORT_MAX_RATIO:g}x)", mark(t["import <= 3x baseline"])),
        ("  peak RSS", f"{f['import_peak_rss_mib']:.0f} MiB",
         f"user {f['import_user_s']:.1f} s, sys {f['import_sys_s']:.1f} s", ""),
        (f"import of {f['small_rows']:,} rows", f"{f['small_import_s']:.2f} s",
         f"peak RSS {f['small_import_peak_rss_mib']:.0f} MiB", ""),
        ("memory growth (10x the rows)", f"{f['memory_growth']:.2f}x", f"<= {MEMORY_MAX_GROWTH:g}x",
         mark(t[memory_key])),
        ("links written", f"{f['links']:,}", f"{f['links_with_provenance']:,} with provenance",
         mark(t["links = distinct pairs, all with provenance"])),
        ("rerun (idempotent)", f"{f['rerun_s']:.2f} s",
         f"added {f['rerun_summary']['added']}, {f['rerun_summary']['already_present']:,} already present",
         mark(t["rerun adds nothing"])),
    ]
    print_rows(rows, f["passed"])


if __name__ == "__main__":
    sys.exit(main())
