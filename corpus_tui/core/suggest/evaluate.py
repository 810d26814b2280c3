"""Scoring suggestions against hand labels, line by line (``corpus-tui evaluate``).

The gold file is JSON Lines in the format of ``../shared/boilerplate-dev/gold.jsonl``: one
object a document, ``{"path": "NNN.txt", "boilerplate_lines": [..], "content_lines": [..]}``
with 1-based line numbers of the file (other keys are ignored). Only labelled lines are
scored (a labelled blank line has nothing to score). A path that is not a document of the
corpus, or a line past the end of its document, is an error naming the gold file's line:
nothing is scored from a gold file that does not describe this corpus. A line counts as boilerplate when a suggestion at or above the threshold covers it,
or the analyst has already marked it; boilerplate is the positive class, and the content
class is scored too (precision, recall, F of each, as trafilatura reports content).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidValue
from ..safe_text import quoted
from ..wording import json_problem


@dataclass(frozen=True)
class GoldPage:
    path: str
    boilerplate_lines: frozenset[int]
    content_lines: frozenset[int]
    where: str = ""  # "GOLD:LINE" it was read from, for errors about it

    def located(self, problem: str) -> InvalidValue:
        return InvalidValue(f"{self.where}: {problem}" if self.where else problem)


def read_gold(path: Path, check: Callable[[GoldPage], object] | None = None) -> list[GoldPage]:
    """Every document of a gold file; InvalidValue naming the file and line on a bad one.
    ``check`` (raising ``page.located``'s error) runs on each page as it is read, so the first
    bad line is the one named, whichever check finds it (a trial: line 2's missing key was
    named before line 1's unknown document)."""
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise InvalidValue(f"{path}: cannot read the gold file: {error.strerror or error}") from None
    pages: list[GoldPage] = []
    seen: set[str] = set()
    with handle:
        for number, raw in enumerate(handle, 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):  # a BOM, as Windows tools write
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InvalidValue(f"{path}:{number}: not UTF-8 text (byte {error.start + 1} of the line)") from None
            if not line.strip():
                continue
            page = _gold_page(line, f"{path}:{number}")
            if page.path in seen:
                raise InvalidValue(f"{path}:{number}: {quoted(page.path)} is labelled twice")
            seen.add(page.path)
            if check is not None:
                check(page)
            pages.append(page)
    if not any(page.boilerplate_lines or page.content_lines for page in pages):
        # Figures of 0.000 would read as a total failure of the suggestions, not as no gold.
        raise InvalidValue(f"{path}: labels no line (each line: {{\"path\", \"boilerplate_lines\", "
                           "\"content_lines\"}): nothing to score")
    return pages


def _gold_page(line: str, where: str) -> GoldPage:
    try:
        record = json.loads(line.rstrip("\r\n"))  # an error at the end of the line is on it, not on the next
    except (ValueError, RecursionError) as error:
        detail = f": {json_problem(error)}" if isinstance(error, json.JSONDecodeError) else ""
        raise InvalidValue(f"{where}: not valid JSON{detail}") from None
    if not isinstance(record, dict):
        raise InvalidValue(f"{where}: not a JSON object")
    path = record.get("path")
    if not isinstance(path, str) or not path:
        raise InvalidValue(f"{where}: \"path\" must be a document's path (a string)")
    lists = {}
    for key in ("boilerplate_lines", "content_lines"):
        if key not in record:  # a misspelt key would leave its lines unscored without a word
            raise InvalidValue(f"{where}: no {key!r} (each line: {{\"path\", \"boilerplate_lines\", "
                               "\"content_lines\"}; a list may be empty)")
        value = record[key]
        if not isinstance(value, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                                                  for n in value):
            raise InvalidValue(f"{where}: {key!r} must be a list of line numbers (whole numbers from 1)")
        lists[key] = frozenset(value)
    both = lists["boilerplate_lines"] & lists["content_lines"]
    if both:
        raise InvalidValue(f"{where}: line {min(both)} is labelled both boilerplate and content")
    return GoldPage(path, lists["boilerplate_lines"], lists["content_lines"], where)


def line_numbers(text: str, offsets: list[int]) -> list[int]:
    """The 1-based line of the text each offset is on."""
    starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    return [bisect_right(starts, offset) for offset in offsets]


def scores(labels: list[int], predicted: list[bool]) -> dict[str, Any]:
    """Precision, recall and F of the boilerplate (label 1, predicted True) and content classes;
    None where a figure is undefined (no line of the class labelled, or none predicted): 0.000
    would read as a total failure."""
    figures: dict[str, Any] = {"lines": len(labels)}
    for name, positive in (("boilerplate", 1), ("content", 0)):
        guessed = [flag == (positive == 1) for flag in predicted]
        actual = [label == positive for label in labels]
        hits = sum(g and a for g, a in zip(guessed, actual))
        precision = hits / sum(guessed) if any(guessed) else None
        recall = hits / sum(actual) if any(actual) else None
        f = None
        if precision is not None and recall is not None:
            f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        figures[name] = {"precision": _rounded(precision), "recall": _rounded(recall), "f": _rounded(f),
                         "labelled": sum(actual)}
    return figures


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
