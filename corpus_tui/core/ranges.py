"""Arithmetic on half-open character ranges [start, end)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from operator import itemgetter

Range = tuple[int, int]


def merge(ranges: Iterable[Range]) -> list[Range]:
    """Sorted union; touching ranges are joined."""
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(ranges: Iterable[Range], cut: Range) -> list[Range]:
    """``ranges`` minus ``cut``."""
    cut_start, cut_end = cut
    kept: list[Range] = []
    for start, end in ranges:
        if end <= cut_start or start >= cut_end:
            kept.append((start, end))
            continue
        if start < cut_start:
            kept.append((start, cut_start))
        if end > cut_end:
            kept.append((cut_end, end))
    return kept


def covers(ranges: Iterable[Range], target: Range) -> bool:
    """True when the union of ``ranges`` contains all of ``target``."""
    position, end = target
    for start, stop in merge(ranges):
        if start <= position < stop:
            position = stop
        if position >= end:
            return True
    return position >= end


def inside_one(merged: Sequence[Range], target: Range) -> bool:
    """Whether ``target`` lies inside one of ``merged`` (sorted, never overlapping: as marks are
    kept), by bisection: the lines of a 10 MB text against its 44,000 marks, one by one."""
    at = bisect_right(merged, target[0], key=_START) - 1
    return at >= 0 and target[1] <= merged[at][1]


_START = itemgetter(0)


def total_length(ranges: Iterable[Range]) -> int:
    return sum(end - start for start, end in merge(ranges))


def within(ranges: Iterable[Range], target: Range) -> list[Range]:
    """The parts of ``ranges`` inside ``target``, merged: what of it is covered, exactly."""
    start, end = target
    return merge((max(first, start), min(last, end)) for first, last in ranges if first < end and last > start)
