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

from array import array
from dataclasses import dataclass

from .normalize import fingerprint, fingerprint_utf8, is_plain_ascii, normalize, normalize_plain_ascii

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
    table = passage_table(text, body_start)
    return [
        Passage(KINDS[table[at]], table[at + 1], table[at + 2], table[at + 3], table[at + 4])
        for at in range(0, len(table), ROW_WIDTH)
    ]


KINDS = ("line", "paragraph")
ROW_WIDTH = 5  # kind code (an index of KINDS), start, end, fingerprint, normalized length


def passage_table(text: str, body_start: int = 0) -> array[int]:
    """``passages`` as one flat array of ``ROW_WIDTH`` integers a passage: what the scanner's
    reader process computes for every document and sends back (a few bytes a passage to pickle,
    no object each).

    Each line is normalized once (and once per process for a line seen before: boilerplate
    repeats); a plain ASCII line (``is_plain_ascii``: most lines) by byte operations. A
    paragraph's normalized text is its lines' joined by a space, unless a link may reach
    across its lines (``_remember``): that one is normalized whole. The property tests check
    every passage against ``normalize``.
    """
    table: array[int] = array("q")
    length = len(text)
    lines: list[int] = []  # the current paragraph's line rows, which follow its own row
    pieces: list[bytes] = []  # its lines' normalized texts (UTF-8), while every one keeps to its line
    lines_in_block = 0
    joinable = True  # whether the paragraph's normalized text is its lines' joined
    block_start = block_end = 0
    start = body_start
    for raw in (text[body_start:] if body_start else text).split("\n"):
        end = start + len(raw)
        after = end + 1
        if raw.strip():
            if end < length and raw[-1:] == "\r":  # the "\r" of a "\r\n" belongs to the line break
                end -= 1
                raw = raw[:-1]
            seen = _SEEN.get(raw)
            if seen is None:
                seen = _remember(raw)
            normalized, known = seen
            if known:
                lines += (0, start, end, known[0], known[1])
            if not lines_in_block:
                block_start = start
            lines_in_block += 1
            if joinable:
                if normalized is None:
                    joinable = False
                else:
                    pieces.append(normalized)
            block_end = end
        elif lines_in_block:
            _close_paragraph(text, block_start, block_end, lines_in_block, pieces if joinable else None, lines, table)
            pieces, lines, joinable, lines_in_block = [], [], True, 0
        start = after
    if lines_in_block:
        _close_paragraph(text, block_start, block_end, lines_in_block, pieces if joinable else None, lines, table)
    return table


def _close_paragraph(text: str, start: int, end: int, lines_in_block: int, pieces: list[bytes] | None,
                     lines: list[int], table: array[int]) -> None:
    if lines_in_block > 1:  # one line: the paragraph is that line
        if pieces is None:
            known = _known(normalize(text[start:end]))
        else:
            joined = b" ".join(piece for piece in pieces if piece)
            known = _known_utf8(joined) if joined.isascii() else _known(joined.decode("utf-8", "surrogatepass"))
        if known:
            table.extend((1, start, end, known[0], known[1]))
    table.extend(lines)


Known = tuple[int, int] | tuple[()]  # (fingerprint, normalized length), or () for a passage not kept


def _known(normalized: str) -> Known:
    if len(normalized) < MIN_PASSAGE_CHARS or not _has_letters(normalized):
        return ()
    return fingerprint(normalized), len(normalized)


def _known_utf8(normalized: bytes) -> Known:
    """``_known`` of a plain ASCII normalized text, given as bytes (one byte a character)."""
    if len(normalized) < MIN_PASSAGE_CHARS or len(normalized.translate(None, _NOT_ASCII_LETTERS)) < MIN_PASSAGE_LETTERS:
        return ()
    return fingerprint_utf8(normalized), len(normalized)


_NOT_ASCII_LETTERS = bytes(code for code in range(128) if not chr(code).isalpha())


def _remember(raw: str) -> tuple[bytes | None, Known]:
    """The line's normalized text as UTF-8, and whether and how it is kept.

    The text is None when a link may reach across the line break (its normalized text still
    holds a bracket): its paragraph is then normalized whole. Every other rule keeps to its
    line: an entity, a digit run or an autolink holds no line break, case folding and quotes
    go a character at a time, and NFKC composes nothing with a line break."""
    if is_plain_ascii(raw):
        plain = normalize_plain_ascii(raw)
        seen: tuple[bytes | None, Known] = plain, _known_utf8(plain)
    else:
        normalized = normalize(raw)
        piece = None if "[" in normalized or "]" in normalized else normalized.encode("utf-8", "surrogatepass")
        seen = piece, _known(normalized)
    if len(_SEEN) >= SEEN_MAX:
        _SEEN.clear()
    _SEEN[raw] = seen
    return seen


# Boilerplate is what repeats: the same line is normalized and hashed once per process, not
# once per copy (a scan's reader sees the same menus and footers thousands of times). Bounded,
# and cleared whole when full: cheaper than an LRU, and repeats come back at once.
SEEN_MAX = 100_000
_SEEN: dict[str, tuple[bytes | None, Known]] = {}


def _has_letters(normalized: str) -> bool:
    letters = 0
    for char in normalized:  # stops at the second letter: a few characters for most text
        if char.isalpha():
            letters += 1
            if letters >= MIN_PASSAGE_LETTERS:
                return True
    return False
