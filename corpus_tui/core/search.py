"""Corpus-wide full-text search (SQLite FTS5) and finding matches in one text."""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import CorpusBase

SNIPPET_TOKENS = 12
# FTS5's snippet() weighs every hit of a document against every other: its time grows with the
# square of the hits (0.3 s for a word 7,000 times in 200,000 characters, 220 s for a 5 MB text
# holding it 250,000 times). A longer text's snippet is cut here, around its first match.
SNIPPET_MAX_CHARS = 50_000
SNIPPET_CONTEXT_CHARS = 40  # on each side of the match, about SNIPPET_TOKENS words in all
_READ_CHARS = 1 << 20  # a long text is searched for its first match a megabyte at a time
RANK_LIMIT = 20_000  # matching documents up to which results are ranked
MAX_MATCHES = 10_000
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    path: str
    title: str | None
    snippet: str  # plain text; the match is between \x02 and \x03


# FTS5's time grows with the square of a query's terms (2,000 words: 12 s on five documents):
# a pasted paragraph is searched by its first different words, which find it as surely.
MAX_QUERY_WORDS = 64


def query_words(user_text: str) -> list[str]:
    """The words searched: each once (FTS5 folds case as ``str.lower`` does: ``casefold`` would
    take STRASSE for Straße, which its tokens are not), the first ``MAX_QUERY_WORDS`` of them."""
    first: dict[str, str] = {}
    for word in _WORD.findall(user_text):
        first.setdefault(word.lower(), word)
        if len(first) == MAX_QUERY_WORDS:
            break
    return list(first.values())


def words_left_out(user_text: str) -> int:
    """How many different words of ``user_text`` a search leaves out (past ``MAX_QUERY_WORDS``)."""
    return max(0, len({word.lower() for word in _WORD.findall(user_text)}) - MAX_QUERY_WORDS)


def fts_query(user_text: str) -> str:
    """Quote every word so user input is never FTS5 syntax: words must all appear."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in query_words(user_text))


def needle_pattern(needle: str) -> re.Pattern[str]:
    """A find's pattern: the needle literally, case-insensitive, and each accented letter in
    either Unicode form (``ü`` or ``u`` + U+0308): scraped text holds both, and ``/München``
    did not find the decomposed München it looked identical to (a trial). Offsets stay the
    text's own: nothing is normalized, both spellings are matched."""
    pieces = []
    for char in unicodedata.normalize("NFC", needle):
        decomposed = unicodedata.normalize("NFD", char)
        pieces.append(f"(?:{re.escape(char)}|{re.escape(decomposed)})" if decomposed != char else re.escape(char))
    return re.compile("".join(pieces), re.IGNORECASE)


def find_all(text: str, needle: str, limit: int = MAX_MATCHES) -> list[tuple[int, int]]:
    """Case-insensitive literal matches as [start, end) offsets into ``text``."""
    if not needle:
        return []
    pattern = needle_pattern(needle)
    matches = []
    for match in pattern.finditer(text):
        if match.end() > match.start():
            matches.append((match.start(), match.end()))
            if len(matches) >= limit:
                break
    return matches


@dataclass(frozen=True)
class Matches:
    """Matches of a find around a position: all of them when ``complete``, else the nearest
    ``MAX_MATCHES`` (up to half before the position, the rest from it on)."""

    spans: list[tuple[int, int]]
    complete: bool


def find_around(text: str, needle: str, origin: int, limit: int | None = None) -> Matches:
    """Case-insensitive literal matches (as ``find_all``) nearest ``origin``: a word found
    125,000 times in a 10 MB text keeps 10,000 of them, the ones around where the reader is,
    not the first 10,000 of the text. Half from ``origin`` on and half before it, or more of
    one side when the other has fewer. The cost follows the matches held, not ``origin``: the
    text before it is searched in windows growing backwards from it."""
    if not needle:
        return Matches([], True)
    limit = MAX_MATCHES if limit is None else limit
    pattern = needle_pattern(needle)
    if _overlaps_itself(needle):
        return _around_from_start(pattern, text, origin, limit)
    after: list[tuple[int, int]] = []
    for match in pattern.finditer(text, origin):
        if match.end() > match.start():
            after.append(match.span())
            if len(after) > limit:
                break
    before, all_before = _matches_before(pattern, text, origin, limit - min(len(after), limit - limit // 2),
                                         len(needle))
    held = limit - len(before)
    return Matches([*before, *after[:held]], all_before and len(after) <= held)


def _overlaps_itself(needle: str) -> bool:
    """Whether two matches of ``needle`` can overlap ("aa" in "aaa"): its start is also its end.
    Then which matches ``find_all`` finds depends on where the search began, so a search from
    anywhere but the text's start could find other ones. Either case, for every case-insensitive
    spelling."""
    folded = [needle.lower(), needle.casefold(), needle.upper()]
    return any(form[:size] == form[-size:] for form in folded for size in range(1, len(form)))


def _around_from_start(pattern: re.Pattern[str], text: str, origin: int, limit: int) -> Matches:
    """``find_around`` for a needle that overlaps itself: one search from the text's start, so
    the matches are ``find_all``'s, whatever the origin (a rare needle: ``...``, ``aa``)."""
    before: deque[tuple[int, int]] = deque(maxlen=limit + 1)
    after: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        if match.start() < origin:
            before.append(match.span())
        else:
            after.append(match.span())
            if len(after) > limit:
                break
    wanted = limit - min(len(after), limit - limit // 2)
    kept = list(before)[max(0, len(before) - wanted):] if wanted else []
    held = limit - len(kept)
    return Matches([*kept, *after[:held]], len(before) <= wanted and len(after) <= held)


def _matches_before(pattern: re.Pattern[str], text: str, origin: int, wanted: int,
                    width: int) -> tuple[list[tuple[int, int]], bool]:
    """The last ``wanted`` matches that start before ``origin``, and whether they are all there
    are. Windows of the text before ``origin``, each twice the last, each searched up to where
    the next one begins (plus the needle, so a match across the border is found whole once)."""
    chunks: list[list[tuple[int, int]]] = []
    found = 0
    end = origin
    window = 1 << 16
    while end > 0 and found <= wanted:
        start = max(0, end - window)
        chunk = [match.span() for match in pattern.finditer(text, start, min(len(text), end + 2 * width))
                 if match.start() < end and match.end() > match.start()]
        chunks.append(chunk)
        found += len(chunk)
        end, window = start, window * 2
    matches = [span for chunk in reversed(chunks) for span in chunk]
    complete = end == 0 and found <= wanted
    return (matches[max(0, len(matches) - wanted) :] if wanted else []), complete


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    ranked: bool  # False: too many matches to rank, hits are in document order
    matched: int = 0  # documents matching, counted up to RANK_LIMIT + 1 (more: "over RANK_LIMIT")
    words_left_out: int = 0  # different words past MAX_QUERY_WORDS, not searched


def search_corpus(corpus: "CorpusBase", user_text: str, limit: int = 200) -> SearchResults:
    """Documents matching every word of ``user_text``: best first (bm25), or in
    document order when more than RANK_LIMIT documents match: ranking costs time in proportion to
    the matches (180 ms for a word in all of 100k documents) and says little for a word that common."""
    query = fts_query(user_text)
    if not query:
        return SearchResults([], True)
    matched = count_matches(corpus, user_text)
    ranked = matched <= RANK_LIMIT
    order = "ORDER BY rank" if ranked else "ORDER BY document_texts_fts.rowid"
    rows = corpus.db.execute(
        "SELECT d.id, d.path, d.title, CASE WHEN d.char_count > ? THEN NULL "  # CASE: snippet() not even run
        # snippet() reads a text with a NUL only up to it, then jumps to the match: 40 characters
        # vanished from "NUL[␀] BEL[␇] … Homs" (a trial). Those are cut here, as long ones are.
        "WHEN instr(CAST((SELECT text FROM document_texts WHERE document_id = d.id) AS BLOB), x'00') THEN NULL "
        "ELSE coalesce(snippet(document_texts_fts, 0, char(2), char(3), '…', ?), '') END "
        "FROM document_texts_fts JOIN documents d ON d.id = document_texts_fts.rowid "
        f"WHERE document_texts_fts MATCH ? {order} LIMIT ?",
        [SNIPPET_MAX_CHARS, SNIPPET_TOKENS, query, limit],
    ).fetchall()
    words = query_words(user_text)
    return SearchResults([SearchHit(doc_id, path, title, snippet if snippet is not None else
                                    long_text_snippet(corpus, doc_id, words))
                          for doc_id, path, title, snippet in rows], ranked, matched, words_left_out(user_text))


def long_text_snippet(corpus: "CorpusBase", document_id: int, words: list[str]) -> str:
    """A snippet as FTS5's (the matches between \x02 and \x03, "…" where it is cut) around the
    first whole-word match of any of ``words`` (case-insensitive), for a text too long for
    snippet(); the text's start when none is found this way (FTS5 also folds diacritics)."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\b", re.IGNORECASE)
    length = corpus.document(document_id).char_count
    carried = SNIPPET_CONTEXT_CHARS + max((len(word) for word in words), default=0)
    position, previous = 0, ""
    while words and position < length:
        piece = _read(corpus, document_id, position, _READ_CHARS, length)
        if not piece:
            break
        window = previous + piece  # the last one's end again: a match across the border, its context
        window_start, more = position - len(previous), position + len(piece) < length
        # \b at the window's edges may be in the middle of a word the window cuts: not a match.
        found = next((match for match in pattern.finditer(window)
                      if not (match.start() == 0 and window_start > 0) and not (match.end() == len(window) and more)),
                     None)
        if found is not None:
            return _cut(window, found, pattern, window_start, length)
        previous = piece[-carried:]
        position += len(piece)
    head = _read(corpus, document_id, 0, 2 * SNIPPET_CONTEXT_CHARS, length)
    return " ".join(head.split()) + ("…" if length > len(head) else "")


def _cut(window: str, found: re.Match[str], pattern: re.Pattern[str], window_start: int, length: int) -> str:
    start = max(0, found.start() - SNIPPET_CONTEXT_CHARS)
    end = min(len(window), found.end() + SNIPPET_CONTEXT_CHARS)
    before, after = window[start : found.start()], window[found.end() : end]
    cut_before = window_start + start > 0
    cut_after = window_start + end < length
    if cut_before:  # whole words only, as FTS5 cuts at tokens
        before = re.sub(r"^\S*\s", "", before) if re.search(r"\s", before) else before
    if cut_after:
        after = re.sub(r"\s\S*$", "", after) if re.search(r"\s", after) else after
    marked = pattern.sub(lambda match: "\x02" + match.group() + "\x03", before + found.group() + after)
    return ("…" if cut_before else "") + " ".join(marked.split()) + ("…" if cut_after else "")


def _read(corpus: "CorpusBase", document_id: int, position: int, chars: int, length: int) -> str:
    """``text[position:position + chars]`` of a text of ``length`` characters, by SQL substr (not
    the whole text)."""
    row = corpus.db.execute("SELECT substr(text, ?, ?) FROM document_texts WHERE document_id = ?",
                            [position + 1, chars, document_id]).fetchone()
    piece = (row[0] if row else "") or ""
    if len(piece) < chars and position + len(piece) < length:  # SQLite's text functions stop at a NUL
        return corpus.text(document_id)[position : position + chars]
    return piece


def count_matches(corpus: "CorpusBase", user_text: str) -> int:
    """The documents matching, up to RANK_LIMIT + 1: counting stops there, so it stays cheap."""
    (count,) = corpus.db.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM document_texts_fts WHERE document_texts_fts MATCH ? LIMIT ?)",
        [fts_query(user_text), RANK_LIMIT + 1],
    ).fetchone()
    return int(count)


def first_match(text: str, user_text: str) -> int:
    """Where to put the cursor for a hit: the whole query, else its first word found; -1 if none.

    Computed for the chosen hit only: reading 200 texts per keystroke is what made search slow.
    """
    for needle in (user_text.strip(), *_WORD.findall(user_text)):
        found = find_all(text, needle, limit=1)
        if found:
            return found[0][0]
    return -1
