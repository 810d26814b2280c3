"""Which logged decisions still hold: not undone, or undone and redone since."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def undone_events(db: Any, event_ids: Iterable[int]) -> set[int]:
    """Those of these events whose last undo or redo is an undo (read from the event log, where
    an ``undo``/``redo`` event names its target)."""
    ids = sorted(set(event_ids))
    last: dict[int, bool] = {}  # event -> whether its last undo or redo undid it
    for start in range(0, len(ids), 500):
        for action, target in db.execute(
            "SELECT action, json_extract(payload, '$.target') FROM events WHERE action IN ('undo', 'redo') "
            "AND json_extract(payload, '$.target') IN (SELECT value FROM json_each(?)) ORDER BY id",
            [json.dumps(ids[start : start + 500])],
        ):
            last[target] = action == "undo"
    return {event_id for event_id, undid in last.items() if undid}
