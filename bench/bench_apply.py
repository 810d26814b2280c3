"""Benchmark ``corpus-tui apply`` (issue 14): equivalence with export, throughput, memory, Dask.

    python bench/bench_apply.py [--docs N] [--records R] [--shards S] [--workdir DIR] [--keep] [--json]

1. Equivalence: generates N documents (default 10,000) from 40 site templates
   (``generate_sites.py``), scans them, marks everywhere every passage found in 20 or more
   documents (rules), exports ``jsonl`` and the rules bundle, then applies the bundle to the same
   texts as JSONL records with both engines: every ``clean_text`` must equal the export's, and
   the two engines' outputs must be byte-identical. Same on the seeds (a rule for the appeal).
2. Throughput: R records (default 1,000,000: ~2 KB each, the generated texts repeated with
   their ids) in S shards (default 40), applied by the local engine on 2 processes, against a
   baseline that only parses and rewrites the same records (json, 2 processes), measured in the
   same run, alternated ``--rounds`` times (default 3; the best of each is compared, and each
   local run's ratio to the baseline run before it is printed too). The
   texts repeat, their content lines too, which a line cache remembers; ``--unique`` gives
   every repeat's content lines a word of their own, so only boilerplate repeats, as in a
   crawl; peak memory of the apply's processes (max RSS, sampled from /proc). Target ≤ 3x the
   baseline, memory ≤ 500 MB.
3. Dask: the same records on a LocalCluster of 2 worker processes (target ≤ 1.5x local), then
   again with one worker killed (SIGKILL) while partitions are being written, two seconds in or later: the job must finish with the same bytes.
4. ``--dedup``: before the corpus is ruled, ``bench_duplicates.plant`` writes P disguised
   copies (default 400: curly quotes, embedded in a longer page, 8% of words edited,
   re-wrapped) into the generated sites; every document then goes in as one record, and
   ``apply --dedup`` runs with both engines (same bytes). Its drops are scored against the
   planted copies and the generator's reposts: a drop is right when the record kept instead
   is in the same planted cluster (precision), and recall is the share of the clusters' extra
   members dropped. Reported, no target in the issue: the corpus's own near-duplicates are
   measured by ``bench_duplicates.py``. The R records (each generated text repeated) are
   applied with ``--dedup`` too, for its cost against the plain apply: first a quarter of the
   shards, then all of them, whose peak memory must be the same (flat, ≤ 500 MB); the work
   folder's peak size on disk is printed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_duplicates import gold_pairs, plant  # noqa: E402
from generate_sites import generate_sites  # noqa: E402

from corpus_tui import Corpus  # noqa: E402
from corpus_tui.core.bundle import bundle_from_dict, make_bundle  # noqa: E402
from corpus_tui.core.export import export  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MARK_MIN_DOCS = 20


def cli(*args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corpus_tui", *map(str, args)], capture_output=True, text=True,
                          check=False)


def ruled_corpus(folder: Path, min_docs: int) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Mark everywhere every repeat in ``min_docs`` documents; (bundle, texts, exported clean texts)."""
    with Corpus.open(folder, annotator="bench") as corpus:
        corpus.scan()
        for repeat in corpus.repeats(min_docs=min_docs):
            corpus.mark_everywhere(repeat.id)
        bundle = make_bundle(corpus)
        texts = {d.path: corpus.text(d.id) for d in corpus.documents() if d.state == "ok"}
        target = folder.parent / f"{folder.name}-export.jsonl"
        export(corpus, "jsonl", target, force=True)
    clean = {r["path"]: r["clean_text"] for r in map(json.loads, open(target, encoding="utf-8"))}
    return bundle, texts, clean


def write_shards(folder: Path, items: list[tuple[str, str]], records: int, shards: int,
                 clean: dict[str, str] | None = None) -> int:
    """R records, the texts repeated. With ``clean`` (each text's clean text), every repeat's
    content lines (those its clean text keeps) get a word of their own, so only its
    boilerplate repeats, as in a crawl: no line of content is met twice."""
    folder.mkdir(parents=True, exist_ok=True)
    handles = [open(folder / f"shard-{n:04d}.jsonl", "w", encoding="utf-8") for n in range(shards)]
    kept = {path: set(filter(str.strip, clean[path].split("\n"))) for path, _ in items} if clean else {}
    size = 0
    for index in range(records):
        path, text = items[index % len(items)]
        if kept and index >= len(items):
            mark = f" r{_letters(index)}"
            text = "\n".join(line + mark if line in kept[path] else line for line in text.split("\n"))
        line = json.dumps({"id": f"{index}:{path}", "text": text}, ensure_ascii=False) + "\n"
        handles[index % shards].write(line)
        size += len(line)
    for handle in handles:
        handle.close()
    return size


def _letters(number: int) -> str:
    """A word for a number in letters: digits would all normalize to one 0."""
    word = ""
    while True:
        number, digit = divmod(number, 26)
        word += chr(ord("a") + digit)
        if not number:
            return word


def equivalence(workdir: Path, name: str, bundle: dict[str, Any], texts: dict[str, str],
                clean: dict[str, str]) -> dict[str, Any]:
    rules = workdir / f"{name}-rules.json"
    rules.write_text(json.dumps(bundle))
    shards = workdir / f"{name}-records"
    write_shards(shards, list(texts.items()), len(texts), 4)
    result: dict[str, Any] = {"rules": len(bundle["rules"]), "records": len(texts)}
    outputs = {}
    for engine in ("local", "dask"):
        out = workdir / f"{name}-{engine}"
        done = cli("apply", rules, shards, "-o", out, "--engine", engine, "-j", "2")
        if done.returncode:
            raise SystemExit(f"apply --engine {engine} failed: {done.stderr}")
        applied = {}
        for path in sorted(out.glob("*.jsonl")):
            if not path.name.endswith(".rejects.jsonl"):
                for line in open(path, encoding="utf-8"):
                    record = json.loads(line)
                    applied[record["id"].split(":", 1)[1]] = record["clean_text"]
        result[f"{engine}_equal"] = applied == clean
        outputs[engine] = {p.name: p.read_bytes() for p in out.iterdir()}
    result["engines_identical"] = outputs["local"] == outputs["dask"]
    return result


def baseline_shard(args: tuple[str, str]) -> int:
    source, target = args
    count = 0
    with open(source, encoding="utf-8") as handle, open(target, "w", encoding="utf-8") as out:
        for line in handle:
            record = json.loads(line)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def baseline(shards: Path, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(str(p), str(out / p.name)) for p in sorted(shards.glob("*.jsonl"))]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(baseline_shard, jobs)
    return time.perf_counter() - started


def _descendants(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry))
    found = list(children)
    for child in children:
        found += _descendants(child)
    return found


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def timed_apply(rules: Path, shards: Path | list[Path], out: Path, *extra: str, kill_after: float | None = None,
                disk: list[float] | None = None) -> tuple[float, float, int]:
    """(seconds, peak MB of the process tree, return code); with ``kill_after``, the return
    code is -1 when no worker was ever killed (the run ended first). ``disk`` gets the peak MB
    of the ``--dedup`` work folder."""
    started = time.perf_counter()
    inputs = [str(path) for path in shards] if isinstance(shards, list) else [str(shards)]
    process = subprocess.Popen([sys.executable, "-m", "corpus_tui", "apply", str(rules), *inputs, "-o", str(out),
                                "-j", "2", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    killed = False
    while process.poll() is None:
        tree = [process.pid, *_descendants(process.pid)]
        peak = max(peak, _rss_mb(tree))
        if disk is not None:
            disk.append(_folder_mb(out / ".dedup"))
        working = out.is_dir() and any(p.name.endswith(".partial") for p in out.iterdir())
        if kill_after is not None and not killed and working and time.perf_counter() - started > kill_after:
            # LocalCluster's workers are multiprocessing children (spawn_main); the resource tracker is not one.
            workers = [pid for pid in tree[1:] if b"spawn_main" in _cmdline(pid)]
            if workers:
                os.kill(workers[-1], signal.SIGKILL)
                killed = True
        time.sleep(0.2)
    if process.returncode:
        print(f"apply {' '.join(extra)} exited {process.returncode}: {process.stderr.read()[-2000:]}", file=sys.stderr)
    code = process.returncode if kill_after is None or killed else -1
    return time.perf_counter() - started, peak, code


def _folder_mb(folder: Path) -> float:
    total = 0
    try:
        for path in folder.iterdir():
            try:
                total += path.stat().st_size
            except OSError:
                pass  # deleted meanwhile
    except OSError:
        return 0.0
    return total / 2**20


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def identical(first: Path, second: Path) -> bool:
    names = sorted(p.name for p in first.iterdir())
    return names == sorted(p.name for p in second.iterdir()) and all(
        (first / n).read_bytes() == (second / n).read_bytes() for n in names)


def dedup_quality(workdir: Path, rules: Path, texts: dict[str, str],
                  gold: dict[tuple[str, str], str]) -> dict[str, Any]:
    """``apply --dedup`` on every document as a record, scored against the planted clusters."""
    shards = workdir / "dedup-records"
    items = list(texts.items())
    write_shards(shards, items, len(items), 4)
    figures: dict[str, Any] = {}
    outputs = {}
    for engine in ("local", "dask"):
        out = workdir / f"dedup-{engine}"
        started = time.perf_counter()
        done = cli("apply", rules, shards, "-o", out, "--dedup", "--engine", engine, "-j", "2")
        figures[f"{engine}_s"] = round(time.perf_counter() - started, 1)
        if done.returncode:
            raise SystemExit(f"apply --dedup --engine {engine} failed: {done.stderr}")
        outputs[engine] = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    figures["engines_identical"] = outputs["local"] == outputs["dask"]
    cluster = _clusters(gold)
    drops = []
    for path in sorted((workdir / "dedup-local").glob("*.duplicates.jsonl")):
        for entry in map(json.loads, open(path, encoding="utf-8")):
            kept_line = open(entry["kept"]["source"], encoding="utf-8").read().splitlines()[entry["kept"]["line"] - 1]
            drops.append((entry["id"].split(":", 1)[1], json.loads(kept_line)["id"].split(":", 1)[1]))
    right = sum(1 for dropped, kept in drops if dropped in cluster and cluster.get(kept) == cluster[dropped])
    extra = len(cluster) - len(set(cluster.values()))
    figures.update(documents=len(items), planted_clusters=len(set(cluster.values())), dropped=len(drops),
                   precision=round(right / len(drops), 4) if drops else 1.0,
                   recall=round(right / extra, 4) if extra else 1.0)
    return figures


def _clusters(gold: dict[tuple[str, str], str]) -> dict[str, str]:
    """Path -> its planted cluster's smallest path (chains of gold pairs)."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        while parent.setdefault(item, item) != item:
            item = parent[item]
        return item

    for first, second in gold:
        a, b = find(first), find(second)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {item: find(item) for item in parent}


def run(docs: int, records: int, shards: int, workdir: Path, planted: int = 400, rounds: int = 2,
        unique: bool = False) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    seeds = workdir / "seeds"
    shutil.copytree(REPO / "seeds", seeds, ignore=shutil.ignore_patterns("annotations.db*"))
    figures["seeds"] = equivalence(workdir, "seeds", *ruled_corpus(seeds, 2))
    sites = workdir / "sites"
    generate_sites(sites, docs=docs, sites=40)
    gold = gold_pairs(sites, plant(sites, planted))
    bundle, texts, clean = ruled_corpus(sites, MARK_MIN_DOCS)
    figures["generated"] = equivalence(workdir, "generated", bundle, texts, clean)
    rules = workdir / "generated-rules.json"
    figures["dedup"] = dedup_quality(workdir, rules, texts, gold)
    big = workdir / "big"
    size = write_shards(big, list(texts.items()), records, shards, clean if unique else None)
    figures["content"] = "unique" if unique else "repeated"
    figures["records"], figures["input_mb"] = records, round(size / 2**20)
    # Alternated, the best of ``rounds`` each: on a shared machine one run of the same work can
    # take a third longer than the next for reasons that are not the code.
    baseline_runs, local_runs = [], []
    for _ in range(rounds):
        shutil.rmtree(workdir / "baseline-out", ignore_errors=True)
        baseline_runs.append(baseline(big, workdir / "baseline-out"))
        shutil.rmtree(workdir / "local-out", ignore_errors=True)
        local_runs.append(timed_apply(rules, big, workdir / "local-out"))
        if local_runs[-1][2]:
            raise SystemExit("apply (local engine) failed: its time would mean nothing")
    figures["baseline_s"] = round(min(baseline_runs), 1)
    local_s = min(seconds for seconds, _, _ in local_runs)
    local_mb = max(peak for _, peak, _ in local_runs)
    figures["local_s"], figures["local_peak_mb"] = round(local_s, 1), round(local_mb)
    figures["local_ratio"] = round(local_s / min(baseline_runs), 2)
    figures["runs"] = {"baseline": [round(t, 1) for t in baseline_runs], "local": [round(t, 1) for t, _, _ in local_runs]}
    # Each local run against the baseline run just before it: how far one comparison can swing here.
    figures["pair_ratios"] = [round(t / b, 2) for (t, _, _), b in zip(local_runs, baseline_runs)]
    # --dedup on a quarter of the shards, then on all: flat memory is the same peak for both.
    quarter = sorted(big.iterdir())[: max(1, shards // 4)]
    disk: list[float] = []
    dedup_s, dedup_mb, code = timed_apply(rules, quarter, workdir / "dedup-out", "--dedup", disk=disk)
    figures["dedup_quarter_s"], figures["dedup_quarter_peak_mb"] = round(dedup_s, 1), round(dedup_mb)
    shutil.rmtree(workdir / "dedup-out", ignore_errors=True)
    disk = []
    dedup_s, dedup_mb, code = timed_apply(rules, big, workdir / "dedup-out", "--dedup", disk=disk)
    if code:
        raise SystemExit("apply --dedup failed")
    figures["dedup_s"], figures["dedup_peak_mb"] = round(dedup_s, 1), round(dedup_mb)
    figures["dedup_work_folder_peak_mb"] = round(max(disk, default=0))
    figures["dedup_ratio_to_local"] = round(dedup_s / local_s, 2)
    shutil.rmtree(workdir / "dedup-out", ignore_errors=True)
    dask_s, dask_mb, code = timed_apply(rules, big, workdir / "dask-out", "--engine", "dask")
    figures["dask_s"], figures["dask_peak_mb"] = round(dask_s, 1), round(dask_mb)
    figures["dask_ratio"] = round(dask_s / local_s, 2)
    figures["dask_identical"] = code == 0 and identical(workdir / "local-out", workdir / "dask-out")
    killed_s, _, code = timed_apply(rules, big, workdir / "killed-out", "--engine", "dask", kill_after=2.0)
    figures["killed_worker_s"] = round(killed_s, 1)
    figures["killed_worker_identical"] = code == 0 and identical(workdir / "local-out", workdir / "killed-out")
    bundle_obj = bundle_from_dict(bundle)
    figures["bundle_rules"] = len(bundle_obj.rules)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=40)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--rounds", type=int, default=3, help="baseline and local runs, alternated; the best of each")
    parser.add_argument("--unique", action="store_true",
                        help="throughput records whose content lines are never repeated (only boilerplate repeats)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-apply-"))
    try:
        figures = run(args.docs, args.records, args.shards, workdir, rounds=args.rounds, unique=args.unique)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:24} {value}")
    misses = []
    for part in ("seeds", "generated"):
        if not all(figures[part][k] for k in ("local_equal", "dask_equal", "engines_identical")):
            misses.append(f"{part}: not equivalent {figures[part]}")
    if figures["local_ratio"] > 3:
        misses.append(f"local {figures['local_ratio']}x the baseline > 3x")
    if figures["local_peak_mb"] > 500:
        misses.append(f"local peak {figures['local_peak_mb']} MB > 500 MB")
    if figures["dedup_peak_mb"] > 500:
        misses.append(f"--dedup peak {figures['dedup_peak_mb']} MB > 500 MB")
    if figures["dask_ratio"] > 1.5:
        misses.append(f"dask {figures['dask_ratio']}x local > 1.5x")
    if not (figures["dask_identical"] and figures["killed_worker_identical"]):
        misses.append("dask output differs from local (or the killed-worker run failed)")
    for miss in misses:
        print(f"MISS: {miss}")
    print("PASS" if not misses else "FAIL")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
