"""Benchmark ``corpus-tui export --format jsonl`` against ``sqlite3 -json`` of the same rows.

    python bench/bench_export.py [--docs N] [--seed S] [--workdir DIR] [--json]

Generates (or reuses) a synthetic corpus of N documents (default 100,000; see
generate_corpus.py) in WORKDIR/corpus, scans it once into WORKDIR/export.db and
annotates it in bulk (set-based SQL in one transaction: tags on a third of the
documents, two annotation spans on half, up to two boilerplate ranges on most,
statuses and notes), then measures in one run:

- baseline: ``sqlite3 -json DB "SELECT d.*, t.text FROM documents d JOIN
  document_texts t ON t.document_id = d.id ORDER BY d.path" > /dev/null``;
  the machine is shared and drifts, so the baseline and the export are run in
  ROUNDS pairs (default 3), each export right after its baseline, and the
  median pair's ratio is the figure;
- export: the real CLI, ``corpus-tui export CORPUS --format jsonl -o OUT --db DB``,
  wall time and the peak RSS of it and its worker processes (os.wait4); by
  default it renders in one worker process per CPU;
- the same export with ``--jobs 1`` (everything in one process), for comparison;
- the same export limited to one document in ten (``--tag sample``, 10% of N),
  with as many workers as the full one: peak RSS must not grow with the number
  of documents exported.

Targets: export <= 3x baseline; peak RSS of the full export <= 1.5x that of
the 10% export (flat memory) and < 300 MiB. The output is checked too: one
line per document, every span's text equal to ``text[start:end]``, and the
same bytes as the one-process export.
Exit status 1 when a target or check fails.

Everything lives outside the repository (default /tmp/corpus-bench-export) and
is kept for the next run: the corpus, the scanned and annotated database.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import judge, prepare_corpus, print_rows, run_measured, scan_command

REPO = Path(__file__).resolve().parents[1]
MIB = 2**20
SETUP_VERSION = 1  # bump when the annotation script below changes

MAX_RATIO = 3.0
MAX_RSS_GROWTH = 1.5
MAX_RSS_MIB = 300.0

# The baseline is the cheapest way to get the same documents out of the same
# database as JSON: every documents column plus the decoded text, in path
# order (the order the export writes), serialised by SQLite's own C code. It
# does none of the export's work on spans, tags, clean text or files, so the
# ratio shows what that work costs on top of reading and printing the rows.
BASELINE_SQL = "SELECT d.*, t.text FROM documents d JOIN document_texts t ON t.document_id = d.id ORDER BY d.path"

ANNOTATE_SQL = """
INSERT INTO tags (name, key, color, description, hotkey, annotator, created_at) VALUES
  ('politics', 'politics', NULL, '', 1, 'bench', '2026-01-01T00:00:00.000+00:00'),
  ('economy', 'economy', NULL, '', 2, 'bench', '2026-01-01T00:00:00.000+00:00'),
  ('sample', 'sample', NULL, '', NULL, 'bench', '2026-01-01T00:00:00.000+00:00');
INSERT INTO document_tags (document_id, tag_id, annotator, created_at)
  SELECT d.id, t.id, 'bench', '2026-01-02T00:00:00.000+00:00' FROM documents d JOIN tags t
  WHERE (t.key = 'politics' AND d.id % 3 = 0) OR (t.key = 'economy' AND d.id % 5 = 0)
     OR (t.key = 'sample' AND d.id % 10 = 0);
UPDATE documents SET status = CASE WHEN id % 5 IN (0, 1) THEN 'reviewed' WHEN id % 7 = 0 THEN 'in_progress'
  ELSE 'new' END, note = CASE WHEN id % 10 = 3 THEN 'checked against the source' ELSE '' END;
-- boilerplate: the first line (navigation) of documents without front matter,
-- and everything from the copyright notice to the end
CREATE TEMP TABLE cuts AS
  SELECT d.id AS document_id, 0 AS s, instr(t.text, char(10)) - 1 AS e, 'navigation' AS reason
  FROM documents d JOIN document_texts t ON t.document_id = d.id
  WHERE d.body_start = 0 AND instr(t.text, char(10)) > 1
  UNION ALL
  SELECT d.id, instr(t.text, 'Copyright ©') - 1, d.char_count, 'footer'
  FROM documents d JOIN document_texts t ON t.document_id = d.id
  WHERE instr(t.text, 'Copyright ©') > 0 AND d.id % 4 != 0;
-- annotations on half the documents: the byline and the first " the "
INSERT INTO cuts SELECT d.id, instr(t.text, char(10) || 'By '),
  instr(t.text, char(10) || 'By ') + instr(substr(t.text, instr(t.text, char(10) || 'By ') + 1), char(10)) - 1,
  '@BYLINE' FROM documents d JOIN document_texts t ON t.document_id = d.id
  WHERE d.id % 2 = 0 AND instr(t.text, char(10) || 'By ') > 0;
INSERT INTO cuts SELECT d.id, instr(t.text, ' the '), instr(t.text, ' the ') + 3, '@WORD'
  FROM documents d JOIN document_texts t ON t.document_id = d.id
  WHERE d.id % 2 = 0 AND instr(t.text, ' the ') > 0;
INSERT INTO spans (document_id, kind, start, "end", label, note, reason, quote, prefix, suffix, anchor,
                   annotator, created_at)
  SELECT c.document_id,
    CASE WHEN c.reason LIKE '@%' THEN 'annotation' ELSE 'boilerplate' END, c.s, c.e,
    CASE WHEN c.reason LIKE '@%' THEN substr(c.reason, 2) END,
    CASE WHEN c.reason = '@BYLINE' THEN 'author line' END,
    CASE WHEN c.reason LIKE '@%' THEN NULL ELSE c.reason END,
    substr(t.text, c.s + 1, c.e - c.s),
    substr(t.text, max(1, c.s + 1 - 32), min(c.s, 32)),
    substr(t.text, c.e + 1, 32), 'ok', 'bench', '2026-01-03T00:00:00.000+00:00'
  FROM cuts c JOIN document_texts t ON t.document_id = c.document_id
  WHERE c.e > c.s;
DROP TABLE cuts
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare_database(corpus: Path, db: Path, state_file: Path, marker: dict[str, Any]) -> bool:
    """Scan and annotate once; reused while the corpus and this script's setup are the same."""
    wanted = {"docs": marker["docs"], "seed": marker["seed"], "setup": SETUP_VERSION}
    if db.exists() and state_file.exists() and json.loads(state_file.read_text()) == wanted:
        return True
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    log("scanning ...")
    subprocess.run([*scan_command(), "scan", str(corpus), "--db", str(db)], check=True, stdout=subprocess.DEVNULL)
    log("annotating in bulk ...")
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for statement in ANNOTATE_SQL.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    state_file.write_text(json.dumps(wanted))
    return False


def run_baseline(db: Path) -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        subprocess.run(["/usr/bin/sqlite3", "-json", str(db), BASELINE_SQL], stdout=devnull, check=True)
    return time.perf_counter() - started


def check_output(out: Path, expected: int) -> dict[str, Any]:
    """Line count, and the span invariant on every 100th record."""
    lines = bad = spans = 0
    with open(out, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            lines += 1
            if number % 100:
                continue
            record = json.loads(line)
            text = record["text"]
            for span in record["spans"] + record["boilerplate"]:
                spans += 1
                bad += text[span["start"]:span["end"]] != span["text"]
    return {"lines": lines, "expected": expected, "spans_checked": spans, "bad_spans": bad,
            "mib": out.stat().st_size / MIB}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents to generate (default 100000)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/corpus-bench-export"),
                        help="where the corpus, database and exports go (default /tmp/corpus-bench-export)")
    parser.add_argument("--rounds", type=int, default=3, help="paired baseline/export rounds (default 3)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    if args.docs < 10:
        parser.error("--docs must be at least 10")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    workdir = args.workdir.resolve()
    if workdir == REPO or REPO in workdir.parents:
        parser.error(f"--workdir must be outside the repository ({REPO})")
    workdir.mkdir(parents=True, exist_ok=True)
    corpus, db = workdir / "corpus", workdir / "export.db"

    marker, reused = prepare_corpus(corpus, args.docs, args.seed)
    log(f"corpus: {marker['docs']} documents, {marker['bytes'] / MIB:.1f} MiB ({'reused' if reused else 'generated'})")
    db_reused = prepare_database(corpus, db, workdir / "export-state.json", marker)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    one = lambda sql: conn.execute(sql).fetchone()[0]
    counts = {
        "documents": one("SELECT COUNT(*) FROM documents WHERE state = 'ok'"),
        "annotations": one("SELECT COUNT(*) FROM spans WHERE kind = 'annotation'"),
        "boilerplate": one("SELECT COUNT(*) FROM spans WHERE kind = 'boilerplate'"),
        "tag_links": one("SELECT COUNT(*) FROM document_tags"),
        "sample": one("SELECT COUNT(*) FROM document_tags dt JOIN tags t ON t.id = dt.tag_id WHERE t.key = 'sample'"),
    }
    conn.close()
    log(f"database: {counts} ({'reused' if db_reused else 'built'})")

    # Warm cache for both sides: a first baseline run reads the database into the page cache.
    log("baseline (sqlite3 -json), warm-up run ...")
    run_baseline(db)

    out, sample_out = workdir / "export.jsonl", workdir / "export-sample.jsonl"
    base = [*scan_command(), "export", str(corpus), "--format", "jsonl", "--db", str(db), "--force", "--json"]
    # Paired rounds: the machine is shared and its speed drifts, so each export
    # is compared with a baseline run just before it; the median round counts.
    rounds: list[tuple[float, dict[str, Any]]] = []
    for number in range(1, args.rounds + 1):
        log(f"round {number}/{args.rounds}: baseline, then export of all documents ...")
        baseline_s = run_baseline(db)
        out.unlink(missing_ok=True)  # replacing an old 600 MB file would be timed too
        rounds.append((baseline_s, run_measured([*base, "-o", str(out)])))
    rounds.sort(key=lambda pair: pair[1]["seconds"] / pair[0])
    baseline, full = rounds[len(rounds) // 2]
    log("export, all documents, one process (--jobs 1) ...")
    alone_out = workdir / "export-one-process.jsonl"
    alone_out.unlink(missing_ok=True)
    alone_baseline = run_baseline(db)
    alone = run_measured([*base, "--jobs", "1", "-o", str(alone_out)])
    log("export, one document in ten (--tag sample) ...")
    sample_out.unlink(missing_ok=True)
    workers = json.loads(full["stdout"])["workers"]  # the same mode for both, so memory compares like with like
    sample = run_measured([*base, "--tag", "sample", "--jobs", str(max(workers, 1)), "-o", str(sample_out)])
    for label, result in (*(("export", r) for _, r in rounds), ("one-process export", alone), ("sample export", sample)):
        if result["returncode"] != 0:
            raise SystemExit(f"{label} failed (exit {result['returncode']}):\n{result['stderr'][-4000:]}")
    output = check_output(out, counts["documents"])
    same_bytes = filecmp.cmp(out, alone_out, shallow=False)
    alone_out.unlink()
    sample_output = check_output(sample_out, counts["sample"])

    figures: dict[str, Any] = {
        "docs": marker["docs"],
        "corpus_mib": marker["bytes"] / MIB,
        "database": counts,
        "baseline_s": baseline,
        "rounds": [{"baseline_s": b, "export_s": r["seconds"], "ratio": r["seconds"] / b} for b, r in rounds],
        "export_s": full["seconds"],
        "export_ratio": full["seconds"] / baseline,
        "export_user_s": full["user_s"],
        "export_sys_s": full["sys_s"],
        "export_peak_rss_mib": max(r["peak_rss_mib"] for _, r in rounds),
        "export_summary": json.loads(full["stdout"]),
        "workers": workers,
        "sample_workers": json.loads(sample["stdout"])["workers"],
        "one_process_s": alone["seconds"],
        "one_process_ratio": alone["seconds"] / alone_baseline,
        "one_process_peak_rss_mib": alone["peak_rss_mib"],
        "output": output,
        "sample_export_s": sample["seconds"],
        "sample_peak_rss_mib": sample["peak_rss_mib"],
        "sample_output": sample_output,
    }
    targets = {
        f"export <= {MAX_RATIO:g}x baseline": figures["export_ratio"] <= MAX_RATIO,
        f"peak RSS flat (all <= {MAX_RSS_GROWTH:g}x the 10% export)":
            figures["export_peak_rss_mib"] <= MAX_RSS_GROWTH * sample["peak_rss_mib"],
        f"peak RSS < {MAX_RSS_MIB:g} MiB": figures["export_peak_rss_mib"] < MAX_RSS_MIB,
        "one line per document": output["lines"] == counts["documents"]
        and sample_output["lines"] == counts["sample"],
        "every checked span matches its text": output["bad_spans"] == 0 and output["spans_checked"] > 0,
        "workers write the bytes of one process": same_bytes,
    }
    return judge(figures, targets, args.json, print_table)


def print_table(f: dict[str, Any]) -> None:
    t = f["targets"]
    mark = lambda ok: "PASS" if ok else "FAIL"
    keys = list(t)
    db = f["database"]
    rows = [
        ("documents", f"{f['docs']:,}", f"{f['corpus_mib']:.0f} MiB of files", ""),
        ("annotated", f"{db['annotations']:,} spans",
         f"{db['boilerplate']:,} boilerplate ranges, {db['tag_links']:,} tag links", ""),
        ("baseline: sqlite3 -json", f"{f['baseline_s']:.2f} s", "in the median round", ""),
        ("rounds (baseline, export, ratio)",
         f"{len(f['rounds'])}", "; ".join(f"{r['baseline_s']:.2f} s, {r['export_s']:.2f} s, {r['ratio']:.2f}x"
                                          for r in f["rounds"]), ""),
        ("export --format jsonl", f"{f['export_s']:.2f} s",
         (f"{f['export_ratio']:.2f}x baseline, median round (<= {MAX_RATIO:g}x); {f['workers']} worker processes, "
          f"user {f['export_user_s']:.2f} s, sys {f['export_sys_s']:.2f} s"), mark(t[keys[0]])),
        ("the same, --jobs 1", f"{f['one_process_s']:.2f} s",
         f"{f['one_process_ratio']:.2f}x baseline (for comparison); peak RSS {f['one_process_peak_rss_mib']:.0f} MiB", ""),
        ("peak RSS, all documents", f"{f['export_peak_rss_mib']:.0f} MiB", f"< {MAX_RSS_MIB:g} MiB", mark(t[keys[2]])),
        (f"peak RSS, {f['sample_output']['lines']:,} documents", f"{f['sample_peak_rss_mib']:.0f} MiB",
         f"all <= {MAX_RSS_GROWTH:g}x this; {f['sample_export_s']:.2f} s, {f['sample_workers']} workers",
         mark(t[keys[1]])),
        ("output", f"{f['output']['mib']:.0f} MiB", f"{f['output']['lines']:,} lines", mark(t[keys[3]])),
        ("span check (every 100th record)", f"{f['output']['spans_checked']:,} spans",
         f"{f['output']['bad_spans']} wrong", mark(t[keys[4]])),
        ("output of --jobs 1", "identical" if t[keys[5]] else "DIFFERENT", "byte for byte", mark(t[keys[5]])),
    ]
    print_rows(rows, f["passed"])


if __name__ == "__main__":
    sys.exit(main())
