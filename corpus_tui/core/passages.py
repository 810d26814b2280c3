"""A document's passages: its lines and paragraphs, each with the fingerprint of its normalized text.

Lines are what the reader shows as lines: text between ``\\n`` characters, without the line
ending (``\\n``, or ``\\r\\n`` whose ``\\r`` belongs to the break; a lone ``\\r`` is text). A line
is blank when it holds only whitespace (``str.strip``). A paragraph is a block of two or more
consecutive non-blank lines between blank lines (or the body's start and end): from its first
line's start to its last line's end, the same range as the reader's paragraph (``b`` with no
selection). A one-line paragraph is the same range as its line, so it is one passage, a line.

A passage is kept when its normalized text (``normalize``) has at least ``MIN_PASSAGE_CHARS``
(8) characters and at least ``MIN_PASSAGE_LETTERS`` (2) letters (``str.isalpha``: any script),
the "two letters" of the title rule. So prices, counters, dates and rules of symbols
(``0 $``, ``2,500 $``, ``08.07.2017``, ``|``, ``* * * * *``) never become repeats: every page
of a site has them, and marking them everywhere would mark numbers, not boilerplate.

Offsets are code points into the whole text (front matter included), as everywhere in
corpus-tui; ``body_start`` skips the front matter.
"""

from __future__ import annotations

from dataclasses import dataclass

from .normalize import fingerprint, normalize

MIN_PASSAGE_CHARS = 8
MIN_PASSAGE_LETTERS = 2


@dataclass(frozen=True, slots=True)
class Passage:
    """A line or paragraph of a document: ``text[start:end]``, without its line ending."""

    kind: str  # "line" | "paragraph"
    start: int
    end: int
    fingerprint: int  # fingerprint(normalize(text[start:end]))
    chars: int  # len(normalize(text[start:end]))


def passages(text: str, body_start: int = 0) -> list[Passage]:
    """Every kept line and paragraph of ``text[body_start:]``, in document order (a paragraph
    just before its own lines).

    >>> [(p.kind, p.start, p.end) for p in passages("Share this page\\nFollow us today\\n\\n0 $\\n")]
    [('paragraph', 0, 31), ('line', 0, 15), ('line', 16, 31)]
    """
    found: list[Passage] = []
    block: list[Passage | None] = []  # the current paragraph's lines (None: a line not kept)
    block_start = block_end = 0
    length = len(text)
    start = body_start
    for raw in text[body_start:].split("\n"):
        after = start + len(raw) + 1  # past the "\n" (past the end, for the last line)
        # The "\r" of a "\r\n" belongs to the line break; a "\r" ending the text is text.
        line = raw[:-1] if after <= length and raw.endswith("\r") else raw
        if line.strip():
            if not block:
                block_start = start
            block.append(_passage("line", start, line))
            block_end = start + len(line)
        elif block:
            _close_paragraph(text, block, block_start, block_end, found)
            block = []
        start = after
    if block:
        _close_paragraph(text, block, block_start, block_end, found)
    return found


def _close_paragraph(text: str, lines: list[Passage | None], start: int, end: int,
                     found: list[Passage]) -> None:
    if len(lines) == 1:  # most blocks: the paragraph is its line
        if lines[0] is not None:
            found.append(lines[0])
        return
    paragraph = _passage("paragraph", start, text[start:end])
    if paragraph is not None:
        found.append(paragraph)
    found.extend(line for line in lines if line is not None)


def _passage(kind: str, start: int, raw: str) -> Passage | None:
    known = _SEEN.get(raw)
    if known is None:
        known = _fingerprint_of(raw)
        if len(_SEEN) >= SEEN_MAX:
            _SEEN.clear()
        _SEEN[raw] = known
    if not known:
        return None
    return Passage(kind, start, start + len(raw), known[0], known[1])


def _fingerprint_of(raw: str) -> tuple[int, int] | tuple[()]:
    """(fingerprint, normalized length), or () for text too short or without letters."""
    normalized = normalize(raw)
    if len(normalized) < MIN_PASSAGE_CHARS or not _has_letters(normalized):
        return ()
    return fingerprint(normalized), len(normalized)


# Boilerplate is what repeats: the same raw line is normalized once per process, not once per
# copy (a scan's reader sees the same menus and footers thousands of times). Bounded, and cleared
# whole when full: cheaper than an LRU, and repeats come back at once.
SEEN_MAX = 100_000
_SEEN: dict[str, tuple[int, int] | tuple[()]] = {}


def _has_letters(normalized: str) -> bool:
    letters = 0
    for char in normalized:  # stops at the second letter: a few characters for most text
        if char.isalpha():
            letters += 1
            if letters >= MIN_PASSAGE_LETTERS:
                return True
    return False
