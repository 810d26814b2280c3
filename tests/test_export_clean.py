"""clean_text: the text minus its boilerplate, paragraph breaks kept, no blank-line pile-ups."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_tui.core import ranges
from corpus_tui.core.export import clean_text

ARTICLE = "Home | News\n\nThe story begins.\n\nDonate now!\n\nThe story ends.\n\nCopyright 2017\n"


def cut(text: str, *pieces: str) -> list[tuple[int, int]]:
    return [(text.index(p), text.index(p) + len(p)) for p in pieces]


@pytest.mark.parametrize("pieces, expected", [
    ((), ARTICLE),
    (("Donate now!",), "Home | News\n\nThe story begins.\n\nThe story ends.\n\nCopyright 2017\n"),
    (("Donate now!\n",), "Home | News\n\nThe story begins.\n\nThe story ends.\n\nCopyright 2017\n"),
    (("Home | News",), "The story begins.\n\nDonate now!\n\nThe story ends.\n\nCopyright 2017\n"),
    (("Copyright 2017",), "Home | News\n\nThe story begins.\n\nDonate now!\n\nThe story ends.\n"),
    (("Home | News", "Donate now!", "Copyright 2017\n"), "The story begins.\n\nThe story ends.\n"),
    (("Home | News\n\nThe story begins.\n\nDonate now!\n\nThe story ends.\n\nCopyright 2017\n",), ""),
])
def test_paragraph_breaks_kept_and_blank_lines_not_doubled(pieces, expected):
    assert clean_text(ARTICLE, cut(ARTICLE, *pieces)) == expected


def test_inline_removal_joins_with_one_space():
    assert clean_text("see [ad] here", [(4, 8)]) == "see here"
    assert clean_text("ab[x]cd", [(2, 5)]) == "abcd"


def test_crlf_kept_and_indentation_of_next_line_kept():
    text = "one\r\n\r\nAD\r\n\r\n    code\r\n"
    assert clean_text(text, cut(text, "AD")) == "one\r\n\r\n    code\r\n"


@pytest.mark.parametrize("text, cut, expected", [
    ("a\n\nMore b\n", "More", "a\n\nb\n"),  # the space after a range that began its line goes with it
    ("a\nMore b\n", "More", "a\nb\n"),
    ("a\n\n  More b\n", "More", "a\n\n  b\n"),  # the line's own indentation stays
    ("Share this b", "Share this", "b"),
    ("a Share\n\n  b", "Share", "a\n\n  b"),  # the next line's indentation, after the break
    ("  More b\n", "More", "  b\n"),  # at the very start, the text's own indentation
])
def test_a_range_that_began_its_line_leaves_no_space_in_front(text, cut, expected):
    at = text.index(cut)
    assert clean_text(text, [(at, at + len(cut))]) == expected
    assert clean_text(text.encode(), [(at, at + len(cut))]) == expected.encode()


def test_a_space_between_two_ranges_is_not_indentation():
    text = "a\n  X Y b\n"
    assert clean_text(text, [(4, 5), (6, 7)]) == "a\n  b\n"


def test_overlapping_touching_and_out_of_range_ranges():
    text = "abcdefghij"
    assert clean_text(text, [(2, 5), (4, 6), (6, 7), (9, 50)]) == "abhi"
    assert clean_text(text, [(3, 3)]) == text


# -- properties ---------------------------------------------------------------------------------

WS = re.compile(r"[ \t\n\r\f\v]+")
_text = st.text(alphabet=st.sampled_from("ab é\n\r\t.\u2028"), max_size=60)


@st.composite
def text_and_ranges(draw):
    text = draw(_text)
    bounds = st.integers(0, len(text))
    picked = draw(st.lists(st.tuples(bounds, bounds).map(lambda r: (min(r), max(r))), max_size=6))
    return text, picked


def kept(text: str, merged: list[tuple[int, int]]) -> str:
    """The plain model: every character outside the ranges, in order."""
    drop = {i for start, end in merged for i in range(start, end)}
    return "".join(c for i, c in enumerate(text) if i not in drop)


def breaks_between_words(text: str) -> list[int]:
    """Line breaks in each whitespace run between two non-whitespace characters, capped at 2."""
    core = text.strip(" \t\n\r\f\v")
    return [min(run.count("\n"), 2) for run in WS.findall(core)]


def most_breaks(text: str) -> int:
    return max((run.count("\n") for run in WS.findall(text)), default=0)


@settings(max_examples=300, deadline=None, database=None)
@given(text_and_ranges())
def test_clean_text_is_the_text_minus_the_ranges(case):
    text, picked = case
    merged = ranges.merge(picked)
    clean = clean_text(text, picked)
    model = kept(text, merged)
    # Exactly the kept characters, in order; only whitespace at junctions is rewritten.
    assert WS.sub("", clean) == WS.sub("", model)
    # Paragraph and line breaks between kept words survive; removal never stacks blank lines.
    assert breaks_between_words(clean) == breaks_between_words(model)
    if not merged:
        assert clean == text
    assert most_breaks(clean) <= max(2, most_breaks(text))
    if merged and not WS.sub("", model):
        assert clean == ""  # nothing but boilerplate and whitespace: nothing left
    if merged and merged[0][0] == 0:
        assert not clean.startswith("\n")  # begins with the first kept line (its indentation kept)


@settings(max_examples=200, deadline=None, database=None)
@given(text_and_ranges())
def test_clean_text_copies_text_away_from_junctions_verbatim(case):
    text, picked = case
    merged = ranges.merge(picked)
    clean = clean_text(text, picked)
    position = 0
    for start, end in merged + [(len(text), len(text))]:
        core = text[position:start].strip(" \t\n\r\f\v")
        assert core in clean  # each kept stretch's words appear unchanged
        position = end


@settings(max_examples=200, deadline=None, database=None)
@given(text_and_ranges())
def test_clean_text_on_utf8_bytes_is_the_same(case):
    """The jsonl export cleans UTF-8 bytes with byte offsets: the same text, encoded."""
    text, picked = case
    to_byte = lambda i: len(text[:i].encode())
    assert clean_text(text.encode(), [(to_byte(s), to_byte(e)) for s, e in picked]) == clean_text(text, picked).encode()
