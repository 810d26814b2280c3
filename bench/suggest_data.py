"""The labelled lines of ``../shared/boilerplate-dev`` as the suggestion model sees them.

Shared by ``train_suggest.py`` (which fits the shipped model) and ``bench_suggest.py`` (which
scores it by cross-validation): each labelled, non-blank line of each page with its features
(``core.suggest.features``) and its label (1 boilerplate, 0 content). How many other pages hold
a line comes from the same passage fingerprints as the corpus's index.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from corpus_tui.core.passages import passages
from corpus_tui.core.suggest.features import LineFeatures, document_features

DEV = Path(__file__).resolve().parents[2] / "shared" / "boilerplate-dev"


@dataclass
class Page:
    path: str
    text: str
    lines: list[LineFeatures]  # every non-blank line, in order
    labels: dict[int, int]  # index into ``lines`` -> 1 boilerplate / 0 content


def load_pages(dev: Path = DEV) -> list[Page]:
    gold = [json.loads(line) for line in (dev / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = {g["path"]: (dev / "docs" / g["path"]).read_text(encoding="utf-8", errors="replace") for g in gold}
    holders: Counter[int] = Counter()
    prints: dict[str, dict[tuple[int, int], int]] = {}
    for path, text in texts.items():
        found = {(p.start, p.end): p.fingerprint for p in passages(text) if p.kind == "line"}
        prints[path] = found
        holders.update(set(found.values()))
    pages = []
    for g in gold:
        text = texts[g["path"]]
        lookup = prints[g["path"]]

        def others(start: int, end: int, lookup: dict[tuple[int, int], int] = lookup) -> int:
            fingerprint = lookup.get((start, end))
            return holders[fingerprint] - 1 if fingerprint is not None else 0

        lines = document_features(text, 0, others)
        number_of = _line_numbers(text, lines)
        wanted = {**{n: 1 for n in g["boilerplate_lines"]}, **{n: 0 for n in g["content_lines"]}}
        labels = {index: wanted[number] for index, number in enumerate(number_of) if number in wanted}
        pages.append(Page(g["path"], text, lines, labels))
    return pages


def _line_numbers(text: str, lines: list[LineFeatures]) -> list[int]:
    """The 1-based line number of each feature line (gold counts lines of the file)."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    from bisect import bisect_right
    return [bisect_right(starts, line.start) for line in lines]
