"""Rule marks the analyst took off by hand, which no later scan may put back.

A rule (a passage marked everywhere) marks its passage again in every document a scan reads
anew, except where the analyst took that mark off: unmarking it (``b``) or removing its span
(``x``), not undone. The event log keeps each such decision; these read it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .normalize import NORMALIZATION_VERSION
from .undone import undone_events

# Taking marks off by hand: unmarking (b), removing a span (x).
TAKING_OFF = ("boilerplate.unmark", "span.remove")


def rules_marking(db: Any, document_id: int, unmarked: Sequence[tuple[int, int]]) -> list[int]:
    """The active rules with a passage of the document that meets one of these ranges, which the
    analyst just unmarked: recorded with the unmark (``rules_off``), so the rule does not mark
    the passage again at a later scan. A rule's mark merged with a hand mark is credited to no
    rule (``propagate._owner``), so the removed rows alone do not say it."""
    if not unmarked or db.execute("SELECT 1 FROM rules WHERE removed_at IS NULL LIMIT 1").fetchone() is None:
        return []
    found = set()
    for rule_id, start, end in db.execute(
        'SELECT r.id, p.start, p."end" FROM passages AS p JOIN rules AS r ON r.fingerprint = p.fingerprint '
        "WHERE p.document_id = ? AND r.removed_at IS NULL AND r.normalization = ?",
        [document_id, NORMALIZATION_VERSION],
    ):
        if any(start < cut_end and cut_start < end for cut_start, cut_end in unmarked):
            found.add(rule_id)
    return sorted(found)


def rule_marks_taken_off(db: Any, document_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(document, rule) for every rule whose mark the analyst took off that document by hand, and
    did not undo: the rule does not mark it there again when the file changes (a rescan put back
    what the analyst had removed, saying only "1 range marked by rules"). Dropping the rule's stale
    mark is not one: the passage had gone from the text. Read from the event log, which keeps
    every decision with its undo."""
    taken: dict[int, set[tuple[int, int]]] = {}  # event -> (document, rule) pairs it took off
    for start in range(0, len(document_ids), 500):
        part = json.dumps(list(document_ids[start : start + 500]))
        for event_id, document_id, rule_id in db.execute(
            "SELECT e.id, e.document_id, json_extract(b.value, '$.rule_id') FROM events AS e, "
            "json_each(e.payload, '$.before') AS b WHERE e.document_id IN (SELECT value FROM json_each(?)) "
            f"AND e.action IN ({', '.join('?' for _ in TAKING_OFF)}) "
            "AND json_extract(b.value, '$.rule_id') IS NOT NULL "
            # Dropping a stale mark (its passage had gone from the text) takes nothing off the text.
            "AND json_extract(b.value, '$.anchor') IS NOT 'stale' "
            "UNION ALL SELECT e.id, e.document_id, r.value FROM events AS e, json_each(e.payload, '$.rules_off') AS r "
            "WHERE e.document_id IN (SELECT value FROM json_each(?)) "
            f"AND e.action IN ({', '.join('?' for _ in TAKING_OFF)})", [part, *TAKING_OFF, part, *TAKING_OFF],
        ):
            taken.setdefault(event_id, set()).add((document_id, rule_id))
    if not taken:
        return set()
    undone = undone_events(db, taken)
    return {pair for event_id, pairs in taken.items() if event_id not in undone for pair in pairs}
