"""Score boilerplate marks line by line against gold labels (a generated corpus or boilerplate-dev).

    python bench/repeats_scoring.py FOLDER [--gold GOLD] [--db DB] [--json]
    python bench/repeats_scoring.py --dev --db DB [--json]        # ../shared/boilerplate-dev
    python bench/repeats_scoring.py FOLDER --baseline exact [--min-docs 20]

Marks are character ranges per document path: code-point offsets into the text as
corpus-tui stores it (decoded by its own rules, a byte-order mark removed, CRLF kept
as two characters), the ranges ``corpus.spans(doc_id, "boilerplate")`` holds.

The rule: lines are the file's lines split at "\\n" (1-based, as in the gold files;
a "\\r" before it belongs to its line). A line counts as marked when marks cover at
least half of its non-space characters (``str.isspace`` decides what is a space, so
NBSP and "\\r" are spaces). Only labelled lines are scored: every non-blank line
outside the front matter in a generated corpus (``generate_sites.py``), the sparse
hand-labelled lines of boilerplate-dev. Boilerplate is the positive class; the
content class is scored too (a content line is predicted when it is not marked).
A precision or recall with nothing to divide is 0.

Importable: ``score``, ``marked_ranges``, ``score_boilerplate_dev``, ``gold_marks``, ``exact_repeats``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corpus_tui.core.decoding import decode

if TYPE_CHECKING:
    from corpus_tui.core import Corpus

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "boilerplate-dev"
MARKED_SHARE = 0.5  # of a line's non-space characters

Ranges = list[tuple[int, int]]


def read_gold(gold: Path) -> Iterator[dict[str, Any]]:
    with open(gold, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def document_text(corpus_folder: Path, path: str) -> str | None:
    """The text corpus-tui stores for ``path`` (its decoding rules), None when missing or unreadable."""
    try:
        data = (Path(corpus_folder) / path).read_bytes()
    except OSError:
        return None
    return decode(data).text


def line_bounds(text: str) -> Ranges:
    """(start, end) of every line split at "\\n", without the "\\n"."""
    bounds, start = [], 0
    for line in text.split("\n"):
        bounds.append((start, start + len(line)))
        start += len(line) + 1
    return bounds


def _non_space(text: str) -> int:
    return len("".join(text.split()))


def _merge(ranges: Ranges) -> Ranges:
    merged: Ranges = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def is_marked(text: str, line: tuple[int, int], ranges: Ranges) -> bool:
    """``ranges`` (merged, sorted) cover at least half of the line's non-space characters."""
    start, end = line
    total = _non_space(text[start:end])
    if total == 0:
        return False
    covered = 0
    at = max(0, bisect.bisect_right(ranges, (start, start)) - 1)
    for range_start, range_end in ranges[at:]:
        if range_start >= end:
            break
        if range_end > start:
            covered += _non_space(text[max(start, range_start) : min(end, range_end)])
    return covered >= MARKED_SHARE * total


def _ratios(true: int, predicted: int, actual: int) -> dict[str, Any]:
    precision = true / predicted if predicted else 0.0
    recall = true / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"gold": actual, "predicted": predicted, "true": true,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def score(corpus_folder: Path, gold: Path, marked: Mapping[str, Ranges]) -> dict[str, Any]:
    """Precision, recall and F1 of ``marked`` (document path -> boilerplate ranges) on ``gold``'s lines.

    Returns ``{"documents", "lines", "missing", "boilerplate": {...}, "content": {...}}`` where each
    class holds ``gold``, ``predicted``, ``true`` line counts and ``precision``, ``recall``, ``f1``;
    plus ``by_kind`` (lines of each boilerplate kind, and how many were marked) when the gold file
    names kinds, and ``reposts`` (content lines of reposted articles, and how many were marked).
    Example: ``score(Path("/tmp/sites"), Path("/tmp/sites/gold.jsonl"), {"site-00/000001-a.txt": [(0, 120)]})``.
    """
    tally: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    documents, missing = 0, []
    for record in read_gold(Path(gold)):
        text = document_text(Path(corpus_folder), record["path"])
        if text is None:
            missing.append(record["path"])
            continue
        documents += 1
        bounds = line_bounds(text)
        ranges = _merge(list(marked.get(record["path"], [])))
        labelled = [(n, "boilerplate") for n in record["boilerplate_lines"]]
        labelled += [(n, "content") for n in record["content_lines"]]
        line_kinds = dict(zip(record["boilerplate_lines"], record.get("boilerplate_kinds", [])))
        for number, label in labelled:
            if not 0 < number <= len(bounds):
                missing.append(f"{record['path']}:{number}")
                continue
            hit = bool(ranges) and is_marked(text, bounds[number - 1], ranges)
            tally[f"{label}:{'marked' if hit else 'unmarked'}"] += 1
            if number in line_kinds:
                kinds[line_kinds[number]]["lines"] += 1
                kinds[line_kinds[number]]["marked"] += hit
            if label == "content" and "repost" in record:
                tally["repost:lines"] += 1
                tally["repost:marked"] += hit
    tp, fn = tally["boilerplate:marked"], tally["boilerplate:unmarked"]
    fp, tn = tally["content:marked"], tally["content:unmarked"]
    result: dict[str, Any] = {
        "documents": documents, "lines": tp + fn + fp + tn, "missing": len(missing),
        "boilerplate": _ratios(tp, tp + fp, tp + fn), "content": _ratios(tn, tn + fn, tn + fp),
    }
    if missing:
        result["missing_examples"] = missing[:5]
    if kinds:
        result["by_kind"] = {
            kind: {"lines": c["lines"], "marked": c["marked"], "recall": round(c["marked"] / c["lines"], 4)}
            for kind, c in sorted(kinds.items())
        }
    if tally["repost:lines"]:
        result["reposts"] = {"content_lines": tally["repost:lines"], "marked": tally["repost:marked"]}
    return result


def marked_ranges(corpus: "Corpus") -> dict[str, Ranges]:
    """Every document's live boilerplate ranges (stale spans are not on the text: left out), by path."""
    rows = corpus.query(
        'SELECT d.path AS path, s.start AS start, s."end" AS "end" FROM spans s '
        "JOIN documents d ON d.id = s.document_id "
        "WHERE s.kind = 'boilerplate' AND s.anchor != 'stale' ORDER BY d.path, s.start"
    )
    marked: dict[str, Ranges] = defaultdict(list)
    for row in rows:
        marked[row["path"]].append((row["start"], row["end"]))
    return dict(marked)


def score_boilerplate_dev(marked: Mapping[str, Ranges], root: Path = DEV) -> dict[str, Any]:
    """``score`` on boilerplate-dev: its pages are ``root/docs/NNN.txt`` (paths ``NNN.txt``, as a corpus
    of ``root/docs`` stores them) and only its hand-labelled lines count. The folder is read-only:
    scan it with the database elsewhere, ``Corpus.open(root / "docs", db=tmp / "dev.db")``."""
    return score(Path(root) / "docs", Path(root) / "gold.jsonl", marked)


def gold_marks(corpus_folder: Path, gold: Path) -> dict[str, Ranges]:
    """The perfect marking: every gold boilerplate line, whole (a check of the scorer itself)."""
    marked: dict[str, Ranges] = {}
    for record in read_gold(Path(gold)):
        text = document_text(Path(corpus_folder), record["path"])
        if text is not None and record["boilerplate_lines"]:
            bounds = line_bounds(text)
            marked[record["path"]] = [bounds[n - 1] for n in record["boilerplate_lines"] if 0 < n <= len(bounds)]
    return marked


def exact_repeats(corpus_folder: Path, gold: Path, min_docs: int = 20) -> dict[str, Ranges]:
    """A baseline: mark every line whose exact text (outer whitespace aside) is in >= ``min_docs``
    of the gold's documents. It shows what normalization adds; memory grows with the corpus."""
    docs_per_line: Counter[int] = Counter()
    paths = []
    for record in read_gold(Path(gold)):
        text = document_text(Path(corpus_folder), record["path"])
        if text is None:
            continue
        paths.append(record["path"])
        docs_per_line.update({hash(line.strip()) for line in text.split("\n") if line.strip()})
    marked: dict[str, Ranges] = {}
    for path in paths:
        text = document_text(Path(corpus_folder), path) or ""
        ranges = []
        for start, end in line_bounds(text):
            line = text[start:end].strip()
            if line and docs_per_line[hash(line)] >= min_docs:
                ranges.append((start, end))
        if ranges:
            marked[path] = ranges
    return marked


def _summary(name: str, figures: dict[str, Any]) -> str:
    b, c = figures["boilerplate"], figures["content"]
    return (
        f"{name}: {figures['documents']:,} documents, {figures['lines']:,} labelled lines; boilerplate "
        f"precision {b['precision']:.4f} recall {b['recall']:.4f} F1 {b['f1']:.4f} ({b['true']:,} of {b['gold']:,} "
        f"marked, {b['predicted'] - b['true']:,} content lines marked); content precision {c['precision']:.4f} "
        f"recall {c['recall']:.4f} F1 {c['f1']:.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("folder", type=Path, nargs="?", help="the corpus folder (with --dev: boilerplate-dev's docs)")
    parser.add_argument("--gold", type=Path, help="gold labels (default FOLDER/gold.jsonl)")
    parser.add_argument("--db", type=Path, help="the corpus database (default FOLDER/annotations.db)")
    parser.add_argument("--dev", action="store_true", help=f"score on {DEV} (needs --db: that folder is read-only)")
    parser.add_argument("--baseline", choices=["exact"], help="score a baseline instead of the database's marks")
    parser.add_argument("--min-docs", type=int, default=20, help="the baseline's threshold (default 20)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.dev:
        folder, gold = DEV / "docs", DEV / "gold.jsonl"
        if args.db is None and args.baseline is None:
            parser.error("--dev needs --db (boilerplate-dev is read-only: scan it with the database elsewhere)")
    elif args.folder is None:
        parser.error("give a FOLDER, or --dev")
    else:
        folder, gold = args.folder, args.gold or args.folder / "gold.jsonl"
    if args.baseline:
        marked = exact_repeats(folder, gold, args.min_docs)
        name = f"exact lines in >= {args.min_docs} documents"
    else:
        from corpus_tui.core import Corpus, CorpusError

        try:
            with Corpus.open(folder, db=args.db, create=False, read_only=True) as corpus:
                marked = marked_ranges(corpus)
        except CorpusError as error:
            print(f"repeats_scoring.py: {error}", file=sys.stderr)
            return 1
        name = "marked boilerplate"
    figures = score(folder, gold, marked)
    print(json.dumps(figures, indent=2) if args.json else _summary(name, figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
