"""The app's side of boilerplate suggestions: shown on the reader, decided with one key.

Suggestions for the open document are scored in a worker (``Corpus.suggestions``) and drawn
apart from marks (a margin marker and a faint style); the inspector gives the reason of the
one under the cursor. ``y`` accepts it (a boilerplate mark), ``d`` rejects it (remembered:
not suggested again in this document), ``Y`` accepts every suggestion of the document (one
undo step), ``.`` and ``,`` jump to the next and previous, ``o`` shows or hides them. After
``y`` or ``d`` the cursor is on the next suggestion at once: the list is updated in place,
then scored again in the background once the keys pause (``rescore_soon``).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from textual import work
from textual.timer import Timer

from ..core.errors import CorpusError
from ..core.ranges import inside_one
from ..core.suggest.decisions import line_fingerprint
from ..core.suggest.scorer import Suggestion, suggestion_at
from ..core.wording import plural
from .reporting_child import ReportingChild

if TYPE_CHECKING:
    from ..core.corpus import Corpus
    from .app import CorpusApp


RESCORE_AFTER = 0.4  # seconds without a decision before the open document is scored again
# From this length a document is scored in a child process, not a thread: its scoring (about
# 0.7 s a million characters) would hold the GIL against the frames and keys meanwhile (a 10 MB
# text: 7 s, in which opening it took 2.5-3.7 s instead of 1.2-1.9 s). Below it, a thread
# costs less than the child's start (0.4 s, on the other core).
CHILD_SCORING_CHARS = 500_000


class ScoringProcess(ReportingChild):
    """``Corpus.suggestions`` of one document, in a child process (``core.score_child``)."""

    what = "scoring"

    def __init__(self, corpus: "Corpus", document_id: int):
        super().__init__("corpus_tui.core.score_child", str(corpus.folder), str(corpus.db_path),
                         corpus.annotator, str(document_id))

    def suggestions(self) -> list[Suggestion] | None:
        """Blocks (call it from a worker thread); None when the child failed or was stopped."""
        found, error = self.run()
        if error is not None or not isinstance(found, list):
            return None
        return [Suggestion(int(start), int(end), float(score), str(reason)) for start, end, score, reason in found]


class SuggestingMixin:
    _marks_seen: tuple[tuple[int, int], ...] | None = None  # the open document's boilerplate, last drawn
    _scoring = 0  # bumped by every request to score: an older answer that comes late is dropped
    _rescore_timer: Timer | None = None  # a decision's rescoring, waiting for the keys to pause
    _scoring_process: ScoringProcess | None = None  # a long document's scoring, in a child process
    # No suggestion listed yet because the open text's scoring is on its way (a document opened
    # while the learner refits): the keys say so rather than "No suggestions in this document".
    _suggestions_pending = False

    def rescore_soon(self: "CorpusApp") -> None:  # type: ignore[misc]
        """After a decision (y, d, b, a mark): the suggestions were updated in place at once; the
        document is scored again once the keys pause for ``RESCORE_AFTER`` seconds. The learner
        refits then (0.2–0.6 s of Python in a worker, which slows the frames of the keys typed
        meanwhile), once for a run of decisions rather than once each: still within a second of
        the last one (issue 12)."""
        if self.doc is None:
            return
        self._scoring += 1  # an answer on its way was worked out before this decision
        if self._rescore_timer is not None:
            self._rescore_timer.stop()
        self._rescore_timer = self.set_timer(RESCORE_AFTER, self.load_suggestions)

    def load_suggestions(self: "CorpusApp", quick: bool = False) -> None:  # type: ignore[misc]
        """Score the open document in a worker; with ``quick``, at once when that costs a few
        milliseconds (a short text, the learner fitted), so that a document opened with ``]``
        shows its text and its suggestions in one frame instead of two (``open_document``: it
        redraws the inspector after)."""
        if self._rescore_timer is not None:  # scored now: a rescoring waiting for a pause is not needed
            self._rescore_timer.stop()
            self._rescore_timer = None
        if self.doc is None:
            return
        self._scoring += 1  # an answer still on its way from a worker is for an older request
        self.stop_scoring_process()  # its answer would be for an older request: it works for nothing
        if quick:
            try:
                found = self.corpus.quick_suggestions(self.doc.id)
            except (CorpusError, sqlite3.Error):
                found = None  # the worker tries again, and says nothing: suggestions are a help
            if found is not None:
                self.suggestions = found
                self._suggestions_pending = False
                self._draw_suggestions(inspector=False)  # opening a document redraws the inspector next
                return
        self._suggestions_pending = not self.suggestions
        if len(self.reader.text) > CHILD_SCORING_CHARS:
            self._scoring_process = ScoringProcess(self.corpus, self.doc.id)
            self._score_in_child(self._scoring_process, self.doc.id, self._scoring)
        else:
            self._score_document(self.doc.id, self._scoring)

    def stop_scoring_process(self: "CorpusApp") -> None:  # type: ignore[misc]
        if self._scoring_process is not None:
            self._scoring_process.stop()
            self._scoring_process = None

    @work(thread=True, exclusive=True, group="suggestions")
    def _score_document(self: "CorpusApp", document_id: int, request: int) -> None:  # type: ignore[misc]
        try:
            with self.worker_corpus() as corpus:
                found = corpus.suggestions(document_id)
        except (CorpusError, sqlite3.Error):
            # Suggestions are a help: a busy or changed database only delays them (the next
            # request scores again); the keys stop saying they are on their way.
            self._call_from_worker(self._scoring_failed, request)
            return
        self._call_from_worker(self._show_suggestions, document_id, request, found)

    @work(thread=True, exclusive=True, group="suggestions")
    def _score_in_child(self: "CorpusApp", process: ScoringProcess, document_id: int,  # type: ignore[misc]
                        request: int) -> None:
        found = process.suggestions()
        if found is None:  # stopped for a newer request, or failed: suggestions are a help
            if not process.stopped:
                self._call_from_worker(self._scoring_failed, request)
            return
        self._call_from_worker(self._show_suggestions, document_id, request, found)

    def _call_from_worker(self: "CorpusApp", callback, *arguments) -> None:  # type: ignore[misc,no-untyped-def]
        try:
            self.call_from_thread(callback, *arguments)
        except RuntimeError:  # the app has closed meanwhile
            pass

    def _scoring_failed(self: "CorpusApp", request: int) -> None:  # type: ignore[misc]
        if request == self._scoring:
            self._suggestions_pending = False
            self.refresh_inspector()

    def _show_suggestions(self: "CorpusApp", document_id: int, request: int,  # type: ignore[misc]
                          found: list[Suggestion]) -> None:
        if self.doc is None or self.doc.id != document_id or request != self._scoring:
            return  # another document is open now, or a newer scoring is on its way
        self.suggestions = found
        self._suggestions_pending = False
        self._draw_suggestions()

    def _draw_suggestions(self: "CorpusApp", inspector: bool = True) -> None:  # type: ignore[misc]
        shown = self.suggestions if self.show_suggestions else []
        self.reader.set_suggestions([(s.start, s.end) for s in shown])
        if inspector:
            self.refresh_inspector()

    def follow_marks(self: "CorpusApp", spans: list) -> None:  # type: ignore[misc,type-arg]
        """When the open document's boilerplate changed (b, B, M, a repeats mark, an undo), a
        line now marked stops being a suggestion at once, and the document is scored again once
        the keys pause (``rescore_soon``: an unmarked line may be suggested again). Other writes (tags, notes,
        review) score nothing: a 10 MB document takes a while."""
        marked = tuple(sorted((span.start, span.end) for span in spans if span.kind == "boilerplate"))
        seen, self._marks_seen = self._marks_seen, marked
        if seen is None or seen == marked:  # just opened (its scoring is under way), or unchanged
            return
        kept = [s for s in self.suggestions if not inside_one(marked, (s.start, s.end))]  # marks are merged
        if len(kept) != len(self.suggestions):
            self.suggestions = kept
            self._draw_suggestions()
        self.rescore_soon()

    def suggestion_at_cursor(self: "CorpusApp") -> Suggestion | None:  # type: ignore[misc]
        if not self.show_suggestions:
            return None
        return suggestion_at(self.suggestions, self.reader.cursor)

    def action_accept_suggestion(self: "CorpusApp") -> None:  # type: ignore[misc]
        suggestion = self._current_or_say()
        if suggestion is None or self.doc is None:
            return
        doc_id = self.doc.id
        changed: list = []  # type: ignore[type-arg]
        if self._write(lambda: changed.extend(self.corpus.mark_boilerplate(
                doc_id, suggestion.start, suggestion.end, reason=f"suggested: {suggestion.reason}",
                shown_version=self.shown_version))):
            if not changed:  # marked so already: by another process, since the suggestion was shown
                self.notify("Not changed: marked by another process since it was shown.", severity="warning",
                            markup=False)
            self.suggestions = [s for s in self.suggestions
                                if not (suggestion.start <= s.start and s.end <= suggestion.end)]
            self._after_decision(suggestion, rescore=False)  # the new mark rescored it (follow_marks)

    def action_reject_suggestion(self: "CorpusApp") -> None:  # type: ignore[misc]
        suggestion = self._current_or_say()
        if suggestion is None or self.doc is None:
            return
        doc_id = self.doc.id
        if self._write(lambda: self.corpus.reject_suggestion(doc_id, suggestion.start, suggestion.end,
                                                             suggestion.score, suggestion.reason,
                                                             shown_version=self.shown_version)):
            text = self.reader.text
            rejected = line_fingerprint(text[suggestion.start : suggestion.end])
            self.suggestions = [s for s in self.suggestions
                                if line_fingerprint(text[s.start : s.end]) != rejected]
            self._after_decision(suggestion)

    def _after_decision(self: "CorpusApp", decided: Suggestion, rescore: bool = True) -> None:  # type: ignore[misc]
        self._draw_suggestions()
        following = next((s for s in self.suggestions if s.start > decided.start), None)
        if following is not None:
            self.reader.move_to(following.start, center=True)
        if rescore:
            self.rescore_soon()  # scored again once the keys pause: a rejection teaches the learner

    def _say_none_shown(self: "CorpusApp") -> None:  # type: ignore[misc]
        """Why no suggestion can be decided on: none here, or hidden (they are there, ``o`` shows them)."""
        if not self.show_suggestions and self.suggestions:
            self.notify(f"Suggestions are hidden ({len(self.suggestions)} here): o shows them.", markup=False)
        elif self._suggestions_pending:
            self.notify("This document's suggestions are still being worked out: a moment.", markup=False)
        else:
            self.notify("No suggestions in this document.", markup=False)

    def action_accept_all_suggestions(self: "CorpusApp") -> None:  # type: ignore[misc]
        if self.doc is None or not self.show_suggestions or not self.suggestions:
            self._say_none_shown()
            return
        doc_id = self.doc.id
        wanted = [(doc_id, s.start, s.end, s.reason) for s in self.suggestions]
        done: list = []  # type: ignore[type-arg]
        versions = {doc_id: self.shown_version} if self.shown_version is not None else None
        if self._write(lambda: done.append(self.corpus.accept_suggestions(wanted, versions=versions))):
            self.suggestions = []
            self._draw_suggestions()
            if not done[0].ranges:  # no undo step was made: u would undo something else
                self.notify("Not changed: these lines were marked by another process since they were shown.",
                            severity="warning", markup=False)
                return
            self.notify(f"Accepted {plural(len(wanted), 'suggestion')} "
                        f"({plural(done[0].ranges, 'range')} marked; {self.key_by_id('undo')} undoes them all)",
                        markup=False)

    def action_next_suggestion(self: "CorpusApp", step: int = 1) -> None:  # type: ignore[misc]
        if not self.show_suggestions or not self.suggestions:
            self._say_none_shown()
            return
        cursor = self.reader.cursor
        if step > 0:
            target = next((s for s in self.suggestions if s.start > cursor), self.suggestions[0])
        else:
            target = next((s for s in reversed(self.suggestions) if s.end < cursor), self.suggestions[-1])
        self.reader.move_to(target.start, center=True)
        if self.screen_stack[0].has_class("-hide-inspector"):  # narrow: its reason is nowhere on screen
            self.notify(f"Suggested ({target.score:.2f}): {target.reason}. {self.key_by_id('accept_suggestion')} "
                        f"accepts, {self.key_by_id('reject_suggestion')} rejects.", markup=False, timeout=3)

    def action_toggle_suggestions(self: "CorpusApp") -> None:  # type: ignore[misc]
        self.show_suggestions = not self.show_suggestions
        self._draw_suggestions()
        count = plural(len(self.suggestions), "suggestion")
        self.notify(f"Suggestions shown ({count})" if self.show_suggestions else "Suggestions hidden (o shows them)",
                    markup=False, timeout=2)

    def _current_or_say(self: "CorpusApp") -> Suggestion | None:  # type: ignore[misc]
        suggestion = self.suggestion_at_cursor()
        if suggestion is None and (not self.show_suggestions or self._suggestions_pending):
            self._say_none_shown()
        elif suggestion is None:
            self.notify("No suggestion under the cursor ( . goes to the next one).", markup=False)
        return suggestion
