"""``Corpus`` methods for near-duplicate documents (the CLI and the app call these)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal
from numbers import Real
from typing import Any

from ..arguments import whole_numbers
from ..base import CorpusBase
from ..errors import ChangedElsewhere, InvalidValue
from ..safe_text import quoted
from .clusters import Cluster, clusters, dedup_decisions, links, makes_a_circle, rebuild_clusters
from .pairs import DEFAULT_THRESHOLD, STORE_MIN
from .refresh import RefreshSummary, refresh


@dataclass(frozen=True)
class NearDuplicate:
    """Another document and how much of the two they share (exact figures)."""

    document_id: int
    path: str
    jaccard: float
    containment: float
    marked: bool = False  # the analyst marked one of the two a duplicate of the other


@dataclass(frozen=True)
class DuplicatePair:
    a: str  # paths, a < b
    b: str
    jaccard: float
    containment: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_threshold(threshold: float | None) -> float:
    value = DEFAULT_THRESHOLD if threshold is None else threshold
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise InvalidValue(f"threshold must be a number from {STORE_MIN} to 1, not {type(value).__name__} {value!r}")
    value = float(value)
    if not STORE_MIN <= value <= 1:
        raise InvalidValue(f"threshold {value} is out of range: use a containment from {STORE_MIN} to 1")
    return value


class DuplicatesMixin(CorpusBase):
    def refresh_duplicates(self, everything: bool = False, progress: Callable[[int, int], None] | None = None,
                           workers: int | None = None) -> RefreshSummary:
        """Sign the documents that need it and verify their pairs again (``duplicates.refresh``);
        ``everything``: all of them, with the marks and repeats known now."""
        return refresh(self, everything, progress, workers)

    @whole_numbers("document_id")
    def near_duplicates(self, document_id: int, threshold: float | None = None) -> list[NearDuplicate]:
        """This document's near-duplicates, the most contained first; those the analyst
        linked by a mark are included whatever their figures."""
        value = check_threshold(threshold)
        rows = self.db.execute(
            "SELECT o.id, o.path, n.jaccard, n.containment FROM near_duplicates n "
            "JOIN documents o ON o.id = CASE WHEN n.a = ? THEN n.b ELSE n.a END "
            "WHERE (n.a = ? OR n.b = ?) AND n.containment >= ? AND o.state = 'ok'",
            [document_id, document_id, document_id, value],
        ).fetchall()
        found = {row[0]: NearDuplicate(row[0], row[1], row[2], row[3]) for row in rows}
        for other, path in self.db.execute(
            "SELECT o.id, o.path FROM documents d JOIN documents o ON o.id = d.duplicate_of WHERE d.id = ? "
            "UNION SELECT o.id, o.path FROM documents o WHERE o.duplicate_of = ?", [document_id, document_id],
        ):
            pair = self.db.execute(
                "SELECT jaccard, containment FROM near_duplicates WHERE a = ? AND b = ?",
                [min(document_id, other), max(document_id, other)],
            ).fetchone()
            found[other] = NearDuplicate(other, path, *(pair or (0.0, 0.0)), marked=True)
        return sorted(found.values(), key=lambda n: (-n.containment, n.path))

    def duplicate_pairs(self, threshold: float | None = None) -> list[DuplicatePair]:
        """Every pair of readable documents with a containment of ``threshold`` or more,
        sorted by paths (``a`` the smaller path)."""
        value = check_threshold(threshold)
        found = []
        for x, y, jaccard, containment in self.db.execute(
            "SELECT x.path, y.path, n.jaccard, n.containment FROM near_duplicates n "
            "JOIN documents x ON x.id = n.a JOIN documents y ON y.id = n.b "
            "WHERE n.containment >= ? AND x.state = 'ok' AND y.state = 'ok'", [value],
        ):
            found.append(DuplicatePair(min(x, y), max(x, y), jaccard, containment))
        return sorted(found, key=lambda p: (p.a, p.b))

    def duplicate_pair_count(self, threshold: float | None = None) -> int:
        """How many pairs ``duplicate_pairs`` lists, counted in SQL."""
        (count,) = self.db.execute(
            "SELECT COUNT(*) FROM near_duplicates n JOIN documents x ON x.id = n.a JOIN documents y ON y.id = n.b "
            "WHERE n.containment >= ? AND x.state = 'ok' AND y.state = 'ok'", [check_threshold(threshold)],
        ).fetchone()
        return int(count)

    def duplicate_clusters(self, threshold: float | None = None) -> list[Cluster]:
        """Clusters of near-duplicates and marked duplicates, the kept document first
        (``duplicates.clusters``)."""
        return clusters(self.db, check_threshold(threshold))

    @whole_numbers("document_id")
    def duplicate_cluster(self, document_id: int) -> int | None:
        """The number of this document's cluster at the default threshold, or None."""
        row = self.db.execute("SELECT cluster FROM duplicate_clusters WHERE document_id = ?", [document_id]).fetchone()
        return row[0] if row else None

    def cluster_size(self, cluster: int) -> int:
        """How many documents the cluster of near-duplicates numbered ``cluster`` holds."""
        row = self.db.execute("SELECT COUNT(*) FROM duplicate_clusters WHERE cluster = ?", [cluster]).fetchone()
        return int(row[0])

    def next_cluster_document(self, document_id: int | None, backwards: bool = False) -> int | None:
        """The kept document of the cluster after (``backwards``: before) this document's,
        wrapping around; None when there are no clusters."""
        numbers = [row[0] for row in self.db.execute("SELECT DISTINCT cluster FROM duplicate_clusters ORDER BY cluster")]
        if not numbers:
            return None
        current = self.duplicate_cluster(document_id) if document_id is not None else None
        if backwards:
            earlier = [n for n in numbers if current is None or n < current]
            target = earlier[-1] if earlier else numbers[-1]
        else:
            later = [n for n in numbers if current is None or n > current]
            target = later[0] if later else numbers[0]
        for cluster in clusters(self.db):
            if cluster.number == target:
                return cluster.keep.id
        return None

    def left_out_by_dedup(self, threshold: float | None = None) -> dict[int, int]:
        """Document id -> the id of the document it is left out for, for every document
        ``export --dedup`` leaves out (``clusters.dedup_decisions``)."""
        value = check_threshold(threshold)
        found = self.duplicate_clusters(threshold)
        return dedup_decisions(found, {m.id for cluster in found for m in cluster.members}, links(self.db, value))

    @whole_numbers("document_id", "of", nullable=("of",))
    def mark_duplicate(self, document_id: int, of: int | None, shown_of: Any = ...) -> bool:
        """Say this document duplicates ``of`` (None: clear the mark); one undoable step.
        False when it already was so. ``shown_of``: the mark the caller showed (a document id or
        None); when another process changed it since, ``ChangedElsewhere`` and nothing written
        (the app's D decides from what the screen shows)."""
        if of == document_id:
            raise InvalidValue("a document cannot be a duplicate of itself")
        with self.write():
            row = self.db.execute("SELECT duplicate_of FROM documents WHERE id = ?", [document_id]).fetchone()
            if row is None:
                raise InvalidValue(f"no document with id {document_id}")
            if of is not None and self.db.execute("SELECT 1 FROM documents WHERE id = ?", [of]).fetchone() is None:
                raise InvalidValue(f"no document with id {of}")
            before = row[0]
            if shown_of is not ... and before != shown_of:
                raise ChangedElsewhere(f"{'marked a duplicate' if before is not None else 'cleared'} by another "
                                       "process since it was shown: nothing changed; the screen shows it now")
            if before == of:
                return False
            if of is not None:
                self._refuse_a_circle(document_id, of)
            self.db.execute("UPDATE documents SET duplicate_of = ? WHERE id = ?", [of, document_id])
            self.log_event("duplicate.mark", document_id, {"before": before, "after": of})
            rebuild_clusters(self.db)
        return True

    def _refuse_a_circle(self, document_id: int, of: int) -> None:
        """InvalidValue when the mark would make two documents each other's copy (``makes_a_circle``)."""
        def marked(document: int) -> int | None:
            row = self.db.execute("SELECT duplicate_of FROM documents WHERE id = ?", [document]).fetchone()
            return row[0] if row else None

        if makes_a_circle(marked, document_id, of):
            raise InvalidValue(f"{quoted(self.document(of).path)} is itself marked a duplicate of "
                               f"{quoted(self.document(document_id).path)} (or of a copy of it): clear that mark "
                               "first (on that document) to make this one the copy")

    def duplicate_of_path(self, document_id: int) -> str | None:
        """The path of the document an analyst marked this one a duplicate of, or None."""
        row = self.db.execute(
            "SELECT o.path FROM documents d JOIN documents o ON o.id = d.duplicate_of WHERE d.id = ?", [document_id]
        ).fetchone()
        return row[0] if row else None
