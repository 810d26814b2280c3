"""MinHash signatures of documents' own text (``shingles``), with rensa.

rensa (a Rust MinHash library, 1.2 MB, no dependencies) computes a 192-slot R-MinHash
of a document's shingles in ~30 µs; datasketch's pure-Python MinHash is ~20x slower
for the same (``bench/bench_duplicates.py`` measures both). A signature is stored as
rensa's own serialized state, so it is loaded back into an ``RMinHash`` and its LSH
index; ``SIGNATURE_SETTINGS`` names everything a signature depends on, and a corpus
whose signatures were made with other settings (or another rensa algorithm) gets new
ones at its next scan.

A document with fewer than ``MIN_WORDS`` words of its own gets no signature: a caption
or a one-line page would be "contained" in every page that quotes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import rensa

from ..normalize import NORMALIZATION_VERSION
from ..sources import MIN_DOCUMENTS as REPEAT_MIN_DOCUMENTS
from .shingles import SHINGLE_WORDS, Range, own_words, shingles

NUM_PERM = 192
BANDS = 64  # 3 slots a band: a pair of Jaccard 0.35 is a candidate with probability 0.94, 0.5: 0.9998
SEED = 20261201
MIN_WORDS = 20
# A long passage in a few documents is more likely an article syndicated to a few sites than
# a template: it stays in the text compared, unless it is in this many documents.
TEMPLATE_MIN_DOCUMENTS = 20
LONG_PASSAGE_CHARS = 200
SETTINGS_KEY = "duplicates_signature"
SIGNATURE_SETTINGS = (
    f"shingle={SHINGLE_WORDS} perm={NUM_PERM} seed={SEED} min_words={MIN_WORDS} "
    f"normalization={NORMALIZATION_VERSION} rensa={rensa.RMinHash.ALGORITHM_VERSION}"
)


@dataclass(frozen=True, slots=True)
class Signature:
    document_id: int
    sha256: str
    words: int
    shingles: int
    state: bytes | None  # rensa's serialized RMinHash; None: too short to compare


def minhash(shingle_set: Iterable[str]) -> rensa.RMinHash:
    sketch = rensa.RMinHash(num_perm=NUM_PERM, seed=SEED)
    sketch.update(list(shingle_set))
    return sketch


def load_minhash(state: bytes) -> rensa.RMinHash:
    sketch = rensa.RMinHash(num_perm=NUM_PERM, seed=SEED)
    sketch.__setstate__(state)
    return sketch


_REPEATED_RANGES = (
    'SELECT p.document_id, p.start, p."end" FROM passages p JOIN repeats r ON r.fingerprint = p.fingerprint '
    'WHERE p.document_id IN ({marks}) AND r.documents >= ? AND (r.documents >= ? OR p."end" - p.start < ?)'
)
_MARKED_RANGES = (
    "SELECT document_id, start, \"end\" FROM spans "
    "WHERE document_id IN ({marks}) AND kind = 'boilerplate' AND anchor != 'stale'"
)
_READABLE_TEXTS = (
    "SELECT d.id, d.sha256, d.body_start, t.text FROM documents d JOIN document_texts t ON t.document_id = d.id "
    "WHERE d.id IN ({marks}) AND d.state = 'ok'"
)
_NOT_SIGNED = " AND NOT EXISTS (SELECT 1 FROM minhashes m WHERE m.document_id = d.id AND m.sha256 IS d.sha256)"
QUERY_BLOCK = 500  # documents a query asks for at once


@dataclass(frozen=True, slots=True)
class SigningInput:
    """What a document's signature is made from, read for a block of documents at once."""

    document_id: int
    sha256: str
    text: str
    body_start: int
    marked: list[Range]
    repeated: list[Range]

    def own_words(self) -> list[str]:
        return own_words(self.text, self.body_start, self.marked, self.repeated)


def signing_inputs(db: Any, document_ids: Iterable[int], only_unsigned: bool = False) -> Iterator[SigningInput]:
    """The signing input of each readable document, in the order given; three queries per
    ``QUERY_BLOCK`` documents rather than three per document. ``only_unsigned``: leave out
    those another process signed since they were listed (two scans at once)."""
    ids = list(document_ids)
    readable = _READABLE_TEXTS + (_NOT_SIGNED if only_unsigned else "")
    for first in range(0, len(ids), QUERY_BLOCK):
        block = ids[first : first + QUERY_BLOCK]
        marks = ", ".join("?" * len(block))
        texts = {row[0]: row[1:] for row in db.execute(readable.format(marks=marks), block)}
        marked: dict[int, list[Range]] = {}
        for document_id, start, end in db.execute(_MARKED_RANGES.format(marks=marks), block):
            marked.setdefault(document_id, []).append((start, end))
        repeated: dict[int, list[Range]] = {}
        rows = db.execute(_REPEATED_RANGES.format(marks=marks),
                          [*block, REPEAT_MIN_DOCUMENTS, TEMPLATE_MIN_DOCUMENTS, LONG_PASSAGE_CHARS])
        for document_id, start, end in rows:
            repeated.setdefault(document_id, []).append((start, end))
        for document_id in block:
            found = texts.get(document_id)
            if found is not None:
                sha256, body_start, text = found
                yield SigningInput(document_id, sha256 or "", text, body_start,
                                   marked.get(document_id, []), repeated.get(document_id, []))


def own_words_of(db: Any, document_id: int) -> tuple[str, list[str]] | None:
    """(sha256 of the text, its own words) of a readable document; None otherwise."""
    for found in signing_inputs(db, [document_id]):
        return found.sha256, found.own_words()
    return None


def sign(found: SigningInput) -> Signature:
    """A pure function of its input: the same signature in any process."""
    word_list = found.own_words()
    shingle_set = shingles(word_list)
    state = minhash(shingle_set).__getstate__() if len(word_list) >= MIN_WORDS else None
    return Signature(found.document_id, found.sha256, len(word_list), len(shingle_set), state)


def signatures_of(db: Any, document_ids: Iterable[int], only_unsigned: bool = False) -> Iterator[Signature]:
    return map(sign, signing_inputs(db, document_ids, only_unsigned))


PENDING_KEY = "duplicates_pending"


def mark_signatures_pending(db: Any) -> None:
    """A scan changed a text or a document's state: the next refresh looks for documents to
    sign and rebuilds the clusters. A counter, so a refresh clears only what it has seen.
    Inside the caller's write transaction."""
    db.execute(
        "INSERT INTO corpus_state (key, value) VALUES (?, '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1", [PENDING_KEY],
    )


def pending_generation(db: Any) -> str | None:
    row = db.execute("SELECT value FROM corpus_state WHERE key = ?", [PENDING_KEY]).fetchone()
    return row[0] if row else None


def clear_pending(db: Any, generation: str | None) -> None:
    """Inside the caller's write transaction: forget the mark if no scan added to it since."""
    db.execute("DELETE FROM corpus_state WHERE key = ? AND value IS ?", [PENDING_KEY, generation])


def documents_to_sign(db: Any, everything: bool = False) -> list[int]:
    """Readable documents with no signature, or one of a text that changed since (all of
    them when ``everything`` or when the stored signatures were made with other settings)."""
    if everything or not settings_current(db):
        return [row[0] for row in db.execute("SELECT id FROM documents WHERE state = 'ok' ORDER BY id")]
    return [row[0] for row in db.execute(
        "SELECT d.id FROM documents d LEFT JOIN minhashes m ON m.document_id = d.id "
        "WHERE d.state = 'ok' AND (m.document_id IS NULL OR m.sha256 IS NOT d.sha256) ORDER BY d.id"
    )]


def documents_to_pair(db: Any) -> list[int]:
    """Readable documents signed since their pairs were last verified (this refresh's, any a
    refresh killed before its end left, and documents back from missing)."""
    return [row[0] for row in db.execute(
        "SELECT m.document_id FROM minhashes m JOIN documents d ON d.id = m.document_id "
        "WHERE m.paired = 0 AND d.state = 'ok' ORDER BY m.document_id"
    )]


def unpaired_waiting(db: Any) -> bool:
    """Whether a readable document still waits for its pairs (a refresh was cut short)."""
    return db.execute(
        "SELECT 1 FROM minhashes m JOIN documents d ON d.id = m.document_id "
        "WHERE m.paired = 0 AND d.state = 'ok' LIMIT 1"
    ).fetchone() is not None


def record_paired(db: Any, signed: dict[int, str]) -> None:
    """Inside the transaction that stores their pairs: these documents' pairs are verified,
    unless another process signed them again since (their text's sha256 changed)."""
    db.conn.executemany("UPDATE minhashes SET paired = 1 WHERE document_id = ? AND sha256 IS ?", signed.items())


def record_paired_unsigned(db: Any, document_ids: list[int]) -> None:
    """Documents too short for a signature have no pairs to wait for."""
    db.conn.executemany("UPDATE minhashes SET paired = 1 WHERE document_id = ? AND signature IS NULL",
                        ((i,) for i in document_ids))


def neighbours(db: Any, document_ids: list[int]) -> set[int]:
    """Documents sharing a stored pair with one of these."""
    found: set[int] = set()
    for start in range(0, len(document_ids), 500):
        part = document_ids[start : start + 500]
        marks = ", ".join("?" for _ in part)
        for a, b in db.execute(f"SELECT a, b FROM near_duplicates WHERE a IN ({marks}) OR b IN ({marks})", part + part):
            found.update((a, b))
    return found


def unreadable_with_pairs(db: Any) -> list[int]:
    """Missing or unreadable documents that still have stored pairs."""
    return [row[0] for row in db.execute(
        "SELECT d.id FROM documents d WHERE d.state != 'ok' AND (EXISTS (SELECT 1 FROM near_duplicates n "
        "WHERE n.a = d.id) OR EXISTS (SELECT 1 FROM near_duplicates n WHERE n.b = d.id))"
    )]


def forget_pairs(db: Any, document_ids: list[int]) -> None:
    """Inside the caller's write transaction: drop the pairs of documents gone missing or
    unreadable, and make them wait for new ones (if they come back)."""
    for start in range(0, len(document_ids), 500):
        part = document_ids[start : start + 500]
        marks = ", ".join("?" for _ in part)
        db.execute(f"DELETE FROM near_duplicates WHERE a IN ({marks}) OR b IN ({marks})", part + part)
        db.execute(f"UPDATE minhashes SET paired = 0 WHERE document_id IN ({marks})", part)


def settings_current(db: Any) -> bool:
    row = db.execute("SELECT value FROM corpus_state WHERE key = ?", [SETTINGS_KEY]).fetchone()
    return row is not None and row[0] == SIGNATURE_SETTINGS


def record_settings(db: Any) -> None:
    db.execute(
        "INSERT INTO corpus_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [SETTINGS_KEY, SIGNATURE_SETTINGS],
    )


def store_signatures(db: Any, signatures: Iterable[Signature]) -> None:
    """Inside the caller's write transaction."""
    db.conn.executemany(
        "INSERT INTO minhashes (document_id, sha256, words, shingles, signature, paired) VALUES (?, ?, ?, ?, ?, 0) "
        "ON CONFLICT (document_id) DO UPDATE SET sha256 = excluded.sha256, words = excluded.words, "
        "shingles = excluded.shingles, signature = excluded.signature, paired = 0",
        ((s.document_id, s.sha256, s.words, s.shingles, s.state) for s in signatures),
    )
