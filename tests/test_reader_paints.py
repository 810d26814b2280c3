"""The reader finds a row's paints and the cursor's suggestion by bisection (a 10 MB document has
50,000 suggestions: scanning them all cost 2 ms a row): the same answers as a scan of them all."""

from __future__ import annotations

import random
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_tui.core.suggest.scorer import Suggestion, suggestion_at
from corpus_tui.tui.widgets.reader import _Paint, paints_overlapping


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(1, 120), st.integers(-1, 3)), max_size=40),
       st.integers(0, 400), st.integers(1, 80))
def test_a_rows_paints_are_those_a_scan_finds_in_the_same_order(spans, start, length):
    paints = sorted((_Paint(s, s + n, None, order) for s, n, order in spans), key=lambda p: (p.start, p.order))
    starts, reach = [p.start for p in paints], list(accumulate((p.end for p in paints), max))
    end = start + length
    assert paints_overlapping(paints, starts, reach, start, end) == [p for p in paints if p.start < end and p.end > start]


def test_the_suggestion_at_an_offset_is_the_one_a_scan_finds():
    rng = random.Random(3)
    suggestions, at = [], 0
    for _ in range(500):
        at += rng.randint(1, 30)
        length = rng.randint(1, 40)
        suggestions.append(Suggestion(at, at + length, 0.9, "r"))
        at += length + 1  # a line break between lines
    for offset in range(0, at + 5):
        assert suggestion_at(suggestions, offset) == next(
            (s for s in suggestions if s.start <= offset <= s.end), None)
    assert suggestion_at([], 5) is None
