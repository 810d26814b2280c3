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
    # the page's structure (blocks are runs of lines between blank lines; long lines are prose)
    "blank_before", "blank_after", "log_block_lines", "block_long_share", "single_line_block",
    "log_short_run", "short_run_of_five", "log_long_distance", "next_to_long_line",
    "between_long_lines", "long_lines_before", "log_long_lines", "word_rank", "words_of_longest",
    "shared_with_page", "shared_with_long_lines", "shared_with_first_line", "no_content_words",
)
CONTENT_WORD_LETTERS = 5  # shorter words are mostly function words, in most languages
SHORT_LINE_WORDS = 5
LONG_LINE_WORDS = 15  # a line this long ending like a sentence, or twice as long, is prose


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
    blank_before: list[bool] = []  # a blank line (or the body's start) before each line
    after_blank = True
    position = body_start
    length = len(text)
    for raw in text[body_start:].split("\n"):
        end = position + len(raw)
        line_end = end - 1 if raw.endswith("\r") and end < length else end
        if raw.strip():
            spans.append((position, line_end))
            blank_before.append(after_blank)
            after_blank = False
        else:
            after_blank = True
        position = end + 1
    shapes = [line_shape(text[start:end]) for start, end in spans]
    structure = _structure(shapes, blank_before)
    cohesion = _cohesion([text[start:end] for start, end in spans], shapes)
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
        values += [relative, 1.0 - relative, math.log1p(count), math.log1p(others), *structure[index],
                   *cohesion[index]]
        found.append(LineFeatures(start, end, values, tokens(text[start:end]),
                                  round(math.expm1(values[1])), values[6] == 1.0))
    return found


def _structure(shapes: list[list[float]], blank_before: list[bool]) -> list[list[float]]:
    """Where each line sits in the page's layout: its block, the run of short lines it is in,
    how far the nearest prose line is and whether it lies between the page's first and last
    (a main text is a stretch of prose; menus and footers sit around it), its length among the
    page's lines."""
    count = len(shapes)
    words = [round(math.expm1(shape[1])) for shape in shapes]
    long_line = [(w >= LONG_LINE_WORDS and shape[6] == 1.0) or w >= 2 * LONG_LINE_WORDS
                 for w, shape in zip(words, shapes)]
    block = []
    for index in range(count):
        block.append(block[-1] + 1 if index and blank_before[index] else (block[-1] if index else 0))
    block_lines: dict[int, int] = {}
    block_long: dict[int, int] = {}
    for index, number in enumerate(block):
        block_lines[number] = block_lines.get(number, 0) + 1
        block_long[number] = block_long.get(number, 0) + long_line[index]
    short_run = [0] * count
    index = 0
    while index < count:
        if words[index] <= SHORT_LINE_WORDS:
            stop = index
            while stop < count and words[stop] <= SHORT_LINE_WORDS:
                stop += 1
            for inside in range(index, stop):
                short_run[inside] = stop - index
            index = stop
        else:
            index += 1
    longs = [index for index in range(count) if long_line[index]]
    by_length = sorted(range(count), key=words.__getitem__)
    rank = [0.0] * count
    for position, index in enumerate(by_length):
        rank[index] = position / max(count - 1, 1)
    longest = max(words, default=0)
    found = []
    seen_long = 0
    for index in range(count):
        if longs:
            nearest = min(abs(index - other) for other in (longs[0], longs[-1], *_around(longs, index)))
            between = 1.0 if longs[0] <= index <= longs[-1] else 0.0
        else:
            nearest, between = 50, 0.0
        number = block[index]
        found.append([
            1.0 if blank_before[index] else 0.0,
            1.0 if index + 1 >= count or blank_before[index + 1] else 0.0,
            math.log1p(block_lines[number]),
            block_long[number] / block_lines[number],
            1.0 if block_lines[number] == 1 else 0.0,
            math.log1p(short_run[index]),
            1.0 if short_run[index] >= 5 else 0.0,
            math.log1p(nearest),
            1.0 if nearest <= 1 else 0.0,
            between,
            seen_long / max(len(longs), 1),
            math.log1p(len(longs)),
            rank[index],
            words[index] / max(longest, 1),
        ])
        seen_long += long_line[index]
    return found


def _around(sorted_indexes: list[int], index: int) -> list[int]:
    """The entries of a sorted list just before and after ``index``."""
    from bisect import bisect_left

    at = bisect_left(sorted_indexes, index)
    return sorted_indexes[max(0, at - 1) : at + 1]


def _cohesion(lines: list[str], shapes: list[list[float]]) -> list[tuple[float, float, float, float]]:
    """Lexical cohesion: how much of a line's vocabulary the rest of the page uses. An article's
    last paragraph shares words with its other paragraphs; a footer, a teaser for another
    article or a comment widget does not."""
    words = [{word for word in _WORD.findall(line[:2000].lower())
              if len(word) >= CONTENT_WORD_LETTERS and not word.isdigit()} for line in lines]
    holders: dict[str, int] = {}
    for found in words:
        for word in found:
            holders[word] = holders.get(word, 0) + 1
    long_lines = {index for index, shape in enumerate(shapes)
                  if (round(math.expm1(shape[1])) >= LONG_LINE_WORDS and shape[6] == 1.0)
                  or round(math.expm1(shape[1])) >= 2 * LONG_LINE_WORDS}
    in_long: dict[str, int] = {}
    for index in long_lines:
        for word in words[index]:
            in_long[word] = in_long.get(word, 0) + 1
    first = words[0] if words else set()
    values = []
    for index, found in enumerate(words):
        if not found:
            values.append((0.0, 0.0, 0.0, 1.0))
            continue
        size = len(found)
        own = 1 if index in long_lines else 0  # a long line does not count its own words
        values.append((
            sum(1 for word in found if holders[word] > 1) / size,
            sum(1 for word in found if in_long.get(word, 0) > own) / size,
            (sum(1 for word in found if word in first) / size) if index else 0.0,
            0.0,
        ))
    return values

