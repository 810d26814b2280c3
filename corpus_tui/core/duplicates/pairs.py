"""Near-duplicate pairs: LSH candidates from the signatures, each verified exactly.

rensa's LSH (64 bands of 3 slots) makes two documents candidates when their signatures
agree on a whole band: likely for a Jaccard of 0.35 or more, whatever the containment (a
pair of Jaccard 0.285 and containment 0.48 is missed one time in five). A corpus of at
most ``EVERY_PAIR_MAX`` distinct signatures skips the bands (less than a second): every
pair's containment is estimated, and each that may reach ``STORE_MIN`` within two standard
errors of its estimate (``containment_margin``: wide between documents of very different
lengths) is verified, at most ``MAX_CANDIDATES`` a document.
A candidate whose MinHash estimate cannot reach ``STORE_MIN`` containment is dropped;
the others are compared exactly, on their shingle sets, so every figure stored and
reported is exact: Jaccard = |A ∩ B| / |A ∪ B|, containment = |A ∩ B| / min(|A|, |B|)
(the share of the smaller document's shingles found in the larger). Pairs from a
containment of ``STORE_MIN`` are stored, so a threshold down to it needs no rescan.

An article inside a page up to about 2.5 times its length has a Jaccard of 0.4 or more
with it and is found; inside a much longer page it is found only when the band
collisions allow (its containment is exact when it is).

Work stays near linear when many documents are alike. Documents with the same
signature (the same shingles, as a site's empty pages or a thousand copies of one
notice) are linked to the first of them only: n copies make n - 1 pairs, not n²/2,
and one cluster all the same. And a document is verified against its
``MAX_CANDIDATES`` likeliest candidates at most, among the first ``MAX_BUCKET_KEYS``
documents its bands collide with (its cluster is still whole: those link to the
others).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import rensa

from .shingles import shingles
from .signatures import BANDS, NUM_PERM, load_minhash, own_words_of

DEFAULT_THRESHOLD = 0.5  # containment; planted disguises measure >= 0.6, site siblings <= 0.2
STORE_MIN = 0.3
ESTIMATE_MARGIN = 0.1  # a 192-slot Jaccard estimate has a standard error of ~0.03 around 0.2
SHINGLE_CACHE = 5000  # documents whose shingle sets (of hashes: ~10 KB each) are kept while verifying
MAX_CANDIDATES = 50  # candidates verified per document, the likeliest first
MAX_BUCKET_KEYS = 300  # band collisions looked at per document: more means thousands of look-alikes
EVERY_PAIR_MAX = 500  # distinct signatures up to which every pair is estimated (250,000 estimates, ~0.3 s)


@dataclass(frozen=True, slots=True)
class Pair:
    a: int  # document ids, a < b
    b: int
    jaccard: float
    containment: float


def similarity(first: set[Any], second: set[Any]) -> tuple[float, float]:
    """(Jaccard, containment) of two shingle sets; (0, 0) when either is empty."""
    if not first or not second:
        return 0.0, 0.0
    shared = len(first & second) if len(first) <= len(second) else len(second & first)
    return shared / (len(first) + len(second) - shared), shared / min(len(first), len(second))


def estimated_containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Containment implied by a Jaccard estimate and the two set sizes."""
    if not size_a or not size_b:
        return 0.0
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return min(1.0, shared / min(size_a, size_b))


def containment_margin(jaccard: float, size_a: int, size_b: int, num_perm: int = NUM_PERM) -> float:
    """Two standard errors of a containment estimated from a ``NUM_PERM``-slot Jaccard estimate:
    the Jaccard's error times how fast the containment moves with it, which grows with the ratio
    of the sizes (200 and 2,000 shingles: ±0.26 around 0.3; equal sizes: ±0.08)."""
    if not size_a or not size_b:
        return 0.0
    error = math.sqrt(max(jaccard * (1 - jaccard), 1 / num_perm) / num_perm)
    return 2 * error * (size_a + size_b) / ((1 + jaccard) ** 2 * min(size_a, size_b))


class SignatureIndex:
    """Every stored signature of a readable document; one document of each set of equal
    signatures (the first: its ``representative``) in rensa's LSH index."""

    def __init__(self, db: Any):
        self.lsh = rensa.RMinHashLSH(threshold=STORE_MIN, num_perm=NUM_PERM, num_bands=BANDS)
        self.sketches: dict[int, rensa.RMinHash] = {}
        self.sizes: dict[int, int] = {}
        self.representative: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}  # representative -> the others with its signature
        self.sha256: dict[int, str] = {}  # the text each signature was made from
        first_of: dict[bytes, int] = {}
        for document_id, size, state, sha256 in db.execute(
            "SELECT m.document_id, m.shingles, m.signature, m.sha256 FROM minhashes m "
            "JOIN documents d ON d.id = m.document_id "
            "WHERE d.state = 'ok' AND m.signature IS NOT NULL AND m.sha256 IS d.sha256 ORDER BY m.document_id"
        ):
            self.representative[document_id] = first = first_of.setdefault(state, document_id)
            self.sha256[document_id] = sha256
            if first == document_id:
                self.sketches[document_id] = load_minhash(state)
                self.sizes[document_id] = size
            else:
                self.members.setdefault(first, []).append(document_id)
        self.lsh.insert_pairs(list(self.sketches.items()))

    def candidates(self, representative: int) -> list[int]:
        """Other representatives that share a band with this one (in a small corpus: all of
        them) and may reach ``STORE_MIN``, the ``MAX_CANDIDATES`` likeliest."""
        sketch = self.sketches[representative]
        size = self.sizes[representative]
        found = []
        floor = STORE_MIN - ESTIMATE_MARGIN
        every_pair = len(self.sketches) <= EVERY_PAIR_MAX
        others: Iterable[int] = self.sketches if every_pair else self.lsh.query(sketch)[:MAX_BUCKET_KEYS]
        for other in others:
            if other != representative:
                jaccard = sketch.jaccard(self.sketches[other])
                estimate = estimated_containment(jaccard, size, self.sizes[other])
                if every_pair:  # no band decided it: the estimate alone does, as sure as it is
                    floor = STORE_MIN - max(ESTIMATE_MARGIN, containment_margin(jaccard, size, self.sizes[other]))
                if estimate >= floor:
                    found.append((estimate, other))
        if len(found) > MAX_CANDIDATES:
            found = sorted(found, reverse=True)[:MAX_CANDIDATES]
        return [other for _, other in found]


class ShingleCache:
    """Documents' own shingle sets, computed on demand and kept for a while."""

    def __init__(self, db: Any, size: int = SHINGLE_CACHE):
        self.db = db
        self.size = size
        self.sets: OrderedDict[int, set[int]] = OrderedDict()

    def __getitem__(self, document_id: int) -> set[int]:
        """The shingles' hashes: within one process, as exact as the strings (a collision of
        two 64-bit hashes is not a concern at these sizes) and a quarter of the memory."""
        found = self.sets.get(document_id)
        if found is not None:
            self.sets.move_to_end(document_id)
            return found
        own = own_words_of(self.db, document_id)
        found = set(map(hash, shingles(own[1]))) if own is not None else set()
        self.sets[document_id] = found
        if len(self.sets) > self.size:
            self.sets.popitem(last=False)
        return found


def find_pairs(db: Any, document_ids: Iterable[int], progress: Callable[[int, int], None] | None = None,
               index: SignatureIndex | None = None) -> list[Pair]:
    """Every pair with a containment of ``STORE_MIN`` or more that involves one of
    ``document_ids``, verified exactly, and the links of their signature groups (every copy to
    the first); sorted by (a, b)."""
    index = index or SignatureIndex(db)
    candidates: set[tuple[int, int]] = set()
    queried: set[int] = set()
    for document_id in document_ids:
        first = index.representative.get(document_id)
        if first is None or first in queried:
            continue  # no signature (too short to compare), or its group is done
        queried.add(first)
        for member in index.members.get(first, ()):
            candidates.add((first, member))  # the same signature: verified like any pair
        for other in index.candidates(first):
            candidates.add((min(first, other), max(first, other)))
    cache = ShingleCache(db)
    pairs = []
    ordered = sorted(candidates)
    for done, (a, b) in enumerate(ordered, 1):
        jaccard, containment = similarity(cache[a], cache[b])
        if containment >= STORE_MIN:
            pairs.append(Pair(a, b, round(jaccard, 4), round(containment, 4)))
        if progress and done % 500 == 0:
            progress(done, len(ordered))
    return pairs


def replace_pairs(db: Any, document_ids: Sequence[int] | None, pairs: Iterable[Pair]) -> None:
    """Replace the stored pairs that involve ``document_ids`` (None: every pair) by ``pairs``.
    Inside the caller's write transaction."""
    if document_ids is None:
        db.execute("DELETE FROM near_duplicates")
    else:
        for start in range(0, len(document_ids), 500):
            part = list(document_ids[start : start + 500])
            marks = ", ".join("?" for _ in part)
            db.execute(f"DELETE FROM near_duplicates WHERE a IN ({marks}) OR b IN ({marks})", part + part)
    db.conn.executemany(
        "INSERT OR REPLACE INTO near_duplicates (a, b, jaccard, containment) VALUES (?, ?, ?, ?)",
        ((p.a, p.b, p.jaccard, p.containment) for p in pairs),
    )
