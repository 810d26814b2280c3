"""Reading a writer's intent/ack log and finding its actions in the database.

``lost``: an acknowledged action the database does not hold. For a status or a
note, which a later action overwrites, the document must hold its last
acknowledged value, or the value of the one action that was in flight (begun,
not acknowledged) when the writer died: that one may or may not have committed.

``partial``: an action whose change and event disagree (the annotation or tag
link is there without its event in the log, or the reverse): each action is one
transaction, so both or neither.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .checks import connection


@dataclass
class LogReport:
    intents: int = 0
    acked: int = 0
    lost: int = 0
    partial: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, other: "LogReport") -> None:
        self.intents += other.intents
        self.acked += other.acked
        self.lost += other.lost
        self.partial += other.partial
        self.examples += other.examples[: max(0, 5 - len(self.examples))]


def read_log(path: Path) -> tuple[list[dict], set[tuple[str, int]]]:
    """(intents in order, {(writer, step) acknowledged})."""
    intents, acks = [], set()
    if not path.exists():
        return intents, acks
    for line in path.read_text().splitlines():
        if not line.endswith("}"):
            continue  # never happens with one write() per line; kept so a torn line would not crash the check
        record = json.loads(line)
        if record["phase"] == "intent":
            intents.append(record)
        else:
            acks.add((record["writer"], record["step"]))
    return intents, acks


def verify(db: Path, log: Path) -> LogReport:
    intents, acks = read_log(log)
    report = LogReport(intents=len(intents), acked=len(acks))
    if not intents:
        return report
    with connection(db) as conn:
        last_value: dict[tuple[str, int], dict] = {}  # (op, doc) -> last intent, acked or not
        last_acked: dict[tuple[str, int], dict] = {}
        for intent in intents:
            key = (intent["writer"], intent["step"])
            acked = key in acks
            op = intent["op"]
            if op in ("set_status", "set_note"):
                last_value[(op, intent["doc"])] = intent
                if acked:
                    last_acked[(op, intent["doc"])] = intent
                continue
            present = _present(conn, intent)
            if acked and not present:
                report.lost += 1
                report.examples.append(f"lost: {intent}")
            if op != "mark_boilerplate" and present != _event_present(conn, intent):
                report.partial += 1
                report.examples.append(f"change and event disagree: {intent}")
        for (op, doc), acked_intent in last_acked.items():
            allowed = {acked_intent["value"], last_value[(op, doc)]["value"]}
            column = "status" if op == "set_status" else "note"
            stored = conn.execute(f"SELECT {column} FROM documents WHERE id = ?", (doc,)).fetchone()
            if stored is None or stored[0] not in allowed:
                report.lost += 1
                report.examples.append(f"lost: {acked_intent} (stored {stored})")
    return report


def _present(conn: sqlite3.Connection, intent: dict) -> bool:
    op, doc, value = intent["op"], intent["doc"], intent["value"]
    if op == "add_annotation":
        sql = "SELECT COUNT(*) FROM spans WHERE document_id = ? AND kind = 'annotation' AND label = ?"
        return conn.execute(sql, (doc, value)).fetchone()[0] > 0
    if op == "add_tag":
        sql = ("SELECT COUNT(*) FROM document_tags l JOIN tags t ON t.id = l.tag_id "
               "WHERE l.document_id = ? AND t.key = ?")
        return conn.execute(sql, (doc, value.casefold())).fetchone()[0] > 0
    # Boilerplate merges with what it touches: the range must lie inside one boilerplate span.
    sql = ("SELECT COUNT(*) FROM spans WHERE document_id = ? AND kind = 'boilerplate' "
           "AND start <= ? AND \"end\" >= ?")
    return conn.execute(sql, (doc, intent["start"], intent["end"])).fetchone()[0] > 0


def _event_present(conn: sqlite3.Connection, intent: dict) -> bool:
    if intent["op"] == "add_annotation":
        sql = ("SELECT COUNT(*) FROM events WHERE action = 'span.add' AND document_id = ? "
               "AND json_extract(payload, '$.after[0].label') = ?")
    else:
        sql = ("SELECT COUNT(*) FROM events WHERE action = 'tag.add' AND document_id = ? "
               "AND json_extract(payload, '$.tag') = ?")
    return conn.execute(sql, (intent["doc"], intent["value"])).fetchone()[0] > 0
