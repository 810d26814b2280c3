"""Scan and rescan a corpus folder into the database.

Incremental: a file whose size and mtime match the database is not read. A
changed file is re-read; if its hash differs, its spans are re-anchored by quote
and context (or flagged stale). A file that vanished is marked ``missing`` and
keeps everything; a new file with the hash of a vanished or missing document is
that document moved, and keeps its annotations too. Work is committed in
batches, each one transaction: a crash loses at most the batch in flight and
the next scan picks it up.
"""

from __future__ import annotations

import hashlib
import shlex
import json
import multiprocessing
import os
import sqlite3
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .decoding import Decoded, decode
from .discovery import DEFAULT_DB_NAME, FoundFile, cannot_tell, corpus_file_stat
from .child_process import WorkerPool, pool_worker, start_method
from .front_matter import FrontMatter, parse_front_matter
from .duplicates.signatures import mark_signatures_pending
from .passage_index import (
    build_passage_indexes,
    documents_to_reindex,
    drop_passage_indexes,
    index_is_current,
    owe_repeats,
    owe_rules_everywhere,
    passage_indexes_missing,
    passage_rows,
    rebuild_repeats,
    record_index_version,
    refresh_sources,
    refingerprint_decisions,
    reindex,
    repeats_owed,
    rules_done_everywhere,
    rules_owed_everywhere,
    stored_index_version,
    store_passages,
)
from .reanchor import reanchor_document
from .rules import apply_rules
from .sources import document_source
from .store import now, translate
from .titles import (
    SITE_LINE_DOCUMENTS,
    SITE_ROUNDS,
    SiteLineCounter,
    all_document_ids,
    document_title,
    follow_site_lines,
    record_title_rule,
    refresh_titles,
    set_site_lines_pending,
    site_lines_done,
    site_lines,
    site_lines_pending,
    sources_sharing_titles,
    titles_follow_rule,
)
from .wording import plural

if TYPE_CHECKING:
    from .corpus import Corpus

BULK_INDEX_MIN = 2000  # files in a first scan from which the passage index's indexes are built at the end
BATCH_SIZE = 1000  # documents per transaction: bigger is faster, smaller keeps the write lock short
# Reader processes: normalizing every passage made one reader slower than the writer; a
# second on two cores, niced below the writer, fills what the writer leaves (100,000
# documents: 16.8 s -> 14.1 s).
READERS = min(4, max(2, (os.cpu_count() or 1) - 1))
READER_NICENESS = 5
READ_AHEAD = READERS + 1  # batches the readers may be ahead of the writer
SCAN_CACHE_KIB = -65536  # 64 MiB page cache while scanning (negative: KiB, SQLite's convention)
PARALLEL_READ_THRESHOLD = 3000  # files; below this a reader process costs more than it saves
KNOWN_COLUMNS = ("id", "path", "state", "size", "mtime_ns", "sha256", "encoding", "encoding_override", "source")


@dataclass
class ScanSummary:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    renamed: int = 0
    missing: int = 0
    returned: int = 0  # missing before, found again unchanged (counted here, not as unchanged)
    vanished: int = 0  # of ``missing``, those this scan found gone (the others were missing before)
    unreadable: int = 0
    outside: int = 0  # on disk, indexed before, but outside this scan's patterns: left as they were
    reanchored_spans: int = 0
    stale_spans: int = 0
    rule_marks: int = 0  # boilerplate ranges added by rules to documents added or changed
    signed: int = 0  # documents given a new near-duplicate signature (``Corpus.scan``)
    duplicate_pairs: int = 0  # the corpus's near-duplicate pairs at the default threshold (``duplicates``)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        # Thousands separated, as the app's header and the exports count (a trial saw "1500 added").
        parts = [f"{self.added:,} added", f"{self.changed:,} changed", f"{self.unchanged:,} unchanged"]
        if self.renamed:
            parts.append(f"{self.renamed:,} renamed")
        if self.returned:
            parts.append(f"{self.returned:,} back from missing")
        parts += [f"{self.missing:,} missing", f"{self.unreadable:,} unreadable"]
        if self.outside:
            parts.append(f"{self.outside:,} outside the patterns, left as they were")
        if self.reanchored_spans or self.stale_spans:
            parts.append(f"{plural(self.reanchored_spans, 'span')} re-anchored, {self.stale_spans:,} stale")
        if self.rule_marks:
            parts.append(f"{plural(self.rule_marks, 'range')} marked by rules")
        if self.duplicate_pairs and self.changed_anything():
            parts.append(f"{plural(self.duplicate_pairs, 'near-duplicate pair')} in the corpus")
        return ", ".join(parts)

    def changed_anything(self) -> bool:
        """Whether the scan found a file added, changed, renamed, gone or back, or signed one."""
        return bool(self.added or self.changed or self.renamed or self.vanished or self.returned or self.signed)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScanSummary":
        """``as_dict``'s summary again; keys it does not know are left out (a scan child of a
        corpus-tui upgraded while the app ran may report more)."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class FileContent:
    """What one read of a file yields; ``text`` is None when unreadable."""

    sha256: str | None
    decoded: Decoded
    front: FrontMatter
    title: str | None
    problem: str | None
    passages: array[int] = field(default_factory=lambda: array("q"))  # passage_table, computed in the reader process

    @property
    def text(self) -> str | None:
        return self.decoded.text


def advice_place(folder: Path, database: Path | None = None) -> str:
    """What a message's ``corpus-tui set-encoding FOLDER PATH`` names the folder by: its absolute
    path, after ``--db DATABASE`` when the corpus's database is not the folder's own (without
    it the command advised found no corpus)."""
    place = shlex.quote(os.path.abspath(folder))
    if database is not None and os.path.abspath(database) != os.path.abspath(Path(folder) / DEFAULT_DB_NAME):
        place = f"--db {shlex.quote(os.path.abspath(database))} {place}"
    return place


def read_file(folder: Path, found: FoundFile, override: str | None,
              sites: Mapping[str, AbstractSet[str]] | None = None, place: str | None = None) -> FileContent:
    try:
        with open(folder / found.path, "rb") as handle:  # originals are only ever read
            data = handle.read()
    except OSError as error:
        reason = f"cannot read file: {error.strerror or error}"
        return FileContent(None, Decoded(None, None, problem=reason), FrontMatter(), None, reason)
    digest = hashlib.sha256(data).hexdigest()
    decoded = decode(data, override)
    said = decoded.problem and decoded.problem.replace(  # advice to paste as it is, from anywhere
        "FOLDER PATH", f"{place or advice_place(folder)} {shlex.quote(found.path)}")
    if decoded.text is None:
        return FileContent(digest, decoded, FrontMatter(), None, said)
    front = parse_front_matter(decoded.text) if decoded.text.startswith("---") else FrontMatter()
    # No marks count here: a new document has none, and a changed one is retitled
    # once its spans are re-anchored (``_Scan._update``).
    skipped = sites.get(document_source(found.path, front.meta), frozenset()) if sites else frozenset()
    title = document_title(decoded.text, front.meta, front.body_start, skipped=skipped)
    # A reading that needed a guess says so (a stray bad UTF-8 byte: its warning was dropped).
    problem = "; ".join(filter(None, (said, front.problem))) or None
    return FileContent(digest, decoded, front, title, problem, passage_rows(decoded.text, front.body_start))


def _mtime_to_keep(found: FoundFile, content: FileContent) -> int:
    """The modification time a scan stores: -1 when the file could not be read at all (no
    hash), so the next scan reads it again instead of taking it for unchanged."""
    return found.mtime_ns if content.sha256 is not None else -1


def _line_count(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _document_fields(found: FoundFile, content: FileContent) -> dict[str, Any]:
    text = content.text
    return {
        "path": found.path,
        "state": "ok" if text is not None else "unreadable",
        "problem": content.problem,
        "size": found.size,
        "mtime_ns": _mtime_to_keep(found, content),
        "sha256": content.sha256,
        "encoding": content.decoded.encoding,
        "encoding_guessed": int(content.decoded.guessed),
        "char_count": len(text) if text is not None else 0,
        "line_count": _line_count(text) if text is not None else 0,
        "body_start": content.front.body_start,
        "title": content.title,
        "meta": _json(content.front.meta),
        "source": document_source(found.path, content.front.meta),
    }


def _json(value: Any) -> str:
    # allow_nan=False: SQLite's JSON functions (and every JSON reader) refuse NaN and Infinity;
    # front matter's come as text (``front_matter``), so this is a last guard, never a stored NaN.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)


class _Scan:
    def __init__(self, corpus: "Corpus", found: list[FoundFile], partial: bool):
        self.corpus = corpus
        self.partial = partial
        self.db = corpus.db
        self.summary = ScanSummary()
        self.found = self._one_file_a_path(found)
        self.data_version = self._data_version()
        found_paths = {f.path for f in found}
        # A partial scan (a document opened in the app whose file changed) reads the rows of its
        # files only: all 100,000 rows took most of a second on the app's thread.
        self.known = {row["path"]: row for row in (self._rows_of(sorted(found_paths)) if partial
                                                    else self._known_rows("", []))}
        self.others_wrote = False  # another process committed since `known` was read
        # Whole-folder scans only: a partial scan cannot tell what vanished.
        self.vanished = {} if partial else {
            path: row for path, row in self.known.items() if path not in found_paths and row["state"] != "missing"
        }
        self.new_ids: list[int] = []  # texts added in the current batch, to index for search
        self.retitle: list[int] = []  # documents updated in the current batch: their marks count for the title
        self.site_lines = SiteLineCounter(site_lines(self.db))  # lines titling 3 documents of a source
        self.indexed: list[int] = []  # documents whose passages the current batch stored: rules apply to them
        self.site_lines_pending = False  # this scan marked the site-line step as owed
        self.read_ids: list[int] = []  # documents of a partial scan that were added or updated (titles may change)
        self.index_changed = False  # passages, sources or states changed: the repeats need recounting
        self.signatures_pending = False  # a text or a state changed in the current batch (``duplicates.refresh``)
        self.movable: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if not partial:
            for path, row in self.known.items():
                # Only rows whose file is gone: one only outside this scan's patterns is still
                # there, and a copy of it must not take its annotations (``--include '*.txt'``
                # after ``cp page.md page.txt``: a review).
                if path not in found_paths and row["sha256"] and corpus_file_stat(corpus.folder, path) is None:
                    self.movable[row["sha256"]].append(row)

    def _one_file_a_path(self, found: list[FoundFile]) -> list[FoundFile]:
        """The files, one for each stored path: a name that is not UTF-8 is stored escapedly
        (``caf\\xe9.txt``), and a file may be named just so; two rows for one path failed the
        whole scan ("UNIQUE constraint failed", no file named: a review). The escaped one is
        left out, and said."""
        by_path: dict[str, FoundFile] = {}
        for file in found:
            other = by_path.get(file.path)
            if other is None:
                by_path[file.path] = file
                continue
            if other.name_problem is not None and file.name_problem is None:
                by_path[file.path] = file
            self.summary.problems.append(f"{file.path}: two files are stored under this name (one's name is not "
                                         "valid UTF-8, and reads as the other's): rename the one that is not "
                                         "to read it")
        return list(by_path.values()) if len(by_path) < len(found) else found

    def run(self, progress: Callable[[int, int], None] | None) -> ScanSummary:
        total = len(self.found)
        batches = [self.found[start : start + BATCH_SIZE] for start in range(0, total, BATCH_SIZE)]
        jobs = [self._read_jobs(batch) for batch in batches]
        done = 0
        self._upgrade_index()
        self._apply_rules_owed()
        bulk_index = not self.partial and not self.known and total >= BULK_INDEX_MIN
        if bulk_index:
            with self.corpus.write():
                drop_passage_indexes(self.db)
        with bulk_writes(self.db, self.corpus.db_path), _reader_for(sum(len(job) for job in jobs)) as reader:
            # With a reader process, the next batches are read, hashed and decoded
            # on the other core while this process writes the current one.
            sites = self.site_lines
            place = advice_place(self.corpus.folder, self.corpus.db_path)
            pending = [reader.submit(read_files, self.corpus.folder, job, sites.known, place)
                       for job in jobs[:READ_AHEAD]]
            for index, batch in enumerate(batches):
                contents, found_lines = pending.pop(0).result()
                sites.add(found_lines)
                for path, content in contents.items():
                    if content.title is not None and "title" not in content.front.meta:
                        sites.count(document_source(path, content.front.meta), content.title)
                if index + READ_AHEAD < len(batches):
                    pending.append(reader.submit(read_files, self.corpus.folder, jobs[index + READ_AHEAD],
                                                 sites.known, place))
                with self.corpus.write():
                    sites.save(self.db)  # with the batch: an interrupted scan keeps what it found
                    if contents and not self.partial:
                        # Read pages wait for the site-line step at the end, even if this scan
                        # never gets there: the next scan runs it (it may read nothing itself).
                        # Set with every batch: another process's scan may have run the step
                        # and cleared it since this scan's last batch.
                        set_site_lines_pending(self.db)
                        self.site_lines_pending = True
                    self._catch_up(batch)
                    changed_before, self.index_changed = self.index_changed, False
                    self.new_ids = []
                    self.retitle = []
                    self.indexed = []
                    for found in batch:
                        self._one(found, contents.get(found.path))
                    index_new_texts(self.db, self.new_ids)
                    refresh_titles(self.db, self.retitle)
                    marks, replaced = apply_rules(self.corpus, self.indexed)
                    self.summary.rule_marks += marks
                    self.summary.stale_spans -= replaced  # a rule marked its passage there again
                    if self.signatures_pending:
                        mark_signatures_pending(self.db)
                        self.signatures_pending = False
                    if self.index_changed:  # with every such batch: another scan may have recounted since
                        owe_repeats(self.db)
                    self.index_changed |= changed_before
                done += len(batch)
                if progress:
                    progress(done, total)
            if bulk_index or passage_indexes_missing(self.db):  # or left missing by a scan killed before this
                with self.corpus.write():
                    build_passage_indexes(self.db)
        # A file still on disk that the patterns no longer match is left as it was, not "missing".
        # A file now a folder, a link to nothing or out of the folder is gone (``corpus_file_stat``).
        gone = {path: row for path, row in self.vanished.items() if corpus_file_stat(self.corpus.folder, path) is None}
        # One the scan could not reach (a folder it may not enter) may be there all the same: left as it
        # was, and said, rather than marked missing without a word.
        unreachable = {path: reason for path in gone if (reason := cannot_tell(self.corpus.folder, path))}
        for path, reason in unreachable.items():
            del gone[path]
            self.summary.problems.append(f"{path}: cannot be reached ({reason}): left as it was")
        self.summary.outside = len(self.vanished) - len(gone) - len(unreachable)  # the patterns left them out
        self.vanished = gone
        self.summary.vanished = len(gone)
        with self.corpus.write():
            if self.vanished:
                mark_signatures_pending(self.db)
                owe_repeats(self.db)
                # Only a row still at the path found gone: another process's scan may have moved
                # it to its file's new name since (it was marked missing with its file there).
                self.db.conn.executemany("UPDATE documents SET state = 'missing' WHERE id = ? AND path = ?",
                                         [(row["id"], path) for path, row in self.vanished.items()])
            self.summary.missing = self.db.execute(
                "SELECT COUNT(*) FROM documents WHERE state = 'missing'"
            ).fetchone()[0]
            if not self.partial:
                counts = {k: v for k, v in self.summary.as_dict().items() if k != "problems"}
                self.corpus.log_event("scan", None, counts)
        retitled_all = self._follow_title_rule() if not self.partial else False
        owed = site_lines_pending(self.db)  # read before the step: another scan's batch since owes it anew
        if not self.partial and (retitled_all or self.summary.added or self.summary.changed or self.site_lines_pending
                                 or owed is not None):
            # A menu on every page of a site is not their title: the lines found while reading,
            # and the documents read before they were found.
            follow_site_lines(self.corpus, found=self.site_lines.found)
            with self.corpus.write():
                site_lines_done(self.db, owed)
        elif self.partial and self.read_ids:
            # The documents read only: a title they now share with enough of their source's, or a
            # site line found while reading, which titles documents of the batches read before it.
            sources = sources_sharing_titles(self.db, self.read_ids) | set(self.site_lines.found)
            if sources:
                follow_site_lines(self.corpus, sources=sources)
        self._follow_passage_index()
        return self.summary

    def _upgrade_index(self) -> None:
        """Index a corpus indexed by another normalization (or none: one made before the index)
        again, once, before this scan reads its files: the analyst's rules and rejections follow
        the new fingerprints, so the rules mark what this scan reads (a first scan indexes every
        document as it reads it)."""
        if self.partial or not self.known or index_is_current(self.db):
            return
        ids = documents_to_reindex(self.db)
        for start in range(0, len(ids), BATCH_SIZE):
            with self.corpus.write():
                reindex(self.db, ids[start : start + BATCH_SIZE])
        with self.corpus.write():
            refresh_sources(self.db)
            old = stored_index_version(self.db)
            if old is not None:
                refingerprint_decisions(self.db, old)
            record_index_version(self.db)
            owe_repeats(self.db)
            owe_rules_everywhere(self.db)
        self.index_changed = True

    def _apply_rules_owed(self) -> None:
        """After an index redone by another normalization: the rules mark what is now their passage
        in every document (a rule made on "733 readers" marks "61,127 readers" since version 2),
        as in a changed file. Noted with the new version, done by this or the next full scan."""
        if self.partial or not rules_owed_everywhere(self.db):
            return
        # On disk: one missing now is marked when it comes back, as after a mark everywhere.
        ids = [row[0] for row in self.db.execute("SELECT id FROM documents WHERE state = 'ok' ORDER BY id")]
        for start in range(0, len(ids), BATCH_SIZE):
            with self.corpus.write():
                self.summary.rule_marks += apply_rules(self.corpus, ids[start : start + BATCH_SIZE])[0]
        with self.corpus.write():
            rules_done_everywhere(self.db)

    def _follow_passage_index(self) -> None:
        """Record the normalization of a first scan's index; then recount the repeats if anything
        they count changed."""
        if not self.partial and not index_is_current(self.db):
            with self.corpus.write():
                record_index_version(self.db)
            self.index_changed = True
        # Or a change committed before without its recount (a scan killed first, a document the app
        # found missing): the next scan makes up for it.
        if self.index_changed or self.vanished or repeats_owed(self.db):
            with self.corpus.write():
                rebuild_repeats(self.db)

    def _follow_title_rule(self) -> bool:
        """Titles stored by a version with another title rule are recomputed, once (True then)."""
        if titles_follow_rule(self.db):
            return False
        ids = all_document_ids(self.db) if self.known else []  # a first scan titled them all by this rule
        for start in range(0, len(ids), BATCH_SIZE):
            with self.corpus.write():
                refresh_titles(self.db, ids[start : start + BATCH_SIZE])
        with self.corpus.write():
            record_title_rule(self.db)
        return True

    def _data_version(self) -> int:
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def _known_rows(self, where: str, params: list[Any]) -> Iterator[dict[str, Any]]:
        sql = f"SELECT {', '.join(KNOWN_COLUMNS)} FROM documents {where}"
        for row in self.db.execute(sql, params):
            yield dict(zip(KNOWN_COLUMNS, row))

    def _catch_up(self, batch: list[FoundFile]) -> None:
        """Inside the batch's write transaction: re-read what another process
        (a second scan, the app's scan) committed for these paths since
        ``known`` was read, so its rows are updated, never inserted twice."""
        if not self.others_wrote:
            self.others_wrote = self._data_version() != self.data_version
            if not self.others_wrote:
                return
        for row in self._rows_of([found.path for found in batch]):
            self.known[row["path"]] = row
            self.vanished.pop(row["path"], None)

    def _rows_of(self, paths: list[str]) -> Iterator[dict[str, Any]]:
        for start in range(0, len(paths), 500):
            chunk = paths[start : start + 500]
            yield from self._known_rows(f"WHERE path IN ({', '.join('?' for _ in chunk)})", chunk)

    def _unchanged(self, found: FoundFile) -> dict[str, Any] | None:
        """The known row when size and mtime say the file was not touched (no read needed)."""
        row = self.known.get(found.path)
        if row and row["state"] != "missing" and (row["size"], row["mtime_ns"]) == (found.size, found.mtime_ns):
            return row
        return None

    def _read_jobs(self, batch: list[FoundFile]) -> list[tuple[FoundFile, str | None]]:
        """The files of a batch that must be read, with their encoding override."""
        jobs = []
        for found in batch:
            if self._unchanged(found) is None:
                row = self.known.get(found.path)
                jobs.append((found, row["encoding_override"] if row else None))
        return jobs

    def _one(self, found: FoundFile, content: FileContent | None) -> None:
        unchanged = self._unchanged(found)
        if unchanged is not None or content is None:
            if unchanged is not None and unchanged["state"] == "unreadable":
                self.summary.unreadable += 1
            else:
                self.summary.unchanged += 1
            return
        row = self.known.get(found.path)
        moved = self._moved_from(content.sha256, found) if row is None else None
        if moved is not None and moved["encoding_override"]:
            # Read for a new path, so without the encoding set for the document: read again
            # with it (a renamed cp1251 page was stored as cp1252 noise: a review), before
            # anything is said of it (a UTF-16 one was called binary and counted unreadable).
            content = read_file(self.corpus.folder, found, moved["encoding_override"], self.site_lines.known,
                                advice_place(self.corpus.folder, self.corpus.db_path))
        if content.problem:
            self.summary.problems.append(f"{found.path}: {content.problem}")
        if content.text is None:
            self.summary.unreadable += 1
        if row is None:
            if moved is not None:
                self._update(moved, found, content, renamed=True)
                self.summary.renamed += 1
            else:
                self._insert(found, content)
                if content.text is not None:
                    self.summary.added += 1
            return
        # Same bytes decoded another way (an encoding override) is a different text.
        same = (
            content.sha256 == row["sha256"]
            and row["state"] != "unreadable"
            and content.text is not None
            and content.decoded.encoding == row["encoding"]
        )
        self._update(row, found, content, renamed=False, same_content=same)
        if content.text is not None:
            if same and row["state"] == "missing":
                self.summary.returned += 1
            elif same:
                self.summary.unchanged += 1
            else:
                self.summary.changed += 1

    def _moved_from(self, sha256: str | None, found: FoundFile) -> dict[str, Any] | None:
        """The gone document this new file is, by its bytes. Of several with the same bytes (two
        copies of a page), the one that shares most with it: its file name, then its size and
        modification time (a move keeps them), then the one that holds work. The first one found
        took a renamed copy's tags and note to the wrong row, and two copies whose folders were
        renamed swapped theirs (a trial, a review)."""
        candidates = self.movable.get(sha256 or "")
        if not candidates:
            return None
        index = 0
        if len(candidates) > 1:
            name = found.path.rsplit("/", 1)[-1]

            def likeness(row: dict[str, Any]) -> tuple[bool, bool]:
                return row["path"].rsplit("/", 1)[-1] == name, row["mtime_ns"] == found.mtime_ns

            best = max(map(likeness, candidates))
            alike = [n for n, row in enumerate(candidates) if likeness(row) == best]
            # A few looked at for work, not all: a thousand identical pages would cost a million queries.
            index = next((n for n in alike[:20] if self._holds_work(candidates[n]["id"])), alike[0])
        row = candidates.pop(index)
        self.vanished.pop(row["path"], None)
        return row

    def _holds_work(self, document_id: int) -> bool:
        return self.db.execute(
            "SELECT (status != 'new' OR note != '' OR duplicate_of IS NOT NULL "
            "OR EXISTS (SELECT 1 FROM spans WHERE document_id = ?) "
            "OR EXISTS (SELECT 1 FROM document_tags WHERE document_id = ?)) FROM documents WHERE id = ?",
            [document_id, document_id, document_id]).fetchone()[0] == 1

    def _insert(self, found: FoundFile, content: FileContent) -> None:
        self.signatures_pending = True
        fields = _document_fields(found, content)
        stamp = now()
        fields.update(added_at=stamp, scanned_at=stamp)
        columns = ", ".join(fields)
        cursor = self.db.execute(
            f"INSERT INTO documents ({columns}) VALUES ({', '.join('?' for _ in fields)})", list(fields.values())
        )
        if self.partial:
            self.read_ids.append(int(cursor.lastrowid or 0))
        if content.text is not None:
            self.db.execute(
                "INSERT INTO document_texts (document_id, text) VALUES (?, ?)", [cursor.lastrowid, content.text]
            )
            self.new_ids.append(int(cursor.lastrowid or 0))
            store_passages(self.db, int(cursor.lastrowid or 0), content.passages, new=True)
            self.indexed.append(int(cursor.lastrowid or 0))
            self.index_changed = True

    def _update(
        self, row: dict[str, Any], found: FoundFile, content: FileContent, renamed: bool, same_content: bool = True
    ) -> None:
        doc_id = row["id"]
        if row["state"] != "ok" or not same_content or content.text is None:
            self.signatures_pending = True
        if content.text is None:
            if row["state"] == "ok":
                self.index_changed = True  # its copies stop counting
            # Keep the last readable text and its spans; just say why it cannot be read now. A read
            # that failed (the file moved away for a moment, a permission) is tried again at the
            # next scan, and the last known bytes' hash stays, so a rename still finds the
            # document: it stayed unreadable for good, and a rename then lost it (a review).
            self.db.execute(
                "UPDATE documents SET path = ?, state = 'unreadable', problem = ?, size = ?, mtime_ns = ?, "
                "sha256 = COALESCE(?, sha256), scanned_at = ? WHERE id = ?",
                [found.path, content.problem, found.size, _mtime_to_keep(found, content), content.sha256, now(),
                 doc_id],
            )
            return
        fields = _document_fields(found, content)
        fields["scanned_at"] = now()
        if self.partial:
            self.read_ids.append(doc_id)
        if not same_content and not renamed:
            fields["changed_at"] = fields["scanned_at"]
        assignments = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE documents SET {assignments} WHERE id = ?", [*fields.values(), doc_id])
        if renamed or row["state"] != "ok" or row.get("source") != fields["source"]:
            self.index_changed = True  # the repeats' document or source counts may change
        if renamed:
            self.corpus.log_event("document.moved", doc_id, {"from": row["path"], "to": found.path})
        # The title read from the file ignores the marks the document already has:
        # retitled at the end of the batch, or by re-anchoring.
        if same_content and not renamed and row["state"] != "unreadable":
            self.retitle.append(doc_id)
            if row["state"] == "missing":
                self.indexed.append(doc_id)  # a rule made while it was missing marks it now
            return
        old_text = self.corpus.text(doc_id)
        if old_text == content.text:
            self.retitle.append(doc_id)
            if row["state"] != "ok":
                self.indexed.append(doc_id)  # a rule made while it was missing or unreadable marks it now
            return
        if self.db.execute("SELECT 1 FROM document_texts WHERE document_id = ?", [doc_id]).fetchone():
            # the update trigger re-indexes the text for search
            self.db.execute("UPDATE document_texts SET text = ? WHERE document_id = ?", [content.text, doc_id])
        else:  # first readable version of a file that was unreadable until now
            self.db.execute("INSERT INTO document_texts (document_id, text) VALUES (?, ?)", [doc_id, content.text])
            self.new_ids.append(doc_id)
        store_passages(self.db, doc_id, content.passages)
        self.indexed.append(doc_id)
        self.index_changed = True
        self._reanchor(doc_id, content.text, row["sha256"], content.sha256)

    def _reanchor(self, doc_id: int, text: str, sha_before: str | None, sha_after: str | None) -> None:
        result = reanchor_document(self.corpus, doc_id, text)
        self.summary.reanchored_spans += len(result.reanchored)
        self.summary.stale_spans += len(result.stale)
        self.corpus.log_event(
            "document.changed", doc_id,
            {"sha256_before": sha_before, "sha256_after": sha_after,
             "reanchored": result.reanchored, "stale": result.stale},
        )


def read_files(folder: Path, jobs: list[tuple[FoundFile, str | None]],
               sites: Mapping[str, AbstractSet[str]] | None = None, place: str | None = None
               ) -> tuple[dict[str, FileContent], dict[str, set[str]]]:
    """Read, hash and decode files (in the reader process for large scans). Titles pass over
    the ``sites`` lines known when the batch was handed out, and over the lines that title 3
    documents of a source in the batch itself (``_batch_site_lines``): a scan reads a site's
    pages together, in path order, so its menus are found where its pages are read. Returns
    the contents and the site lines found in the batch."""
    contents = {}
    for found, override in jobs:
        if found.name_problem:
            problem = found.name_problem
            contents[found.path] = FileContent(None, Decoded(None, None, problem=problem), FrontMatter(), None, problem)
        else:
            contents[found.path] = read_file(folder, found, override, sites, place)
    return contents, _batch_site_lines(contents, sites or {})


def _batch_site_lines(contents: dict[str, FileContent], known: Mapping[str, AbstractSet[str]]) -> dict[str, set[str]]:
    """Retitle, in place, the documents of a batch whose title is a line that titles
    ``SITE_LINE_DOCUMENTS`` of the batch's documents of one source, round after round (a site's
    next line may be its too). The scan's writer counts the titles it gets
    (``SiteLineCounter``) and takes the lines found here."""
    skipped = {source: set(lines) for source, lines in known.items()}
    found: dict[str, set[str]] = {}
    sources = {path: document_source(path, content.front.meta) for path, content in contents.items()
               if content.title is not None and content.text is not None and "title" not in content.front.meta}
    for _ in range(SITE_ROUNDS):
        counts: dict[tuple[str, str], int] = {}
        for path, source in sources.items():
            key = (source, contents[path].title or "")
            counts[key] = counts.get(key, 0) + 1
        shared = {key for key, count in counts.items() if count >= SITE_LINE_DOCUMENTS and key[1]}
        if not shared:
            break
        for source, title in shared:
            skipped.setdefault(source, set()).add(title)
            found.setdefault(source, set()).add(title)
        for path, source in list(sources.items()):
            content = contents[path]
            if (source, content.title) in shared:
                title = document_title(content.text or "", content.front.meta, content.front.body_start,
                                       skipped=skipped[source])
                contents[path] = replace(content, title=title)
                if title is None:
                    del sources[path]
    return found


class _Inline:
    """An executor that runs each job at once, for scans too small for a process."""

    def __enter__(self) -> "_Inline":
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()
        future.set_result(function(*args))
        return future


def _reader_for(files_to_read: int) -> Any:
    """A reader process when there is enough to read to pay for starting one.

    Not a thread: the GIL would make SQLite's writer wait on the decoder
    (measured slower than no parallelism at all). The child only reads files;
    it never touches this process's database connection.
    """
    if files_to_read < PARALLEL_READ_THRESHOLD or (os.cpu_count() or 1) < 2:
        return _Inline()
    return WorkerPool(
        max_workers=READERS, mp_context=multiprocessing.get_context(start_method()),
        initializer=_start_reader, initargs=(os.getpid(),),
    )


def _start_reader(parent_pid: int) -> None:
    pool_worker(parent_pid)
    # Below the writer: it is the one SQLite waits on, and readers fill whatever it leaves.
    try:
        os.nice(READER_NICENESS)
    except (AttributeError, OSError):
        pass


def index_new_texts(db: Any, document_ids: list[int]) -> None:
    """Add new texts to the full-text index in one statement (FTS5 flushes per statement)."""
    for start in range(0, len(document_ids), 500):
        chunk = document_ids[start : start + 500]
        db.execute(
            "INSERT INTO document_texts_fts (rowid, text) SELECT document_id, text FROM document_texts "
            f"WHERE document_id IN ({', '.join('?' for _ in chunk)})",
            chunk,
        )


@contextmanager
def bulk_writes(db: Any, path: Path) -> Iterator[None]:
    """Settings for the length of a scan: WAL checkpoints wait for the end (hot
    pages are written once, not once per batch) and commits do not fsync
    (WAL with synchronous=NORMAL stays consistent; what a power cut could lose
    is re-read from the originals by the next scan). Restored afterwards."""
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA wal_autocheckpoint = 0")
    db.execute(f"PRAGMA cache_size = {SCAN_CACHE_KIB}")  # index b-trees outgrow the 2 MB default
    try:
        yield
    finally:
        # Settings only touch this connection; they cannot fail for want of disk.
        db.execute(f"PRAGMA cache_size = {cache}")
        db.execute("PRAGMA wal_autocheckpoint = 1000")
        db.execute("PRAGMA synchronous = FULL")
    # Only after a scan that went through: after a failure (a full disk), the
    # checkpoint's own error would replace the one that says what happened.
    try:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never blocks on other readers
    except sqlite3.Error as error:  # the scan is committed (in the WAL); the disk may be full
        raise translate(error, path) from None


def scan(
    corpus: "Corpus",
    found: list[FoundFile],
    progress: Callable[[int, int], None] | None = None,
    partial: bool = False,
) -> ScanSummary:
    """Bring the database up to date with ``found`` (see the module docstring)."""
    return _Scan(corpus, found, partial).run(progress)
