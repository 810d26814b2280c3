"""Benchmark the passage index and repeated passages (issue 11) on a labelled generated corpus.

    python bench/bench_repeats.py [--docs N] [--sites S] [--workdir DIR] [--keep] [--json]

Generates N documents from S site templates with line labels (``generate_sites.py``), then,
in this process:

- scans it twice into one database with the passage index switched off (the baseline: the
  scanner's passage step replaced by a no-op for that run only) and twice with it, a first
  scan and a no-change rescan each, and gives the index's share of each; these are alternated
  ``--rounds`` times (default 2), each time into fresh databases, and the best of each is
  compared (every run is printed). A rescan is timed three times after each first scan and
  the best counts: the one right after a first scan carries that scan's wake (printed too). These scans are the
  scanner's (documents, texts, search, passages), not the near-duplicate signing a
  ``corpus.scan()`` runs after it: signing reads the index (a document's own text leaves out
  its repeats), so without the index it would do other, far slower work (313 s against 77 s
  at 100,000 documents), not the same work minus the index. The signing is then timed on its
  own, and the whole first scan a user waits for (scanner and signing) is reported too;
- lists the repeats (``Corpus.repeats(min_docs=3, limit=2000)``) from a fresh connection;
- when the library can mark everywhere (``Corpus.mark_everywhere``), times marking (and undoing)
  the passage nearest 10,000 documents and the largest, then marks every passage found in 20
  or more documents and scores the marks
  line by line against the labels (``repeats_scoring.score``): precision and recall of the
  boilerplate class.

- with ``../shared/boilerplate-dev`` present (990 real pages of many sites, sparse hand labels),
  scans it and marks every passage in 20 or more documents there too, scored the same way:
  real pages, not generated ones (reported, no target: few of its sites have many pages).

Targets (the issue's): index ≤ +30% of a first scan, ≤ +5% of a rescan; repeats on screen
≤ 1 s; marking a passage in 10,000 documents ≤ 1 s and its undo ≤ 1 s; precision ≥ 0.99 and
recall ≥ 0.95. Exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import judge, print_rows  # noqa: E402
from generate_sites import generate_sites  # noqa: E402
from repeats_scoring import DEV, marked_ranges, score, score_boilerplate_dev  # noqa: E402

from corpus_tui import Corpus  # noqa: E402
from corpus_tui.core import scanner  # noqa: E402
from corpus_tui.core.corpus import find_documents  # noqa: E402
from corpus_tui.core.discovery import DEFAULT_INCLUDE  # noqa: E402

MARK_MIN_DOCS = 20
TARGET_DOCS = 10_000  # the "a passage present in 10,000 documents"


@contextmanager
def index_switched_off() -> Iterator[None]:
    """The baseline: the same scan without computing, storing or counting passages."""
    saved = (scanner.passage_rows, scanner.store_passages, scanner._Scan._follow_passage_index)
    scanner.passage_rows = lambda text, body_start: []  # type: ignore[assignment]
    scanner.store_passages = lambda db, document_id, rows, new=False: None  # type: ignore[assignment]
    scanner._Scan._follow_passage_index = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        scanner.passage_rows, scanner.store_passages, scanner._Scan._follow_passage_index = saved


RESCANS = 3  # no-change rescans after each first scan


@contextmanager
def site_lines_timed(spent: list[float]) -> Iterator[None]:
    """Add the time of the scanner's site-line step (``titles.follow_site_lines``, in both runs:
    it is not the index) to ``spent``, so the ratio can be given without it too."""
    step = scanner.follow_site_lines

    def timed(corpus: Any, **options: Any) -> int:
        started = time.perf_counter()
        try:
            return step(corpus, **options)
        finally:
            spent.append(time.perf_counter() - started)

    scanner.follow_site_lines = timed  # type: ignore[assignment]
    try:
        yield
    finally:
        scanner.follow_site_lines = step  # type: ignore[assignment]


def timed_scans(folder: Path, db: Path) -> tuple[float, float, float]:
    """The scanner's first scan, the no-change rescan right after it, and the best of
    ``RESCANS`` such rescans (``corpus.scan()`` without its signing step).

    The rescan right after a first scan carries that scan's wake (its checkpoint, the page
    cache it filled): measured at 100,000 documents it took 1.3-2.3 s, the next ones 0.5 s,
    in either order of index and baseline. The best of three is the steady cost the issue's
    target is about; the first is reported too."""
    with Corpus.open(folder, db=db, annotator="bench") as corpus:
        started = time.perf_counter()
        scanner.scan(corpus, find_documents(folder, DEFAULT_INCLUDE, (), corpus.db_path))
        first = time.perf_counter() - started
        rescans = []
        for _ in range(RESCANS):
            started = time.perf_counter()
            scanner.scan(corpus, find_documents(folder, DEFAULT_INCLUDE, (), corpus.db_path))
            rescans.append(time.perf_counter() - started)
        return first, rescans[0], min(rescans)


def timed_signing(folder: Path, db: Path) -> float:
    """The near-duplicate step a first ``corpus.scan()`` runs after the scanner."""
    with Corpus.open(folder, db=db, annotator="bench") as corpus:
        started = time.perf_counter()
        corpus.refresh_duplicates()
        return time.perf_counter() - started


def run(docs: int, sites: int, workdir: Path, rounds: int = 2) -> dict[str, Any]:
    folder = workdir / "sites"
    started = time.perf_counter()
    generate_sites(folder, docs=docs, sites=sites)
    figures: dict[str, Any] = {"docs": docs, "sites": sites, "generate_s": round(time.perf_counter() - started, 1)}
    # Alternated, each into a fresh database, the best of ``rounds`` each: on a shared machine
    # one pair of runs can differ by a third for reasons that are not the index.
    runs: dict[str, list[tuple[float, float, float]]] = {"baseline": [], "index": []}
    site_lines: dict[str, list[float]] = {"baseline": [], "index": []}  # each run's site-line step, first scan
    for round_number in range(rounds):
        for name in ("baseline", "index"):
            last_index = name == "index" and round_number == rounds - 1  # kept for the steps below
            db = workdir / ("index.db" if last_index else f"{name}-{round_number}.db")
            spent: list[float] = []
            with site_lines_timed(spent):
                if name == "baseline":
                    with index_switched_off():
                        runs[name].append(timed_scans(folder, db))
                else:
                    runs[name].append(timed_scans(folder, db))
            site_lines[name].append(spent[0] if spent else 0.0)  # the first scan's (rescans change nothing)
            if not last_index:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
    base_first, base_after, base_rescan = (min(times) for times in zip(*runs["baseline"]))
    first, after, rescan = (min(times) for times in zip(*runs["index"]))
    # The best first scans without their site-line step (titles, not the index): the ratio of those too.
    base_core = min(t[0] - lines for t, lines in zip(runs["baseline"], site_lines["baseline"]))
    core = min(t[0] - lines for t, lines in zip(runs["index"], site_lines["index"]))
    figures.update(site_lines_s={name: [round(x, 2) for x in values] for name, values in site_lines.items()},
                   first_ratio_without_site_lines=round(core / base_core, 2))
    figures["runs"] = {name: [[round(a, 2), round(b, 3), round(c, 3)] for a, b, c in times]
                       for name, times in runs.items()}
    figures.update(rescan_after_first_s=round(after, 3), baseline_rescan_after_first_s=round(base_after, 3))
    signing = timed_signing(folder, workdir / "index.db")
    figures.update(baseline_first_s=round(base_first, 2), baseline_rescan_s=round(base_rescan, 3),
                   first_s=round(first, 2), rescan_s=round(rescan, 3),
                   first_ratio=round(first / base_first, 2), rescan_ratio=round(rescan / base_rescan, 2),
                   signing_s=round(signing, 2), whole_first_s=round(first + signing, 2),
                   index_share_of_whole=round((first - base_first) / (first + signing), 3))
    if (DEV / "docs").is_dir() and hasattr(Corpus, "mark_everywhere"):
        with Corpus.open(DEV / "docs", db=workdir / "dev.db", annotator="bench") as corpus:
            corpus.scan()
            chosen = corpus.repeats(min_docs=MARK_MIN_DOCS)
            for repeat in chosen:
                corpus.mark_everywhere(repeat.id, rule=False)
            dev = score_boilerplate_dev(marked_ranges(corpus))["boilerplate"]
        figures.update(dev_marked_passages=len(chosen), dev_precision=round(dev["precision"], 4),
                       dev_recall=round(dev["recall"], 4))
    with Corpus.open(folder, db=workdir / "index.db", annotator="bench") as corpus:
        started = time.perf_counter()
        listed = corpus.repeats(min_docs=3, limit=2000)
        figures["repeats_s"] = round(time.perf_counter() - started, 3)
        figures["repeats"] = corpus.db.execute("SELECT COUNT(*) FROM repeats WHERE documents >= 3").fetchone()[0]
        figures["passages"] = corpus.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        figures["largest_repeat_docs"] = listed[0].documents if listed else 0
        if hasattr(corpus, "mark_everywhere"):
            figures.update(mark_and_score(corpus, folder))
    return figures


def mark_and_score(corpus: Any, folder: Path) -> dict[str, Any]:
    chosen = corpus.repeats(min_docs=MARK_MIN_DOCS)
    # The target's passage: the one nearest 10,000 documents (the largest is timed too).
    timed = min(chosen, key=lambda r: abs(r.documents - TARGET_DOCS))
    mark_s, undo_s = _mark_and_undo(corpus, timed.id)
    largest_mark_s, largest_undo_s = _mark_and_undo(corpus, chosen[0].id)
    for repeat in chosen:
        corpus.mark_everywhere(repeat.id, rule=False)
    scored = score(folder, folder / "gold.jsonl", marked_ranges(corpus))
    boilerplate = scored["boilerplate"]
    return {"marked_passages": len(chosen), "timed_docs": timed.documents, "mark_s": round(mark_s, 3),
            "undo_s": round(undo_s, 3), "largest_docs": chosen[0].documents,
            "mark_largest_s": round(largest_mark_s, 3), "undo_largest_s": round(largest_undo_s, 3),
            "precision": round(boilerplate["precision"], 4), "recall": round(boilerplate["recall"], 4)}


def _mark_and_undo(corpus: Any, repeat_id: int) -> tuple[float, float]:
    started = time.perf_counter()
    corpus.mark_everywhere(repeat_id, rule=False)
    mark_s = time.perf_counter() - started
    started = time.perf_counter()
    corpus.undo()
    return mark_s, time.perf_counter() - started


def print_table(figures: dict[str, Any]) -> None:
    targets = figures["targets"]
    ok = lambda name: "PASS" if targets.get(name, True) else "FAIL"  # noqa: E731
    print(f"{figures['docs']:,} documents from {figures['sites']} sites (generated in {figures['generate_s']} s), "
          f"{figures['passages']:,} passages, {figures['repeats']:,} repeats in ≥ 3 documents")
    rows = [
        ("first scan", f"{figures['first_s']} s", f"{figures['first_ratio']}x the scan without the index "
         f"({figures['baseline_first_s']} s), target ≤ 1.3x; without the site-line step of titles in both "
         f"({figures['site_lines_s']}): {figures['first_ratio_without_site_lines']}x", ok("first_scan")),
        ("whole first scan", f"{figures['whole_first_s']} s", f"corpus.scan(): the scanner and near-duplicate "
         f"signing ({figures['signing_s']} s); the index is {figures['index_share_of_whole']:.0%} of it", "-"),
        ("no-change rescan", f"{figures['rescan_s']} s", f"{figures['rescan_ratio']}x ({figures['baseline_rescan_s']} s), "
         f"best of {RESCANS}; the one right after the first scan {figures['rescan_after_first_s']} s against "
         f"{figures['baseline_rescan_after_first_s']} s; target ≤ 1.05x", ok("rescan")),
        ("repeats listed", f"{figures['repeats_s']} s", "target ≤ 1 s", ok("repeats_listed")),
    ]
    if "precision" in figures:
        rows += [
            ("mark everywhere", f"{figures['mark_s']} s", f"a passage in {figures['timed_docs']:,} "
             "documents, target ≤ 1 s", ok("mark")),
            ("its undo", f"{figures['undo_s']} s", "target ≤ 1 s", ok("undo")),
            ("the largest", f"{figures['mark_largest_s']} s", f"a passage in {figures['largest_docs']:,} documents; "
             f"undo {figures['undo_largest_s']} s", "-"),
            ("precision", f"{figures['precision']}", f"every passage in ≥ {MARK_MIN_DOCS} documents marked "
             f"({figures['marked_passages']}), target ≥ 0.99", ok("precision")),
            ("recall", f"{figures['recall']}", "target ≥ 0.95", ok("recall")),
        ]
    else:
        rows.append(("mark everywhere", "-", "not in this version of the library", "-"))
    if "dev_precision" in figures:
        rows.append(("real pages", f"P {figures['dev_precision']}, R {figures['dev_recall']}",
                     f"boilerplate-dev, {figures['dev_marked_passages']} passages in ≥ {MARK_MIN_DOCS} pages marked",
                     "-"))
    rows.append(("every scan", "-", "first, first rescan, best rescan (s): " + "; ".join(
        f"{name} {runs}" for name, runs in figures["runs"].items()), "-"))
    print_rows(rows, figures["passed"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents to generate (default 100,000)")
    parser.add_argument("--sites", type=int, default=40, help="site templates (default 40)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the run's temporary folder goes")
    parser.add_argument("--keep", action="store_true", help="keep the corpus and databases")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--rounds", type=int, default=2,
                        help="scans with and without the index, alternated; the best of each is compared (default 2)")
    args = parser.parse_args(argv)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="corpus-repeats-", dir=args.workdir))
    try:
        figures = run(args.docs, args.sites, workdir, args.rounds)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    # Judged on the stricter ratio: the site-line step (titles) in both runs must not carry it.
    first_ratio = max(figures["first_ratio"], figures["first_ratio_without_site_lines"])
    targets = {"first_scan": first_ratio <= 1.3, "rescan": figures["rescan_ratio"] <= 1.05,
               "repeats_listed": figures["repeats_s"] <= 1.0}
    if "precision" in figures:
        targets.update(mark=figures["mark_s"] <= 1.0, undo=figures["undo_s"] <= 1.0,
                       precision=figures["precision"] >= 0.99, recall=figures["recall"] >= 0.95)
    return judge(figures, targets, args.json, print_table)


if __name__ == "__main__":
    sys.exit(main())
