"""Rules: "this passage is boilerplate wherever it appears", kept by ``mark_everywhere``.

A rule holds a passage fingerprint and the normalization version it was computed
with (a rule only matches passages indexed by the same version). At every scan the
documents added or changed in a batch get the marks of every active rule whose
passage they hold (``apply_rules``, in the batch's transaction); those ranges carry
``spans.rule_id`` and export with reason ``rule:ID``. Removing a rule stops that,
and with ``remove_marks`` also removes every range it made: one undo step.

Example::

    with Corpus.open("corpus") as corpus:
        for rule in corpus.rules():
            print(rule.id, rule.marks, rule.text[:60])
        corpus.remove_rule(3, remove_marks=True)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .arguments import whole_numbers
from .base import CorpusBase
from .errors import InvalidValue
from .normalize import NORMALIZATION_VERSION
from .propagate import RULE_REMOVE_ACTION, Copy, MarkPlan, plan_marks, plan_payload, write_plan
from .rules_taken_off import rule_marks_taken_off
from .store import now

RULE_MARK_ACTION = "boilerplate.rules"  # a scan's rule marks: logged, not undoable (scans are not)


@dataclass(frozen=True)
class Rule:
    id: int
    fingerprint: int  # the passage's id in ``repeats`` (``Repeat.id``)
    normalization: int  # ``normalize.NORMALIZATION_VERSION`` it was computed with
    text: str  # the copy shown when it was made
    reason: str | None
    annotator: str
    created_at: str
    removed_at: str | None
    marks: int  # boilerplate ranges it made that are still there

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"active": self.active}


_RULE_SQL = (
    "SELECT r.id, r.fingerprint, r.normalization, r.text, r.reason, r.annotator, r.created_at, r.removed_at, "
    "(SELECT COUNT(*) FROM spans AS s WHERE s.rule_id = r.id) FROM rules AS r"
)


class RulesMixin(CorpusBase):
    def rules(self, include_removed: bool = False) -> list[Rule]:
        """The rules, oldest first; only active ones unless ``include_removed``."""
        where = "" if include_removed else " WHERE r.removed_at IS NULL"
        return [Rule(*row) for row in self.db.execute(_RULE_SQL + where + " ORDER BY r.id")]

    @whole_numbers("rule_id")
    def rule(self, rule_id: int) -> Rule:
        """The rule with this id, removed or not (``InvalidValue`` if there is none)."""
        if not -(2**63) <= rule_id < 2**63:  # beyond an SQLite INTEGER: no such rule
            raise InvalidValue(f"no rule with id {rule_id} (see corpus-tui rules list)")
        row = self.db.execute(_RULE_SQL + " WHERE r.id = ?", [rule_id]).fetchone()
        if row is None:
            raise InvalidValue(f"no rule with id {rule_id} (see corpus-tui rules list)")
        return Rule(*row)

    @whole_numbers("rule_id")
    def remove_rule(self, rule_id: int, remove_marks: bool = True) -> int:
        """Stop a rule; with ``remove_marks`` also remove every range it made (one undo
        step either way). Returns how many ranges credited to it were removed (what other
        active rules mark inside them stays marked, as theirs)."""
        with self.write():
            rule = self.rule(rule_id)
            # A rule switched off (removed, or its mark-everywhere undone) may still have marks
            # it made at scans: they can always be removed.
            if not rule.active and not (remove_marks and rule.marks):
                raise InvalidValue(f"rule {rule_id} was removed already ({rule.removed_at})")
            removed = rule_ranges(self.db, rule) if remove_marks else []
            copies = _copies_inside(self.db, removed, rule_id)
            # Another rule's range that is exactly one of its copies stays as it is (a paragraph
            # rule's range holding this rule's line): nothing of it is this rule's to take.
            exact = {(doc, start, end) for doc, start, end, _, _ in copies}
            removed = [row for row in removed if row["rule_id"] == rule_id
                       or (row["document_id"], row["start"], row["end"]) not in exact]
            stamp = rule.removed_at or now()
            write_plan(self.db, MarkPlan(removed, []))
            self.db.execute("UPDATE rules SET removed_at = ? WHERE id = ?", [stamp, rule_id])
            # What other active rules mark inside the ranges taken away is marked again, theirs.
            inside = _inside(copies, removed)
            again = plan_marks(self.db, inside, self.annotator) if inside else MarkPlan([], [])
            write_plan(self.db, again)
            plan = MarkPlan(removed + again.removed, again.added)
            self.log_event(RULE_REMOVE_ACTION, None, plan_payload(
                self.db, plan, rule={"id": rule_id, "removed_at_before": rule.removed_at, "removed_at_after": stamp},
            ))
        return sum(1 for row in removed if row["rule_id"] == rule_id)


def rule_ranges(db: Any, rule: Rule) -> list[dict[str, Any]]:
    """The span rows removing ``rule`` with its marks may take away: the ranges credited to it,
    and the ranges credited to another *active* rule that hold a copy of its passage (a merged
    range is credited to one rule: ``propagate._owner``; the marks a removed rule left, kept on
    purpose, are not touched). Ranges with a hand mark in them are never credited to a rule.
    Whole rows, in id order (what undo restores)."""
    cursor = db.conn.execute(
        "SELECT * FROM spans WHERE rule_id = ? UNION "
        "SELECT s.* FROM spans AS s JOIN rules AS owner ON owner.id = s.rule_id AND owner.removed_at IS NULL "
        'JOIN passages AS p ON p.document_id = s.document_id AND p.fingerprint = ? AND p.start >= s.start '
        'AND p."end" <= s."end" '
        "WHERE ? AND s.kind = 'boilerplate' AND s.rule_id != ? AND s.anchor != 'stale' ORDER BY id",
        [rule.id, rule.fingerprint, rule.normalization == NORMALIZATION_VERSION, rule.id],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values)) for values in cursor]


def _copies_inside(db: Any, ranges: list[dict[str, Any]], rule_id: int) -> list[Copy]:
    """The copies of every other active rule's passage in these ranges' documents, read from
    the documents' passages (clustered by document) a chunk at a time."""
    documents = sorted({row["document_id"] for row in ranges if row["anchor"] != "stale"})
    copies: list[Copy] = []
    for start in range(0, len(documents), 500):
        copies += db.execute(
            'SELECT p.document_id, p.start, p."end", r.id, r.reason FROM passages AS p '
            "JOIN rules AS r ON r.fingerprint = p.fingerprint "
            "WHERE p.document_id IN (SELECT value FROM json_each(?)) "
            "AND r.removed_at IS NULL AND r.normalization = ? AND r.id != ? ORDER BY r.id",
            [json.dumps(documents[start : start + 500]), NORMALIZATION_VERSION, rule_id],
        ).fetchall()
    return [tuple(copy) for copy in copies]  # type: ignore[misc]


def _inside(copies: list[Copy], ranges: list[dict[str, Any]]) -> list[Copy]:
    """The copies that lie inside one of these (removed, not stale) ranges."""
    by_doc: dict[int, list[tuple[int, int]]] = {}
    for row in ranges:
        if row["anchor"] != "stale":
            by_doc.setdefault(row["document_id"], []).append((row["start"], row["end"]))
    return [copy for copy in copies
            if any(first <= copy[1] and copy[2] <= last for first, last in by_doc.get(copy[0], ()))]


def apply_rules(corpus: CorpusBase, document_ids: Sequence[int],
                within: Mapping[int, Sequence[tuple[int, int]]] | None = None) -> tuple[int, int]:
    """Mark, in these (just indexed) documents, every copy of an active rule's passage; with
    ``within``, only the copies inside those ranges of each document.

    Inside the scan batch's write transaction; returns the ranges added and the stale marks of
    rules it replaced (``_stale_rule_marks``). Costs one query when there is no active rule.
    """
    db = corpus.db
    if not document_ids or db.execute("SELECT 1 FROM rules WHERE removed_at IS NULL LIMIT 1").fetchone() is None:
        return 0, 0
    copies: list[Copy] = [
        (doc, start, end, rule_id, reason) for doc, start, end, rule_id, reason in db.execute(
            'SELECT p.document_id, p.start, p."end", r.id, r.reason FROM rules AS r '
            "JOIN passages AS p ON p.fingerprint = r.fingerprint "
            "AND p.document_id IN (SELECT value FROM json_each(?)) "
            "WHERE r.removed_at IS NULL AND r.normalization = ? ORDER BY r.id",
            [json.dumps(sorted(set(document_ids))), NORMALIZATION_VERSION],
        )
    ]
    if within is not None:
        copies = [copy for copy in copies
                  if any(start <= copy[1] and copy[2] <= end for start, end in within.get(copy[0], ()))]
    if copies:
        taken_off = rule_marks_taken_off(db, sorted({copy[0] for copy in copies}))
        if taken_off:
            # By the passage, not the rule: two rules may have one passage since an upgrade of the
            # normalization (61,127 and 733 readers), and the twin put back what was taken off.
            passage_of = dict(db.execute("SELECT id, fingerprint FROM rules").fetchall())
            off = {(document, passage_of.get(rule)) for document, rule in taken_off}
            copies = [copy for copy in copies if (copy[0], passage_of.get(copy[3])) not in off]
    if not copies:
        return 0, 0
    plan = plan_marks(db, copies, corpus.annotator)
    if not plan.added:
        return 0, 0
    # A rule's own mark that could not follow the text (its context changed) is stale; the rule has
    # just marked its passage again there, so the stale one goes: it would ask to be placed by hand.
    superseded = _stale_rule_marks(db, {(row["document_id"], row["rule_id"]) for row in plan.added
                                        if row["rule_id"] is not None})
    plan.removed += superseded
    write_plan(db, plan)
    corpus.log_event(RULE_MARK_ACTION, None, {
        "rules": sorted({row["rule_id"] for row in plan.added if row["rule_id"] is not None}),
        "documents": len(plan.documents), "ranges": len(plan.added),
    })
    return len(plan.added), len(superseded)


def _stale_rule_marks(db: Any, marked: set[tuple[int, int]]) -> list[dict[str, Any]]:
    """Whole rows of the stale boilerplate spans credited to a rule in a document it marks again
    (``marked``: document, rule). Such a span holds no hand mark: ``propagate._owner``."""
    documents = sorted({document for document, _ in marked})
    found: list[dict[str, Any]] = []
    for start in range(0, len(documents), 500):
        cursor = db.conn.execute(
            "SELECT * FROM spans WHERE document_id IN (SELECT value FROM json_each(?)) AND kind = 'boilerplate' "
            "AND anchor = 'stale' AND rule_id IS NOT NULL", [json.dumps(documents[start : start + 500])])
        names = [d[0] for d in cursor.description]
        found += [row for row in (dict(zip(names, values)) for values in cursor)
                  if (row["document_id"], row["rule_id"]) in marked]
    return found
