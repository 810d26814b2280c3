"""Undo and redo, read from the append-only events log (so they survive restarts).

Each annotator has their own history: their undoable events, in order, with
``undo``/``redo`` events (payload ``{"target": id}``) moving a pointer through
it, as in an editor. A new action after an undo drops what could be redone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .arguments import whole_numbers
from .anchoring import Anchor, find
from .duplicates.clusters import rebuild_clusters
from .history_checks import THERE_AGAIN, documents_changed_since, overlapping_boilerplate
from .base import CorpusBase
from .errors import InvalidValue
from .propagate import MULTI_DOCUMENT_ACTIONS, replay
from .safe_text import one_line, quoted
from .titles import refresh_titles
from .wording import plural

UNDOABLE = frozenset({
    "span.add", "span.remove", "span.update", "span.place", "boilerplate.mark", "boilerplate.unmark",
    "tag.add", "tag.remove", "status.set", "note.set", "suggestion.reject", "duplicate.mark",
    *MULTI_DOCUMENT_ACTIONS,
})


@dataclass(frozen=True)
class Event:
    id: int
    at: str
    annotator: str
    action: str
    document_id: int | None
    payload: dict[str, Any]


class HistoryMixin(CorpusBase):
    @whole_numbers("document_id", "limit")
    def events(self, document_id: int | None = None, limit: int = 100) -> list[Event]:
        """Most recent first."""
        where, params = ("WHERE document_id = ?", [document_id]) if document_id is not None else ("", [])
        rows = self.query(f"SELECT * FROM events {where} ORDER BY id DESC LIMIT ?", params + [limit])
        return [_event(row) for row in rows]

    def _stacks(self) -> tuple[list[Event], list[Event]]:
        rows = self.query(
            "SELECT * FROM events WHERE (annotator = ? AND (action IN ({}) OR action IN ('undo', 'redo'))) "
            "OR action = 'suggestion.revert' ORDER BY id".format(", ".join("?" for _ in UNDOABLE)),
            [self.annotator, *sorted(UNDOABLE)],
        )
        done: list[Event] = []
        undone: list[Event] = []
        for event in map(_event, rows):
            if event.action == "suggestion.revert":  # a batch reverted out of order: no longer undoable
                target = event.payload.get("target")
                done = [e for e in done if e.id != target]
                undone = [e for e in undone if e.id != target]
            elif event.action == "undo":
                if done and done[-1].id == event.payload.get("target"):
                    undone.append(done.pop())
            elif event.action == "redo":
                if undone and undone[-1].id == event.payload.get("target"):
                    done.append(undone.pop())
            else:
                done.append(event)
                undone.clear()
        return done, undone

    history_kept: str | None = None  # what the last undo or redo left as it was, and why (said by the app)
    # What the undo or redo in progress left as it was: the whole step, documents of a step over
    # many, rules (logged with it: its next redo or undo leaves the same).
    _left_whole = False
    _left_documents: set[int] = set()
    _left_rules: set[int] = set()

    def _path_of(self, document_id: int) -> str:
        row = self.db.execute("SELECT path FROM documents WHERE id = ?", [document_id]).fetchone()
        return repr(row[0]) if row else f"document {document_id}"

    def undo(self) -> Event | None:
        """Revert this annotator's last action; returns it, or None when nothing is left.
        ``history_kept`` then says what it had to leave as it was, if anything."""
        with self.write():
            done, _ = self._stacks()
            if not done:
                return None
            return self._step(done[-1], forward=False)

    def redo(self) -> Event | None:
        """Re-apply the last undone action; returns it, or None (``history_kept``: as for undo)."""
        with self.write():
            _, undone = self._stacks()
            if not undone:
                return None
            return self._step(undone[-1], forward=True)

    def _step(self, event: Event, forward: bool) -> Event:
        """Undo or redo ``event`` inside the caller's transaction, and log it with what it left.

        What an undo left as it was (someone else had changed it), its redo right after leaves
        too, and the other way round: the redo found things as the step had found them, because
        the other annotator made them so, and put the step back over their change without a word
        (a trial). Once anything else was logged in between, the plain checks decide again.
        """
        self.history_kept = None
        self._left_whole, self._left_documents, self._left_rules = False, set(), set()
        before = self._left_by_the_last_turn(event.id)
        if before.get("left"):
            self._left_whole = True
            self.history_kept = (f"{self._step_place(event)} was left as it is, as the "
                                 f"{'undo' if forward else 'redo'} before left it (someone else had changed it)")
        else:
            self._apply(event, forward, set(before.get("left_documents", ())), set(before.get("left_rules", ())))
        left: dict[str, Any] = {"left": True} if self._left_whole else {}
        if self._left_documents:
            left["left_documents"] = sorted(self._left_documents)
        if self._left_rules:
            left["left_rules"] = sorted(self._left_rules)
        self.log_event("redo" if forward else "undo", event.document_id, {"target": event.id, "action": event.action}
                       | ({"kept": self.history_kept} if self.history_kept else {}) | left)
        return event

    def _left_by_the_last_turn(self, event_id: int) -> dict[str, Any]:
        """What the last undo or redo of this event left (its payload), when nothing touched its
        documents since: then the other's change it left is still what is there. Once something
        did (the other annotator undid their change, a scan), {}: the plain checks decide."""
        row = self.db.execute(  # its turns come after it: a range of ids, not the whole log
            "SELECT id, payload, document_id FROM events WHERE id > ? AND action IN ('undo', 'redo') "
            "AND json_extract(payload, '$.target') = ? ORDER BY id DESC LIMIT 1", [event_id, event_id]).fetchone()
        if row is None:
            return {}
        left = json.loads(row[1])
        # Only what touched the same documents since counts (their undo, a scan of them, a step
        # over many): an unrelated note elsewhere between an undo and its redo let the redo put
        # the step back over the other's change (a fuzz).
        documents = [row[2]] if row[2] is not None else left.get("left_documents", [])
        # A step over many documents counts when it lists one of them (its "sha256" pairs); other
        # events of no document (a tag merged, a rule removed, an undo of a step over many) count.
        later = self.db.execute(
            "SELECT 1 FROM events AS e WHERE e.id > ? AND (e.document_id IN (SELECT value FROM json_each(?)) "
            "OR (e.document_id IS NULL AND (e.action NOT IN (SELECT value FROM json_each(?)) OR EXISTS ("
            "  SELECT 1 FROM json_each(e.payload, '$.sha256') AS d "
            "  WHERE json_extract(d.value, '$[0]') IN (SELECT value FROM json_each(?)))))) LIMIT 1",
            [row[0], json.dumps(documents), json.dumps(list(MULTI_DOCUMENT_ACTIONS)), json.dumps(documents)],
        ).fetchone()
        return {} if later is not None else left

    def _step_place(self, event: Event) -> str:
        return self._path_of(event.document_id) if event.document_id is not None else "the step"

    def _apply(self, event: Event, forward: bool, skip_documents: set[int], skip_rules: set[int]) -> None:
        payload, doc_id = event.payload, event.document_id
        action = event.action
        if action in MULTI_DOCUMENT_ACTIONS:  # mark everywhere, removing a rule: many documents at once
            self._replay_spans(payload, forward, skip_documents, skip_rules)
        elif action.startswith(("span.", "boilerplate.")):
            self._apply_spans(event, forward)
        elif action in ("tag.add", "tag.remove"):
            self._apply_tag(event, forward)
        elif action == "suggestion.reject":
            row = payload["row"]
            if forward:
                self.db.execute(
                    'INSERT OR IGNORE INTO suggestion_rejections (id, document_id, fingerprint, start, "end", score, '
                    "reason, annotator, created_at) VALUES (:id, :document_id, :fingerprint, :start, :end, :score, "
                    ":reason, :annotator, :created_at)", row)
            else:
                self.db.execute("DELETE FROM suggestion_rejections WHERE id = ?", [row["id"]])
        elif action == "duplicate.mark":
            of = payload["after"] if forward else payload["before"]
            if doc_id is not None and self._changed_since(doc_id, "duplicate_of", payload, forward):
                return
            if of is not None and doc_id is not None:
                try:  # another annotator may have marked the other document a copy of this one since
                    self._refuse_a_circle(doc_id, of)  # type: ignore[attr-defined]
                except InvalidValue:
                    # Left as it is, and the step is taken all the same: refusing would block this
                    # annotator's history behind another's mark for good.
                    self.history_kept = (f"the duplicate mark was left as it is: marking "
                                         f"{self._path_of(doc_id)} a copy of {self._path_of(of)} again would make "
                                         "each the other's copy (another annotator marked it so since)")
                    self._left_whole = True
                    return
            self.db.execute("UPDATE documents SET duplicate_of = ? WHERE id = ?", [of, doc_id])
            rebuild_clusters(self.db)
        elif action in ("status.set", "note.set"):
            column = "status" if action == "status.set" else "note"
            if doc_id is None or self._changed_since(doc_id, column, payload, forward):
                return
            value = payload["after"] if forward else payload["before"]
            self.db.execute(f"UPDATE documents SET {column} = ? WHERE id = ?", [value, doc_id])

    def _changed_since(self, doc_id: int, column: str, payload: dict[str, Any], forward: bool) -> bool:
        """Whether a document's status, note or duplicate mark is no longer what the step left
        (someone else set it since): then it is left as it is, and ``history_kept`` says so."""
        row = self.db.execute(f"SELECT {column} FROM documents WHERE id = ?", [doc_id]).fetchone()
        left = payload["before"] if forward else payload["after"]
        what = {"duplicate_of": "duplicate mark"}.get(column, column)
        if row is not None and row[0] == left:
            return False
        if row is None:
            self._left_whole = True
            return True  # the document is gone
        if row[0] == (payload["after"] if forward else payload["before"]):
            # Already as the step would leave it: nothing to do. Left for the next turn too when
            # another's step made it so (their value: a redo must not undo it), and said; not
            # when another's undo did (a value restored: the next turn is free).
            self._left_whole = self._last_change_was_a_step(doc_id)
            if self._left_whole:
                self.history_kept = (f"the {what} of {self._path_of(doc_id)} was already so: someone else "
                                     "set it since (their change stays, a redo too)")
            return True
        self._left_whole = True
        self.history_kept = (f"the {what} of {self._path_of(doc_id)} was left as it is: "
                             "it was changed since (by another annotator or process)")
        return True

    def _apply_spans(self, event: Event, forward: bool) -> None:
        """One document's spans back as they were before (or after) the step, unless they changed since."""
        payload, doc_id = event.payload, event.document_id
        remove, insert = ("before", "after") if forward else ("after", "before")
        removing, rows = payload[remove], payload[insert]
        changed = documents_changed_since(self.db, removing, rows)
        if changed:
            why = next(iter(changed.values()))
            self.history_kept = f"{self._path_of(doc_id or 0)} was left as it is: {why}"
            self._left_whole = why != THERE_AGAIN
            return
        self.db.execute("SAVEPOINT history_step")
        for row in removing:
            self.db.execute("DELETE FROM spans WHERE id = ?", [row["id"]])
        if rows and doc_id is not None:
            rows = reanchored_rows(self.text(doc_id), rows)
        restored = self.insert_span_rows(rows)  # type: ignore[attr-defined]
        if overlapping_boilerplate(self.db, [span.id for span in restored]):
            self.db.execute("ROLLBACK TO history_step")
            self.history_kept = (f"{self._path_of(doc_id or 0)} was left as it is: "
                                 "another boilerplate mark covers some of its words now")
            self._left_whole = True
        elif doc_id is not None and any(row["kind"] == "boilerplate" for row in payload["before"] + payload["after"]):
            refresh_titles(self.db, [doc_id])  # the title follows the marks
        self.db.execute("RELEASE history_step")

    def _replay_spans(self, payload: dict[str, Any], forward: bool, skip_documents: set[int],
                      skip_rules: set[int]) -> None:
        """A step over many documents (``replay``): those whose spans changed since are left as
        they are, the others follow; so are those the last undo or redo of it left."""
        columns = payload["columns"]
        out_key, in_key = ("before", "after") if forward else ("after", "before")
        restoring = [dict(zip(columns, values)) for values in payload[in_key]]
        changed = documents_changed_since(self.db, (dict(zip(columns, values)) for values in payload[out_key]),
                                          restoring)
        changed |= {document: "as the last undo or redo of it left it (someone else had changed it)"
                    for document in skip_documents if document not in changed}
        self.db.execute("SAVEPOINT history_step")
        rules_left = replay(self.db, payload, forward, reanchored_rows, skip=set(changed), skip_rules=skip_rules)
        overlaps = overlapping_boilerplate(self.db, [row["id"] for row in restoring if row["document_id"] not in changed])
        if overlaps:  # marked by someone else since, over the words it would mark again: theirs stands
            self.db.execute("ROLLBACK TO history_step")
            changed |= dict.fromkeys(overlaps, "another boilerplate mark covers some of its words now")
            rules_left = replay(self.db, payload, forward, reanchored_rows, skip=set(changed), skip_rules=skip_rules)
        self.db.execute("RELEASE history_step")
        self._left_documents = {document for document, why in changed.items() if why != THERE_AGAIN}
        self._left_rules = set(rules_left)
        kept = []
        if changed:
            first, why = next(iter(changed.items()))
            more = f" and {plural(len(changed) - 1, 'other')}" if len(changed) > 1 else ""
            kept.append(f"{self._path_of(first)}{more} left as {'they are' if more else 'it is'}: {why}")
        if rules_left:
            kept.append(f"{'rules' if len(rules_left) > 1 else 'rule'} {', '.join(map(str, rules_left))} left as "
                        "it is: removed or restored since by another annotator or process")
        self.history_kept = "; ".join(kept) or None

    def _apply_tag(self, event: Event, forward: bool) -> None:
        payload, doc_id = event.payload, event.document_id
        adding = (event.action == "tag.add") == forward
        link = payload.get("link") or {"annotator": event.annotator, "created_at": event.at}
        tag_id = self._tag_now(payload["tag_id"], event.id)
        if tag_id is None:
            self.history_kept = (f"tag {quoted(payload.get('tag', '?'))} was left as it is on "
                                 f"{self._path_of(doc_id or 0)}: the tag was deleted since")
            self._left_whole = True
            return
        if adding:
            import_id = link.get("import_id")
            if import_id is not None and self.db.execute(  # an undone import no longer owns it
                    "SELECT 1 FROM imports WHERE id = ? AND undone_at IS NULL", [import_id]).fetchone() is None:
                import_id = None
            added = self.db.execute(  # the link comes back as it was, provenance (import) included
                "INSERT OR IGNORE INTO document_tags (document_id, tag_id, annotator, created_at, import_id) "
                "VALUES (?, ?, ?, ?, ?)",
                [doc_id, tag_id, link["annotator"], link["created_at"], import_id],
            ).rowcount
            if not added:  # tagged since: by someone else (theirs stays, a redo too), or its own link is back
                there = self.db.execute("SELECT annotator, created_at FROM document_tags WHERE document_id = ? "
                                        "AND tag_id = ?", [doc_id, tag_id]).fetchone()
                self._left_whole = there is not None and tuple(there) != (link["annotator"], link["created_at"])
                if self._left_whole:
                    self.history_kept = (f"tag {quoted(payload.get('tag', '?'))} was already on "
                                         f"{self._path_of(doc_id or 0)}: someone else tagged it since (theirs stays)")
            return
        now = self.db.execute("SELECT annotator, created_at FROM document_tags WHERE document_id = ? AND tag_id = ?",
                              [doc_id, tag_id]).fetchone()
        if now is None:  # untagged since: as the step would leave it
            self._left_whole = self._last_change_was_a_step(doc_id or 0)
            if self._left_whole:
                self.history_kept = (f"tag {quoted(payload.get('tag', '?'))} was already off "
                                     f"{self._path_of(doc_id or 0)}: someone else took it off since (a redo leaves it off too)")
            return
        if payload.get("link") and tuple(now) != (link["annotator"], link["created_at"]):
            if tag_id != payload["tag_id"]:
                name = self.db.execute("SELECT name FROM tags WHERE id = ?", [tag_id]).fetchone()[0]
                self.history_kept = (f"tag {quoted(payload.get('tag', '?'))} was merged into {quoted(name)} since, and "
                                     f"{self._path_of(doc_id or 0)} has {quoted(name)} by a link of its own: left on it")
            else:
                self.history_kept = (f"tag {quoted(payload.get('tag', '?'))} was left on "
                                     f"{self._path_of(doc_id or 0)}: {one_line(now[0], 40)} tagged it again since")
            self._left_whole = True
            return
        self.db.execute("DELETE FROM document_tags WHERE document_id = ? AND tag_id = ?", [doc_id, tag_id])

    def _tag_now(self, tag_id: int, since: int) -> int | None:
        """The tag a step's tag (logged as event ``since``) is now: itself, or the tag it was
        merged into (links move with a merge, so undoing a tag merged away since takes its link
        off the tag it is now under); None when it was deleted. By the merges and deletions
        logged after the step: a freed id is given to the next tag made, an unrelated one (a
        redo put a link on it: a review)."""
        for _ in range(100):  # merged into a tag merged in turn: a chain
            ended = self.db.execute(
                "SELECT id, action, json_extract(payload, '$.target_id') FROM events WHERE id > ? AND ("
                "(action = 'tag.merge' AND json_extract(payload, '$.source_id') = ?) OR "
                "(action = 'tag.delete' AND json_extract(payload, '$.tag.id') = ?)) ORDER BY id LIMIT 1",
                [since, tag_id, tag_id]).fetchone()
            if ended is None:
                exists = self.db.execute("SELECT 1 FROM tags WHERE id = ?", [tag_id]).fetchone() is not None
                return tag_id if exists else None
            if ended[1] == "tag.delete" or ended[2] is None:
                return None
            since, tag_id = ended[0], int(ended[2])
        return None

    def _last_change_was_a_step(self, doc_id: int) -> bool:
        """Whether the last event logged for a document is someone's step (their change of it),
        not an undo or redo (a change taken back)."""
        row = self.db.execute("SELECT action FROM events WHERE document_id = ? ORDER BY id DESC LIMIT 1",
                              [doc_id]).fetchone()
        return row is not None and row[0] not in ("undo", "redo")


def reanchored_rows(text: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Span rows restored by undo/redo, moved to where their quote is now.

    The text may have changed (a rescan) since the event: a restored span must
    never land on the wrong words, so it is re-anchored or marked stale.
    """
    fixed = []
    for row in rows:
        located = find(text, Anchor(row["quote"], row["prefix"], row["suffix"]), row["start"])
        if located.start is None:
            fixed.append(row | {"anchor": "stale"})
        elif located.reason == "same":  # the text around it is as it was: back where it was
            fixed.append(row if row["anchor"] != "stale" else row | {"anchor": "reanchored"})
        else:
            start = located.start
            fixed.append(row | {"start": start, "end": start + len(row["quote"]), "anchor": "reanchored"})
    return fixed


def _event(row: dict[str, Any]) -> Event:
    return Event(row["id"], row["at"], row["annotator"], row["action"], row["document_id"], json.loads(row["payload"]))
