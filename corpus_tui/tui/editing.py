"""The document actions of the app: boilerplate, tags, spans, notes, review, undo.

Each action is one library call (one transaction) followed by a redraw from
the database, so what the screen shows is what was committed. A failed write
(for example a database locked by another process for too long) is reported
and nothing is shown as done.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work

from ..core import CorpusError, ranges
from ..core.errors import ChangedElsewhere
from ..core.history import Event
from ..core.store import translate
from ..core.safe_text import one_line
from ..core.wording import plural
from .from_worker import soon
from .screens.annotate import AnnotateDialog, AnnotationInput
from .screens.note import NoteDialog
from .screens.stale_spans import StaleSpansScreen
from .screens.tag_picker import TagPicker

if TYPE_CHECKING:
    from .app import CorpusApp

EVERYWHERE_OFFER = "marks every copy (one undo step)"  # the end of the offer's toast, which M withdraws

ACTION_NAMES = {
    "span.add": "annotation", "span.remove": "span removal", "span.update": "annotation edit",
    "span.place": "span placement",
    "boilerplate.mark": "boilerplate mark", "boilerplate.unmark": "boilerplate unmark",
    "tag.add": "tag", "tag.remove": "tag removal", "status.set": "status change", "note.set": "note edit",
    "boilerplate.propagate": "mark everywhere", "rule.remove": "rule removal",
    "suggestion.reject": "suggestion rejected", "suggestion.accept": "suggestions accepted",
    "duplicate.mark": "duplicate mark",
}


# The library says "nothing changed" for a script; here "Not changed" says it.
_LIBRARY_TAIL = "nothing changed; the screen shows it now"

# Actions that need an open document: dimmed in the footer when there is none.
DOCUMENT_ACTIONS = frozenset({
    "toggle_boilerplate", "boilerplate_to_end", "tag_picker", "annotate", "remove_span",
    "edit_note", "toggle_reviewed", "review_and_next", "toggle_skipped", "find", "hotkey_tag", "stale_spans",
    "mark_everywhere", "accept_suggestion", "reject_suggestion", "accept_all_suggestions", "next_suggestion",
    "toggle_suggestions", "duplicate_diff", "mark_duplicate",
})


def one_document_of(event: Event) -> int | None:
    """The document a step changed, when it changed one: its own, or the only one of a step logged
    over many (``m`` on one copy in the repeats view; a passage marked everywhere found in one
    document), which undo then opens as it opens any other (it changed off screen: a trial)."""
    if event.document_id is not None:
        return event.document_id
    documents = event.payload.get("documents")
    if isinstance(documents, list):
        return documents[0] if len(documents) == 1 and isinstance(documents[0], int) else None
    found = row_documents(event.payload, "before") | row_documents(event.payload, "after")
    return found.pop() if len(found) == 1 and isinstance(next(iter(found)), int) else None


def row_documents(payload: dict, key: str) -> set:  # type: ignore[type-arg]
    """The documents of the span rows a step over many logged under ``key`` ("before", "after")."""
    rows, columns = payload.get(key), payload.get("columns")
    if not (isinstance(rows, list) and isinstance(columns, list) and "document_id" in columns):
        return set()
    at = columns.index("document_id")
    return {row[at] for row in rows if isinstance(row, list) and len(row) > at}


def undone(event: Event, verb: str, annotator: str, made_here: bool = True, since: str | None = None) -> str:
    """What ``u`` (verb "Undid") or ``ctrl+r`` ("Redid") just did; one history serves every
    process of the corpus, so another's action is named with who did it, or where (the CLI, a
    script: ``made_here`` False; an earlier session: logged before ``since``, when this app
    opened), and an action over many documents says how many."""
    if isinstance(event.payload.get("documents"), list):  # mark_copies: m on some copies, not everywhere
        what = f"marking {plural(len(event.payload['documents']), 'copy', 'copies')}"
    else:
        what = ACTION_NAMES.get(event.action, event.action)
    if event.action in ("tag.add", "tag.remove") and isinstance(event.payload.get("tag"), str):
        what += f" #{one_line(event.payload['tag'], 40)}"  # "Undid tag" named none (a trial)
    size = ""
    # The marks the step made: a rule's removal is counted by those it took away ("after" holds
    # what other rules marked in their place: the count said was theirs, or none: a trial).
    key = "before" if event.action == "rule.remove" else "after"
    documents = row_documents(event.payload, key)
    if event.document_id is None and "documents" not in event.payload and documents:
        size = f": {plural(len(event.payload[key]), 'range')} in {plural(len(documents), 'document')}"
    if event.annotator != annotator:
        by = f" (by {one_line(event.annotator, 30)})"
    elif made_here:
        by = ""
    elif since is not None and event.at < since:
        by = " (made before this session: in the app or the CLI)"
    else:
        by = " (made by another process: the CLI or a script)"
    return f"{verb} {what}{size}{by}"


class EditingMixin:
    def check_action(self: "CorpusApp", action: str, parameters: tuple[object, ...]) -> bool | None:  # type: ignore[misc]
        if action in DOCUMENT_ACTIONS and self.doc is None:
            return None  # shown dimmed in the footer
        return True

    def _write(self: "CorpusApp", change: Callable[[], Any], done: str | None = None) -> bool:  # type: ignore[misc]
        """Run one library write; redraw from the database; say so only once committed."""
        try:
            change()
        except ChangedElsewhere as error:
            self.refresh_panels()
            said = str(error)
            if said.endswith(_LIBRARY_TAIL):  # its own words only: a quoted note may hold the same
                said = said[: -len(_LIBRARY_TAIL)] + _LIBRARY_TAIL.removeprefix("nothing changed; ")
            self.notify(f"Not changed: {said}.", severity="warning", markup=False)
            return False
        except (CorpusError, sqlite3.Error) as error:
            if isinstance(error, sqlite3.Error):
                error = translate(error, self.corpus.db_path)
            self.notify(f"Not saved: {error}", severity="error", markup=False)
            return False
        self.refresh_panels()
        if done:
            self.notify(done, markup=False, timeout=2)
        return True

    # -- boilerplate -----------------------------------------------------------------

    def action_toggle_boilerplate(self: "CorpusApp") -> None:  # type: ignore[misc]
        target = self.reader.target()
        if self.doc is None or target is None:
            self.notify("Nothing to mark here: select text or move to a paragraph.", markup=False)
            return
        doc_id = self.doc.id
        # What the screen shows decides mark or unmark: if another process changed it since,
        # the library refuses (ChangedElsewhere) and the redraw shows the change.
        on_screen = [(s.start, s.end) for s in self.reader.spans if s.kind == "boilerplate" and not s.stale]
        marked: list[bool] = []
        self._write(lambda: marked.append(self.corpus.toggle_boilerplate(
            doc_id, *target, shown_version=self.shown_version, shown_ranges=ranges.within(on_screen, target))))
        self.reader.drop_selection()
        if marked and marked[0]:
            self._offer_everywhere(doc_id, *target)
        else:
            self.drop_everywhere_offer()  # unmarked: M must not mark it everywhere now

    def drop_everywhere_offer(self: "CorpusApp") -> None:  # type: ignore[misc]
        """M offers nothing now, and an offer still being looked for is not made."""
        self.everywhere_offer = None
        self._offer_round += 1
        self._mark_when_offered = False

    def _offer_everywhere(self: "CorpusApp", doc_id: int, start: int, end: int) -> None:  # type: ignore[misc]
        """After a mark: if the passage is in other documents too, say so and how to mark them all.
        Looked for in a worker: counting the marked copies of a passage in thousands of documents
        takes a good part of a second, and the keys must not wait for it."""
        self.drop_everywhere_offer()
        self._look_for_everywhere_offer(self._offer_round, doc_id, start, end)

    @work(thread=True, exclusive=True, group="everywhere-offer")
    def _look_for_everywhere_offer(self: "CorpusApp", offer_round: int, doc_id: int, start: int,  # type: ignore[misc]
                                   end: int) -> None:
        offer: tuple[list[int], int] | None = None
        try:
            with self.worker_corpus() as corpus:
                # Every repeated passage the mark holds (a selection may hold several), not only
                # the most frequent one: M marks what was marked here, everywhere.
                ids = [repeat.id for repeat in corpus.repeats_within(doc_id, start, end)
                       if repeat.documents > (repeat.marked or 0)]
                if ids:
                    offer = (ids, corpus.documents_holding(ids, besides=doc_id))
        except (CorpusError, sqlite3.Error):
            offer = None  # no offer: marking everywhere is still there in the repeats view
        self.call_from_thread(self._make_everywhere_offer, offer_round, offer)

    def _make_everywhere_offer(self: "CorpusApp", offer_round: int,  # type: ignore[misc]
                               offer: tuple[list[int], int] | None) -> None:
        if offer_round != self._offer_round:
            return  # another mark, an undo or another document since: this offer is not for it
        asked, self._mark_when_offered = self._mark_when_offered, False
        if offer is None:
            if asked:
                self.notify("No other copy of this passage to mark.", markup=False)
            return
        self.everywhere_offer = offer[0]
        if asked:  # M was pressed while its copies were being counted
            self.mark_everywhere(offer[0])
            return
        others = plural(offer[1], "other document")
        lead = f"Also in {others}" if len(offer[0]) == 1 else \
            f"{len(offer[0])} repeated passages here are also in {others}"
        self.notify(f"{lead} — {self.key_by_id('mark_everywhere')} {EVERYWHERE_OFFER}", markup=False, timeout=8)

    def _withdraw_everywhere_offer(self: "CorpusApp") -> None:  # type: ignore[misc]
        """The offer's toast goes once M has run: it would offer what is done. (Textual keeps its
        toasts privately; a version without them only leaves the toast to its timeout.)"""
        notifications = getattr(self, "_notifications", None)
        for notification in list(notifications or ()):
            if getattr(notification, "message", "").endswith(EVERYWHERE_OFFER):
                self._unnotify(notification)

    def action_mark_everywhere(self: "CorpusApp") -> None:  # type: ignore[misc]
        """Mark every copy of the passage just marked, in every document (M)."""
        if self.everywhere_offer is None:
            if any(worker.group == "everywhere-offer" and worker.is_running for worker in self.workers):
                self._mark_when_offered = True  # b was just pressed: M marks once its copies are found
                return
            self.notify(f"Mark a passage with {self.key_by_id('toggle_boilerplate')} first: "
                        f"{self.key_by_id('mark_everywhere')} then marks its copies everywhere.", markup=False)
            return
        self.mark_everywhere(self.everywhere_offer)

    @work(thread=True, exclusive=True, group="mark-everywhere")
    def mark_everywhere(self: "CorpusApp", repeat_ids: list[int]) -> None:  # type: ignore[misc]
        """In a worker: a passage in 100,000 documents must not freeze the keys while it commits.
        What it shows goes by ``soon``: a report that failed (the app closing) would roll it back."""
        def progress(done: int, total: int) -> None:
            soon(self, self._show_work, f"marking copies: {done:,}/{total:,} documents")

        soon(self, self._show_work, "marking every copy…")
        try:
            with self.worker_corpus() as corpus:
                summary = corpus.mark_all_everywhere(repeat_ids, progress=progress)
        except (CorpusError, sqlite3.Error) as error:
            if isinstance(error, sqlite3.Error):
                error = translate(error, self.corpus.db_path)
            soon(self, self._show_work, None)
            soon(self, self.notify, f"Not saved: {error}", severity="error", markup=False)
            return
        soon(self, self._marked_everywhere, summary)

    def _show_work(self: "CorpusApp", note: str | None) -> None:  # type: ignore[misc]
        self.work_note = note
        self.update_topbar()

    def _marked_everywhere(self: "CorpusApp", summary: Any) -> None:  # type: ignore[misc]
        self._show_work(None)
        self.drop_everywhere_offer()
        self._withdraw_everywhere_offer()
        self.refresh_panels()
        self.reload_list()
        rules = summary.rule_ids
        rule = (f"; rule {rules[0]} marks new copies at scans" if len(rules) == 1 else
                f"; rules {', '.join(map(str, rules))} mark new copies at scans" if rules else "")
        passages = f" ({len(summary.repeat_ids)} passages)" if len(summary.repeat_ids) > 1 else ""
        self.notify(f"Marked {plural(summary.ranges, 'range')} in {plural(summary.documents, 'document')}{passages}"
                    f"{rule} ({self.key_by_id('undo')} undoes)", markup=False, timeout=6)

    def action_boilerplate_to_end(self: "CorpusApp") -> None:  # type: ignore[misc]
        if self.doc is None or self.reader.cursor >= len(self.reader.text):
            return
        doc_id, start, end = self.doc.id, self.reader.cursor, len(self.reader.text)
        self._write(lambda: self.corpus.mark_boilerplate(doc_id, start, end, shown_version=self.shown_version),
                    "Marked to the end as boilerplate")

    # -- tags ---------------------------------------------------------------------------

    def action_tag_picker(self: "CorpusApp") -> None:  # type: ignore[misc]
        if self.doc is None:
            return
        doc_id = self.doc.id

        def toggle(name: str, shown: bool, shown_id: int | None = None) -> None:
            self._write(lambda: self.corpus.toggle_tag(doc_id, name, shown=shown, shown_id=shown_id))

        self.push_screen(TagPicker(self.corpus.tags, lambda: {t.id for t in self.corpus.document_tags(doc_id)}, toggle))

    def action_hotkey_tag(self: "CorpusApp", hotkey: int) -> None:  # type: ignore[misc]
        if self.doc is None:
            return
        tag = self.corpus.tag_for_hotkey(hotkey)
        if tag is None:
            self.notify(f"No tag has hotkey {hotkey} (corpus-tui tags set FOLDER NAME --hotkey {hotkey})",
                        markup=False)
            return
        doc_id = self.doc.id
        result: list[bool] = []
        # What the inspector shows decides add or remove: another process's change since is refused.
        inspected = self._inspected
        shown = (any(t.id == tag.id for t in inspected[1]) if inspected is not None and inspected[0].id == doc_id
                 else None)
        if self._write(lambda: result.append(self.corpus.toggle_tag(doc_id, tag.name, shown=shown))):
            self.notify(f"{'Tagged' if result[0] else 'Untagged'} #{one_line(tag.name, 40)}", markup=False, timeout=2)

    # -- annotation spans -----------------------------------------------------------------

    def action_annotate(self: "CorpusApp") -> None:  # type: ignore[misc]
        target = self.reader.target()
        if self.doc is None or target is None:
            dropped = self.drop_held_keys()
            typed = f" ({plural(dropped, 'key')} typed after a dropped, not run.)" if dropped else ""
            self.notify(f"Nothing to annotate here: select text or move to a paragraph.{typed}", markup=False)
            return
        doc_id, shown_version = self.doc.id, self.shown_version  # the text the box was opened on
        labels = self.corpus.labels()
        quote = self.reader.text[target[0] : target[1]]
        # What was typed in a box whose save was refused (the file changed meanwhile) comes back.
        draft = self._annotation_draft if self._annotation_draft and self._annotation_draft[0] == doc_id else None
        self._annotation_draft = None

        def write(answer: AnnotationInput) -> bool:
            if any(s.kind == "annotation" and not s.stale and (s.start, s.end, s.label) == (*target, answer.label)
                   for s in self.reader.spans):  # the same keys pressed twice: it would be exported twice
                self.notify(f"Already annotated as {one_line(answer.label, 40)} here: nothing added.", markup=False)
                return True
            saved = self._write(lambda: self.corpus.add_annotation(doc_id, target[0], target[1], answer.label,
                                                                   answer.note, shown_version=shown_version),
                                f"Annotated as {one_line(answer.label, 40)}")
            if not saved:
                self._annotation_draft = (doc_id, answer)
                self.notify("What you typed is kept: a on the text again brings it back.", markup=False)
            return saved

        def save(answer: AnnotationInput | None) -> None:
            if answer is None:
                return
            write(answer)
            self.reader.drop_selection()

        self.push_screen(AnnotateDialog(quote, labels, label=draft[1].label if draft else "",
                                        note=draft[1].note if draft else "", save=write), save)

    def action_remove_span(self: "CorpusApp") -> None:  # type: ignore[misc]
        if self.doc is None:
            return
        # The span the screen shows under the cursor, on the text it shows (a span picked by the
        # offset in a text rescanned since would be another one): the innermost annotation first;
        # boilerplate under it comes off with the next x.
        cursor = self.reader.cursor
        spans = sorted((s for s in self.reader.spans if not s.stale and s.start <= cursor < s.end),
                       key=lambda s: (s.kind != "annotation", s.end - s.start, -s.id))
        if not spans:
            self.notify("No span under the cursor.", markup=False)
            return
        span = spans[0]
        what = f"{one_line(span.label or '', 40)} annotation" if span.kind == "annotation" else "boilerplate span"
        shown_version = self.shown_version
        self._write(lambda: self.corpus.remove_span(span.id, shown_version=shown_version), f"Removed {what}")

    def action_stale_spans(self: "CorpusApp") -> None:  # type: ignore[misc]
        """Place or drop the spans that could not be re-anchored: each is one undoable step."""
        if self.doc is None:
            return
        self.refresh_panels()  # another process may have scanned a new text: the dialog works on the one shown now
        doc_id = self.doc.id
        if not self.corpus.stale_spans(doc_id):
            self.notify("No stale spans in this document.", markup=False)
            return

        shown_version = self.shown_version  # the text the screen is given

        def place(span_id: int, start: int, end: int) -> bool:
            if not self._write(lambda: self.corpus.place_span(span_id, start, end, shown_version=shown_version),
                               "Placed the span"):
                return False
            self.reader.drop_selection()
            return True

        def drop(span_id: int) -> bool:
            return self._write(lambda: self.corpus.remove_span(span_id), "Dropped the stale span")

        self.push_screen(StaleSpansScreen(lambda: self.corpus.stale_spans(doc_id), self.corpus.suggest_places,
                                          self.reader.text, self.reader.target(), place, drop),
                         lambda _: self.show_banner_again())

    # -- note and review status --------------------------------------------------------------

    def action_edit_note(self: "CorpusApp") -> None:  # type: ignore[misc]
        if self.doc is None:
            return
        doc_id = self.doc.id

        def keep(note: str | None) -> None:
            if note is not None:
                self._write(lambda: self.corpus.set_note(doc_id, note))

        def save(note: str, expected: str | None) -> bool:
            return self._write(lambda: self.corpus.set_note(doc_id, note, expected=expected))

        self.push_screen(NoteDialog(self.doc.note, one_line(self.doc.display_title, 60), save,
                                    current=lambda: self.corpus.document(doc_id).note), keep)

    def action_toggle_reviewed(self: "CorpusApp") -> None:  # type: ignore[misc]
        self._toggle_status("reviewed")

    def action_toggle_skipped(self: "CorpusApp") -> None:  # type: ignore[misc]
        """Skip a document that should not be reviewed (off-topic, broken): S again un-skips it."""
        self._toggle_status("skipped")

    def _toggle_status(self: "CorpusApp", status: str) -> None:  # type: ignore[misc]
        """Set ``status``, or back to in_progress when the document has it already."""
        if self.doc is None:
            return
        doc_id = self.doc.id
        status = "in_progress" if self.doc.status == status else status
        self._write(lambda: self.corpus.set_status(doc_id, status), f"Status: {status.replace('_', ' ')}")
        self.refresh_progress()

    def action_review_and_next(self: "CorpusApp") -> None:  # type: ignore[misc]
        if self.doc is None:
            return
        doc_id = self.doc.id
        if not self._write(lambda: self.corpus.set_status(doc_id, "reviewed")):
            return
        self.refresh_progress()
        rows = self.doclist.rows
        start = self.doclist.index_of(doc_id, -1)
        for step in range(1, len(rows) + 1):
            row = rows[(start + step) % len(rows)]
            if row.status not in ("reviewed", "skipped") and row.id != doc_id:
                self.open_document(row.id)
                return
        self.notify("Every document in this list is reviewed or skipped.", markup=False)

    # -- undo and redo -----------------------------------------------------------------------

    def action_undo(self: "CorpusApp") -> None:  # type: ignore[misc]
        self._history(self.corpus.undo, "Undid")

    def action_redo(self: "CorpusApp") -> None:  # type: ignore[misc]
        self._history(self.corpus.redo, "Redid")

    def _history(self: "CorpusApp", step: Callable[[], Event | None], verb: str) -> None:  # type: ignore[misc]
        self.drop_everywhere_offer()  # the mark it offered for may be what is undone
        try:
            event = step()
        except CorpusError as error:
            self.notify(f"Not done: {error}", severity="error", markup=False)
            return
        if event is None:
            self.notify("Nothing to undo." if verb == "Undid" else "Nothing to redo.", markup=False)
            return
        changed = one_document_of(event)
        if changed is not None and (self.doc is None or changed != self.doc.id):
            self.open_document(changed)
        else:
            self.refresh_panels()
        if event.action == "status.set":
            self.refresh_progress()
        if event.document_id is None or event.action == "duplicate.mark":  # rows of other documents differ too
            self.reload_list()
        self.load_suggestions()  # an undone mark or rejection is suggested again
        self.notify(undone(event, verb, self.corpus.annotator, self.corpus.made_here(event.id), self.opened_at), markup=False,
                    timeout=4)
        if self.corpus.history_kept:
            self.notify(f"But {self.corpus.history_kept}.", severity="warning", markup=False, timeout=8)
