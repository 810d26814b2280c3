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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..arguments import strings, whole_number, whole_numbers
from ..base import CorpusBase
from ..errors import ChangedElsewhere, DocumentNotFound, InvalidSpan, InvalidValue
from ..history import reanchored_rows
from ..models import TextVersion
from ..normalize import fingerprint, normalize
from ..propagate import SUGGEST_ACCEPT_ACTION, plan_marks, plan_payload, replay, write_plan
from ..spans import target_problem
from ..rules import apply_rules
from ..store import now
from ..undone import undone_events

REASON_PREFIX = "suggested: "

SuggestedRange = tuple[int, int, int, str | None]  # document id, start, end, reason


@dataclass(frozen=True)
class AcceptSummary:
    event_id: int | None  # the batch (None: nothing changed, or a dry run)
    documents: int
    ranges: int  # boilerplate ranges inserted (merged with marks already there)
    dry_run: bool
    # revert_batch: ranges marked again at once by the rules (marked everywhere) that hold
    # passages the batch had marked: they stay boilerplate.
    kept_by_rules: int = 0

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
    @strings("reason")
    @whole_numbers("document_id", "start", "end")
    def reject_suggestion(self, document_id: int, start: int, end: int, score: float | None = None,
                          reason: str | None = None, shown_version: TextVersion | None = None) -> bool:
        """Remember that the line at [start, end) is not boilerplate here: it is not suggested
        again in this document. One undo step; False when it was rejected already.
        ``shown_version``: the text's version the offsets were taken from (``check_shown``)."""
        with self.write():
            self.check_shown(document_id, shown_version)
            # In the write: the line fingerprinted is the one there now (by substr: not a 10 MB text).
            if not 0 <= start < end <= self.document(document_id).char_count:
                raise InvalidValue(f"no line at [{start}, {end}) in document {document_id}")
            line = self.context(document_id, start, end, 0)[1]
            row = {"document_id": document_id, "fingerprint": line_fingerprint(line), "start": start,
                   "end": end, "score": score, "reason": reason, "annotator": self.annotator, "created_at": now()}
            cursor = self.db.execute(
                'INSERT OR IGNORE INTO suggestion_rejections (document_id, fingerprint, start, "end", score, reason, '
                "annotator, created_at) VALUES (:document_id, :fingerprint, :start, :end, :score, :reason, "
                ":annotator, :created_at)", row,
            )
            if not cursor.rowcount:
                return False
            self.log_event("suggestion.reject", document_id, {"row": {"id": cursor.lastrowid, **row}})
        return True

    @whole_numbers("document_id")
    def rejected_fingerprints(self, document_id: int) -> set[int]:
        """The fingerprints (``line_fingerprint``) of the document's lines rejected as suggestions."""
        return {row[0] for row in self.db.execute(
            "SELECT fingerprint FROM suggestion_rejections WHERE document_id = ?", [document_id])}

    def accept_suggestions(self, ranges: Iterable[SuggestedRange], dry_run: bool = False,
                           versions: Mapping[int, TextVersion] | None = None,
                           rescore: Callable[[int], list[SuggestedRange]] | None = None) -> AcceptSummary:
        """Mark these (document id, start, end, reason) as boilerplate, merged with the marks
        there: one transaction, one undo step, one batch.

        ``versions``: each document's text version (``Document.version``) when its suggestions were
        worked out. A document whose text changed since (another process scanned it) has other
        offsets now: with ``rescore`` its suggestions are worked out again, inside the
        transaction, from the text as it is; without, ``ChangedElsewhere`` and nothing marked."""
        ranges = self._checked(ranges)
        if dry_run:
            plan = plan_marks(self.db, self._as_copies(self._not_rejected(self._within_texts(
                self._still_current(ranges, versions, rescore)))), self.annotator)
            return AcceptSummary(None, len(plan.documents), len(plan.added), True)
        with self.write():
            plan = plan_marks(self.db, self._as_copies(self._not_rejected(self._within_texts(
                self._still_current(ranges, versions, rescore)))), self.annotator)
            if not plan.added:
                return AcceptSummary(None, 0, 0, False)
            write_plan(self.db, plan)
            event_id = self.log_event(SUGGEST_ACCEPT_ACTION, None, plan_payload(self.db, plan))
        return AcceptSummary(event_id, len(plan.documents), len(plan.added), False)

    def _within_texts(self, ranges: list[SuggestedRange]) -> list[SuggestedRange]:
        """The ranges, when each is ``0 <= start < end <= length`` of a readable document's text
        (read inside the write); else ``InvalidSpan`` (or ``DocumentNotFound``) for the first that
        is not, and nothing is marked: a mark past the end stored offsets no text has."""
        documents = sorted({range_[0] for range_ in ranges})
        found: dict[int, tuple[str, str, int]] = {}
        for start in range(0, len(documents), 500):
            for document_id, path, state, length in self.db.execute(
                "SELECT id, path, state, char_count FROM documents WHERE id IN (SELECT value FROM json_each(?))",
                [json.dumps(documents[start : start + 500])],
            ):
                found[document_id] = (path, state, length)
        for document_id, start, end, _ in ranges:
            if document_id not in found:
                raise DocumentNotFound(f"no document with id {document_id}")
            if problem := target_problem(*found[document_id], start, end):
                raise InvalidSpan(problem)
        return ranges

    def _not_rejected(self, ranges: list[SuggestedRange]) -> list[SuggestedRange]:
        """The ranges whose line the analyst has not rejected in its document, read inside the
        write: a rejection made while a batch was being scored (the app's d during a long
        ``suggest --apply``) is never overridden by it."""
        documents = sorted({range_[0] for range_ in ranges})
        rejected: dict[int, set[int]] = {}
        for start in range(0, len(documents), 500):
            for document_id, fingerprint_ in self.db.execute(
                "SELECT document_id, fingerprint FROM suggestion_rejections "
                "WHERE document_id IN (SELECT value FROM json_each(?))", [json.dumps(documents[start : start + 500])]):
                rejected.setdefault(document_id, set()).add(fingerprint_)
        if not rejected:
            return ranges
        texts = {document_id: self.text(document_id) for document_id in rejected}  # type: ignore[attr-defined]
        return [range_ for range_ in ranges if range_[0] not in rejected
                or line_fingerprint(texts[range_[0]][range_[1] : range_[2]]) not in rejected[range_[0]]]

    def _as_copies(self, ranges: Iterable[SuggestedRange]) -> list[tuple[int, int, int, None, str | None]]:
        return [(doc, start, end, None, REASON_PREFIX + reason if reason else None) for doc, start, end, reason in ranges]

    @staticmethod
    def _checked(ranges: Iterable[SuggestedRange]) -> list[SuggestedRange]:
        """The ranges with whole-number ids and offsets (numpy's too) and a string reason, or InvalidValue."""
        checked = []
        for item in ranges:
            if isinstance(item, (str, bytes)) or not hasattr(item, "__len__") or len(item) != 4:
                raise InvalidValue(f"a suggestion to accept is (document id, start, end, reason), not {item!r}")
            doc, start, end, reason = item
            if reason is not None and not isinstance(reason, str):
                raise InvalidValue(f"a reason must be a string, not {type(reason).__name__} {reason!r}")
            checked.append((whole_number(doc, "document_id"), whole_number(start, "start"), whole_number(end, "end"),
                            reason))
        return checked

    def _still_current(self, ranges: Iterable[SuggestedRange], versions: Mapping[int, TextVersion] | None,
                       rescore: Callable[[int], list[SuggestedRange]] | None) -> list[SuggestedRange]:
        ranges = list(ranges)
        if versions is None:
            return ranges
        now_there = self.text_versions(list(versions))
        changed = sorted(doc for doc, version in versions.items() if now_there.get(doc) != version)
        if not changed:
            return ranges
        if rescore is None:
            others = f" and {len(changed) - 1} other documents" if len(changed) > 1 else ""
            raise ChangedElsewhere(f"{self.document(changed[0]).path}{others} changed on disk since the suggestions "
                                   "were worked out: nothing marked; they are worked out again")
        gone = set(changed)
        return [r for r in ranges if r[0] not in gone] + [r for doc in changed for r in rescore(doc)]

    def apply_suggestions(self, min_score: float | None = None, paths: list[str] | None = None,
                          dry_run: bool = False) -> AcceptSummary:
        """Accept every suggestion (at or above ``min_score``) of the corpus, or of ``paths``. A
        document a scan changed while the others were scored is scored again as it is now."""
        wanted: list[SuggestedRange] = []
        versions: dict[int, TextVersion] = {}
        for document, found in self.suggest_all(min_score, paths):  # type: ignore[attr-defined]
            versions[document.id] = document.version
            wanted += [(document.id, s.start, s.end, s.reason) for s in found]
        threshold = self._threshold(min_score)  # type: ignore[attr-defined]

        def rescore(document_id: int) -> list[SuggestedRange]:
            document = self.document(document_id)
            if document.state != "ok":  # gone or unreadable now: nothing of it is suggested
                return []
            return [(document_id, s.start, s.end, s.reason)
                    for s in self._scored(document, threshold)]  # type: ignore[attr-defined]

        return self.accept_suggestions(wanted, dry_run=dry_run, versions=versions, rescore=rescore)

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

    @whole_numbers("event_id")
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
            # Its marks as it left them: the same rows, on the same words. A scan may have moved
            # them with their text (re-anchored), as undo allows; a mark changed by hand since
            # (merged, cut, removed) is a later decision, undone first.
            reverted: dict[int, list[tuple[int, int]]] = {}  # where its marks are now, by document
            placed = _placed_since(self.db, event_id, [values[columns.index("id")] for values in payload["after"]])
            for values in payload["after"]:
                span = dict(zip(columns, values))
                now_there = self.db.execute('SELECT start, "end", quote, anchor FROM spans WHERE id = ?',
                                            [span["id"]]).fetchone()
                if now_there is None or now_there[2] != span["quote"] or span["id"] in placed:
                    path = self.document(span["document_id"]).path
                    raise InvalidValue(f"batch {event_id} cannot be reverted: its mark at [{span['start']}, "
                                       f"{span['end']}) in {path} has changed since (undo the later change first)")
                if now_there[3] != "stale":
                    reverted.setdefault(span["document_id"], []).append((now_there[0], now_there[1]))
            # The marks it had merged come back where their words are now (or stale), as undo does.
            replay(self.db, payload, False, reanchored_rows)
            self.log_event("suggestion.revert", None, {"target": event_id})
            # A rule (mark everywhere) may hold passages the batch had marked first: they stay
            # marked, by the rule now, as its scan would mark them (a revert dropped them). Only
            # inside the batch's ranges: a copy the analyst unmarked elsewhere stays unmarked.
            kept, _ = apply_rules(self, sorted(reverted), within=reverted)
        return AcceptSummary(event_id, batch.documents, batch.ranges, False, kept)


def _placed_since(db: Any, event_id: int, span_ids: list[int]) -> set[int]:
    """The spans among these that the analyst placed by hand (``p``: a stale mark put back on its
    words, keeping its id) after the event, and did not undo: a later decision, undone first."""
    placing: dict[int, set[int]] = {}  # span.place event -> the ids it placed
    for chunk in range(0, len(span_ids), 500):
        for placed_by, span_id in db.execute(
            "SELECT e.id, json_extract(a.value, '$.id') FROM events AS e, json_each(e.payload, '$.after') AS a "
            "WHERE e.id > ? AND e.action = 'span.place' "
            "AND json_extract(a.value, '$.id') IN (SELECT value FROM json_each(?))",
            [event_id, json.dumps(span_ids[chunk : chunk + 500])],
        ):
            placing.setdefault(placed_by, set()).add(span_id)
    if not placing:
        return set()
    undone = undone_events(db, placing)
    return {span_id for placed_by, ids in placing.items() if placed_by not in undone for span_id in ids}


def _json(text: str) -> dict[str, Any]:
    return json.loads(text)
