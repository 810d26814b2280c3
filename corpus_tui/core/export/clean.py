"""``clean_text``: a document's text with its boilerplate removed.

Removing a boilerplate range leaves a *junction* where the text on either side
now meets. Everything away from a junction is copied verbatim; only the
whitespace run around each junction is rewritten, so that the text reads as if
the boilerplate had never been there:

- whitespace means the ASCII characters space, tab, line feed, carriage
  return, form feed and vertical tab; a line break is ``\\n`` (``\\r\\n`` counts
  as one break and is kept as ``\\r\\n`` when the run used it);
- at a junction inside the text, the maximal whitespace run that contains it
  becomes: nothing, when the run is empty (``ab[x]cd`` gives ``abcd``); one
  space, when it holds no line break (``see [ad] here`` gives ``see here``);
  one line break plus the next line's indentation, when it holds exactly one
  break; a paragraph break (two line breaks) plus the next line's indentation,
  when it holds two or more. The indentation is whitespace that began a line in
  the text: after a range that began its line (``More`` of ``More text``), the
  space that followed the range goes with it. So paragraph breaks are kept and the blank-line
  runs the removal would create are collapsed to a single blank line;
- a run at the very start (the text began with boilerplate) keeps only the
  indentation of the first line left; a run at the very end keeps one line
  break if it had one, so a text that ended with a newline still does;
- no ranges, no change: ``clean_text(text, []) == text``.

Ranges are half-open ``[start, end)`` code-point offsets; they are merged first
(overlapping or touching ranges count once) and clipped to the text. The text
may also be UTF-8 ``bytes`` with byte offsets: every rule involves ASCII
characters only, which UTF-8 never uses inside a multi-byte character, so
``clean_text(text.encode(), byte_ranges) == clean_text(text, ranges).encode()``.

    >>> clean_text("Home | News\\n\\nThe story.\\n\\nDonate now!\\n", [(0, 11), (25, 36)])
    'The story.\\n'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, AnyStr

from .. import ranges

WHITESPACE = " \t\n\r\f\v"
# (whitespace, line feed, CRLF, space, empty) for str and for UTF-8 bytes
_STR = (WHITESPACE, "\n", "\r\n", " ", "")
_BYTES = tuple(value.encode("ascii") for value in _STR)


def clean_text(text: AnyStr, boilerplate: Iterable[tuple[int, int]]) -> AnyStr:
    """``text`` minus the ``boilerplate`` ranges, junctions tidied (see the module docstring)."""
    size = len(text)
    cuts = boilerplate if isinstance(boilerplate, list) else list(boilerplate)
    if not _merged(cuts, size):
        cuts = ranges.merge([(max(0, start), min(size, end)) for start, end in cuts])
    if not cuts:
        return text
    whitespace, nl, crlf, space, empty = _BYTES if isinstance(text, bytes) else _STR
    first = text[: cuts[0][0]]
    core = first.rstrip(whitespace)
    out = [core]
    seen_content = bool(core)
    run: Any = first[len(core) :] if core else first  # the whitespace waiting at the current junction
    parts = [run]  # its runs of whitespace as they are in the text, cut apart by the ranges
    last = len(cuts)
    stops = [start for start, _ in cuts]  # the kept piece after cut i ends at stops[i + 1]
    stops.append(size)
    for index, (_, position) in enumerate(cuts, 1):
        piece = text[position : stops[index]]
        rest = piece.lstrip(whitespace)
        if not rest:  # nothing but whitespace between two ranges (or after the last one)
            run += piece
            parts.append(piece)
            continue
        lead = piece[: len(piece) - len(rest)]
        run += lead
        parts.append(lead)
        if seen_content:  # a junction between two pieces of kept text
            breaks = run.count(nl)
            if not breaks:
                out.append(space if run else empty)
            else:
                out.append((crlf if crlf in run else nl) * (2 if breaks > 1 else 1) + _indentation(parts, nl, False))
        else:  # the text began with boilerplate: keep the next line's indentation
            out.append(_indentation(parts, nl, True))
        seen_content = True
        if index == last:
            out.append(rest)  # the text's own trailing whitespace is not at a junction
            return empty.join(out)
        core = rest.rstrip(whitespace)
        out.append(core)
        run = rest[len(core) :]
        parts = [run]
    if seen_content and nl in run:
        out.append(crlf if crlf in run else nl)
    return empty.join(out)


def _indentation(parts: list[Any], nl: Any, at_text_start: bool) -> Any:
    """The indentation of the line the kept text goes on with: the whitespace that began that
    line in the text — after the last line break of the junction's whitespace, up to the range
    that follows it (``parts``: the runs of whitespace the ranges cut apart). The space that
    followed a range which began its line (``More`` of ``More text``) is not indentation, nor is
    a space between two ranges; at the very start of the text, the text's own is."""
    for part in reversed(parts):
        if nl in part:
            return part[part.rfind(nl) + 1 :]
    return parts[0] if at_text_start else parts[0][:0]


def _merged(cuts: list[tuple[int, int]], size: int) -> bool:
    """Already inside the text, sorted, non-empty, apart (as stored boilerplate is, and what
    ``apply`` hands over): no need to clip or merge."""
    end = -1
    for start, stop in cuts:
        if start <= end or stop <= start:
            return False
        end = stop
    return not cuts or (cuts[0][0] >= 0 and end <= size)
