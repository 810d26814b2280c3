"""Whether the spans an undo or redo would touch are still as that step left them.

Each annotator undoes their own steps, but the rows a step made can be changed since by
someone else: another annotator, a script, another process. Restoring the step over such a
change would lose it (a label set since, a mark cut since) or break the store's rules (two
boilerplate marks over the same words; a row whose id is taken). So a document whose spans
changed since is left as it is, and the step is taken all the same (``history_kept`` says
so): refusing it would block this annotator's history behind another's change for good. The
same rule as for ``b``, the tag keys and the note editor: what another process changed is
never overwritten without a word.

What counts as changed: a row the step would remove is gone, or holds another label, note,
kind or quote (a scan moving a row with its words, re-anchoring it, is not a change; nor a
rule's mark its rule made again at a scan); a row it would restore exists again. After restoring, a live boilerplate range overlapping another
live one (``overlapping_boilerplate``) means someone marked those words since.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

SAME_SPAN_FIELDS = ("document_id", "kind", "label", "note", "quote")
# Why a document is left when the step's own rows are back (another's undo restored them): the
# step is done there already, and its next undo or redo is free to act (``HistoryMixin._step``).
THERE_AGAIN = "a range it removed is there again"
_CHUNK = 500


def documents_changed_since(db: Any, removing: Iterable[dict[str, Any]],
                            restoring: Iterable[dict[str, Any]]) -> dict[int, str]:
    """The documents whose spans are not as the step left them, each with why (for a message)."""
    changed: dict[int, str] = {}
    expected = {row["id"]: row for row in removing if row.get("id") is not None}
    for chunk in _chunks(list(expected)):
        now = {row[0]: row[1:] for row in db.execute(
            "SELECT id, document_id, kind, label, note, quote FROM spans WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(chunk)])}
        for span_id in chunk:
            row = expected[span_id]
            if span_id not in now:
                if not _remade_by_its_rule(db, row):
                    changed.setdefault(row["document_id"], "a range it made was removed, cut or merged since")
            elif tuple(now[span_id]) != tuple(row[field] for field in SAME_SPAN_FIELDS):
                changed.setdefault(row["document_id"], "a range it made was changed since")
    # A row the step changes in place (a label, a stale mark placed) is removed and restored by id.
    back = {row["id"]: row["document_id"] for row in restoring if row.get("id") is not None and row["id"] not in expected}
    for chunk in _chunks(list(back)):
        for (span_id,) in db.execute("SELECT id FROM spans WHERE id IN (SELECT value FROM json_each(?))",
                                     [json.dumps(chunk)]):
            changed.setdefault(back[span_id], THERE_AGAIN)
    return changed


def _remade_by_its_rule(db: Any, row: dict[str, Any]) -> bool:
    """Whether a rule's mark that is gone was made again by its rule (a scan of the changed text
    marks the rule's passage anew, as a new row): the rule's doing, not a change by someone."""
    return row.get("rule_id") is not None and db.execute(
        "SELECT 1 FROM spans WHERE document_id = ? AND rule_id = ? AND kind = 'boilerplate' AND quote = ? "
        "AND anchor != 'stale'", [row["document_id"], row["rule_id"], row["quote"]]).fetchone() is not None


def overlapping_boilerplate(db: Any, span_ids: Iterable[int]) -> set[int]:
    """The documents where one of these live boilerplate ranges (just restored) overlaps another
    live one: boilerplate is kept as disjoint ranges."""
    found: set[int] = set()
    for chunk in _chunks(list(span_ids)):
        found.update(document for (document,) in db.execute(
            "SELECT DISTINCT a.document_id FROM spans AS a JOIN spans AS b "
            "ON b.document_id = a.document_id AND b.kind = 'boilerplate' AND b.id != a.id "
            "AND b.anchor != 'stale' AND b.start < a.\"end\" AND a.start < b.\"end\" "
            "WHERE a.id IN (SELECT value FROM json_each(?)) AND a.kind = 'boilerplate' AND a.anchor != 'stale'",
            [json.dumps(chunk)]))
    return found


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
