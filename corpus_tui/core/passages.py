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

import re
from array import array
from collections.abc import Collection
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter

from .normalize import (
    fingerprint,
    fingerprint_utf8,
    normalize,
    normalize_plain_ascii,
    normalize_symbol_line,
    plain_ascii_form,
)

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
    repeats); a plain ASCII line (``plain_ascii_form``: most lines), or one of links and symbols
    (``normalize_symbol_line``: most of the others), by byte operations. A
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
            normalized, known, _, _ = seen
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


def matching_ranges(text: str, body_start: int, wanted: AbstractSet[int],
                    paragraph_sizes: Collection[int] | None = None,
                    first_words: AbstractSet[bytes] | None = None) -> list[tuple[int, int]]:
    """The ``(start, end)`` of every passage of ``text[body_start:]`` whose fingerprint is in
    ``wanted``, in no particular order: the same passages as filtering ``passage_table``'s rows,
    for less.

    What applying rules to a crawl runs on every record, so the work a line costs is done by
    C loops over the whole text (``map``, ``accumulate``, one regex over the line flags), and
    Python steps only through matching lines and paragraphs. ``paragraph_sizes``, when given,
    holds the UTF-8 length of every wanted passage's normalized text: a paragraph of any other
    length cannot match, and is not hashed (its length is its lines' normalized lengths summed).
    ``first_words``, when given, holds the openings (``openings``: first word, first two
    words) of every wanted passage's normalized text: a new line of plain ASCII
    (``plain_ascii_form``: curly quotes and dashes straightened) whose opening is not one of
    them cannot be a wanted line nor start a wanted paragraph, so it is not normalized at all
    (most of a crawl's content lines, each met once), unless a paragraph it is in may be wanted.
    """
    body = text[body_start:] if body_start else text
    raws = body.split("\n")
    keys = raws
    if "\r" in body:  # the "\r" of a "\r\n" belongs to the line break; a last line has none
        keys = [raw[:-1] if raw[-1:] == "\r" else raw for raw in raws]
        keys[-1] = raws[-1]
    seen = list(map(_SEEN.get, keys))
    if None in seen:  # blank lines are remembered too, so a record of known lines takes no loop
        skipped = _skipped_lines(first_words) if first_words is not None else None
        for index, entry in enumerate(seen):
            if entry is None:
                key = keys[index]
                if skipped is None:
                    seen[index] = _SEEN.get(key) or _remember(key)
                    continue
                if key in skipped:
                    seen[index] = _SKIPPED
                    continue
                plain = plain_ascii_form(key)
                if plain is not None:
                    words = plain.split(None, 2)
                    if words and _plain_opening(words) not in first_words:  # type: ignore[operator]
                        seen[index] = _SKIPPED
                        _skip(skipped, key)
                        continue
                seen[index] = _SEEN.get(key) or _remember_form(key, plain)
    # A line's start is the lengths of the lines before it, plus as many line breaks: its index.
    before = list(accumulate(map(len, raws), initial=body_start))
    fingerprints = list(map(_FINGERPRINT, seen))
    hits = wanted & set(fingerprints)
    found = [(before[index] + index, before[index] + index + len(keys[index]))
             for index, fingerprint_ in enumerate(fingerprints) if fingerprint_ in hits] if hits else []
    for block in _PARAGRAPH_LINES.finditer(bytes(map(_NON_BLANK, seen))):
        first, last = block.start(), block.end() - 1
        if seen[first] is _SKIPPED:  # its normalized text starts with a word no wanted passage starts with
            continue
        if first_words is not None:  # the lines it skipped, this paragraph needs after all
            for index in range(first + 1, last + 1):
                if seen[index] is _SKIPPED:
                    seen[index] = _SEEN.get(keys[index]) or _remember(keys[index])
        pieces = list(map(_PIECE, seen[first:last + 1]))
        whole = None in pieces
        if not whole:
            pieces = list(filter(None, pieces))
            if paragraph_sizes is not None and sum(map(len, pieces)) + len(pieces) - 1 not in paragraph_sizes:
                continue
        start, end = before[first] + first, before[last] + last + len(keys[last])
        known = _known_whole(text[start:end]) if whole else _known_joined(pieces)
        if known and known[0] in wanted:
            found.append((start, end))
    return found


def openings(normalized: str) -> set[bytes]:
    """What ``matching_ranges``' ``first_words`` holds for a wanted passage of this normalized
    text: its first word, and its first two words (one space between), as UTF-8."""
    words = normalized.split(" ", 2)
    return {words[0].encode("utf-8", "surrogatepass"), " ".join(words[:2]).encode("utf-8", "surrogatepass")}


def _plain_opening(words: list[str]) -> bytes:
    """For a plain ASCII line whose first words (``str.split``) are ``words``: its normalized
    text's first two words, or its one word. ``normalize`` keeps each word of such a line to
    itself. A line of two words or more is a wanted passage, or starts one, only when a wanted
    passage opens with the same two words; a line of one word may start a paragraph whose second
    word is the next line's, so its first word is all it is judged by."""
    first = _plain_word(words[0])
    return first + b" " + _plain_word(words[1]) if len(words) > 1 else first


def _plain_word(word: str) -> bytes:
    return word.lower().encode("ascii") if word.isalpha() else normalize_plain_ascii(word)


_PARAGRAPH_LINES = re.compile(b"\x01{2,}")  # two or more non-blank lines in a row


def _close_paragraph(text: str, start: int, end: int, lines_in_block: int, pieces: list[bytes] | None,
                     lines: list[int], table: array[int]) -> None:
    if lines_in_block > 1:  # one line: the paragraph is that line
        if pieces is None:
            known = _known_whole(text[start:end])
        else:
            known = _known_joined([piece for piece in pieces if piece])
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
    if len(normalized) < MIN_PASSAGE_CHARS:
        return ()
    # Most lines start with two letters; only the others are counted.
    if not normalized[:MIN_PASSAGE_LETTERS].isalpha() and \
            len(normalized.translate(None, _NOT_ASCII_LETTERS)) < MIN_PASSAGE_LETTERS:
        return ()
    return fingerprint_utf8(normalized), len(normalized)


_NOT_ASCII_LETTERS = bytes(code for code in range(128) if not chr(code).isalpha())


def _known_symbols(normalized: bytes) -> Known:
    """``_known`` of a normalized text of ASCII and ``INERT_SYMBOLS`` (none a letter), as UTF-8."""
    if normalized.isascii():
        return _known_utf8(normalized)
    characters = len(normalized.translate(None, _CONTINUATION_BYTES))  # ASCII and lead bytes: one a character
    if characters < MIN_PASSAGE_CHARS or len(normalized.translate(None, _NOT_ASCII_LETTER_BYTES)) < MIN_PASSAGE_LETTERS:
        return ()
    return fingerprint_utf8(normalized), characters


_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))
_NOT_ASCII_LETTER_BYTES = _NOT_ASCII_LETTERS + bytes(range(128, 256))


def _known_joined(pieces: list[bytes]) -> Known:
    """``_known`` of a paragraph whose normalized text is its lines' (``pieces``, UTF-8) joined."""
    joined = b" ".join(pieces)
    known = _JOINED.get(joined)
    if known is None:
        known = _known_utf8(joined) if joined.isascii() else _known(joined.decode("utf-8", "surrogatepass"))
        if len(joined) <= JOINED_MAX_BYTES:
            if len(_JOINED) >= JOINED_MAX:
                _JOINED.clear()
            _JOINED[joined] = known
    return known


def _known_whole(raw: str) -> Known:
    """``_known(normalize(raw))`` of a paragraph normalized whole (a link may reach across its
    lines), remembered by its text when short: a site's menu of links is on every page."""
    known = _WHOLE.get(raw)
    if known is None:
        known = _known(normalize(raw))
        if len(raw) <= WHOLE_MAX_CHARS:
            if len(_WHOLE) >= WHOLE_MAX:
                _WHOLE.clear()
            _WHOLE[raw] = known
    return known


# Normalized text (None: see _remember), Known, its fingerprint if kept, 1 if the line is not blank
Seen = tuple[bytes | None, Known, int | None, int]
# A non-blank line matching_ranges did not normalize (it has no fingerprint, and cannot start a wanted
# paragraph). Told apart by identity, never kept in _SEEN.
_SKIPPED: Seen = (None, (), None, 1)
_PIECE, _FINGERPRINT, _NON_BLANK = itemgetter(0), itemgetter(2), itemgetter(3)


def _remember(raw: str) -> Seen:
    """The line's normalized text as UTF-8, and whether and how it is kept.

    The text is None when a link may reach across the line break (its normalized text still
    holds a bracket): its paragraph is then normalized whole. Every other rule keeps to its
    line: an entity, a digit run or an autolink holds no line break, case folding and quotes
    go a character at a time, and NFKC composes nothing with a line break."""
    return _remember_form(raw, plain_ascii_form(raw))


def _remember_form(raw: str, plain: str | None) -> Seen:
    """``_remember`` of a line whose ``plain_ascii_form`` is known already."""
    symbols = None if plain is not None else normalize_symbol_line(raw)
    if plain is not None:
        piece: bytes | None = normalize_plain_ascii(plain)
        known = _known_utf8(piece)  # type: ignore[arg-type]
    elif symbols is not None:  # links, symbols, "&" as a word: by bytes too
        piece = None if b"[" in symbols or b"]" in symbols else symbols
        known = _known_symbols(symbols)
    else:
        normalized = normalize(raw)
        piece = None if "[" in normalized or "]" in normalized else normalized.encode("utf-8", "surrogatepass")
        known = _known(normalized)
    seen = piece, known, known[0] if known else None, 1 if raw.strip() else 0
    global _seen_chars
    if len(_SEEN) >= SEEN_MAX or _seen_chars + len(raw) > SEEN_MAX_CHARS:
        _SEEN.clear()
        _seen_chars = 0
    _SEEN[raw] = seen
    _seen_chars += len(raw)
    return seen


# Boilerplate is what repeats: the same line is normalized and hashed once per process, not
# once per copy (a scan's reader sees the same menus and footers thousands of times). Bounded,
# and cleared whole when full: cheaper than an LRU, and repeats come back at once. Bounded in
# characters too: a crawl's lines can be 100 KB of minified script each, and 100,000 of those
# would hold gigabytes (20 million characters: at most about 100 MB with their normalized text).
SEEN_MAX, SEEN_MAX_CHARS = 100_000, 20_000_000
_SEEN: dict[str, Seen] = {}
_seen_chars = 0  # the characters of the lines in _SEEN
# The same for paragraphs (menus, appeals, footers), by their normalized text; short ones only,
# so the memory it holds stays small (at most 50,000 of 1 KB).
JOINED_MAX, JOINED_MAX_BYTES = 50_000, 1024
_JOINED: dict[bytes, Known] = {}
# The same for paragraphs normalized whole, by their raw text (at most 20,000 of 2,000 characters).
WHOLE_MAX, WHOLE_MAX_CHARS = 20_000, 2_000
_WHOLE: dict[str, Known] = {}


# The lines matching_ranges skipped (no wanted passage opens as they do), for the openings
# (``first_words``) they were skipped for: a record met again (a crawl's exact copies) skips its
# content lines by one lookup. Apart from _SEEN, so a crawl's content, each line met once,
# does not push out the boilerplate lines; bounded the same way, in fewer characters.
SKIPPED_MAX, SKIPPED_MAX_CHARS = 100_000, 10_000_000
_SKIPPED_LINES: set[str] = set()
_skipped_for: AbstractSet[bytes] | None = None  # the first words _SKIPPED_LINES holds lines for
_skipped_chars = 0


def _skipped_lines(first_words: AbstractSet[bytes]) -> set[str]:
    global _skipped_for, _skipped_chars
    if first_words is not _skipped_for:
        if first_words != _skipped_for:  # another bundle's (not the same one unpickled again)
            _SKIPPED_LINES.clear()
            _skipped_chars = 0
        _skipped_for = first_words
    return _SKIPPED_LINES


def _skip(skipped: set[str], line: str) -> None:
    global _skipped_chars
    if len(skipped) >= SKIPPED_MAX or _skipped_chars + len(line) > SKIPPED_MAX_CHARS:
        skipped.clear()
        _skipped_chars = 0
    skipped.add(line)
    _skipped_chars += len(line)


def forget_lines() -> None:
    """Empty the caches of lines and paragraphs met: for a process that goes on to other work
    (``apply --dedup``'s later stages), so their memory serves it."""
    global _seen_chars, _skipped_for, _skipped_chars
    _SEEN.clear()
    _JOINED.clear()
    _WHOLE.clear()
    _SKIPPED_LINES.clear()
    _seen_chars, _skipped_for, _skipped_chars = 0, None, 0


def _has_letters(normalized: str) -> bool:
    letters = 0
    for char in normalized:  # stops at the second letter: a few characters for most text
        if char.isalpha():
            letters += 1
            if letters >= MIN_PASSAGE_LETTERS:
                return True
    return False
