"""Benchmark re-anchoring: random edits of real documents, and where their spans end up.

    python bench/bench_reanchor.py [--edits N] [--seed S] [--generated] [--workdir DIR] [--keep] [--json]

Takes real scraped pages (../shared/boilerplate-dev/docs, whose gold labels
name boilerplate lines) and the five seed articles; without ../shared (or with
--generated) it generates articles with generate_corpus.py instead. Each edit gets its own document
file with five spans of the kinds analysts make: two single words, a phrase
and a long line as annotations, and a whole line marked as boilerplate. Then
one edit per file, of ten kinds in turn (N/10 each, default N = 1,200):

    inside     a change inside one span (replace, insert or delete characters)
    deleted    the span deleted, with up to 30 characters around it
    replaced   the whole file replaced by a page of another site
    before     text from another page inserted somewhere before the span
    after      ... somewhere after it
    elsewhere  a range of up to 300 characters deleted away from the span
    moved      a paragraph moved (the span's own, or another)
    rewrap     whitespace near the span (not in it) re-wrapped: spaces to newlines and back
    duplicate  a copy of the span's quote inserted elsewhere
    once       the quote removed where the span was, and found once elsewhere

The files are rescanned with the real ``Corpus.scan`` and every span is judged
against where its text really went (the bench builds each new text from
slices of the old one, so it knows):

- a *false attachment* is a span left on the text (``ok``/``reanchored``)
  anywhere but the true new place of its text, or whose text is gone; except
  a *replica*: the edit itself put the span's quote with all of its stored
  context somewhere else and broke it at the span's own place (a paragraph
  moved to just before a second copy of the span's paragraph). That is the
  span's evidence, whole, in a new place; no rule on quote and context can
  tell, so replicas are counted and shown apart;
- a span whose text *and* context survived (the 32 characters stored on each
  side are still around it, whitespace aside) should be re-anchored there;
- everything else should be ``stale``.

A span with a twin in its original document is never chosen: a twin is
another occurrence of its quote with all of the same stored context on both
sides, whitespace aside (a menu printed twice on a page with the same items
around it). Nothing stored with the span tells the two apart, so once the
span's own text goes, the twin would take its place under any rule. Copies
that differ anywhere in the 32 characters each side stay in: telling them
apart is the rule's job. The output says how many candidates were passed over.

Targets: 0 false attachments; >= 95% of the spans whose text and context
survived re-anchored correctly. Exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import judge, print_rows

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from corpus_tui import Corpus
from corpus_tui.core.anchoring import (
    CONTEXT_CHARS,
    Anchor,
    anchor_for,
    measure,
    occurrences,
)

SHARED_DOCS = REPO.parent / "shared" / "boilerplate-dev"
KINDS = ("inside", "deleted", "replaced", "before", "after", "elsewhere", "moved", "rewrap", "duplicate", "once")
FALSE_MAX = 0
KEPT_MIN = 0.95
MIN_CHARS, MAX_CHARS = 600, 30_000
WORD = re.compile(r"[^\W\d_]{3,}")
_SPACE = re.compile(r"\s+")

Piece = tuple[int, int] | str  # a slice (start, end) of the old text, or new text


@dataclass
class Source:
    text: str
    site: str
    boilerplate_lines: list[int] = field(default_factory=list)  # 1-based, from gold.jsonl


@dataclass
class PlannedSpan:
    kind: str  # "annotation" | "boilerplate"
    shape: str  # "word", "phrase", "line", "long line"
    start: int
    end: int


@dataclass
class Case:
    index: int
    edit: str
    old: str
    new: str = ""
    spans: list[PlannedSpan] = field(default_factory=list)
    truth: list[int | None] = field(default_factory=list)  # each span's true new start, None when gone

    @property
    def path(self) -> str:
        return f"{self.index:05d}.txt"


# -- sources -----------------------------------------------------------------------------------------


def load_sources(rng: random.Random, workdir: Path, generated: bool) -> tuple[list[Source], str]:
    sources: list[Source] = []
    origin = []
    shared = not generated and (SHARED_DOCS / "gold.jsonl").exists()
    if shared:
        for line in (SHARED_DOCS / "gold.jsonl").read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            text = (SHARED_DOCS / "docs" / entry["path"]).read_text(encoding="utf-8", errors="replace")
            # A byte-order mark at a text's start is not part of it: an edit that brought one
            # there (some pages have U+FEFF mid-text) would change the text the corpus reads.
            text = text.replace("\ufeff", "")
            site = re.sub(r"^(hard::|https?://)", "", entry.get("url", "")).split("/")[0].split("-")[0]
            sources.append(Source(text, site or entry["path"], entry.get("boilerplate_lines", [])))
        origin.append(f"{len(sources)} pages of boilerplate-dev")
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    for path in seeds:
        sources.append(Source(path.read_text(encoding="utf-8"), f"seed:{path.name}"))
    origin.append(f"{len(seeds)} seed articles")
    if not shared:
        from generate_corpus import generate

        out = workdir / "generated"
        generate(out, 60, seed=rng.randrange(1 << 30))
        generated = [p for p in sorted(out.rglob("*")) if p.suffix in (".txt", ".md")]
        for path in generated:
            text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
            sources.append(Source(text, path.parts[-3]))
        origin.append(f"{len(generated)} generated articles")
    sources = [s for s in sources if MIN_CHARS <= len(s.text) <= MAX_CHARS]
    return sources, ", ".join(origin)


# -- spans -------------------------------------------------------------------------------------------


def line_ranges(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line without its newline, blank lines left out."""
    out, start = [], 0
    for line in text.split("\n"):
        end = start + len(line)
        if line.strip():
            out.append((start + len(line) - len(line.lstrip()), start + len(line.rstrip())))
        start = end + 1
    return out


def replicas(text: str, anchor: Anchor) -> list[int]:
    """Where ``text`` holds ``anchor``'s quote with all of its stored context around it, whitespace
    aside; a side the document's edge cut short must be at that edge again."""
    found = []
    for at in occurrences(text, anchor.quote) or []:
        c = measure(text, at, anchor)
        left = c.left_edge or (c.left_whole and len(anchor.prefix) == CONTEXT_CHARS)
        right = c.right_edge or (c.right_whole and len(anchor.suffix) == CONTEXT_CHARS)
        if left and right:
            found.append(at)
    return found


def shares_passage(text: str, spans: list[PlannedSpan], other: str) -> bool:
    """``other`` holds one of the spans' text with all of its context: not unrelated text
    (sites' templates repeat the same sentences: "Our work wouldn't be possible without ...")."""
    return any(replicas(other, anchor_for(text, span.start, span.end)) for span in spans)


def has_twin(text: str, start: int, end: int) -> bool:
    """Another occurrence of text[start:end] with all of its stored context around it (see the docstring)."""
    return any(at != start for at in replicas(text, anchor_for(text, start, end)))


def plan_spans(rng: random.Random, source: Source, twins: Counter[str]) -> list[PlannedSpan]:
    text = source.text
    lines = line_ranges(text)
    words = [(m.start(), m.end()) for m in WORD.finditer(text)]
    taken: list[tuple[int, int]] = []
    spans: list[PlannedSpan] = []

    def take(kind: str, shape: str, options: list[tuple[int, int]], tries: int = 40) -> None:
        for _ in range(tries if options else 0):
            start, end = rng.choice(options)
            if end <= start or any(start < e and end > s for s, e in taken):
                continue
            if has_twin(text, start, end):
                twins[shape] += 1
                continue
            taken.append((start, end))
            spans.append(PlannedSpan(kind, shape, start, end))
            return

    # Boilerplate: a line the gold labels call boilerplate, else any line.
    gold = [r for r in (line_range(text, n) for n in source.boilerplate_lines) if r is not None]
    take("boilerplate", "line", [r for r in gold or lines if r[1] - r[0] <= 300])
    capitalised = [w for w in words if text[w[0]].isupper()]
    take("annotation", "word", capitalised if capitalised and rng.random() < 0.6 else words)
    take("annotation", "word", words)
    phrases = []
    for _ in range(30):
        if len(words) < 8:
            break
        first = rng.randrange(len(words) - 6)
        last = first + rng.randint(1, 5)
        if "\n" not in text[words[first][0] : words[last][1]]:
            phrases.append((words[first][0], words[last][1]))
    take("annotation", "phrase", phrases)
    take("annotation", "long line", [r for r in lines if 80 <= r[1] - r[0] <= 600])
    spans.sort(key=lambda s: s.start)
    return spans


def line_range(text: str, number: int) -> tuple[int, int] | None:
    """(start, end) of line ``number`` (1-based) without surrounding whitespace; None if blank or absent."""
    lines = text.split("\n")
    if not 0 < number <= len(lines) or not lines[number - 1].strip():
        return None
    at = sum(len(line) + 1 for line in lines[: number - 1])
    line = lines[number - 1]
    return at + len(line) - len(line.lstrip()), at + len(line.rstrip())


# -- edits -------------------------------------------------------------------------------------------


def snippet(rng: random.Random, sources: list[Source]) -> str:
    """A piece of another page: a few words to a couple of lines."""
    text = rng.choice(sources).text
    start = rng.randrange(len(text))
    start = text.rfind(" ", 0, start) + 1
    return text[start : start + rng.choice([12, 40, 120, 300])]


def word_boundary(rng: random.Random, text: str, low: int, high: int) -> int:
    """A position in [low, high] just after whitespace (or the document's start), else any."""
    if high < low:
        return low
    for _ in range(20):
        pos = rng.randint(low, high)
        if pos == 0 or pos == len(text) or text[pos - 1].isspace():
            return pos
    return rng.randint(low, high)


def splice(text: str, start: int, end: int, new: str) -> list[Piece]:
    return [(0, start), new, (end, len(text))]


def make_edit(kind: str, rng: random.Random, case: Case, source: Source, sources: list[Source]) -> list[Piece]:
    text = case.old
    n = len(text)
    focus = rng.choice(case.spans)
    x, y = focus.start, focus.end
    if kind == "inside":
        while True:
            a = rng.randint(x, y - 1)
            b = rng.randint(a, min(y, a + 8))
            new = rng.choice(["", "x", " new ", rng.choice(["the", "and", "Mosul", "2017"])])
            if a == b and not (x < a < y):
                continue
            if new != text[a:b]:
                return splice(text, a, b, new)
    if kind == "deleted":
        return splice(text, max(0, x - rng.randint(0, 30)), min(n, y + rng.randint(0, 30)), "")
    if kind == "replaced":
        for _ in range(100):
            other = rng.choice(sources)
            if other.site != source.site and not shares_passage(text, case.spans, other.text):
                break
        return [other.text]
    if kind == "before":
        return splice(text, *(word_boundary(rng, text, 0, x),) * 2, snippet(rng, sources) + " ")
    if kind == "after":
        return splice(text, *(word_boundary(rng, text, y, n),) * 2, " " + snippet(rng, sources))
    if kind == "elsewhere":
        for _ in range(50):
            length = rng.randint(1, 300)
            a = rng.randint(0, max(0, n - length))
            if a + length <= x or a >= y:
                return splice(text, a, a + length, "")
        return splice(text, 0, 0, "")
    if kind == "moved":
        return move_paragraph(rng, text, focus if rng.random() < 0.5 else None)
    if kind == "rewrap":
        return rewrap(rng, text, x, y)
    if kind == "duplicate":
        pos = word_boundary(rng, text, 0, n)
        while x < pos < y:
            pos = word_boundary(rng, text, 0, n)
        return splice(text, pos, pos, text[x:y] + " ")
    if kind == "once":
        quote = text[x:y]
        pieces: list[Piece] = [(0, x), rng.choice(["", "it", "there"]), (y, n)]
        if quote not in text[:x] + pieces[1] + text[y:]:  # type: ignore[operator]
            # Elsewhere: not back where it was (that would be the same text again, whitespace aside).
            pos = word_boundary(rng, text, 0, n)
            for _ in range(100):
                if not x - 2 * CONTEXT_CHARS <= pos <= y + 2 * CONTEXT_CHARS:
                    break
                pos = word_boundary(rng, text, 0, n)
            if pos < x:
                pieces = [(0, pos), quote + " ", (pos, x), pieces[1], (y, n)]
            else:
                pieces = [(0, x), pieces[1], (y, pos), quote + " ", (pos, n)]
        return pieces
    raise ValueError(kind)


def move_paragraph(rng: random.Random, text: str, focus: PlannedSpan | None) -> list[Piece]:
    """Move one paragraph (between blank lines; a line where a page has few blank lines)."""
    separator = "\n\n" if text.count("\n\n") >= 4 else "\n"
    starts = [0] + [m.end() for m in re.finditer(re.escape(separator) + "+", text)]
    starts = sorted({s for s in starts if s < len(text)})
    if len(starts) < 3:
        return [(0, len(text))]
    bounds = starts + [len(text)]
    if focus is not None:
        which = max(i for i, s in enumerate(starts) if s <= focus.start)
    else:
        which = rng.randrange(len(starts))
    a, b = bounds[which], bounds[which + 1]
    targets = [s for s in bounds if s <= a or s >= b]
    to = rng.choice([t for t in targets if t not in (a, b)] or targets)
    block = (a, b)
    if b == len(text) and not text.endswith("\n"):
        return [(0, len(text))]
    if to < a:
        return [(0, to), block, (to, a), (b, len(text))]
    return [(0, a), (b, to), block, (to, len(text))]


def rewrap(rng: random.Random, text: str, x: int, y: int) -> list[Piece]:
    """Spaces become newlines and newlines spaces within 150 characters of [x, y), not inside it."""
    low, high = max(0, x - 150), min(len(text), y + 150)
    spots = [i for i in range(low, high) if not x <= i < y and text[i] in " \n"]
    chosen = sorted(rng.sample(spots, min(len(spots), rng.randint(1, 6)))) if spots else []
    pieces: list[Piece] = []
    at = 0
    for i in chosen:
        pieces += [(at, i), "\n" if text[i] == " " else rng.choice([" ", "  "])]
        at = i + 1
    pieces.append((at, len(text)))
    return pieces


def apply(text: str, pieces: list[Piece], spans: list[PlannedSpan]) -> tuple[str, list[int | None]]:
    """The new text, and where each span's text really went (None when no slice kept it whole)."""
    joined: list[Piece] = []
    for piece in pieces:  # slices that follow each other in the old text are one slice: a cut of nothing
        if isinstance(piece, str):
            if piece:
                joined.append(piece)
        elif joined and not isinstance(joined[-1], str) and joined[-1][1] == piece[0]:
            joined[-1] = (joined[-1][0], piece[1])
        else:
            joined.append(piece)
    out, truth = [], [None] * len(spans)  # type: list[str], list[int | None]
    at = 0
    for piece in joined:
        if isinstance(piece, str):
            out.append(piece)
            at += len(piece)
            continue
        a, b = piece
        for i, span in enumerate(spans):
            if a <= span.start and span.end <= b:
                truth[i] = at + span.start - a
        out.append(text[a:b])
        at += b - a
    return "".join(out), truth


# -- judging -----------------------------------------------------------------------------------------


def context_survived(old: str, span: PlannedSpan, new: str, at: int) -> bool:
    """The stored context (32 characters each side) is still around the span's text, whitespace aside."""
    squeeze = lambda s: _SPACE.sub("", s)
    prefix = squeeze(old[max(0, span.start - CONTEXT_CHARS) : span.start])
    suffix = squeeze(old[span.end : span.end + CONTEXT_CHARS])
    end = at + span.end - span.start
    before = squeeze(new[max(0, at - 4 * CONTEXT_CHARS) : at])
    after = squeeze(new[end : end + 4 * CONTEXT_CHARS])
    if span.start < CONTEXT_CHARS:  # stored up to the document's start: the new text must start the same
        left = squeeze(new[:at]) == prefix
    else:
        left = before.endswith(prefix)
    if span.end + CONTEXT_CHARS > len(old):
        right = squeeze(new[end:]) == suffix
    else:
        right = after.startswith(suffix)
    return left and right


def run(edits: int, seed: int, workdir: Path, generated: bool = False) -> dict[str, Any]:
    rng = random.Random(seed)
    sources, origin = load_sources(rng, workdir, generated)
    folder = workdir / "corpus"
    folder.mkdir(parents=True)
    cases: list[Case] = []
    twins: Counter[str] = Counter()
    for index in range(edits):
        kind = KINDS[index % len(KINDS)]
        for _ in range(20):
            source = rng.choice(sources)
            spans = plan_spans(rng, source, twins)
            if len(spans) >= 3:
                break
        case = Case(index, kind, source.text, spans=spans)
        case.new, case.truth = apply(source.text, make_edit(kind, rng, case, source, sources), spans)
        if case.new == case.old:  # an edit that changed nothing (a paragraph moved onto itself)
            case.new, case.truth = case.old + "\nAppended line.\n", [s.start for s in spans]
        cases.append(case)
        (folder / case.path).write_text(case.old, encoding="utf-8", newline="")

    started = time.perf_counter()
    with Corpus.open(folder, db=workdir / "reanchor.db", annotator="bench") as corpus:
        corpus.db.conn.execute("PRAGMA synchronous = OFF")  # thousands of small commits; not what is measured
        corpus.scan()
        ids: dict[int, list[int]] = {}
        for case in cases:
            doc = corpus.document_by_path(case.path)
            ids[case.index] = []
            for span in case.spans:
                if span.kind == "boilerplate":
                    (made,) = corpus.mark_boilerplate(doc.id, span.start, span.end)
                else:
                    made = corpus.add_annotation(doc.id, span.start, span.end, span.shape.upper())
                ids[case.index].append(made.id)
        for case in cases:
            (folder / case.path).write_text(case.new, encoding="utf-8", newline="")
        rescan_started = time.perf_counter()
        summary = corpus.scan()
        rescan_seconds = time.perf_counter() - rescan_started
        rows = {r["id"]: r for r in corpus.query('SELECT id, start, "end", quote, anchor FROM spans')}
        texts = {case.index: corpus.text(corpus.document_by_path(case.path).id) for case in cases}
    figures = judge_cases(cases, ids, rows, texts)
    baseline = judge_cases(cases, ids, nearest_quote_rows(cases, ids, rows, texts), texts)
    figures["baseline"] = {key: baseline[key] for key in ("false_attachments", "survived", "survived_correct", "kept_share")}
    figures.update(edits=edits, seed=seed, sources=origin, twins_passed_over=dict(twins), rescan_seconds=round(rescan_seconds, 2),
                   seconds=round(time.perf_counter() - started, 1), changed_documents=summary.changed)
    return figures


def nearest_quote_rows(cases: list[Case], ids: dict[int, list[int]], rows: dict[int, dict[str, Any]],
                       texts: dict[int, str]) -> dict[int, dict[str, Any]]:
    """The baseline: what a tool without context does, the quote's copy nearest its old start."""
    placed = {}
    for case in cases:
        text = texts[case.index]
        for span, span_id in zip(case.spans, ids[case.index]):
            quote = rows[span_id]["quote"]
            starts = [m.start() for m in re.finditer(re.escape(quote), text)]
            start = min(starts, key=lambda s: abs(s - span.start)) if starts else None
            placed[span_id] = ({"start": start, "end": start + len(quote), "quote": quote, "anchor": "ok"}
                               if start is not None else {"start": 0, "end": 0, "quote": quote, "anchor": "stale"})
    return placed


def judge_cases(cases: list[Case], ids: dict[int, list[int]], rows: dict[int, dict[str, Any]],
                texts: dict[int, str]) -> dict[str, Any]:
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    per_shape: dict[str, Counter[str]] = defaultdict(Counter)
    examples: list[dict[str, Any]] = []
    for case in cases:
        counts = per_kind[case.edit]
        counts["edits"] += 1
        text = texts[case.index]
        assert text == case.new, f"{case.path}: the corpus holds another text than the bench wrote"
        for span, span_id, truth in zip(case.spans, ids[case.index], case.truth):
            row = rows[span_id]
            counts["spans"] += 1
            shape = per_shape[span.shape]
            shape["spans"] += 1
            placed = row["anchor"] != "stale"
            if placed and text[row["start"] : row["end"]] != row["quote"]:
                counts["quote_mismatch"] += 1
            correct = placed and truth is not None and row["start"] == truth
            if placed and not correct:
                replica = context_survived(case.old, span, text, row["start"])
                counts["replica" if replica else "false"] += 1
                shape["replica" if replica else "false"] += 1
                if len(examples) < 10:
                    examples.append({"file": case.path, "edit": case.edit, "shape": span.shape,
                                     "quote": case.old[span.start : span.end][:80], "truth": truth,
                                     "placed": row["start"], "replica": replica})
            if truth is None:
                counts["gone"] += 1
            elif context_survived(case.old, span, text, truth):
                counts["survived"] += 1
                shape["survived"] += 1
                counts["survived_correct"] += correct
                shape["survived_correct"] += correct
            else:
                counts["moved_context_changed"] += 1
                counts["moved_context_changed_correct"] += correct
            counts["stale"] += not placed
    total: Counter[str] = Counter()
    for counts in per_kind.values():
        total.update(counts)
    return {
        "per_kind": {kind: dict(per_kind[kind]) for kind in KINDS if kind in per_kind},
        "per_shape": {shape: dict(c) for shape, c in sorted(per_shape.items())},
        "total": dict(total),
        "false_attachments": total["false"],
        "replicas": total["replica"],
        "survived": total["survived"],
        "survived_correct": total["survived_correct"],
        "kept_share": total["survived_correct"] / total["survived"] if total["survived"] else 1.0,
        "false_examples": examples,
    }


def print_table(figures: dict[str, Any]) -> None:
    print(f"re-anchoring: {figures['edits']} edits (seed {figures['seed']}) of {figures['sources']}; "
          f"rescan of {figures['changed_documents']} changed documents {figures['rescan_seconds']} s")
    header = ("edit", "edits", "spans", "false", "replica", "survived", "kept", "ctx changed", "kept", "gone",
              "stale")
    lines = [header]
    for kind, c in [*figures["per_kind"].items(), ("all", figures["total"])]:
        survived = c.get("survived", 0)
        lines.append((kind, str(c.get("edits", 0)), str(c.get("spans", 0)), str(c.get("false", 0)),
                      str(c.get("replica", 0)), str(survived),
                      f"{c.get('survived_correct', 0)}" + (f" ({c.get('survived_correct', 0) / survived:.1%})"
                                                            if survived else ""),
                      str(c.get("moved_context_changed", 0)), str(c.get("moved_context_changed_correct", 0)),
                      str(c.get("gone", 0)), str(c.get("stale", 0))))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    for row in lines:
        print("  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(row)))
    print("(survived: text and its 32 characters of context each side still there, whitespace aside; "
          "ctx changed: text there, context not; replica: see the docstring)")
    twins = figures["twins_passed_over"]
    print("spans by shape: " + ", ".join(f"{shape} {c['spans']}" for shape, c in figures["per_shape"].items())
          + f"; candidate spans passed over for a twin: {sum(twins.values())} "
          + "(" + ", ".join(f"{shape} {n}" for shape, n in sorted(twins.items())) + ")")
    for example in figures["false_examples"]:
        print(f"  {'replica' if example['replica'] else 'false'}: {json.dumps(example, ensure_ascii=False)}")
    targets = figures["targets"]
    baseline = figures["baseline"]
    print(f"baseline, the quote's nearest copy (no context): {baseline['false_attachments']} false attachments, "
          f"{baseline['kept_share']:.1%} of survived spans re-anchored correctly")
    print_rows([
        ("false attachments", str(figures["false_attachments"]), f"target {FALSE_MAX}",
         "PASS" if targets["no_false_attachments"] else "FAIL"),
        ("survived and re-anchored", f"{figures['kept_share']:.1%}",
         f"{figures['survived_correct']} of {figures['survived']}, target >= {KEPT_MIN:.0%}",
         "PASS" if targets["survivors_kept"] else "FAIL"),
    ], figures["passed"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=1200, help="edits to make, one per document (default 1200)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--generated", action="store_true",
                        help="generated articles instead of ../shared/boilerplate-dev (used when that is absent)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="a folder for the run's own temporary folder (default: the system's)")
    parser.add_argument("--keep", action="store_true", help="keep the corpus and database")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="corpus-reanchor-", dir=args.workdir))
    try:
        figures = run(args.edits, args.seed, workdir, args.generated)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    targets = {
        "no_false_attachments": figures["false_attachments"] <= FALSE_MAX and not figures["total"].get("quote_mismatch"),
        "survivors_kept": figures["kept_share"] >= KEPT_MIN,
    }
    return judge(figures, targets, args.json, print_table)


if __name__ == "__main__":
    sys.exit(main())
