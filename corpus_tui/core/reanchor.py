"""Re-anchor a changed document's spans: each moves to where its quote and
context are found again (the rule in ``anchoring``) or becomes stale."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import ranges
from .anchoring import Anchor, anchor_for, find
from .titles import refresh_titles

if TYPE_CHECKING:
    from .spans import SpansMixin


@dataclass
class Reanchored:
    reanchored: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)


def reanchor_document(corpus: "SpansMixin", doc_id: int, text: str) -> Reanchored:
    """Move every span of ``doc_id`` onto ``text``, the document's new text. Inside ``write()``.

    A span that is already stale is tried again too: the text may have come back.
    The title follows the boilerplate where it now is (or no longer is).
    """
    db = corpus.db
    result = Reanchored()
    for span in corpus.spans(doc_id):
        located = find(text, Anchor(span.quote, span.prefix, span.suffix), span.start)
        if located.start is None:
            if span.anchor != "stale":
                db.execute("UPDATE spans SET anchor = 'stale' WHERE id = ?", [span.id])
            result.stale.append(span.id)
            continue
        start = located.start
        end = start + len(span.quote)
        fresh = anchor_for(text, start, end)
        state = "ok" if (start, fresh.prefix, fresh.suffix) == (span.start, span.prefix, span.suffix) else "reanchored"
        if state == "reanchored":
            result.reanchored.append(span.id)
        db.execute(
            'UPDATE spans SET start = ?, "end" = ?, prefix = ?, suffix = ?, anchor = ? WHERE id = ?',
            [start, end, fresh.prefix, fresh.suffix, state, span.id],
        )
    _remerge_boilerplate(corpus, doc_id, text)
    refresh_titles(db, [doc_id])
    return result


def _remerge_boilerplate(corpus: "SpansMixin", doc_id: int, text: str) -> None:
    """Re-anchored boilerplate may now overlap; keep the disjoint-ranges invariant."""
    live = [s for s in corpus.spans(doc_id, "boilerplate") if not s.stale]
    merged = ranges.merge((s.start, s.end) for s in live)
    if len(merged) == len(live):
        return
    # Only the ranges that now touch are replaced: a mark that stands alone keeps its row (its
    # id), so undoing it still finds it (every mark got a new id, and an undo of one the scan
    # never touched was refused as "changed since": a review).
    starts = [piece[0] for piece in merged]  # sorted: each mark is inside the last piece starting at or before it
    inside = Counter(merged[bisect_right(starts, s.start) - 1] for s in live)
    alone = {piece for piece in merged if inside[piece] == 1}  # a merged range that is one mark's own
    live = [s for s in live if (s.start, s.end) not in alone]
    merged = [piece for piece in merged if piece not in alone]
    corpus.db.execute(
        f"DELETE FROM spans WHERE id IN ({', '.join('?' for _ in live)})", [s.id for s in live]
    )
    first = live[0]
    rows = []
    for start, end in merged:
        anchor = anchor_for(text, start, end)
        reason = next((s.reason for s in live if s.start < end and s.end > start and s.reason), None)
        # a range is a rule's only when every piece of it was that rule's (``rules``)
        owners = {s.rule_id for s in live if s.start < end and s.end > start}
        rows.append(first.as_row() | {
            "id": None, "start": start, "end": end, "reason": reason, "anchor": "reanchored",
            "rule_id": owners.pop() if len(owners) == 1 else None,
            "quote": anchor.quote, "prefix": anchor.prefix, "suffix": anchor.suffix,
        })
    corpus.insert_span_rows(rows)
