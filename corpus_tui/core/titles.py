"""A document's title, and keeping ``documents.title`` in step with the boilerplate.

The rule: the front matter's ``title`` (a string or a number, trimmed) when it
has one; else the first line of the body (after the front matter) whose text
outside the document's live boilerplate *reads like a title*; else None.

A line reads like a title when what would be shown of it (its text outside
boilerplate, trimmed, the first ``TITLE_MAX_CHARS`` characters) has at least
two letters and more letters than digits. Letters are those of any script
(Unicode categories L*, as ``str.isalpha`` counts them), digits too
(``str.isdigit``). So prices, counters, dates and times (``0 $``, ``2,500 $``,
``08.07.2017``, ``Sat Nov 5, 2016 19:34:14``), rules and symbol rows (``---``,
``* * *``) are passed over, while ``COVID-19 in 2020``, ``Новости дня``,
``الأخبار``, ``新闻`` are titles. Where a mark cuts a line, its pieces are
joined as the clean text joins them (one space where whitespace met the cut).

A *site line* is passed over as well: a line that was the title of ``SITE_LINE_DOCUMENTS`` (3)
or more documents of one source (their front matter naming none) — a menu, a site's name, a
"Skip to content" — is a site's, not a title. A scan's reader finds them in each batch it
reads (``scanner.read_files``), its writer across batches (``SiteLineCounter``), and at the end
``follow_site_lines`` the rest, retitling the documents they titled; they are kept in
``corpus_state`` (``SITE_LINES_KEY``), so the rule holds for documents added later and when a
mark retitles a document.

The title follows the marks: every write that changes a document's boilerplate
calls ``refresh_titles`` inside the same transaction. It reads the text in
growing pieces from its start (SQL ``substr``), so a 10 MB document costs what
its first lines cost; letterless lines are skipped by one regular-expression
search and boilerplate ranges are jumped over whole. ``TITLE_RULE`` names this
rule in ``corpus_state``: a scan of a corpus whose titles an earlier version
stored recomputes them all (``refresh_all_titles``).
"""

from __future__ import annotations

import json
import re
import secrets
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set as AbstractSet
from typing import Any

from . import ranges as range_ops
from .ranges import Range

TITLE_MAX_CHARS = 200
TITLE_RULE = "3"  # bump when the rule changes: the next scan recomputes every stored title (3: site lines)
TITLE_RULE_KEY = "title_rule"
FIRST_PIECE_CHARS = 2048  # of the body read to look for a title; grows fourfold while none is found
_CHUNK_DOCUMENTS = 500

# A candidate letter: every character str.isalpha accepts matches (and a few numeric
# ones such as "½" do too, which the exact count below then rejects).
_LETTER = re.compile(r"[^\W\d_]")
_NON_BLANK = re.compile(r"\S")


class _NeedMore:
    """The piece of text read so far ends before the answer does."""


_MORE = _NeedMore()


def reads_like_title(line: str) -> bool:
    """At least two letters (any script) and more letters than digits.

    >>> [reads_like_title(s) for s in ("0 $", "08.07.2017", "Battle for Mosul", "Новости", "新闻")]
    [False, False, True, True, True]
    """
    # map() over str methods counts at C speed: scans and site lines test many lines.
    letters = sum(map(str.isalpha, line))
    return letters >= 2 and letters > sum(map(str.isdigit, line))


def front_matter_title(meta: Mapping[str, Any]) -> str | None:
    value = meta.get("title")
    if isinstance(value, (str, int, float)) and str(value).strip():
        return str(value).strip()[:TITLE_MAX_CHARS]
    return None


def document_title(
    text: str, meta: Mapping[str, Any], body_start: int, boilerplate: Iterable[Range] = (),
    skipped: AbstractSet[str] = frozenset(),
) -> str | None:
    """The title of a document (the rule in the module docstring).

    ``boilerplate`` holds the live (not stale) boilerplate ranges; none on a new document.
    ``skipped``: the site lines of the document's source (``site_lines``).

    >>> document_title("0 $\\n2,500 $\\n\\nBattle For Mosul\\n", {}, 0)
    'Battle For Mosul'
    >>> document_title("Home | News\\nBattle For Mosul\\n", {}, 0, [(0, 11)])
    'Battle For Mosul'
    """
    title = front_matter_title(meta)
    if title is not None:
        return title
    found = _first_title(text, body_start, range_ops.merge(boilerplate), complete=True, skipped=skipped)
    return None if isinstance(found, _NeedMore) else found


def _first_title(text: str, start: int, marked: Sequence[Range], complete: bool,
                 skipped: AbstractSet[str] = frozenset()) -> str | None | _NeedMore:
    """The first line from ``start`` whose unmarked text reads like a title and is not one of
    the ``skipped`` (site lines).

    ``text`` may be the first piece of the document (``complete=False``): an
    answer that depends on what comes after the piece is ``_MORE``. ``marked``
    is sorted and disjoint. Invariant: the text between the start of the line
    holding ``position`` and ``position`` is marked.
    """
    starts = [range_start for range_start, _ in marked]
    position = start
    while True:
        match = _LETTER.search(text, position)
        if match is None:
            return None if complete else _MORE
        letter = match.start()
        line_end = text.find("\n", letter)
        if line_end == -1:
            if not complete:
                return _MORE
            line_end = len(text)
        covering = bisect_right(starts, letter) - 1
        if covering >= 0 and marked[covering][1] > letter and marked[covering][1] >= line_end:
            # The line's first letter and all after it are marked: nothing of it can be a
            # title, nor of the lines wholly inside this range. Jump over them at once.
            position = marked[covering][1]
            continue
        line_start = max(position, text.rfind("\n", position, letter) + 1)
        shown = _unmarked(text, line_start, line_end, marked, starts)
        if reads_like_title(shown) and shown not in skipped:
            return shown
        position = line_end + 1


def _unmarked(text: str, start: int, end: int, marked: Sequence[Range], starts: Sequence[int]) -> str:
    """text[start:end] without its marked pieces, trimmed, at most TITLE_MAX_CHARS long.

    Pieces are joined as the clean text joins them: directly when no whitespace
    met the cut, else with one space.
    """
    shown = ""
    for piece_start, piece_end in _pieces(start, end, marked, starts):
        if not shown:
            blank = _NON_BLANK.search(text, piece_start, piece_end)
            if blank is None:
                continue
            piece_start = blank.start()
        piece = text[piece_start : min(piece_end, piece_start + TITLE_MAX_CHARS + 1)]
        if shown and (shown[-1].isspace() or piece[:1].isspace()):
            shown = shown.rstrip() + " " + piece.lstrip()
        else:
            shown += piece
        if len(shown) > TITLE_MAX_CHARS:
            break
    return shown.strip()[:TITLE_MAX_CHARS]


def _pieces(start: int, end: int, marked: Sequence[Range], starts: Sequence[int]) -> Iterator[Range]:
    index = max(bisect_right(starts, start) - 1, 0)
    position = start
    while index < len(marked) and marked[index][0] < end:
        range_start, range_end = marked[index]
        if range_end > position:
            if range_start > position:
                yield position, range_start
            position = range_end
        index += 1
    if position < end:
        yield position, end


# -- the stored title --------------------------------------------------------------------------


def refresh_titles(db: Any, document_ids: Iterable[int]) -> int:
    """Recompute and store the title of these documents; returns how many changed.

    Call inside the write transaction that changed their boilerplate (or text),
    so the title is never out of step with the marks.
    """
    ids = sorted(set(document_ids))
    changed = 0
    sites = site_lines(db) if ids else {}
    for chunk in range(0, len(ids), _CHUNK_DOCUMENTS):
        changed += _refresh_chunk(db, ids[chunk : chunk + _CHUNK_DOCUMENTS], sites)
    return changed


def _refresh_chunk(db: Any, ids: list[int], sites: Mapping[str, AbstractSet[str]]) -> int:
    marks = ", ".join("?" for _ in ids)
    marked: dict[int, list[Range]] = {}
    for doc_id, start, end in db.execute(
        f'SELECT document_id, start, "end" FROM spans WHERE document_id IN ({marks}) '
        "AND kind = 'boilerplate' AND anchor != 'stale'",
        ids,
    ):
        marked.setdefault(doc_id, []).append((start, end))
    rows = db.execute(
        "SELECT d.id, d.meta, d.body_start, d.char_count, d.title, substr(t.text, 1, d.body_start + ?), "
        "t.document_id IS NOT NULL, d.source FROM documents d LEFT JOIN document_texts t ON t.document_id = d.id "
        f"WHERE d.id IN ({marks})",
        [FIRST_PIECE_CHARS, *ids],
    ).fetchall()
    updates = []
    for doc_id, meta, body_start, char_count, stored, piece, has_text, source in rows:
        title = front_matter_title(json.loads(meta)) if meta and meta != "{}" else None
        if title is None and has_text:
            title = _title_from_store(
                db, doc_id, piece or "", body_start, char_count, range_ops.merge(marked.get(doc_id, ())),
                sites.get(source, frozenset()),
            )
        if title != stored:
            updates.append((title, doc_id))
    if updates:
        db.conn.executemany("UPDATE documents SET title = ? WHERE id = ?", updates)
    return len(updates)


def _title_from_store(
    db: Any, doc_id: int, piece: str, body_start: int, char_count: int, marked: list[Range],
    skipped: AbstractSet[str] = frozenset(),
) -> str | None:
    """Look for the title in growing pieces of the stored text, not the whole of it."""
    asked = body_start + FIRST_PIECE_CHARS
    while True:
        complete = len(piece) < asked
        if complete and len(piece) != char_count:
            # SQLite's text functions stop at an embedded NUL: read the whole text instead.
            (piece,) = db.execute("SELECT text FROM document_texts WHERE document_id = ?", [doc_id]).fetchone()
        found = _first_title(piece, body_start, marked, complete, skipped)
        if not isinstance(found, _NeedMore):
            return found
        asked *= 4
        (piece,) = db.execute(
            "SELECT substr(text, 1, ?) FROM document_texts WHERE document_id = ?", [asked, doc_id]
        ).fetchone()


# -- site lines --------------------------------------------------------------------------------

SITE_LINES_KEY = "site_title_lines"  # corpus_state: {source: [line, ...]}
SITE_LINE_DOCUMENTS = 3
SITE_ROUNDS = 20  # a site's next line can be its too ("Menu", "Home", "Local", …, a cookie banner)


def site_lines(db: Any) -> dict[str, frozenset[str]]:
    """The site lines found so far, by source."""
    row = db.execute("SELECT value FROM corpus_state WHERE key = ?", [SITE_LINES_KEY]).fetchone()
    try:
        stored = json.loads(row[0]) if row else {}
        return {str(source): frozenset(map(str, lines)) for source, lines in stored.items()}
    except (ValueError, TypeError, AttributeError):
        return {}  # unreadable (written by hand?): found again from the titles


class SiteLineCounter:
    """Site lines found while a scan reads: the titles of the documents read so far, counted by
    source. The scanner hands ``known`` to the reader of the next batches, which then titles
    their documents past them, so ``follow_site_lines`` at the end has only the first batches'
    documents to retitle (on 100,000 generated pages that open with menus: retitling every one
    of them, round after round, cost 8 s)."""

    def __init__(self, known: Mapping[str, AbstractSet[str]]) -> None:
        self.known: dict[str, frozenset[str]] = {source: frozenset(lines) for source, lines in known.items()}
        self.found: dict[str, set[str]] = {}  # the new ones
        self.unsaved: dict[str, set[str]] = {}  # found since the last ``save``
        self._counts: dict[tuple[str, str], int] = {}

    def save(self, db: Any) -> None:
        """Keep the site lines found since the last call in ``corpus_state``: inside each scan
        batch's write transaction, so a scan interrupted before its end leaves them found (the
        pages it titled past them are not read again by the next scan, which could not find them)."""
        if not self.unsaved:
            return
        stored = {source: set(lines) for source, lines in site_lines(db).items()}
        for source, lines in self.unsaved.items():
            stored.setdefault(source, set()).update(lines)
        _store_site_lines(db, stored)
        self.unsaved = {}

    def add(self, lines: Mapping[str, AbstractSet[str]]) -> None:
        """Site lines a reader found in its batch (``scanner.read_files``)."""
        for source, found in lines.items():
            new = set(found) - self.known.get(source, frozenset())
            if new:
                self.known[source] = self.known.get(source, frozenset()) | new
                self.found.setdefault(source, set()).update(new)
                self.unsaved.setdefault(source, set()).update(new)

    def count(self, source: str, title: str | None) -> None:
        """A document read with this title (from its text: not its front matter's)."""
        if title is None or title in self.known.get(source, ()):
            return
        key = (source, title)
        self._counts[key] = self._counts.get(key, 0) + 1
        if self._counts[key] >= SITE_LINE_DOCUMENTS:
            self.known[source] = self.known.get(source, frozenset()) | {title}
            self.found.setdefault(source, set()).add(title)
            self.unsaved.setdefault(source, set()).add(title)


def follow_site_lines(corpus: Any, chunk: int = 1000, found: Mapping[str, AbstractSet[str]] | None = None,
                      sources: AbstractSet[str] | None = None) -> int:
    """Find the lines that title ``SITE_LINE_DOCUMENTS`` or more documents of one source, keep
    them as site lines (with ``found``: those a scan's ``SiteLineCounter`` found), and retitle
    every document a site line titles (each chunk one write transaction); with ``sources``,
    only among those sources' documents. Returns how many documents were retitled."""
    db = corpus.db
    retitled = 0
    among = "" if sources is None else "AND source IN (SELECT value FROM json_each(?)) "
    among_params = [] if sources is None else [json.dumps(sorted(sources))]
    for round_number in range(SITE_ROUNDS):
        with corpus.write():
            known = {source: set(lines) for source, lines in site_lines(db).items()}
            for source, lines in (found or {}).items() if round_number == 0 else ():
                known.setdefault(source, set()).update(lines)
            shared = db.execute(
                "SELECT source, title FROM documents WHERE state = 'ok' AND title IS NOT NULL "
                f"AND json_extract(meta, '$.title') IS NULL {among}GROUP BY source, title HAVING COUNT(*) >= ?",
                [*among_params, SITE_LINE_DOCUMENTS],
            ).fetchall()
            for source, title in shared:
                known.setdefault(source, set()).add(title)
            if shared or (found and round_number == 0):
                _store_site_lines(db, known)
            pairs = [[source, line] for source, lines in known.items() for line in lines
                     if sources is None or source in sources]
            # A row-value IN builds one index of the pairs: a join on json_each compared every
            # document with every pair (3.5 s at 20,000 documents).
            ids = [row[0] for row in db.execute(
                "SELECT id FROM documents WHERE (source, title) IN (SELECT json_extract(value, '$[0]'), "
                "json_extract(value, '$[1]') FROM json_each(?)) AND json_extract(meta, '$.title') IS NULL",
                [json.dumps(pairs)],
            )] if pairs else []
        if not ids:
            return retitled
        for start in range(0, len(ids), chunk):
            with corpus.write():
                retitled += refresh_titles(db, ids[start : start + chunk])
    return retitled


SITE_LINES_PENDING_KEY = "site_lines_pending"  # corpus_state: a scan read pages and has not followed up


def site_lines_pending(db: Any) -> str | None:
    """The token of the site-line step owed (``set_site_lines_pending``), or None."""
    row = db.execute("SELECT value FROM corpus_state WHERE key = ?", [SITE_LINES_PENDING_KEY]).fetchone()
    return row[0] if row is not None else None


def set_site_lines_pending(db: Any) -> None:
    """Owe the site-line step, under a new token. Inside a write transaction."""
    db.execute("INSERT OR REPLACE INTO corpus_state (key, value) VALUES (?, ?)",
               [SITE_LINES_PENDING_KEY, secrets.token_hex(8)])


def site_lines_done(db: Any, token: str | None) -> None:
    """The site-line step ran for what was owed under ``token`` (read before the step): clear it,
    unless another scan owed the step anew since (a batch it committed while the step ran).
    Inside a write transaction."""
    db.execute("DELETE FROM corpus_state WHERE key = ? AND value IS ?", [SITE_LINES_PENDING_KEY, token])


def _store_site_lines(db: Any, lines: Mapping[str, AbstractSet[str]]) -> None:
    db.execute(
        "INSERT INTO corpus_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [SITE_LINES_KEY, json.dumps({source: sorted(found) for source, found in sorted(lines.items())})],
    )


def sources_sharing_titles(db: Any, document_ids: Sequence[int]) -> set[str]:
    """The sources of these documents whose title (read from the text) now titles
    ``SITE_LINE_DOCUMENTS`` or more documents of the source: where ``follow_site_lines`` has work
    after a partial scan. One count a document read (a partial scan reads a few)."""
    found: set[str] = set()
    for start in range(0, len(document_ids), 500):
        part = list(document_ids[start : start + 500])
        pairs = db.execute(
            "SELECT DISTINCT source, title FROM documents WHERE id IN (SELECT value FROM json_each(?)) "
            "AND state = 'ok' AND title IS NOT NULL AND json_extract(meta, '$.title') IS NULL",
            [json.dumps(part)],
        ).fetchall()
        for source, title in pairs:
            if source not in found and db.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM documents WHERE source = ? AND title = ? AND state = 'ok' "
                "AND json_extract(meta, '$.title') IS NULL LIMIT ?)", [source, title, SITE_LINE_DOCUMENTS],
            ).fetchone()[0] >= SITE_LINE_DOCUMENTS:
                found.add(source)
    return found


def titles_follow_rule(db: Any) -> bool:
    row = db.execute("SELECT value FROM corpus_state WHERE key = ?", [TITLE_RULE_KEY]).fetchone()
    return row is not None and row[0] == TITLE_RULE


def record_title_rule(db: Any) -> None:
    db.execute(
        "INSERT INTO corpus_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [TITLE_RULE_KEY, TITLE_RULE],
    )


def all_document_ids(db: Any) -> list[int]:
    return [row[0] for row in db.execute("SELECT id FROM documents ORDER BY id")]
