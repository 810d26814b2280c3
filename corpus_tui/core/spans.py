"""Annotation spans (label + optional note) and boilerplate spans (optional reason).

Boilerplate is kept as disjoint, merged ranges per document: marking unions,
unmarking cuts, so "share of the document that is boilerplate" is a plain SUM.
Every change is one transaction with one event whose payload holds the full
rows removed (``before``) and inserted (``after``): that is all undo needs.

A *stale* span (its text changed and it could not be found again, see
``anchoring``) is never shown on the text; ``stale_spans`` lists them,
``suggest_places`` offers where its quote is now, ``place_span`` puts one back
on the text and ``remove_span`` drops it.
"""

from __future__ import annotations

from typing import Any

from . import ranges
from .arguments import strings, whole_numbers
from .anchoring import CONTEXT_CHARS, Anchor, Candidate, suggest
from .base import CorpusBase
from .errors import ChangedElsewhere, InvalidSpan, InvalidValue
from .models import Document, Span, TextVersion
from .rules_taken_off import TAKING_OFF, rules_marking
from .safe_text import control_character_problem
from .store import now
from .titles import refresh_titles

SPAN_COLUMNS = tuple(Span.__dataclass_fields__)
_INSERT_SQL = (
    "INSERT INTO spans ({}) VALUES ({})".format(
        ", ".join(f'"{c}"' for c in SPAN_COLUMNS), ", ".join("?" for _ in SPAN_COLUMNS)
    )
)


class SpansMixin(CorpusBase):
    # -- reading -----------------------------------------------------------------

    @whole_numbers("document_id")
    def spans(self, document_id: int, kind: str | None = None) -> list[Span]:
        """The document's spans (``kind``: only ``"annotation"`` or ``"boilerplate"`` ones), stale
        ones included (``span.stale``), in text order."""
        if kind is not None and kind not in ("annotation", "boilerplate"):  # a typo listed none, silently
            raise InvalidValue(f"kind is 'annotation' or 'boilerplate' (or None: both), not {kind!r}")
        sql = "SELECT * FROM spans WHERE document_id = ?"
        params: list[Any] = [document_id]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        return [Span.from_row(r) for r in self.query(sql + ' ORDER BY start, "end", id', params)]

    @whole_numbers("span_id")
    def span(self, span_id: int) -> Span:
        """The span (annotation or boilerplate range) with this id (``InvalidSpan`` if none)."""
        rows = self.query("SELECT * FROM spans WHERE id = ?", [span_id])
        if not rows:
            raise InvalidSpan(f"no span with id {span_id}")
        return Span.from_row(rows[0])

    def labels(self) -> list[str]:
        """Annotation labels in use, most used first."""
        rows = self.query(
            "SELECT label FROM spans WHERE kind = 'annotation' GROUP BY label ORDER BY COUNT(*) DESC, label"
        )
        return [row["label"] for row in rows]

    @whole_numbers("document_id", "offset")
    def spans_at(self, document_id: int, offset: int) -> list[Span]:
        """Live (not stale) spans that contain ``offset``, innermost first."""
        rows = self.query(
            'SELECT * FROM spans WHERE document_id = ? AND start <= ? AND "end" > ? '
            "AND anchor != 'stale' ORDER BY (\"end\" - start), id DESC",
            [document_id, offset, offset],
        )
        return [Span.from_row(r) for r in rows]

    # -- annotations ---------------------------------------------------------------

    @strings("label", "note", error=InvalidSpan)
    @whole_numbers("document_id", "start", "end")
    def add_annotation(self, document_id: int, start: int, end: int, label: str, note: str | None = None,
                       shown_version: TextVersion | None = None) -> Span:
        """``shown_version``: the text's version the offsets were taken from (``check_shown``)."""
        label = (label or "").strip()
        if not label:
            raise InvalidSpan("an annotation needs a label")
        if problem := control_character_problem(label, "label"):
            raise InvalidSpan(problem)
        with self.write():
            self.check_shown(document_id, shown_version)
            doc = self._span_target(document_id, start, end)
            row = self._new_row(doc, "annotation", start, end, label=label, note=note or None)
            (span,) = self._replace_spans(doc.id, "span.add", [], [row])
        return span

    @strings("label", "note", error=InvalidSpan)
    @whole_numbers("span_id")
    def update_annotation(self, span_id: int, label: str | None = None, note: str | None = None) -> Span:
        """Change an annotation's label or note (None leaves one as it is; an empty note clears it);
        one undoable step. An empty label is refused, as ``add_annotation`` refuses it."""
        if label is not None and not label.strip():
            raise InvalidSpan("an annotation needs a label (None leaves the label as it is)")
        with self.write():
            old = self.span(span_id)
            changes: dict[str, Any] = {}
            if label is not None:
                if problem := control_character_problem(label.strip(), "label"):
                    raise InvalidSpan(problem)
                changes["label"] = label.strip()
            if note is not None:
                changes["note"] = note or None
            new = old.as_row() | changes
            self.db.execute("DELETE FROM spans WHERE id = ?", [span_id])
            (span,) = self._replace_spans(old.document_id, "span.update", [old], [new], delete=False)
        return span

    @whole_numbers("span_id")
    def remove_span(self, span_id: int, shown_version: TextVersion | None = None) -> Span:
        """``shown_version``: the version of the text the span was picked on (``check_shown``)."""
        with self.write():
            try:
                old = self.span(span_id)
            except InvalidSpan:
                if shown_version is None:
                    raise
                raise ChangedElsewhere("removed or changed by another process since it was shown (merged with a "
                                       "mark next to it, say): nothing changed; the screen shows it now") from None
            self.check_shown(old.document_id, shown_version)
            self._replace_spans(old.document_id, "span.remove", [old], [])
        return old

    # -- stale spans ---------------------------------------------------------------------

    @whole_numbers("document_id")
    def stale_spans(self, document_id: int | None = None) -> list[Span]:
        """Spans that could not be re-anchored after their text changed: of one document, or all."""
        sql = "SELECT * FROM spans WHERE anchor = 'stale'"
        params: list[Any] = []
        if document_id is not None:
            sql += " AND document_id = ?"
            params.append(document_id)
        return [Span.from_row(r) for r in self.query(sql + ' ORDER BY document_id, start, "end", id', params)]

    def suggest_places(self, span_id: int, limit: int = 5) -> list[Candidate]:
        """Where a stale span's quote occurs in the current text, most matching context first."""
        span = self.span(span_id)
        text = self.text(span.document_id)
        return suggest(text, Anchor(span.quote, span.prefix, span.suffix), limit)

    @whole_numbers("span_id", "start", "end")
    def place_span(self, span_id: int, start: int, end: int, shown_version: TextVersion | None = None) -> Span:
        """Put a stale span back on the text at [start, end): one undoable step.

        The span keeps its label, note or reason; its quote and context become the
        text there (it may have been reworded). Boilerplate placed where other
        boilerplate touches is merged with it, as marking does. For example
        ``corpus.place_span(corpus.stale_spans(doc.id)[0].id, 120, 125)``. ``shown_version``: the
        text's version the offsets were taken from (``check_shown``).
        """
        with self.write():
            old = self.span(span_id)
            self.check_shown(old.document_id, shown_version)
            if not old.stale:
                raise InvalidSpan(f"span {span_id} is not stale: only stale spans are placed")
            doc = self._span_target(old.document_id, start, end)
            removed = [old]
            if old.kind == "boilerplate":
                removed += [
                    s for s in self.spans(doc.id, "boilerplate")
                    if not s.stale and s.start <= end and s.end >= start
                ]
                start = min([start] + [s.start for s in removed[1:]])
                end = max([end] + [s.end for s in removed[1:]])
            anchor = self._anchor(doc.id, start, end)
            reason = old.reason or next((s.reason for s in removed if s.reason), None)
            row = old.as_row() | {
                "start": start, "end": end, "quote": anchor.quote, "prefix": anchor.prefix,
                "suffix": anchor.suffix, "anchor": "ok", "reason": reason,
            }
            (span,) = self._replace_spans(doc.id, "span.place", removed, [row])
        return span

    # -- boilerplate -------------------------------------------------------------------

    @whole_numbers("document_id", "start", "end")
    def boilerplate_covers(self, document_id: int, start: int, end: int) -> bool:
        """Whether live boilerplate marks cover all of ``[start, end)`` in the document."""
        live = [(s.start, s.end) for s in self.spans(document_id, "boilerplate") if not s.stale]
        return ranges.covers(live, (start, end))

    @strings("reason", error=InvalidSpan)
    @whole_numbers("document_id", "start", "end")
    def mark_boilerplate(self, document_id: int, start: int, end: int, reason: str | None = None,
                         shown_version: TextVersion | None = None) -> list[Span]:
        """Union [start, end) into the document's boilerplate; returns what changed.
        ``shown_version``: the text's version the offsets were taken from (``check_shown``)."""
        with self.write():
            self.check_shown(document_id, shown_version)
            return self._mark_boilerplate(document_id, start, end, reason)

    def _mark_boilerplate(self, document_id: int, start: int, end: int, reason: str | None) -> list[Span]:
        doc = self._span_target(document_id, start, end)
        touching = [
            s for s in self.spans(doc.id, "boilerplate")
            if not s.stale and s.start <= end and s.end >= start
        ]
        new_start = min([start] + [s.start for s in touching])
        new_end = max([end] + [s.end for s in touching])
        if len(touching) == 1 and (touching[0].start, touching[0].end) == (new_start, new_end) and (
            reason is None or touching[0].reason == reason
        ):
            return []  # already marked exactly so
        kept_reason = reason or next((s.reason for s in touching if s.reason), None)
        row = self._new_row(doc, "boilerplate", new_start, new_end, reason=kept_reason)
        return self._replace_spans(doc.id, "boilerplate.mark", touching, [row])

    @whole_numbers("document_id", "start", "end")
    def unmark_boilerplate(self, document_id: int, start: int, end: int) -> list[Span]:
        """Cut [start, end) out of the document's boilerplate; returns the pieces left."""
        with self.write():
            return self._unmark_boilerplate(document_id, start, end)

    def _unmark_boilerplate(self, document_id: int, start: int, end: int) -> list[Span]:
        doc = self._span_target(document_id, start, end)
        hit = [
            s for s in self.spans(doc.id, "boilerplate")
            if not s.stale and s.start < end and s.end > start
        ]
        if not hit:
            return []
        rows = []
        for span in hit:
            for piece_start, piece_end in ranges.subtract([(span.start, span.end)], (start, end)):
                row = self._new_row(doc, "boilerplate", piece_start, piece_end, reason=span.reason)
                row.update(annotator=span.annotator, created_at=span.created_at)
                rows.append(row)
        return self._replace_spans(doc.id, "boilerplate.unmark", hit, rows)

    @strings("reason", error=InvalidSpan)
    @whole_numbers("document_id", "start", "end")
    def toggle_boilerplate(self, document_id: int, start: int, end: int, reason: str | None = None,
                           shown_marked: bool | None = None, shown_version: TextVersion | None = None,
                           shown_ranges: list[tuple[int, int]] | None = None) -> bool:
        """Unmark when [start, end) is already all boilerplate, else mark. True if now marked.

        One transaction: what is read is what is toggled. ``shown_marked``: whether the caller
        showed the range as all boilerplate (the app's screen); when another process changed
        that since, nothing is written and ``ChangedElsewhere`` says so, so a key meant to mark
        never removes a mark someone else just made (nor the other way round). ``shown_version``:
        the text's version the offsets were taken from (``check_shown``). ``shown_ranges``: the
        boilerplate the caller showed inside the range (``ranges.within``; ``shown_marked`` follows
        from it when not given); a part marked or
        unmarked since is a change too (b on a paragraph shown half marked would mark the rest
        of it, lines rejected by hand included, for what another process just did)."""
        with self.write():
            self.check_shown(document_id, shown_version)
            live = [(s.start, s.end) for s in self.spans(document_id, "boilerplate") if not s.stale]
            covered = ranges.covers(live, (start, end))
            if shown_marked is None and shown_ranges is not None:
                shown_marked = ranges.covers(shown_ranges, (start, end))
            if shown_marked is not None and covered != shown_marked:
                raise ChangedElsewhere(
                    f"{'marked' if covered else 'unmarked'} by another process since it was shown: "
                    "nothing changed; the screen shows it now")
            if shown_ranges is not None and ranges.within(live, (start, end)) != ranges.within(shown_ranges, (start, end)):
                raise ChangedElsewhere("marked or unmarked in part by another process since it was shown: "
                                       "nothing changed; the screen shows it now")
            if covered:
                self._unmark_boilerplate(document_id, start, end)
                return False
            self._mark_boilerplate(document_id, start, end, reason)
            return True

    # -- shared machinery --------------------------------------------------------------

    def _span_target(self, document_id: int, start: int, end: int) -> Document:
        doc = self.document(document_id)
        if problem := target_problem(doc.path, doc.state, doc.char_count, start, end):
            raise InvalidSpan(problem)
        return doc

    def _anchor(self, document_id: int, start: int, end: int) -> Anchor:
        """Quote and context read with SQL substr, so a 10 MB text is not copied per keypress."""
        prefix, quote, suffix = self.context(document_id, start, end, CONTEXT_CHARS)
        return Anchor(quote, prefix, suffix)

    def _new_row(self, doc: Document, kind: str, start: int, end: int, **fields: Any) -> dict[str, Any]:
        anchor = self._anchor(doc.id, start, end)
        row: dict[str, Any] = {
            "id": None, "document_id": doc.id, "kind": kind, "start": start, "end": end,
            "label": None, "note": None, "reason": None,
            "quote": anchor.quote, "prefix": anchor.prefix, "suffix": anchor.suffix,
            "anchor": "ok", "annotator": self.annotator, "created_at": now(),
        }
        row.update(fields)
        return row

    def insert_span_rows(self, rows: list[dict[str, Any]]) -> list[Span]:
        """Insert full span rows (an ``id`` of None gets a fresh one). Inside ``write()``."""
        inserted = []
        for row in rows:
            # rows logged before rules existed (and new rows) have no rule_id: made by hand
            cursor = self.db.execute(_INSERT_SQL, [row.get(c) for c in SPAN_COLUMNS])
            inserted.append(Span.from_row(row | {"id": cursor.lastrowid}))
        return inserted

    def _replace_spans(
        self, document_id: int, action: str, removed: list[Span], rows: list[dict[str, Any]], delete: bool = True
    ) -> list[Span]:
        if delete and removed:
            self.db.execute(
                f"DELETE FROM spans WHERE id IN ({', '.join('?' for _ in removed)})", [s.id for s in removed]
            )
        added = self.insert_span_rows(rows)
        if any(span.kind == "boilerplate" for span in (*removed, *added)):
            refresh_titles(self.db, [document_id])  # the title follows the marks, in this transaction
        payload: dict[str, Any] = {"before": [s.as_row() for s in removed], "after": [s.as_row() for s in added]}
        if action in TAKING_OFF:
            unmarked = [(s.start, s.end) for s in removed if s.kind == "boilerplate" and not s.stale]
            for span in added:
                if span.kind == "boilerplate":
                    unmarked = ranges.subtract(unmarked, (span.start, span.end))
            if rules_off := rules_marking(self.db, document_id, unmarked):
                payload["rules_off"] = rules_off
        self.log_event(action, document_id, payload)
        return added


def target_problem(path: str, state: str, length: int, start: int, end: int) -> str | None:
    """Why ``[start, end)`` cannot be marked or annotated in this document, or None."""
    if state == "unreadable":
        return f"{path}: unreadable documents cannot be annotated"
    if not 0 <= start < end <= length:
        return f"{path}: {span_problem(start, end, length)}"
    return None


def span_problem(start: int, end: int, length: int) -> str:
    """What is wrong with a span that is not ``0 <= start < end <= length``."""
    if start >= end and 0 <= start <= length and 0 <= end <= length:
        return f"span [{start}, {end}) is empty: its end must be after its start"
    return f"span [{start}, {end}) is outside the text (0-{length})"
