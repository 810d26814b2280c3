"""The app's side of near-duplicate documents.

The inspector lists the open document's near-duplicates (``Corpus.near_duplicates``);
``=`` opens the diff with the nearest, ``D`` marks the document a duplicate of the
nearest (or clears its mark: one undo step either way; the list shows ``dup``, and
``export --dedup`` leaves it out), ``}`` and ``{`` step to the kept document of the next
and previous cluster. The list's filter takes ``dup:yes`` and ``dup:no``, and ``s``
sorts it by cluster (each cluster together, ``≈N`` on its rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.duplicates.api import NearDuplicate
from ..core.duplicates.diff import similarity_line
from ..core.errors import ChangedElsewhere, CorpusError
from ..core.safe_text import path_line
from ..core.wording import plural
from .screens.duplicate_diff import DuplicateDiffScreen

if TYPE_CHECKING:
    from .app import CorpusApp


class DuplicatesMixin:
    def load_near_duplicates(self: "CorpusApp") -> list[NearDuplicate]:  # type: ignore[misc]
        if self.doc is None:
            return []
        try:
            return self.corpus.near_duplicates(self.doc.id)
        except CorpusError:
            return []  # a busy database only delays them

    def _nearest(self: "CorpusApp") -> NearDuplicate | None:  # type: ignore[misc]
        if self.doc is None:
            return None
        if not self.near_duplicates:
            self.notify("No near-duplicate of this document (the list's dup:yes shows those that have one).",
                        markup=False)
            return None
        marked = next((n for n in self.near_duplicates if n.document_id == self.doc.duplicate_of), None)
        return marked or self.near_duplicates[0]

    def action_duplicate_diff(self: "CorpusApp") -> None:  # type: ignore[misc]
        """Diff the open document with its nearest near-duplicate (or the one it is marked a duplicate of)."""
        nearest = self._nearest()
        if nearest is None or self.doc is None:
            return
        first_id, other_id = self.doc.id, nearest.document_id

        def load() -> tuple[str, str]:  # in the screen's worker thread
            with self.worker_corpus() as corpus:
                return corpus.text(first_id), corpus.text(other_id)

        figures = similarity_line(nearest.jaccard, nearest.containment) + (" · marked" if nearest.marked else "")
        self.push_screen(DuplicateDiffScreen(self.doc.path, nearest.path, figures, load))

    def action_mark_duplicate(self: "CorpusApp") -> None:  # type: ignore[misc]
        """Mark the open document a duplicate of its nearest near-duplicate, or clear its mark."""
        if self.doc is None:
            return
        undo = self.key_by_id("undo")
        if self.doc.duplicate_of is not None:
            target, done = None, f"No longer marked a duplicate ({undo} undoes)."
        else:
            nearest = self._nearest()
            if nearest is None:
                return
            target, done = nearest.document_id, f"Marked a duplicate of {path_line(nearest.path, 80)} ({undo} undoes)."
        try:  # decided from what the screen shows: another process may have changed the mark since
            self.corpus.mark_duplicate(self.doc.id, target, shown_of=self.doc.duplicate_of)
        except ChangedElsewhere as error:
            self.refresh_panels()
            self.reload_list()
            self.notify(f"Not changed: {str(error).replace('nothing changed; ', '')}.", severity="warning",
                        markup=False)
            return
        except CorpusError as error:
            self.notify(f"Not done: {error}", severity="error", markup=False)
            return
        self.refresh_panels()
        self.reload_list()  # the clusters, and the rows that show them, may all have moved
        self.notify(done, markup=False, timeout=3)

    def action_next_cluster(self: "CorpusApp", step: int) -> None:  # type: ignore[misc]
        """Open the kept document of the next (``step`` -1: previous) cluster of near-duplicates."""
        try:
            target = self.corpus.next_cluster_document(self.doc.id if self.doc else None, backwards=step < 0)
        except CorpusError as error:
            self.notify(f"Not done: {error}", severity="error", markup=False)
            return
        if target is None:
            self.notify("No near-duplicates in this corpus.", markup=False)
            return
        self.open_document(target)
        cluster = self.corpus.duplicate_cluster(target)
        if cluster is not None:
            self.notify(f"Cluster {cluster}: {plural(self.corpus.cluster_size(cluster), 'document')}, the kept one open",
                        markup=False, timeout=2)
