"""What a line looks like, in numbers: the suggestion model's input.

Each non-blank line of a document's body becomes ``DENSE_NAMES`` values — its own shape, the
shape of the two lines before and after it (jusText's insight: a short line between content
lines is content, a run of short lines is navigation), where it is in the document, and how
many other documents of the corpus hold it — and ``tokens``, its words hashed into
``TOKEN_BUCKETS`` buckets (lowercased; every number one token). No URL, site name or
page-specific string is a feature.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

TOKEN_BUCKETS = 4096
MAX_TOKENS = 40  # words of a line that count: a 10 MB line costs no more than its start
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…:;\"”»)]$")
_MENU_MARKS = "|»›•·"

SHAPE_NAMES = (
    "log_chars", "log_words", "letter_share", "digit_share", "upper_share", "punctuation_share",
    "ends_like_sentence", "capitalized_words", "menu_marks", "url", "at_sign", "bullet",
    "dots_per_word", "three_words_or_fewer", "serialized", "braces",
)
CONTEXT_SHAPE = 8  # the first values of a neighbour's shape that describe it
CONTEXT_OFFSETS = (-2, -1, 1, 2)
DENSE_NAMES = (
    *SHAPE_NAMES,
    *(f"{name}@{offset:+d}" for offset in CONTEXT_OFFSETS for name in SHAPE_NAMES[:CONTEXT_SHAPE]),
    "position", "from_end", "log_lines", "log_other_documents",
)


@dataclass(frozen=True, slots=True)
class LineFeatures:
    """A non-blank line: ``text[start:end]`` (without its line ending), its values and tokens."""

    start: int
    end: int
    dense: list[float]
    tokens: list[int]  # bucket numbers, repeated as the words are
    words: int
    ends_like_sentence: bool


def line_shape(line: str) -> list[float]:
    stripped = line.strip()
    chars = len(stripped)
    words = _WORD.findall(stripped[:2000])
    word_count = len(words)
    sample = stripped[:2000]  # shares from the start of a 10 MB line are its shares
    size = max(len(sample), 1)
    # map() over str methods counts at C speed: a scan scores every line of the corpus.
    letters = sum(map(str.isalpha, sample))
    return [
        math.log1p(chars),
        math.log1p(word_count),
        letters / size,
        sum(map(str.isdigit, sample)) / size,
        sum(map(str.isupper, sample)) / max(letters, 1),
        sum(map(sample.count, ".,;:!?")) / size,
        1.0 if _SENTENCE_END.search(stripped) else 0.0,
        sum(map(str.isupper, [word[:1] for word in words])) / max(word_count, 1),
        float(sum(sample.count(mark) for mark in _MENU_MARKS)),
        1.0 if ("http" in sample or "www." in sample) else 0.0,
        1.0 if "@" in sample else 0.0,
        1.0 if stripped.startswith(("-", "*", "•", "·")) else 0.0,
        sample.count(".") / max(word_count, 1),
        1.0 if word_count <= 3 else 0.0,
        1.0 if is_serialized(stripped) else 0.0,
        1.0 if ("{" in sample and '"' in sample) else 0.0,
    ]


_SERIALIZED = re.compile(r'^(?:string\(\d+\) ")?[\[{]\s*[\[{"]|^a:\d+:\{|":\s*[\[{"\d]')


def is_serialized(line: str) -> bool:
    """Serialized data dumped into the text: JSON, PHP's ``string(949) "[{…`` and ``a:2:{…``."""
    return bool(_SERIALIZED.search(line[:200]))


def tokens(line: str) -> list[int]:
    found = []
    for word in _WORD.findall(line[:2000])[:MAX_TOKENS]:
        bucket = _BUCKETS.get(word)
        if bucket is None:
            bucket = _bucket(word)
        found.append(bucket)
    return found


def _bucket(word: str) -> int:
    bucket = zlib.crc32(("<num>" if word.isdigit() else word.lower()).encode("utf-8", "surrogatepass")) % TOKEN_BUCKETS
    if len(_BUCKETS) >= _BUCKETS_MAX:
        _BUCKETS.clear()
    _BUCKETS[word] = bucket
    return bucket


# Words repeat across a corpus: each is hashed once per process (bounded, cleared when full).
_BUCKETS_MAX = 200_000
_BUCKETS: dict[str, int] = {}


def document_features(text: str, body_start: int = 0,
                      other_documents: Callable[[int, int], int] | None = None) -> list[LineFeatures]:
    """Every non-blank line of ``text[body_start:]`` with its features, in order.
    ``other_documents(start, end)`` counts the corpus's other documents holding that line
    (the passage index); without it, none do."""
    spans: list[tuple[int, int]] = []
    position = body_start
    length = len(text)
    for raw in text[body_start:].split("\n"):
        end = position + len(raw)
        line_end = end - 1 if raw.endswith("\r") and end < length else end
        if raw.strip():
            spans.append((position, line_end))
        position = end + 1
    shapes = [line_shape(text[start:end]) for start, end in spans]
    count = len(spans)
    blank = [0.0] * CONTEXT_SHAPE
    found = []
    for index, (start, end) in enumerate(spans):
        values = list(shapes[index])
        for offset in CONTEXT_OFFSETS:
            neighbour = index + offset
            values += shapes[neighbour][:CONTEXT_SHAPE] if 0 <= neighbour < count else blank
        relative = index / max(count - 1, 1)
        others = other_documents(start, end) if other_documents else 0
        values += [relative, 1.0 - relative, math.log1p(count), math.log1p(others)]
        found.append(LineFeatures(start, end, values, tokens(text[start:end]),
                                  round(math.expm1(values[1])), values[6] == 1.0))
    return found


