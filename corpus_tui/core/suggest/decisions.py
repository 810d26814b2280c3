"""The analyst's answers to suggestions: accepting marks boilerplate, rejecting remembers.

A rejection is kept by document and the fingerprint of the line's normalized text (so it
follows the line when the file changes) and the line is not suggested there again; undo
forgets it. Accepting is marking: one suggestion is an ordinary boilerplate mark; several at
once (``accept_suggestions``, ``apply_suggestions``, the app's "accept all") are one undo step
across documents, recorded as a batch that ``applied_batches`` lists and ``revert_batch``
reverts as a unit, like a tag import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ..base import CorpusBase
from ..errors import InvalidValue
from ..normalize import fingerprint, normalize
from ..propagate import SUGGEST_ACCEPT_ACTION, plan_marks, plan_payload, replay, write_plan
from ..store import now

REASON_PREFIX = "suggested: "


@dataclass(frozen=True)
class AcceptSummary:
    event_id: int | None  # the batch (None: nothing changed, or a dry run)
    documents: int
    ranges: int  # boilerplate ranges inserted (merged with marks already there)
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AppliedBatch:
    event_id: int
    at: str
    annotator: str
    documents: int
    ranges: int
    reverted: bool


def line_fingerprint(text: str) -> int:
    return fingerprint(normalize(text))


class SuggestDecisionsMixin(CorpusBase):
    def reject_suggestion(self, document_id: int, start: int, end: int, score: float | None = None,
                          reason: str | None = None) -> bool:
        """Remember that the line at [start, end) is not boilerplate here: it is not suggested
        again in this document. One undo step; False when it was rejected already."""
        text = self.text(document_id)
        if not 0 <= start < end <= len(text):
            raise InvalidValue(f"no line at [{start}, {end}) in document {document_id}")
        row = {"document_id": document_id, "fingerprint": line_fingerprint(text[start:end]), "start": start,
               "end": end, "score": score, "reason": reason, "annotator": self.annotator, "created_at": now()}
        with self.write():
            cursor = self.db.execute(
                'INSERT OR IGNORE INTO suggestion_rejections (document_id, fingerprint, start, "end", score, reason, '
                "annotator, created_at) VALUES (:document_id, :fingerprint, :start, :end, :score, :reason, "
                ":annotator, :created_at)", row,
            )
            if not cursor.rowcount:
                return False
            self.log_event("suggestion.reject", document_id, {"row": {"id": cursor.lastrowid, **row}})
        return True

    def rejected_fingerprints(self, document_id: int) -> set[int]:
        return {row[0] for row in self.db.execute(
            "SELECT fingerprint FROM suggestion_rejections WHERE document_id = ?", [document_id])}

    def accept_suggestions(self, ranges: Iterable[tuple[int, int, int, str | None]],
                           dry_run: bool = False) -> AcceptSummary:
        """Mark these (document id, start, end, reason) as boilerplate, merged with the marks
        there: one transaction, one undo step, one batch."""
        copies = [(doc, start, end, None, REASON_PREFIX + reason if reason else None)
                  for doc, start, end, reason in ranges]
        if dry_run:
            plan = plan_marks(self.db, copies, self.annotator)
            return AcceptSummary(None, len(plan.documents), len(plan.added), True)
        with self.write():
            plan = plan_marks(self.db, copies, self.annotator)
            if not plan.added:
                return AcceptSummary(None, 0, 0, False)
            write_plan(self.db, plan)
            event_id = self.log_event(SUGGEST_ACCEPT_ACTION, None, plan_payload(self.db, plan))
        return AcceptSummary(event_id, len(plan.documents), len(plan.added), False)

    def apply_suggestions(self, min_score: float | None = None, paths: list[str] | None = None,
                          dry_run: bool = False) -> AcceptSummary:
        """Accept every suggestion (at or above ``min_score``) of the corpus, or of ``paths``."""
        wanted = [(document.id, s.start, s.end, s.reason)
                  for document, found in self.suggest_all(min_score, paths)  # type: ignore[attr-defined]
                  for s in found]
        return self.accept_suggestions(wanted, dry_run=dry_run)

    def applied_batches(self) -> list[AppliedBatch]:
        """Every batch of accepted suggestions, oldest first."""
        reverted: dict[int, bool] = {}  # batch -> whether its last undo, redo or revert reverted it
        for action, target in self.db.execute(
            "SELECT action, json_extract(payload, '$.target') FROM events "
            "WHERE action IN ('undo', 'redo', 'suggestion.revert') ORDER BY id"
        ):
            reverted[target] = action != "redo"
        batches = []
        for event_id, at, annotator, payload in self.db.execute(
            "SELECT id, at, annotator, payload FROM events WHERE action = ? ORDER BY id", [SUGGEST_ACCEPT_ACTION]
        ):
            data = _json(payload)
            document = data["columns"].index("document_id")
            batches.append(AppliedBatch(event_id, at, annotator, len({row[document] for row in data["after"]}),
                                        len(data["after"]), reverted.get(event_id, False)))
        return batches

    def revert_batch(self, event_id: int) -> AcceptSummary:
        """Undo one batch of accepted suggestions, whenever it was made, if its marks are still
        as it left them; InvalidValue (and nothing changed) when they are not."""
        with self.write():
            row = self.db.execute("SELECT action, payload FROM events WHERE id = ?", [event_id]).fetchone()
            if row is None or row[0] != SUGGEST_ACCEPT_ACTION:
                raise InvalidValue(f"no batch of accepted suggestions with id {event_id} (see corpus-tui suggest --applied)")
            batch = next(b for b in self.applied_batches() if b.event_id == event_id)
            if batch.reverted:
                raise InvalidValue(f"batch {event_id} is reverted already")
            payload = _json(row[1])
            columns = payload["columns"]
            for values in payload["after"]:
                span = dict(zip(columns, values))
                now_there = self.db.execute('SELECT start, "end" FROM spans WHERE id = ?', [span["id"]]).fetchone()
                if now_there is None or tuple(now_there) != (span["start"], span["end"]):
                    path = self.document(span["document_id"]).path
                    raise InvalidValue(f"batch {event_id} cannot be reverted: its mark at [{span['start']}, "
                                       f"{span['end']}) in {path} has changed since (undo the later change first)")
            replay(self.db, payload, False, lambda text, rows: rows)
            self.log_event("suggestion.revert", None, {"target": event_id})
        return AcceptSummary(event_id, batch.documents, batch.ranges, False)


def _json(text: str) -> dict[str, Any]:
    return json.loads(text)
