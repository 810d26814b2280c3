"""Repeated passages across the corpus: the lines and paragraphs found, normalized,
in several documents (see ``passage_index``), most frequent first.

Example::

    with Corpus.open("seeds") as corpus:
        for repeat in corpus.repeats(min_docs=2):
            print(repeat.documents, repeat.sources, repeat.marked, repeat.text[:60])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .arguments import whole_numbers
from .base import CorpusBase
from .errors import InvalidValue
from .normalize import NORMALIZATION_VERSION, searchable
from .passage_index import stored_index_version
from .sources import is_boilerplate_like

DEFAULT_MIN_DOCS = 3
TEXT_SHOWN_CHARS = 2000  # a copy's text as listed; the passage itself may be longer


@dataclass(frozen=True)
class Repeat:
    id: int  # the passage's fingerprint: stable while the normalization is (``normalize.NORMALIZATION_VERSION``)
    text: str  # one copy, as it is in its document
    documents: int  # documents on disk holding a copy
    sources: int  # distinct sources among them (``sources.document_source``)
    marked: int | None  # documents whose copy is all boilerplate already (None: not counted, see repeats_by_id)
    boilerplate_like: bool  # enough documents and sources that it is not a repost (``sources.is_boilerplate_like``)
    document_id: int  # the copy shown
    start: int
    end: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _listing_filter(min_docs: int, contains: str | None) -> tuple[str, list[Any]]:
    if min_docs < 2:
        raise InvalidValue(f"min_docs must be 2 or more, not {min_docs}")
    where, params = "r.documents >= ?", [min_docs]
    if contains:
        where += ' AND holds_folded(substr(t.text, r.start + 1, r."end" - r.start), ?)'
        # Both sides as ``normalize.searchable`` makes them: case folded in any script (SQLite's
        # lower() folds ASCII only), entities, quotes and dashes unified, whitespace runs one space.
        params.append(searchable(contains) or contains)
    return where, params


def _holds_folded(text: str | None, folded_needle: str) -> bool:
    return text is not None and folded_needle in searchable(text)


def _register_filter(db: Any) -> None:
    # On the connection of the call: cheap, and a connection opened elsewhere (a worker's) has it too.
    db.conn.create_function("holds_folded", 2, _holds_folded, deterministic=True)


class RepeatsMixin(CorpusBase):
    @whole_numbers("min_docs", "limit")
    def repeats(self, min_docs: int = DEFAULT_MIN_DOCS, limit: int | None = None,
                contains: str | None = None) -> list[Repeat]:
        """Passages found in at least ``min_docs`` documents, most documents first;
        ``contains`` keeps those whose shown copy holds that text, both compared as
        ``normalize.searchable`` makes them: case folded in any script, entities, quotes and
        dashes unified, each run of spaces, tabs or line breaks one space; digits kept."""
        if limit is not None and limit < 1:
            raise InvalidValue(f"limit must be 1 or more, not {limit}")
        _register_filter(self.db)
        return self._repeats_where(*_listing_filter(min_docs, contains), limit)

    @whole_numbers("min_docs")
    def repeat_ids(self, min_docs: int = DEFAULT_MIN_DOCS, contains: str | None = None) -> list[int]:
        """The ids of ``repeats(min_docs, contains=contains)``, in its order, without their texts
        or marked counts: what a view of 100,000 passages reads first (``repeats_by_id`` then
        fills the rows on screen)."""
        where, params = _listing_filter(min_docs, contains)
        self._index_is_usable()
        _register_filter(self.db)
        join = "JOIN document_texts AS t ON t.document_id = r.document_id " if contains else ""
        return [row[0] for row in self.db.execute(
            f"SELECT r.fingerprint FROM repeats AS r {join}WHERE {where} "
            "ORDER BY r.documents DESC, r.sources DESC, r.fingerprint", params,
        )]

    @whole_numbers(lists=("ids",))
    def repeats_by_id(self, ids: Sequence[int], count_marked: bool = True) -> list[Repeat]:
        """The repeated passages with these ids, in the order given; ids of passages no longer
        repeated are left out. ``count_marked=False`` leaves ``marked`` None: counting looks
        at every copy (0.5 s for the 30 largest of 100,000 documents once many are marked), so
        a view shows the rows first and fills the counts in (``marked_copies``)."""
        found: dict[int, Repeat] = {}
        wanted = [repeat_id for repeat_id in ids if -(2**63) <= repeat_id < 2**63]
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            where = f"r.fingerprint IN ({', '.join('?' for _ in part)})"
            for repeat in self._repeats_where(where, part, None, count_marked):
                found[repeat.id] = repeat
        return [found[repeat_id] for repeat_id in ids if repeat_id in found]

    @whole_numbers("repeat_id")
    def marked_copies(self, repeat_id: int) -> int:
        """Documents on disk where a copy of the passage lies inside one live boilerplate span."""
        return self._marked_copies(repeat_id)

    @whole_numbers("repeat_id")
    def repeat(self, repeat_id: int) -> Repeat:
        """One repeated passage by its id; InvalidValue when there is none (any more)."""
        if not -(2**63) <= repeat_id < 2**63:  # beyond an SQLite INTEGER: no such passage
            raise InvalidValue(f"no repeated passage with id {repeat_id} (run a scan, or see corpus-tui repeats)")
        found = self._repeats_where("r.fingerprint = ?", [repeat_id], None)
        if not found:
            raise InvalidValue(f"no repeated passage with id {repeat_id} (run a scan, or see corpus-tui repeats)")
        return found[0]

    def _index_is_usable(self) -> None:
        """Refuse the index of an earlier normalization: its passage ids are not this version's,
        and a rule made from one stored a fingerprint no scan would match (an upgrade trial)."""
        stored = stored_index_version(self.db)
        if stored is not None and stored != NORMALIZATION_VERSION:
            raise InvalidValue(f"the passage index was made by an earlier corpus-tui (normalization {stored}) and "
                               "is redone by the next scan: wait for the one running, or scan the folder "
                               "(corpus-tui scan FOLDER, or ctrl+l in the app)")

    def _repeats_where(self, where: str, params: list[Any], limit: int | None,
                       count_marked: bool = True) -> list[Repeat]:
        self._index_is_usable()
        sql = (
            'SELECT r.fingerprint, substr(t.text, r.start + 1, MIN(r."end" - r.start, ?)), r.documents, r.sources, '
            'r.document_id, r.start, r."end" FROM repeats AS r JOIN document_texts AS t ON t.document_id = r.document_id '
            f"WHERE {where} ORDER BY r.documents DESC, r.sources DESC, r.fingerprint"
        )
        params = [TEXT_SHOWN_CHARS, *params]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [
            Repeat(fingerprint, text, documents, sources, self._marked_copies(fingerprint) if count_marked else None,
                   is_boilerplate_like(documents, sources), document_id, start, end)
            for fingerprint, text, documents, sources, document_id, start, end in self.db.execute(sql, params)
        ]

    @whole_numbers("document_id", "start", "end")
    def repeats_within(self, document_id: int, start: int, end: int, limit: int = 50) -> list[Repeat]:
        """The repeated passages inside [start, end) of a document that no other one there
        contains (a paragraph, not also its lines), most documents first, at most ``limit``:
        what a mark just made there could be made everywhere."""
        rows = self.db.execute(
            'SELECT p.start, p."end", r.fingerprint, r.documents FROM passages AS p '
            "JOIN repeats AS r ON r.fingerprint = p.fingerprint "
            'WHERE p.document_id = ? AND p.start >= ? AND p."end" <= ? ORDER BY p.start, p."end" DESC',
            [document_id, start, end],
        ).fetchall()
        outermost: dict[int, int] = {}  # fingerprint -> documents
        reach = -1
        for first, last, fingerprint, documents in rows:
            if last <= reach:
                continue  # inside a passage kept already
            reach = last
            outermost[fingerprint] = documents
        chosen = sorted(outermost, key=lambda fingerprint: -outermost[fingerprint])[:limit]
        return [self.repeat(fingerprint) for fingerprint in chosen]

    def documents_holding(self, repeat_ids: Sequence[int], besides: int | None = None) -> int:
        """The readable documents (other than ``besides``) holding a copy of any of these passages."""
        return int(self.db.execute(
            "SELECT COUNT(DISTINCT p.document_id) FROM passages AS p "
            "JOIN documents AS d ON d.id = p.document_id AND d.state = 'ok' "
            "WHERE p.fingerprint IN (SELECT value FROM json_each(?)) AND p.document_id IS NOT ?",
            [json.dumps(list(repeat_ids)), besides],
        ).fetchone()[0])

    @whole_numbers("repeat_id")
    def repeat_copies(self, repeat_id: int) -> list[tuple[int, int, int]]:
        """Every copy on disk: (document id, start, end), in document order."""
        return [(document_id, start, end) for document_id, _, start, end in self.repeat_copy_paths(repeat_id)]

    def repeat_copy_paths(self, repeat_id: int) -> list[tuple[int, str, int, int]]:
        """``repeat_copies`` with each document's path: (document id, path, start, end)."""
        return [tuple(row) for row in self.db.execute(_COPIES.format(extra=""), [repeat_id])]  # type: ignore[misc]

    def repeat_copy_marks(self, repeat_id: int) -> list[tuple[int, str, int, int, bool]]:
        """``repeat_copy_paths`` with whether each copy lies inside a live boilerplate span:
        (document id, path, start, end, marked)."""
        return [(document_id, path, start, end, bool(marked)) for document_id, path, start, end, marked
                in self.db.execute(_COPIES.format(extra=f", {_COPY_MARKED}"), [repeat_id])]

    def _marked_copies(self, fingerprint: int) -> int:
        """Documents where a copy lies inside one live boilerplate span."""
        return int(self.db.execute(
            "SELECT COUNT(DISTINCT p.document_id) FROM passages AS p "
            "JOIN documents AS d ON d.id = p.document_id AND d.state = 'ok' "
            f"WHERE p.fingerprint = ? AND {_COPY_MARKED}",
            [fingerprint],
        ).fetchone()[0])


# The copies of a passage on disk, in document order (``extra``: more columns).
_COPIES = ('SELECT p.document_id, d.path, p.start, p."end"{extra} FROM passages AS p '
           "JOIN documents AS d ON d.id = p.document_id "
           "WHERE p.fingerprint = ? AND d.state = 'ok' ORDER BY p.document_id, p.start")
# Whether the copy ``p`` lies inside one live boilerplate span of its document.
_COPY_MARKED = ("EXISTS (SELECT 1 FROM spans AS s WHERE s.document_id = p.document_id "
                "AND s.kind = 'boilerplate' AND s.anchor != 'stale' AND s.start <= p.start AND s.\"end\" >= p.\"end\")")
