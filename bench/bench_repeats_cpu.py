"""Where a first scan's time goes with and without the passage index (issue 11): CPU per process.

    python bench/bench_repeats_cpu.py [--docs N] [--sites S] [--rounds R] [--workdir DIR] [--folder DIR]

``bench_repeats.py`` gives the index's share of a first scan's wall time; this says whose CPU
it is. Generates N documents (``generate_sites.py``; or scans ``--folder`` as it is), then runs
first scans into fresh databases, alternating the baseline (the scanner's passage step switched
off, as ``bench_repeats.py`` does) and the index, ``--rounds`` times (default 2). Each run prints
its wall time, the writer's CPU (this process), the reader processes' CPU (``getrusage`` of the
children, which exit with the scan) and, timed inside the scan, the writer's three passage
steps: inserting the rows (``store_passages``), building the fingerprint index and counting the
repeats. No target: the figures explain the ratio ``bench_repeats.py`` measures.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_repeats import index_switched_off  # noqa: E402
from generate_sites import generate_sites  # noqa: E402

from corpus_tui import Corpus  # noqa: E402
from corpus_tui.core import scanner  # noqa: E402
from corpus_tui.core.corpus import find_documents  # noqa: E402
from corpus_tui.core.discovery import DEFAULT_INCLUDE  # noqa: E402

WRITER_STEPS = ("store_passages", "build_passage_indexes", "rebuild_repeats")


def _timed(spent: dict[str, float], name: str, step: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return step(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
    return wrapper


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def first_scan(folder: Path, db: Path) -> dict[str, float]:
    """One first scan into a fresh ``db``: wall, writer and readers' CPU, the writer's passage steps."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    spent: dict[str, float] = {}
    saved = {name: getattr(scanner, name) for name in WRITER_STEPS}
    for name, step in saved.items():
        setattr(scanner, name, _timed(spent, name, step))
    try:
        with Corpus.open(folder, db=db, annotator="bench") as corpus:
            children, cpu, started = _children_cpu(), time.process_time(), time.perf_counter()
            scanner.scan(corpus, find_documents(folder, DEFAULT_INCLUDE, (), corpus.db_path))
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        readers = _children_cpu() - children  # the reader processes have exited with the scan
    finally:
        for name, step in saved.items():
            setattr(scanner, name, step)
    return {"wall_s": wall, "writer_cpu_s": cpu, "readers_cpu_s": readers,
            **{f"{name}_s": spent.get(name, 0.0) for name in WRITER_STEPS}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents to generate (default 100,000)")
    parser.add_argument("--sites", type=int, default=40, help="site templates (default 40)")
    parser.add_argument("--rounds", type=int, default=2, help="alternated baseline and index scans (default 2)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the run's temporary folder goes")
    parser.add_argument("--folder", type=Path, default=None, help="scan this folder instead of generating one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as work:
        folder = args.folder or generate_sites(Path(work) / "sites", docs=args.docs, sites=args.sites)
        print(f"{'run':<9} {'wall':>7} {'writer CPU':>11} {'readers CPU':>12}   "
              f"{'inserting':>9} {'index':>6} {'repeats':>7}  (s)")
        for _ in range(args.rounds):
            for name in ("baseline", "index"):
                if name == "baseline":
                    with index_switched_off():
                        row = first_scan(folder, Path(work) / "cpu.db")
                else:
                    row = first_scan(folder, Path(work) / "cpu.db")
                steps = "" if name == "baseline" else (
                    f"{row['store_passages_s']:>9.2f} {row['build_passage_indexes_s']:>6.2f} "
                    f"{row['rebuild_repeats_s']:>7.2f}")
                print(f"{name:<9} {row['wall_s']:>7.2f} {row['writer_cpu_s']:>11.2f} {row['readers_cpu_s']:>12.2f}   "
                      f"{steps}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
