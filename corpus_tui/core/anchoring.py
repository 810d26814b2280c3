"""Find a span again after its document changed, by quote plus context.

Every span stores its quoted text and up to CONTEXT_CHARS characters on either
side. When the text changes, a span moves only where a person would agree it
belongs, which takes three things:

- its quote, found exactly;
- all of its stored context on *both* sides, whitespace aside (a re-wrapped
  line still matches; punctuation must match but only letters and digits
  count), with at least SIDE_MIN letters and digits on each side. A side that
  was cut short by the document's start or end holds only when the quote is at
  that edge again (the edge was part of the evidence);
- and exactly one such place in the text: two are a tie, never guessed.

Why all of the context and not "enough" of it: scraped pages print the same
passage twice (menus at the top and the bottom, a headline in a teaser list, a
quoted forum post), and a copy whose context differs from the span's a few
words out looks exactly like the span's own text after an edit a few words
away. Measured on real pages (bench/bench_reanchor.py), accepting 8, 12 or 16
matching letters a side attached spans to such copies once in 100 to 600
edits; requiring all of it attached none.

One exception: a long quote (LONG_QUOTE letters and digits or more) whose side
was cut short by the document's edge (too short to hold), found whole with text
added beyond that edge since (a line put above a page's first menu), moves when
the other side holds and no other occurrence holds either side.

Anything less leaves the span *stale*: it keeps its old offsets, is never drawn
or exported on the text, and waits for the analyst to place or drop it
(``suggest`` lists where its quote is now). The span's old offset never breaks
a tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

CONTEXT_CHARS = 32
SIDE_MIN = 8  # letters and digits a side of context needs to be evidence
LONG_QUOTE = 40  # letters and digits that make a quote long
MAX_CANDIDATES = 50_000  # a quote found more often than this is stale (too common to place)
_WHITESPACE_RUN = 256  # longest whitespace run skipped while matching context


@dataclass(frozen=True)
class Anchor:
    quote: str
    prefix: str
    suffix: str


def anchor_for(text: str, start: int, end: int) -> Anchor:
    return Anchor(
        text[start:end],
        text[max(0, start - CONTEXT_CHARS) : start],
        text[end : end + CONTEXT_CHARS],
    )


def meaningful(text: str) -> int:
    """Letters and digits in ``text``: the characters that count as evidence."""
    return sum(1 for ch in text if ch.isalnum())


@dataclass(frozen=True)
class Candidate:
    """One occurrence of a span's quote, and how much of its stored context surrounds it."""

    start: int
    left: int  # letters and digits of the stored prefix found just before it, up to the first difference
    right: int  # ... of the stored suffix found just after it
    left_whole: bool  # all of the stored prefix was found
    right_whole: bool
    left_edge: bool  # the prefix was cut short by the document's start, and the candidate is at the start
    right_edge: bool  # ... the suffix by the document's end, and the candidate is at the end
    cut_left: bool  # the stored prefix was cut short by the document's start
    cut_right: bool  # ... the suffix by its end

    @property
    def left_holds(self) -> bool:
        """All of the stored prefix is here; a prefix the document's start cut short, at the start."""
        return self.left_edge if self.cut_left else self.left_whole and self.left >= SIDE_MIN

    @property
    def right_holds(self) -> bool:
        return self.right_edge if self.cut_right else self.right_whole and self.right >= SIDE_MIN

    @property
    def score(self) -> int:
        """Letters and digits of context matched, for ranking suggestions."""
        return self.left + self.right


@dataclass(frozen=True)
class Located:
    """Where a span's quote is now (``start``), or None and why not (``reason``)."""

    start: int | None
    reason: str  # "same", "moved", "gone", "ambiguous", "weak", "too common"


def find(text: str, anchor: Anchor, hint: int | None = None) -> Located:
    """Apply the rule of this module: where ``anchor`` is now in ``text``, or why it is stale.

    ``hint`` (the span's old start) only spares the search when nothing changed there.

    >>> old = "Fighting near Mosul.\\n\\nLater, the army entered Mosul from the west.\\n"
    >>> at = old.rindex("Mosul")
    >>> find("Fighting near Mosul.\\n\\nLater, the army withdrew.\\n", anchor_for(old, at, at + 5), at)
    Located(start=None, reason='weak')
    """
    quote = anchor.quote
    if not quote:
        return Located(None, "gone")
    if hint is not None and anchor_for(text, hint, hint + len(quote)) == anchor:
        return Located(hint, "same")
    starts = occurrences(text, quote)
    if starts is None:
        return Located(None, "too common")
    if not starts:
        return Located(None, "gone")
    long_quote = meaningful(quote) >= LONG_QUOTE
    if not long_quote:
        # Only occurrences whose nearest neighbours match the context can hold both sides:
        # measure those (a common word may be found 50,000 times).
        starts = [s for s in starts if _neighbours_match(text, s, s + len(quote), anchor)]
    candidates = [measure(text, start, anchor) for start in starts]
    holding = [c for c in candidates if c.left_holds and c.right_holds]
    # The edge exception, only when no other occurrence holds a side: a copy put right after
    # the quote would hold its suffix.
    if not holding and long_quote and sum(c.left_holds or c.right_holds for c in candidates) == 1:
        holding = [c for c in candidates if _past_the_edge(c) and not _edited_in_place(text, c, quote)]
    if len(holding) > 1:
        return Located(None, "ambiguous")
    if holding:
        return Located(holding[0].start, "moved")
    return Located(None, "weak")


def _past_the_edge(c: Candidate) -> bool:
    """A side cut short by the document's edge found whole, with text beyond it now; the other side holding."""
    return (c.cut_left and c.left_whole and c.right_holds) or (c.cut_right and c.right_whole and c.left_holds)


def _edited_in_place(text: str, c: Candidate, quote: str) -> bool:
    """Whether the quote is still at the edge its span was at, edited: then the candidate is
    another copy of its text (a headline with a letter typed into it, repeated below), not the
    span moved by text added beyond the edge (a new first line). Found by the property test.

    "Still there": at least ``EDITED_SHARE`` of the quote, in order, in the text between the
    edge and the candidate, within the quote's length and ``EDIT_SLACK`` of the edge (a title
    or breadcrumb line added above that shares part of a headline is not it). A long quote is
    judged by one half of it found verbatim there, which one edit always leaves. An edit that
    removed most of the quote leaves nothing to tell the two apart: the copy still takes the span.
    """
    window = len(quote) + EDIT_SLACK
    if c.cut_left:
        piece = text[: min(c.start, window)]
    else:
        piece = text[max(c.start + len(quote), len(text) - window) :]
    if len(quote) > SEQUENCE_MATCH_MAX:
        half = len(quote) // 2
        return quote[:half] in piece or quote[-half:] in piece
    matcher = SequenceMatcher(None, quote, piece, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) >= EDITED_SHARE * len(quote)


EDITED_SHARE = 0.8
EDIT_SLACK = 64  # characters an edit may have added inside the quote
SEQUENCE_MATCH_MAX = 400  # longer quotes: the halves' test (SequenceMatcher is quadratic)


def suggest(text: str, anchor: Anchor, limit: int = 5) -> list[Candidate]:
    """The occurrences of a (stale) span's quote, most context first: places to offer the analyst."""
    starts = occurrences(text, anchor.quote) if anchor.quote else []
    candidates = [measure(text, start, anchor) for start in (starts or [])]
    candidates.sort(key=lambda c: (-c.score, c.start))
    return candidates[:limit]


def occurrences(text: str, quote: str) -> list[int] | None:
    """Every start of ``quote`` in ``text`` (overlapping ones too); None when there are too many."""
    found: list[int] = []
    position = text.find(quote)
    while position != -1:
        if len(found) == MAX_CANDIDATES:
            return None
        found.append(position)
        position = text.find(quote, position + 1)
    return found


def measure(text: str, start: int, anchor: Anchor) -> Candidate:
    """How much of ``anchor``'s context surrounds the quote at ``start``."""
    end = start + len(anchor.quote)
    left, left_whole, before = _match_before(text, start, anchor.prefix)
    right, right_whole, after = _match_after(text, end, anchor.suffix)
    # A side stored shorter than CONTEXT_CHARS ended at the document's edge.
    cut_left, cut_right = len(anchor.prefix) < CONTEXT_CHARS, len(anchor.suffix) < CONTEXT_CHARS
    left_edge = cut_left and left_whole and _blank_before(text, before)
    right_edge = cut_right and right_whole and _blank_after(text, after)
    return Candidate(start, left, right, left_whole, right_whole, left_edge, right_edge, cut_left, cut_right)


def _neighbours_match(text: str, start: int, end: int, anchor: Anchor) -> bool:
    """The first non-blank characters around [start, end) are the context's, where it has any."""
    before, after = anchor.prefix.rstrip(), anchor.suffix.lstrip()
    if before:
        i = start - 1
        while i >= 0 and start - i <= _WHITESPACE_RUN and text[i].isspace():
            i -= 1
        if i < 0 or text[i] != before[-1]:
            return False
    if after:
        i, n = end, len(text)
        while i < n and i - end < _WHITESPACE_RUN and text[i].isspace():
            i += 1
        if i >= n or text[i] != after[0]:
            return False
    return True


def _match_before(text: str, pos: int, prefix: str) -> tuple[int, bool, int]:
    """Meaningful characters of ``prefix`` found right before ``pos`` (whitespace skipped),
    whether all of it was found, and where the match ended in ``text``."""
    if text.endswith(prefix, 0, pos):  # the common case: the context is intact
        return meaningful(prefix), True, pos - len(prefix)
    i, j, count = pos - 1, len(prefix) - 1, 0
    while j >= 0:
        expected = prefix[j]
        if expected.isspace():
            j -= 1
            continue
        skipped = 0
        while i >= 0 and text[i].isspace() and skipped < _WHITESPACE_RUN:
            i -= 1
            skipped += 1
        if i < 0 or text[i] != expected:
            return count, False, i + 1
        count += expected.isalnum()
        i -= 1
        j -= 1
    return count, True, i + 1


def _match_after(text: str, pos: int, suffix: str) -> tuple[int, bool, int]:
    """The mirror of ``_match_before``: ``suffix`` found from ``pos`` on."""
    if text.startswith(suffix, pos):
        return meaningful(suffix), True, pos + len(suffix)
    i, j, count, n = pos, 0, 0, len(text)
    while j < len(suffix):
        expected = suffix[j]
        if expected.isspace():
            j += 1
            continue
        skipped = 0
        while i < n and text[i].isspace() and skipped < _WHITESPACE_RUN:
            i += 1
            skipped += 1
        if i >= n or text[i] != expected:
            return count, False, i
        count += expected.isalnum()
        i += 1
        j += 1
    return count, True, i


def _blank_before(text: str, pos: int) -> bool:
    """Only whitespace (or nothing) before ``pos``: the document starts there."""
    i = pos - 1
    while i >= 0 and pos - i <= _WHITESPACE_RUN and text[i].isspace():
        i -= 1
    return i < 0


def _blank_after(text: str, pos: int) -> bool:
    i, n = pos, len(text)
    while i < n and i - pos < _WHITESPACE_RUN and text[i].isspace():
        i += 1
    return i >= n


CURSOR_QUOTE_CHARS = 24


def follow_offset(old: str, new: str, offset: int) -> int:
    """Where a place in ``old`` (a cursor) is in ``new``, the same document changed on disk: by
    the rule above, on the characters after it and their context; else the nearest copy of those
    characters when there is only one; else the same offset, within the text. A reader's cursor
    stayed at its number, and the next key acted on other words (a trial)."""
    if old == new:
        return offset
    end = min(len(old), offset + CURSOR_QUOTE_CHARS)
    if end > offset:
        located = find(new, anchor_for(old, offset, end), offset)
        if located.start is not None:
            return located.start
        quote = old[offset:end]
        first = new.find(quote)
        if first != -1 and new.find(quote, first + 1) == -1:
            return first
    return min(offset, len(new))
