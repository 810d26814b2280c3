"""Marking a repeated passage as boilerplate in every document that holds it, at once.

``Corpus.mark_everywhere(repeat_id)`` unions every copy on disk (``repeat_copies``)
into its document's boilerplate exactly as ``mark_boilerplate`` does (disjoint,
merged ranges; a copy already inside one range changes nothing), in one write
transaction with one event, ``boilerplate.propagate`` (document_id NULL). Its
payload holds the full span rows removed (``before``) and inserted (``after``) of
every document, as lists in ``columns`` order, and each document's sha256 then:
undo deletes ``after`` and re-inserts ``before`` (re-anchored only in documents
whose text changed since), redo the reverse, each in a handful of statements.
By default it also keeps a rule (``rules``) so later scans mark new copies.

Example::

    with Corpus.open("seeds") as corpus:
        (appeal,) = corpus.repeats(min_docs=2, contains="support the project")
        summary = corpus.mark_everywhere(appeal.id, reason="donation appeal")
        print(summary.documents, summary.ranges, summary.rule_id)
        corpus.undo()  # every copy it marked, in one step

Speed: 10,000 documents take a few SQL statements each way (ids are assigned
here, rows go in with ``executemany``, the quotes are read with one ``substr``
query per chunk); what remains per document is the range arithmetic in Python
and ``refresh_titles``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass
from typing import Any

from .arguments import strings, whole_numbers
from .anchoring import CONTEXT_CHARS, anchor_for
from .base import CorpusBase
from .errors import InvalidValue
from .normalize import NORMALIZATION_VERSION
from .spans import SPAN_COLUMNS
from .store import now
from .titles import refresh_titles

PROPAGATE_ACTION = "boilerplate.propagate"
RULE_REMOVE_ACTION = "rule.remove"
SUGGEST_ACCEPT_ACTION = "suggestion.accept"  # suggestions accepted together (``suggest.decisions``)
MULTI_DOCUMENT_ACTIONS = (PROPAGATE_ACTION, RULE_REMOVE_ACTION, SUGGEST_ACCEPT_ACTION)  # undone and redone by ``replay``
_CHUNK = 2000  # rows per substr query / progress step
_INSERT_SQL = "INSERT INTO spans ({}) VALUES ({})".format(
    ", ".join(f'"{c}"' for c in SPAN_COLUMNS), ", ".join("?" for _ in SPAN_COLUMNS)
)

# A copy to mark: (document id, start, end, rule id or None, reason or None)
Copy = tuple[int, int, int, int | None, str | None]


@dataclass(frozen=True)
class PropagationSummary:
    repeat_id: int
    documents: int  # documents whose boilerplate changed (or would, on a dry run)
    ranges: int  # merged boilerplate ranges inserted
    rule_id: int | None  # the rule kept (None: no rule, or a dry run)
    dry_run: bool
    # Of ``ranges``, those credited to the rule; the others merged with marks made before
    # (the analyst's, accepted suggestions), which stay theirs: ``_owner``.
    rule_ranges: int = 0
    rule_created: bool = False  # ``rule_id`` was made by this call (one undo step, even with no range)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MarkPlan:
    """What marking a set of copies changes: full span rows out and in."""

    removed: list[dict[str, Any]]
    added: list[dict[str, Any]]

    @property
    def documents(self) -> list[int]:
        return sorted({row["document_id"] for row in self.added})


@dataclass(frozen=True)
class BatchPropagation:
    """What ``mark_all_everywhere`` did."""

    repeat_ids: tuple[int, ...]
    documents: int  # documents whose boilerplate changed
    ranges: int  # merged boilerplate ranges inserted
    rule_ids: tuple[int, ...]  # the rules kept (new or already there), one a passage

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- planning -------------------------------------------------------------------------------


def plan_marks(db: Any, copies: Sequence[Copy], annotator: str,
               progress: Callable[[int, int], None] | None = None) -> MarkPlan:
    """The boilerplate rows to remove and insert so every copy is marked, merged with the
    live boilerplate of its document as ``mark_boilerplate`` merges (touching ranges join)."""
    by_doc: dict[int, list[Copy]] = {}
    for copy in copies:
        by_doc.setdefault(copy[0], []).append(copy)
    existing = _live_boilerplate(db, list(by_doc))
    active = frozenset(row[0] for row in db.execute("SELECT id FROM rules WHERE removed_at IS NULL"))
    plan = MarkPlan([], [])
    removed: list[int] = []
    stamp = now()
    total = len(by_doc)
    for done, (doc_id, doc_copies) in enumerate(sorted(by_doc.items()), 1):
        _plan_document(plan, removed, doc_id, doc_copies, existing.get(doc_id, []), annotator, stamp, active)
        if progress and (done % _CHUNK == 0 or done == total):
            progress(done, total)
    plan.removed = _span_rows(db, removed)
    _fill_anchors(db, plan.added)
    return plan


def _plan_document(plan: MarkPlan, removed: list[int], doc_id: int, copies: list[Copy], live: list[LiveRange],
                   annotator: str, stamp: str, active: frozenset[int]) -> None:
    # Sweep the document's live ranges and its copies by start; a group is a run of
    # ranges that overlap or touch, which becomes one range (mark_boilerplate's union).
    items: list[tuple[int, int, LiveRange | None, Copy | None]] = sorted(
        [(row[0], row[1], row, None) for row in live]
        + [(copy[1], copy[2], None, copy) for copy in copies],
        key=lambda item: (item[0], item[1]),
    )
    group: list[tuple[int, int, LiveRange | None, Copy | None]] = []
    group_end = -1
    for item in items:
        if group and item[0] > group_end:
            _plan_group(plan, removed, doc_id, group, annotator, stamp, active)
            group = []
        group_end = max(group_end, item[1]) if group else item[1]
        group.append(item)
    if group:
        _plan_group(plan, removed, doc_id, group, annotator, stamp, active)


def _plan_group(plan: MarkPlan, removed: list[int], doc_id: int,
                group: list[tuple[int, int, LiveRange | None, Copy | None]], annotator: str, stamp: str,
                active: frozenset[int]) -> None:
    marked = [row for _, _, row, _ in group if row is not None]
    copies = [copy for _, _, _, copy in group if copy is not None]
    start, end = min(item[0] for item in group), max(item[1] for item in group)
    if not copies or (len(marked) == 1 and (marked[0][0], marked[0][1]) == (start, end)):
        return  # no copy here, or the copies are inside one marked range already
    reason = next((c[4] for c in copies if c[4]), None) or next((r[3] for r in marked if r[3]), None)
    rule_id = _owner(start, end, marked, copies, active)
    removed.extend(row[2] for row in marked)
    plan.added.append({
        "id": None, "document_id": doc_id, "kind": "boilerplate", "start": start, "end": end,
        "label": None, "note": None, "reason": reason, "quote": "", "prefix": "", "suffix": "",
        "anchor": "ok", "annotator": annotator, "created_at": stamp, "rule_id": rule_id,
    })


def _owner(start: int, end: int, marked: list[LiveRange], copies: list[Copy], active: frozenset[int]) -> int | None:
    """The rule a merged range is credited to (``spans.rule_id``), or None: a range with a hand
    mark in it (or a copy marked without a rule, or marks a removed rule left, which the analyst
    kept on purpose) is the analyst's, so removing a rule never takes it away. A range made only
    by active rules is credited to the rule whose copy covers all of it (a paragraph's rule over
    its line's), else to the first; ``remove_rule`` takes back only what no other active rule
    marks (``rule_ranges``)."""
    owners = [row[4] for row in marked] + [copy[3] for copy in copies]
    if None in owners or any(row[4] not in active for row in marked):
        return None
    covering = next((copy[3] for copy in copies if copy[1] == start and copy[2] == end), None)
    return covering if covering is not None else owners[0]


# A live boilerplate range as planning reads it: (start, end, span id, reason, rule id).
# Tuples, not whole rows: a passage in 40,000 documents meets ~400,000 of them, and
# freeing as many dicts at once held the GIL for ~80 ms (the app's keys stalled).
LiveRange = tuple[int, int, int, str | None, int | None]


def _live_boilerplate(db: Any, doc_ids: list[int]) -> dict[int, list[LiveRange]]:
    found: dict[int, list[LiveRange]] = {}
    for chunk in _chunks(doc_ids):
        for doc_id, *live in db.conn.execute(
            'SELECT document_id, start, "end", id, reason, rule_id FROM spans '
            "WHERE kind = 'boilerplate' AND anchor != 'stale' "
            "AND document_id IN (SELECT value FROM json_each(?))", [json.dumps(chunk)],
        ):
            found.setdefault(doc_id, []).append(tuple(live))  # type: ignore[arg-type]
    return found


def _span_rows(db: Any, span_ids: list[int]) -> list[dict[str, Any]]:
    """Whole span rows (what undo restores) for the ranges a plan removes, in the order given."""
    rows: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(span_ids):
        cursor = db.conn.execute("SELECT * FROM spans WHERE id IN (SELECT value FROM json_each(?))",
                                 [json.dumps(chunk)])
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            rows[row["id"]] = row
    return [rows[span_id] for span_id in span_ids]


# From this length a document's anchors are sliced from its text read once: SQL's substr finds a
# character offset by walking the UTF-8 text from its start, and each call reads the whole text's
# pages, so 51,000 marks in a 10 MB document (its suggestions accepted) took 330 s.
LONG_TEXT_CHARS = 200_000


def _fill_anchors(db: Any, rows: list[dict[str, Any]]) -> None:
    """Quote and context of new rows, read with SQL substr a chunk at a time (not whole texts of
    the many short documents a mark everywhere touches); a long document's text is read once."""
    long_ones = _long_documents(db, rows)
    for text, its_rows in _long_texts(db, rows, long_ones):
        for row in its_rows:
            anchor = anchor_for(text, row["start"], row["end"])
            row.update(quote=anchor.quote, prefix=anchor.prefix, suffix=anchor.suffix)
    rows = [row for row in rows if row["document_id"] not in long_ones]
    for chunk in _chunks(list(range(len(rows)))):
        asks = []
        for index in chunk:
            row = rows[index]
            lead = min(row["start"], CONTEXT_CHARS)
            asks.append([index, row["document_id"], row["start"] - lead + 1, lead + row["end"] - row["start"] + CONTEXT_CHARS])
        pieces = db.conn.execute(
            "SELECT json_extract(a.value, '$[0]'), substr(t.text, json_extract(a.value, '$[2]'), "
            "json_extract(a.value, '$[3]')) FROM json_each(?) AS a "
            "JOIN document_texts AS t ON t.document_id = json_extract(a.value, '$[1]')",
            [json.dumps(asks)],
        ).fetchall()
        for index, piece in pieces:
            row = rows[index]
            lead, size = min(row["start"], CONTEXT_CHARS), row["end"] - row["start"]
            if len(piece) < lead + size:
                # SQLite's text functions stop at an embedded NUL: slice in Python instead.
                (text,) = db.execute("SELECT text FROM document_texts WHERE document_id = ?",
                                     [row["document_id"]]).fetchone()
                anchor = anchor_for(text, row["start"], row["end"])
                row.update(quote=anchor.quote, prefix=anchor.prefix, suffix=anchor.suffix)
            else:
                row.update(quote=piece[lead : lead + size], prefix=piece[:lead], suffix=piece[lead + size :])


def _long_documents(db: Any, rows: list[dict[str, Any]]) -> set[int]:
    """The documents of these rows whose text is over ``LONG_TEXT_CHARS``: their rows are read
    from the text in Python (``_long_texts``), not walked by SQL's substr row by row."""
    documents = sorted({row["document_id"] for row in rows})
    found: set[int] = set()
    for chunk in _chunks(documents):
        found.update(document_id for (document_id,) in db.conn.execute(
            "SELECT id FROM documents WHERE id IN (SELECT value FROM json_each(?)) AND char_count > ?",
            [json.dumps(chunk), LONG_TEXT_CHARS]))
    return found


def _long_texts(db: Any, rows: list[dict[str, Any]], long_ones: set[int]
                ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Each long document's text, read once, with its rows."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["document_id"] in long_ones:
            grouped.setdefault(row["document_id"], []).append(row)
    for document_id, its_rows in grouped.items():
        found = db.execute("SELECT text FROM document_texts WHERE document_id = ?", [document_id]).fetchone()
        yield (found[0] if found else ""), its_rows


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


# -- writing and replaying -------------------------------------------------------------------


def write_plan(db: Any, plan: MarkPlan) -> None:
    """Apply a plan inside the caller's write transaction: fresh ids, then two statements."""
    _delete_rows(db, plan.removed)
    (next_id,) = db.execute(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'spans'), 0), "
        "COALESCE((SELECT MAX(id) FROM spans), 0)) + 1"
    ).fetchone()
    for offset, row in enumerate(plan.added):
        row["id"] = next_id + offset  # AUTOINCREMENT never hands these out again
    _insert_rows(db, plan.added)
    refresh_titles(db, {row["document_id"] for row in plan.removed + plan.added})


def plan_payload(db: Any, plan: MarkPlan, **extra: Any) -> dict[str, Any]:
    """An event payload that undo and redo replay (``replay``)."""
    doc_ids = sorted({row["document_id"] for row in plan.removed + plan.added})
    return {
        **extra,
        "columns": list(SPAN_COLUMNS),
        "before": [[row.get(c) for c in SPAN_COLUMNS] for row in plan.removed],
        "after": [[row.get(c) for c in SPAN_COLUMNS] for row in plan.added],
        "sha256": _sha256s(db, doc_ids),
    }


def replay(db: Any, payload: dict[str, Any], forward: bool,
           reanchored: Callable[[str, list[dict[str, Any]]], list[dict[str, Any]]],
           skip: AbstractSet[int] = frozenset(), skip_rules: AbstractSet[int] = frozenset()) -> list[int]:
    """Undo (``forward=False``) or redo a multi-document span event, inside a write transaction.

    ``reanchored(text, rows)`` moves restored rows to where their quote is now; it is
    only called for documents whose text changed since the event (sha256 differs).
    ``skip``: documents left as they are (their spans changed since: ``history_checks``);
    ``skip_rules``: rules left as they are (the last undo or redo of the step left them).
    Returns the rules left as they are: removed or restored by someone else since the step.
    """
    columns = payload["columns"]
    out_key, in_key = ("before", "after") if forward else ("after", "before")
    removed = [row for row in (dict(zip(columns, values)) for values in payload[out_key])
               if row["document_id"] not in skip]
    inserted = [row for row in ({"rule_id": None} | dict(zip(columns, values)) for values in payload[in_key])
                if row["document_id"] not in skip]
    _delete_rows(db, removed)
    then = {int(doc): sha for doc, sha in payload["sha256"]}
    now_sha = dict(_sha256s(db, sorted(then)))
    changed = {doc for doc in then if now_sha.get(doc) != then[doc]}
    # The same bytes may read as another text (set-encoding changes it, not the sha256): a row
    # whose words are not at its offsets any more is re-anchored with its document's rows too.
    changed |= _misplaced(db, [row for row in inserted if row["document_id"] not in changed and row["anchor"] != "stale"])
    if changed:
        by_doc: dict[int, list[dict[str, Any]]] = {}
        kept = []
        for row in inserted:
            if row["document_id"] in changed:
                by_doc.setdefault(row["document_id"], []).append(row)
            else:
                kept.append(row)
        for doc_id, rows in by_doc.items():
            if doc_id not in now_sha:
                continue  # the document is gone (its spans went with it)
            (text,) = db.execute("SELECT text FROM document_texts WHERE document_id = ?", [doc_id]).fetchone()
            placed = reanchored(text, rows)
            if forward:
                # A rule's mark that cannot follow the text, where a scan has marked the rule's passage
                # anew since: superseded, as the scan supersedes it (it would ask to be placed by hand).
                live = {rule for (rule,) in db.execute(
                    "SELECT DISTINCT rule_id FROM spans WHERE document_id = ? AND kind = 'boilerplate' "
                    "AND anchor != 'stale' AND rule_id IS NOT NULL", [doc_id])}
                placed = [row for row in placed if not (row["anchor"] == "stale" and row["rule_id"] in live)]
            kept.extend(placed)
        inserted = kept
    _insert_rows(db, inserted)
    # "rule": the rule one passage's marking made; "rules": those of several marked together.
    rules_left = []
    for rule in ([payload["rule"]] if payload.get("rule") else []) + payload.get("rules", []):
        found = db.execute("SELECT removed_at FROM rules WHERE id = ?", [rule["id"]]).fetchone()
        if found is None or rule["id"] in skip_rules:
            rules_left.append(rule["id"])
            continue
        stamp = rule["removed_at_after" if forward else "removed_at_before"]
        if not forward and rule.get("created"):  # undoing the marking that made it: removed now
            stamp = now()
        if not _rule_as_left(rule, found[0], forward):
            if (found[0] is not None) != (stamp is not None):
                rules_left.append(rule["id"])  # removed or restored since by someone else: theirs stands
            continue  # else already as the step would leave it (another's undo restored it so)
        db.execute("UPDATE rules SET removed_at = ? WHERE id = ?", [stamp, rule["id"]])
    refresh_titles(db, [doc for doc in then if doc in now_sha])
    return rules_left


def _rule_as_left(rule: dict[str, Any], removed_at: str | None, forward: bool) -> bool:
    """Whether a rule is as the step left it (undo: as it made it; redo: as its undo did)."""
    if forward and rule.get("created"):
        return removed_at is not None  # the undo of the marking that made it removed it
    return removed_at == rule["removed_at_before" if forward else "removed_at_after"]


def _misplaced(db: Any, rows: list[dict[str, Any]]) -> set[int]:
    """The documents of the rows whose quote is not the text at their offsets now (one query a
    chunk: SQLite's substr counts code points, as offsets do)."""
    found: set[int] = set()
    long_ones = _long_documents(db, rows)
    for text, its_rows in _long_texts(db, rows, long_ones):  # read once, not walked by substr per row
        if any(text[row["start"] : row["end"]] != row["quote"] for row in its_rows):
            found.add(its_rows[0]["document_id"])
    checks = [[row["document_id"], row["start"], row["end"] - row["start"], row["quote"]]
              for row in rows if row["document_id"] not in long_ones]
    for chunk in _chunks(checks):
        found.update(document for (document,) in db.execute(
            "SELECT DISTINCT json_extract(j.value, '$[0]') FROM json_each(?) AS j "
            "JOIN document_texts AS t ON t.document_id = json_extract(j.value, '$[0]') "
            "WHERE substr(t.text, json_extract(j.value, '$[1]') + 1, json_extract(j.value, '$[2]')) "
            "IS NOT json_extract(j.value, '$[3]')", [json.dumps(chunk)]))
    return found


def _delete_rows(db: Any, rows: list[dict[str, Any]]) -> None:
    ids = [row["id"] for row in rows]
    for chunk in _chunks(ids):
        db.execute("DELETE FROM spans WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(chunk)])


def _insert_rows(db: Any, rows: list[dict[str, Any]]) -> None:
    db.conn.executemany(_INSERT_SQL, [[row.get(c) for c in SPAN_COLUMNS] for row in rows])


def _sha256s(db: Any, doc_ids: list[int]) -> list[list[Any]]:
    found = []
    for chunk in _chunks(doc_ids):
        found += [list(row) for row in db.execute(
            "SELECT id, sha256 FROM documents WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            [json.dumps(chunk)],
        )]
    return found


# -- the Corpus face ---------------------------------------------------------------------------


class PropagateMixin(CorpusBase):
    @strings("reason")
    @whole_numbers("repeat_id")
    def mark_everywhere(self, repeat_id: int, reason: str | None = None, rule: bool = True,
                        dry_run: bool = False,
                        progress: Callable[[int, int], None] | None = None) -> PropagationSummary:
        """Mark every copy on disk of a repeated passage as boilerplate: one transaction,
        one undo step. ``rule`` keeps a rule so documents added or changed later are marked
        at their scan; ``dry_run`` only counts. ``progress(done, total)`` counts documents."""
        if dry_run:
            plan = self._plan_copies(repeat_id, None, reason, None, progress)
            return PropagationSummary(repeat_id, len(plan.documents), len(plan.added), None, True)
        with self.write():
            shown = self.repeat(repeat_id)  # type: ignore[attr-defined]
            rule_id, created = self._rule_for(repeat_id, shown.text, reason) if rule else (None, False)
            plan = self._plan_copies(repeat_id, None, reason, rule_id, progress)
            write_plan(self.db, plan)
            extra: dict[str, Any] = {"repeat_id": repeat_id}
            if created:
                extra["rule"] = {"id": rule_id, "removed_at_before": now(), "removed_at_after": None, "created": True}
            if plan.added or created:  # nothing changed: no undo step
                self.log_event(PROPAGATE_ACTION, None, plan_payload(self.db, plan, **extra))
        return PropagationSummary(repeat_id, len(plan.documents), len(plan.added), rule_id, False,
                                  sum(1 for row in plan.added if rule_id is not None and row["rule_id"] == rule_id),
                                  created)

    @strings("reason")
    @whole_numbers(lists=("repeat_ids",))
    def mark_all_everywhere(self, repeat_ids: Sequence[int], reason: str | None = None, rule: bool = True,
                            progress: Callable[[int, int], None] | None = None) -> BatchPropagation:
        """``mark_everywhere`` of several passages together (the app's M after a mark that
        holds several repeated passages): one transaction, one undo step, a rule each."""
        if not repeat_ids:
            raise InvalidValue("no passage to mark everywhere")
        with self.write():
            copies: list[Copy] = []
            rule_ids: list[int] = []
            created: list[dict[str, Any]] = []
            for repeat_id in dict.fromkeys(repeat_ids):
                shown = self.repeat(repeat_id)  # type: ignore[attr-defined]  # InvalidValue for an unknown id
                rule_id, new = self._rule_for(repeat_id, shown.text, reason) if rule else (None, False)
                if rule_id is not None:
                    rule_ids.append(rule_id)
                if new:
                    created.append({"id": rule_id, "removed_at_before": now(), "removed_at_after": None,
                                    "created": True})
                copies += [(doc, start, end, rule_id, reason)
                           for doc, start, end in self.repeat_copies(repeat_id)]  # type: ignore[attr-defined]
            plan = plan_marks(self.db, copies, self.annotator, progress)
            write_plan(self.db, plan)
            if plan.added or created:  # nothing changed: no undo step
                self.log_event(PROPAGATE_ACTION, None,
                               plan_payload(self.db, plan, repeat_ids=list(dict.fromkeys(repeat_ids)), rules=created))
        return BatchPropagation(tuple(dict.fromkeys(repeat_ids)), len(plan.documents), len(plan.added),
                                tuple(rule_ids))

    @strings("reason")
    @whole_numbers("repeat_id", lists=("document_ids",))
    def mark_copies(self, repeat_id: int, document_ids: Iterable[int], reason: str | None = None) -> PropagationSummary:
        """Mark the copies of a repeated passage in these documents only (no rule): one undo
        step. The app's "step through each copy" mode calls it with one document at a time."""
        wanted = set(document_ids)
        with self.write():
            self.repeat(repeat_id)  # type: ignore[attr-defined]
            plan = self._plan_copies(repeat_id, wanted, reason, None, None)
            if plan.added:
                write_plan(self.db, plan)
                self.log_event(PROPAGATE_ACTION, None, plan_payload(self.db, plan, repeat_id=repeat_id,
                                                                    documents=sorted(wanted)))
        return PropagationSummary(repeat_id, len(plan.documents), len(plan.added), None, False)

    def _plan_copies(self, repeat_id: int, only: set[int] | None, reason: str | None, rule_id: int | None,
                     progress: Callable[[int, int], None] | None) -> MarkPlan:
        self.repeat(repeat_id)  # type: ignore[attr-defined]  # InvalidValue for an unknown id
        copies: list[Copy] = [
            (doc, start, end, rule_id, reason)
            for doc, start, end in self.repeat_copies(repeat_id)  # type: ignore[attr-defined]
            if only is None or doc in only
        ]
        if only is not None and not copies:
            raise InvalidValue(f"passage {repeat_id} has no copy in documents {sorted(only)}")
        return plan_marks(self.db, copies, self.annotator, progress)

    def _rule_for(self, fingerprint: int, text: str, reason: str | None) -> tuple[int, bool]:
        """The active rule for this passage, or a new one; and whether it is new."""
        row = self.db.execute(
            "SELECT id FROM rules WHERE fingerprint = ? AND normalization = ? AND removed_at IS NULL "
            "ORDER BY id LIMIT 1", [fingerprint, NORMALIZATION_VERSION],
        ).fetchone()
        if row is not None:
            return int(row[0]), False
        cursor = self.db.execute(
            "INSERT INTO rules (fingerprint, normalization, text, reason, annotator, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", [fingerprint, NORMALIZATION_VERSION, text, reason, self.annotator, now()],
        )
        return int(cursor.lastrowid or 0), True
