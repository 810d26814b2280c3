"""Corpus-wide full-text search (SQLite FTS5) and finding matches in one text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import CorpusBase

SNIPPET_TOKENS = 12
MAX_MATCHES = 10_000
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    path: str
    title: str | None
    snippet: str  # plain text; the match is between \x02 and \x03
    offset: int  # first match in the document text (-1 if not found literally)


def fts_query(user_text: str) -> str:
    """Quote every word so user input is never FTS5 syntax: words must all appear."""
    words = _WORD.findall(user_text)
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def find_all(text: str, needle: str, limit: int = MAX_MATCHES) -> list[tuple[int, int]]:
    """Case-insensitive literal matches as [start, end) offsets into ``text``."""
    if not needle:
        return []
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    matches = []
    for match in pattern.finditer(text):
        if match.end() > match.start():
            matches.append((match.start(), match.end()))
            if len(matches) >= limit:
                break
    return matches


def search_corpus(corpus: "CorpusBase", user_text: str, limit: int = 200) -> list[SearchHit]:
    """Documents matching every word of ``user_text``, best first."""
    query = fts_query(user_text)
    if not query:
        return []
    rows = corpus.db.execute(
        "SELECT d.id, d.path, d.title, snippet(document_texts_fts, 0, char(2), char(3), '…', ?) "
        "FROM document_texts_fts JOIN documents d ON d.id = document_texts_fts.rowid "
        "WHERE document_texts_fts MATCH ? ORDER BY rank LIMIT ?",
        [SNIPPET_TOKENS, query, limit],
    ).fetchall()
    words = _WORD.findall(user_text)
    hits = []
    for doc_id, path, title, snippet in rows:
        hits.append(SearchHit(doc_id, path, title, snippet or "", _first_offset(corpus, doc_id, user_text, words)))
    return hits


def _first_offset(corpus: "CorpusBase", doc_id: int, phrase: str, words: list[str]) -> int:
    text = corpus.text(doc_id)
    for needle in (phrase.strip(), *words):
        found = find_all(text, needle, limit=1)
        if found:
            return found[0][0]
    return -1
