"""The corpus-tui terminal app: document list, reader, inspector.

The app holds no annotation state of its own: every action is one committed
transaction in the corpus database, after which the screen re-reads what it
shows. Slow work (scanning, filtering 100k rows, corpus search) runs in thread
workers, each with its own SQLite connection.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import App, ComposeResult, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Input, ProgressBar, Static
from textual.worker import WorkerFailed

from ..core import Corpus, CorpusError, ScanSummary
from ..core.check import CheckReport, Problem, check_open_corpus
from ..core.sessions import begin_session, end_session, unclean_sessions
from ..core.store import now, translate
from ..core.listing import SORTS, document_row, list_documents, progress
from ..core.anchoring import follow_offset
from ..core.models import Document, TextVersion
from ..core.repeats import Repeat
from ..core.suggest.scorer import Suggestion
from ..core.search import Matches, SearchResults, find_around, first_match, search_corpus
from .bindings import APP_BINDINGS, DOCUMENT_BINDINGS, FOOTER_FIRST, NAVIGATION_HELP
from .keymap import all_bindings, keep_binding_order
from .colors import tag_style
from .editing import EditingMixin, undone
from .from_worker import Deferred, run_deferred, soon
from ..core.safe_text import cells, for_terminal, middle_cut, one_line, path_line
from ..core.wording import agreeing, plural
from .scan_process import ScanProcess
from ..core.export.api import ExportSummary, export
from .screens.export import ExportScreen
from .screens.help import HelpRows, HelpScreen
from .screens.annotate import AnnotateDialog
from .screens.note import NoteDialog
from .screens.repeats import Copy, RepeatsScreen
from .suggesting import SuggestingMixin
from .duplicates import DuplicatesMixin
from ..core.duplicates.api import NearDuplicate
from .screens.rules import RulesScreen
from .screens.search import SearchScreen
from .widgets.document_list import DocumentList
from .typeahead import TypeaheadMixin
from .widgets.filter_box import FilterBox
from .widgets.find_bar import FindBar
from .widgets.inspector import Inspector
from .widgets.reader import Reader

READER_COMMANDS = {  # the reader's bindings the palette offers, by id: names to search for
    "wrap": "Soft wrap on / off", "line_select": "Line selection on / off",
    "next_match": "Next match of the find", "previous_match": "Previous match of the find",
}
NARROW_WIDTH = 110  # below this the inspector folds away
TINY_WIDTH = 70  # below this the list folds away too
LIST_RELOAD_SECONDS = 1.0  # while a first scan fills the list
FIRST_PAGE_ROWS = 200  # list rows loaded before the first paint
# The terminal hung up (ssh, tmux) or the app was told to stop: drafts are kept, the app closes.
HANG_UP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGHUP", "SIGTERM") if hasattr(signal, name))


def settle_memory() -> None:
    """Exclude what is loaded so far (100k list rows, Textual's widgets) from cyclic GC.

    Full collections walking those objects caused 50-100 ms pauses every few
    keypresses; refcounting still frees them when they are dropped. Only the
    young generation is collected first: a full collection here would itself
    stall the UI for ~100 ms at 100k rows.
    """
    gc.collect(0)
    gc.freeze()


_BINDINGS_BY_ID = {binding.id: binding for binding in all_bindings() if binding.id}


class MainScreen(Screen[None]):
    """The panels' screen. The reader has the keys from its first frame: Textual focused the
    first focusable widget, the list's filter box, until the app had started, and keys typed on
    a slow start went into it ("f" as text, the list then filtered to nothing: a trial)."""

    AUTO_FOCUS = "#reader"


class CorpusApp(TypeaheadMixin, EditingMixin, SuggestingMixin, DuplicatesMixin, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "corpus-tui"
    # The footer shows the keys in this order, the focused widget's first, and cuts what does not
    # fit: help and quit lead, so a new user finds them at 80 columns (they came last, seen from ~185).
    BINDINGS = ([b for b in APP_BINDINGS if b.id in FOOTER_FIRST] + DOCUMENT_BINDINGS
                + [b for b in APP_BINDINGS if b.id not in FOOTER_FIRST])

    def __init__(self, corpus: Corpus, *, scan_on_open: bool = True, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap or {})  # binding id -> keys, from the config file (tui.keymap checked it)
        if self.keymap:
            keep_binding_order()
            self.set_keymap(self.keymap)
        self.corpus = corpus
        # The top bar's name for it: `corpus-tui open` in the folder itself showed "." (a trial).
        self._folder_name = corpus.folder.name or corpus.folder.resolve().name or str(corpus.folder)
        self.opened_at = now()  # what the history logged before this is from an earlier session
        self.scan_on_open = scan_on_open
        self.doc: Document | None = None
        self.shown_version: TextVersion | None = None  # the open document's text on screen (Document.version)
        self.filter_text = ""
        self.sort = "path"
        self._list_request = 0
        self._list_loaded_at = 0.0
        self._user_panels: dict[str, bool] = {}
        self._find_origin = 0
        self._last_needle = ""  # the last text looked for with /: n and N look for it in the next document too
        self._edited_rows: set[int] = set()
        self.everywhere_offer: list[int] | None = None  # the repeats M marks everywhere: those just marked
        self._offer_round = 0  # which mark an offer being looked for in a worker is for
        self._mark_when_offered = False  # M pressed before the offer was found
        self.suggestions: list[Suggestion] = []  # the open document's, in order (see suggesting)
        self.near_duplicates: list[NearDuplicate] = []  # the open document's, nearest first (see duplicates)
        self.show_suggestions = True
        self.work_note: str | None = None  # long work in a worker, as the topbar shows it ("marking 2,000/9,000")
        self._banner: str | None = None
        self._progress = (0, 0)
        self._inspected: tuple[Document, list, list] | None = None  # type: ignore[type-arg]
        self._annotation_draft: tuple[int, Any] | None = None  # (document, AnnotationInput) a refused save kept
        self._scan_after_list = False
        self._filter_problem = ""  # what is wrong with the filter typed, if anything
        self._scan_process: ScanProcess | None = None
        self._session: str | None = None
        self._unclean_check: CheckReport | None = None
        self._hang_up_caught = False
        self._banner_changes: ScanSummary | None = None  # what the open document's refresh found

    # -- layout -----------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A message of the app's (``markup=False``: every one of them, whatever data it quotes — a
        path, a label, an error from the library) with its control characters as glyphs: a file
        name's escape sequence set the terminal's title from a toast (a review). Textual's own
        (markup, no data: "Press ctrl+q to quit") as they are. Screens' and widgets' come here."""
        if not markup:
            message, title = for_terminal(message), for_terminal(title)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        yield ProgressBar(id="scan-progress", show_eta=False)
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield FilterBox(id="filter")
                yield DocumentList(id="doclist")
            with Vertical(id="center"):
                yield Static(id="banner")
                yield Reader(id="reader")
                yield FindBar(id="find")
            yield Inspector(id="inspector")
        yield Footer()

    @property
    def reader(self) -> Reader:
        return self.query_one(Reader)

    @property
    def doclist(self) -> DocumentList:
        return self.query_one(DocumentList)

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self._catch_hang_up()
        self.reader.find_again = self._find_last_needle
        self._begin_session()
        self._fit_panels(self.size.width)
        # The first screenful now; all rows from a worker a moment later (100k take ~0.5 s).
        self.doclist.set_rows(list_documents(self.corpus, self.filter_text, self.sort, limit=FIRST_PAGE_ROWS))
        self.refresh_progress()
        last = self.corpus.get_state("last_document")
        if last and last.isdigit() and self._document_exists(int(last)):
            self.open_document(int(last))
        elif self.doclist.rows:
            self.open_document(self.doclist.rows[0].id)
        else:
            self.show_nothing()
        self.reader.focus()
        self._scan_after_list = self.scan_on_open
        self.reload_list()
        if self._unclean_check is not None:
            self._check_after_unclean_close(self._unclean_check)

    # -- the session, and checks after one that did not close cleanly ---------------

    def _begin_session(self) -> None:
        """Note this session in the database. After one that crashed or was killed,
        the corpus is checked in the background (its write-ahead log was already
        checked by ``Corpus.open``, which refuses a damaged one)."""
        try:
            unclean = unclean_sessions(self.corpus)
            if unclean:
                self._unclean_check = CheckReport(str(self.corpus.db_path))
                self.corpus.delete_states(unclean)
            self._session = begin_session(self.corpus)
        except CorpusError as error:
            self.notify(f"Database: {error}", severity="error", markup=False, timeout=10)

    def end_session(self) -> None:
        """Mark this session closed cleanly (called on quit; safe to call twice)."""
        if self._session is None:
            return
        try:
            end_session(self.corpus, self._session)
        except CorpusError:
            pass  # a session left open only makes the next start run a check
        self._session = None

    @work(thread=True, exclusive=True, group="check")
    def _check_after_unclean_close(self, report: CheckReport) -> None:
        try:
            with self.worker_corpus() as corpus:
                check_open_corpus(corpus, report)
        except CorpusError as error:
            report.problems.append(Problem("database", report.database, str(error)))
        self.call_from_thread(self._show_check, report)

    def _show_check(self, report: CheckReport) -> None:
        folder = one_line(str(self.corpus.folder), 60)
        if report.ok:
            self.notify("The last session did not close cleanly; the corpus was checked: no problems.",
                        markup=False, timeout=6)
            return
        shown = "\n".join(one_line(problem.line(), 200) for problem in report.problems[:3])
        more = f"\n… {len(report.problems) - 3} more." if len(report.problems) > 3 else ""
        self.notify(f"The last session did not close cleanly. Check found {plural(len(report.problems), 'problem')}:\n"
                    f"{shown}{more}\n'corpus-tui check {folder}' lists them all.",
                    severity="error", markup=False, timeout=30)

    # -- errors ---------------------------------------------------------------------------

    def show_database_error(self, error: CorpusError | sqlite3.Error) -> None:
        """Say that an action failed on the database; nothing was shown as done."""
        if isinstance(error, sqlite3.Error):
            error = translate(error, self.corpus.db_path)
        self.notify(f"Not done: {error}", severity="error", markup=False, timeout=10)

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:  # type: ignore[no-untyped-def,override]
        """Every key and palette action: a database error is shown, never a crash."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except (CorpusError, sqlite3.Error) as error:
            self.show_database_error(error)
            return True

    def _handle_exception(self, error: Exception) -> None:
        """A worker (list, search, export, check) that failed on the database is
        reported and the app goes on. Anything else is a bug: Textual ends the app
        with its traceback, and ``run_app`` exits non-zero."""
        if isinstance(error, WorkerFailed) and isinstance(error.error, (CorpusError, sqlite3.Error)):
            self.show_database_error(error.error)
            return
        cause = error.error if isinstance(error, WorkerFailed) else error
        if isinstance(cause, (NoMatches, ScreenStackError)) and not self._running:
            # The app is closing: a message, or a worker's answer (suggestions scored), that came
            # after its widgets went has nothing to update.
            return
        super()._handle_exception(error)

    def get_default_screen(self) -> Screen:  # type: ignore[type-arg]
        return MainScreen(id="_default")

    def _document_exists(self, document_id: int) -> bool:
        return bool(self.corpus.query("SELECT 1 FROM documents WHERE id = ?", [document_id]))

    def on_resize(self, event: events.Resize) -> None:
        # The event's size: ``self.size`` follows it only after Textual's resize timer.
        self._fit_panels(event.size.width)
        self.update_topbar(event.size.width)

    def _fit_panels(self, width: int) -> None:
        main = self.screen_stack[0]  # the panels' screen, also while a dialog is open over it
        main.set_class(self._user_panels.get("inspector", width < NARROW_WIDTH), "-hide-inspector")
        self._hide_list(main, self._user_panels.get("list", width < TINY_WIDTH))

    def _hide_list(self, screen: Screen, hidden: bool) -> None:
        screen.set_class(hidden, "-hide-list")
        focused = screen.focused
        if hidden and focused is not None and any(node.id == "left" for node in focused.ancestors_with_self):
            # Focus left on a hidden list went to its filter box: `q` and `\` were typed into it.
            screen.set_focus(self.reader)

    def refresh_progress(self) -> None:
        """Recount reviewed documents: after status changes, scans and reloads, not per key."""
        self._progress = progress(self.corpus)
        self.update_topbar()

    def update_topbar(self, width: int | None = None) -> None:
        reviewed, total = self._progress
        folder = one_line(self._folder_name, 40)
        path = path_line(self.doc.path, 80) if self.doc is not None else ""
        brand = "corpus-tui · "
        width = width if width is not None else self.size.width  # 0 before the first layout
        room = width - 2 if width > 0 else 0  # the bar's padding; 0: nothing to fit yet
        find = ""
        if self.reader.matches:  # as vim shows the search and where in it you are
            query = one_line(self.query_one(FindBar).value, 30)
            if self.reader.matches_complete:
                current = f"{self.reader.current_match + 1}/" if self.reader.current_match >= 0 else ""
                find = f" · /{query} {current}{len(self.reader.matches)}"
            else:  # where in the text's matches is not known: only the nearest are held
                find = f" · /{query} over {len(self.reader.matches):,}"
        work = f" · {self.work_note}" if self.work_note else ""
        # A narrow terminal keeps the find's place and the document's name: the app's name goes
        # first, then the folder's and the name's middle (so its end, often a unique id, stays).
        # (A long name pushed "/the 3/17" off the bar: a trial.)
        fixed = len(f" · reviewed {reviewed:,}/{total:,}") + (3 if path else 0) + cells(find) + cells(work)
        if room and len(brand) + cells(folder) + fixed + cells(path) > room:
            brand = ""
            if cells(folder) + fixed + cells(path) > room:
                folder = middle_cut(folder, 12)
                budget = room - cells(folder) - fixed
                # Under 8 cells the name says nothing: it goes (the inspector shows it), the rest fits.
                path = middle_cut(path, budget) if budget >= 8 else ""
        parts = [Content.styled(brand.removesuffix(" · "), "bold")] if brand else []
        parts += [Content(f"{' · ' if brand else ''}{folder}"), Content(f" · reviewed {reviewed:,}/{total:,}")]
        if path:
            parts.append(Content(f" · {path}"))
        if find:
            parts.append(Content.styled(find, "bold"))
        if work:
            parts.append(Content.styled(work, "italic"))
        self.query_one("#topbar", Static).update(Content("").join(parts), layout=False)

    def set_banner(self, message: str | None) -> None:
        if message == self._banner:
            return  # showing or hiding the banner costs a screen layout
        self._banner = message
        banner = self.query_one("#banner", Static)
        banner.update(Content(one_line(message or "", 500)))
        banner.set_class(bool(message), "shown")

    # -- documents ------------------------------------------------------------------

    def show_nothing(self) -> None:
        self.doc = None
        self.shown_version = None
        self.reader.show("", [])
        self.query_one(Inspector).show(None, [], [])
        self.set_banner("No documents yet." if self.scan_on_open else "No documents in this corpus.")

    def open_document(self, document_id: int, cursor: int | None = None, follow: bool = False) -> None:
        """Show a document, re-reading it first if its file changed on disk. ``follow``: the
        cursor is the reader's own, in the text on screen: it follows its words into the new
        text (a search hit's or a copy's is in the stored text already)."""
        self.remember_position()
        self.drop_everywhere_offer()  # M offers for a mark in the document on screen only
        try:
            changes = self.corpus.refresh_document(document_id)
            doc = self.corpus.document(document_id)
        except (CorpusError, sqlite3.Error) as error:
            self.show_database_error(error)
            return
        same, shown = self.doc is not None and self.doc.id == doc.id, self.reader.text
        self.doc = doc
        if cursor is None:
            saved = self.corpus.get_state(f"cursor:{doc.id}")
            cursor = int(saved) if saved and saved.isdigit() else 0
        version, text = self.corpus.versioned_text(doc.id)
        if follow and same and text != shown:  # its file changed: the cursor stays on its words, not its number
            cursor = follow_offset(shown, text, cursor)
        self.shown_version = version  # what the offsets of every key's change are taken from
        spans = self.corpus.spans(doc.id)
        self.suggestions = []
        self._marks_seen = None  # a new document: its marks are not a change
        self.reader.show(text, spans, cursor)
        self.load_suggestions(quick=True)
        self._banner_changes = changes  # the banner is shown again when the stale spans are placed
        self._show_banner_for(doc, spans, changes)
        self.doclist.set_current(doc.id)
        self.refresh_tag_styles()
        self.refresh_panels(spans=spans)

    def show_banner_again(self) -> None:
        """The open document's banner, read again (its stale spans placed or dropped)."""
        if self.doc is not None:
            self._show_banner_for(self.doc, self.corpus.spans(self.doc.id), self._banner_changes)

    def _show_banner_for(self, doc: Document, spans: list, changes) -> None:  # type: ignore[no-untyped-def,type-arg]
        stale = sum(1 for span in spans if span.stale)
        notes = []
        if doc.state == "missing":
            notes.append("The file is missing on disk: showing the text as last scanned.")
        elif doc.state == "unreadable":
            notes.append(f"Unreadable: {doc.problem}.")
        if changes is not None and (changes.changed or changes.reanchored_spans):
            notes.append(f"The file changed on disk: {plural(changes.reanchored_spans, 'span')} re-anchored.")
        if stale:
            notes.append(f"{plural(stale, 'span')} could not be re-anchored after the file changed; "
                         f"{agreeing(stale, 'it is', 'they are')} not drawn: press {self.key_by_id('stale_spans')} "
                         "to place or drop "
                         f"{agreeing(stale, 'it', 'them')}.")
        self.set_banner(" ".join(notes) or None)

    def refresh_panels(self, spans: list | None = None) -> None:  # type: ignore[type-arg]
        """Re-read the current document's annotations and redraw what shows them."""
        if self.doc is None:
            return
        self.doc = self.corpus.document(self.doc.id)
        if self.doc.version != self.shown_version:
            # Another process scanned a new version of the file: the text on screen, and every
            # offset taken from it, is not the document's now. Show the text as it is.
            version, text = self.corpus.versioned_text(self.doc.id)
            self.shown_version = version
            spans = self.corpus.spans(self.doc.id)
            self.reader.show(text, spans, follow_offset(self.reader.text, text, self.reader.cursor))
            self.suggestions = []
            self.load_suggestions()
            self.set_banner("The file changed on disk: showing it as it is now.")
        spans = spans if spans is not None else self.corpus.spans(self.doc.id)
        self.reader.set_spans(spans)
        self.follow_marks(spans)
        self._inspected = (self.doc, self.corpus.document_tags(self.doc.id), spans)
        self.near_duplicates = self.load_near_duplicates()
        self.refresh_inspector()
        self._refresh_list_row()
        # Another process may have set statuses (0.7 ms at 100,000 documents): the header's
        # "reviewed N/M" stayed as it was until this app changed one (a trial).
        self._progress = progress(self.corpus)
        self.update_topbar()

    def refresh_inspector(self) -> None:
        if self._inspected is not None:
            self.query_one(Inspector).show(*self._inspected, self.reader.cursor, self.suggestions,
                                           self.show_suggestions, self.near_duplicates, self._suggestions_pending)

    def _refresh_list_row(self, document_id: int | None = None) -> None:
        document_id = document_id if document_id is not None else self.doc.id if self.doc is not None else None
        if document_id is None:
            return
        self._edited_rows.add(document_id)
        row = document_row(self.corpus, document_id)
        if row is not None:
            self.doclist.update_row(row)

    def remember_position(self) -> None:
        """Save the current document and cursor, so reopening returns here."""
        if self.doc is None:
            return
        try:
            self.corpus.set_states({"last_document": str(self.doc.id), f"cursor:{self.doc.id}": str(self.reader.cursor)})
        except CorpusError:
            pass  # losing a cursor position is not worth interrupting the analyst

    @on(Deferred)
    def _deferred(self, message: Deferred) -> None:
        run_deferred(message)

    @on(Reader.CursorMoved)
    def _cursor_moved(self, event: Reader.CursorMoved) -> None:
        """Mark the annotation under the cursor in the inspector (no database read)."""
        if self._inspected is not None:
            self.query_one(Inspector).show(*self._inspected, event.offset, self.suggestions, self.show_suggestions,
                                           self.near_duplicates, self._suggestions_pending)

    def step_document(self, step: int) -> None:
        row = self.doclist.neighbour(self.doc.id if self.doc else None, step)
        if row is None:
            self.notify("No more documents in this list." if step > 0 else "This is the first document.",
                        markup=False)
            return
        self.open_document(row.id)

    def action_next_document(self) -> None:
        self.step_document(+1)

    def action_previous_document(self) -> None:
        self.step_document(-1)

    @on(DocumentList.Opened)
    def _list_opened(self, event: DocumentList.Opened) -> None:
        self.open_document(event.document_id)
        self.reader.focus()  # chosen to be read: the keys go to it (tab goes back to the list)

    # -- the list: filter, sort, reload -------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.reload_list()

    @on(Input.Submitted, "#filter")
    @on(FilterBox.Left)
    def _filter_submitted(self) -> None:
        if self._filter_problem:  # the border holds 60 characters of it: "(one of: …)" was never read
            self.notify(f"Filter: {self._filter_problem}", severity="warning", markup=False, timeout=8)
        self.doclist.focus()

    def action_focus_filter(self) -> None:
        # Shown for the filter, not kept shown as a choice: a later resize below TINY_WIDTH folds it
        # again (kept, it squeezed the reader to a few columns).
        self.screen.remove_class("-hide-list")
        self._user_panels.pop("list", None)
        self.query_one("#filter", Input).focus()

    def action_cycle_sort(self) -> None:
        names = list(SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        self.notify(f"Sorted by {self.sort}", markup=False)
        self.reload_list()

    def reload_list(self) -> None:
        self._list_request += 1
        self._edited_rows = set()  # rows this app changes while the list loads: re-read after it
        self._load_rows(self._list_request, self.filter_text, self.sort)

    @work(thread=True, exclusive=True, group="list")
    def _load_rows(self, request: int, filter_text: str, sort: str) -> None:
        try:
            with self.worker_corpus() as corpus:
                rows = list_documents(corpus, filter_text, sort)
        except CorpusError as error:
            self.call_from_thread(self._filter_error, request, str(error))
            return
        self.call_from_thread(self._apply_rows, request, rows)

    def refresh_tag_styles(self) -> None:
        """The list's tag colours as stored now (one small query): a colour set from the CLI shows
        at the next document, as the inspector shows it, not only after ctrl+l."""
        styles = {name: tag_style(color) for name, color in self.corpus.tag_colors().items() if color}
        if styles != self.doclist.tag_styles:
            self.doclist.tag_styles = styles
            self.doclist.refresh()

    def _apply_rows(self, request: int, rows: list) -> None:  # type: ignore[type-arg]
        if request != self._list_request:
            return  # a newer filter is on its way
        self._list_loaded_at = time.monotonic()
        self.query_one("#filter", Input).border_subtitle = plural(len(rows), "doc")
        self._filter_problem = ""
        self.refresh_tag_styles()
        self.doclist.set_rows(rows)
        # The rows were read before any edit made while they loaded: those rows are re-read.
        for document_id in self._edited_rows:
            self._refresh_list_row(document_id)
        settle_memory()
        self.refresh_progress()
        if self.doc is None and rows:
            self.open_document(rows[0].id)
        elif self.doc is None and self.filter_text.strip() and self._progress[1]:
            # "No documents yet." under a filter that matched none of the corpus's (a trial).
            self.set_banner(f"No document matches the filter ({self.key_by_id('focus_filter')} to change it).")
        if self._scan_after_list:
            # Only now: the rescan should not compete with the first paint and list load.
            self._scan_after_list = False
            # Made here, on the app's thread: a quit right after this line stops it (stop_scan).
            self._scan_process = ScanProcess(self.corpus.folder, self.corpus.db_path, self.corpus.annotator)
            self.scan_folder(self._scan_process, first=not rows)

    def _filter_error(self, request: int, message: str) -> None:
        if request == self._list_request:
            # No rows for a filter that means nothing: the last good filter's rows stayed, and enter
            # opened one of them as if they matched this one.
            self.doclist.set_rows([])
            self._filter_problem = message  # said whole when the filter is left (enter, tab, esc)
            # Content: the message quotes what was typed, which a str here would run as markup.
            self.query_one("#filter", Input).border_subtitle = Content(one_line(message, 60))

    def worker_corpus(self) -> Corpus:
        """A Corpus with its own connection, for use inside one worker thread."""
        return Corpus.open(self.corpus.folder, db=self.corpus.db_path, annotator=self.corpus.annotator,
                           create=False, check_wal=False)  # the app's own open checked the WAL

    # -- scanning ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="scan")
    def scan_folder(self, scan: ScanProcess, first: bool, announce: bool = False) -> None:
        """Scan in a separate process (see scan_process); this thread relays its progress.
        ``announce``: say so even when no file changed (the analyst asked for it, ``ctrl+l``)."""

        def report(done: int, total: int) -> None:
            if first or total > 2000:
                try:
                    self.call_from_thread(self._scan_progress, done, total)
                except RuntimeError:  # the app has closed: the scan has no one to report to
                    scan.stop()

        summary, error = scan.run(report)
        if not self.is_running:
            return  # the app closed while the scan ran: nobody to tell
        self.call_from_thread(self._scan_done, summary, error, announce)

    def _scan_progress(self, done: int, total: int) -> None:
        bar = self.query_one("#scan-progress", ProgressBar)
        bar.add_class("busy")
        bar.update(total=total, progress=done)
        if time.monotonic() - self._list_loaded_at > LIST_RELOAD_SECONDS:
            self._list_loaded_at = time.monotonic()
            self.reload_list()

    def _scan_done(self, summary: dict | None, error: str | None, announce: bool = False) -> None:  # type: ignore[type-arg]
        self.query_one("#scan-progress", ProgressBar).remove_class("busy")
        if error or summary is None:
            self.set_banner(error)
            return
        result = ScanSummary.from_dict(summary)
        if announce and not result.changed_anything():
            self.notify("Scan: no file added, changed or removed.", markup=False)
            # Another app's scan may have found them first, after this one read the list: the
            # list is read again (it kept a file added meanwhile out until the next ctrl+l).
            self.reload_list()
        # Not for files missing before (every scan counts them): only what this scan found.
        if result.changed_anything():
            self.notify(f"Scan: {result.line()}", markup=False)
            self.reload_list()
            self._repeats_changed()  # opened during the scan: the repeats are counted at its end
            if self.doc is not None:
                self._follow_the_scan()

    def _follow_the_scan(self) -> None:
        """After a scan that changed something: the open document is opened again only when its
        own file changed (a new text, missing, back); otherwise its panels are read again, and the
        selection, the find's matches and the cursor stay (a scan that found another file
        changed wiped them, and the next b marked a whole paragraph: a review)."""
        assert self.doc is not None
        try:
            now = self.corpus.document(self.doc.id)
        except CorpusError:
            now = None
        if now is None or now.version != self.shown_version or now.state != self.doc.state:
            self.open_document(self.doc.id, cursor=self.reader.cursor, follow=True)
        else:
            self.refresh_panels()

    def _repeats_changed(self) -> None:
        """The repeats view under the screen on top, if open, lists the passages again."""
        for screen in self.screen_stack:
            if isinstance(screen, RepeatsScreen):
                screen.corpus_changed()

    def action_reload(self) -> None:
        """Pick up changes other processes made (imports, another analyst) at once, and the
        folder's new, changed and removed files with a scan in the background."""
        self.reload_list()
        # From the database only: re-reading the open document's file here (open_document) left the
        # scan nothing to find there ("no file changed" for the file just edited), and dropped a
        # long document's suggestions to score them again. The scan reopens it if its file changed.
        self.refresh_panels()
        if self._scan_after_list or any(worker.group == "scan" and worker.is_running for worker in self.workers):
            # One scan at a time: the opening one (started once the list is shown) or one under way.
            # A second, started meanwhile, was cancelled as a worker but not as a process: it ran on
            # unstopped, and quitting waited for it (a review).
            self.notify("Refreshed from the database (the folder's scan is under way).", markup=False)
            return
        self._scan_process = ScanProcess(self.corpus.folder, self.corpus.db_path, self.corpus.annotator)
        self.scan_folder(self._scan_process, first=False, announce=True)
        self.notify("Refreshed from the database; scanning the folder for new and changed files.", markup=False)

    # -- find and search ---------------------------------------------------------------

    def action_find(self) -> None:
        self._find_origin = self.reader.cursor
        find = self.query_one(FindBar)
        find.value = ""  # a new search, as / starts one in vim
        find.add_class("shown")
        find.focus()

    @on(Input.Changed, "#find")
    def _find_changed(self, event: Input.Changed) -> None:
        # Each keystroke searches again from where the find started, as in vim's incsearch.
        self.reader.move_to(self._find_origin)
        needle = event.value
        if needle:
            self._last_needle = needle
        found = self._find_around(needle, self._find_origin)
        self.reader.refind = lambda origin: self._find_around(needle, origin)
        find = self.query_one(FindBar)
        if not needle:
            find.border_subtitle = ""
        elif found.complete:
            find.border_subtitle = plural(len(found.spans), "match", "matches")
        else:
            find.border_subtitle = f"over {len(found.spans):,} matches: the nearest are found, n and N go on"
        if found.spans:
            self.reader.goto_match(+1, inclusive=True)

    def _find_last_needle(self) -> bool:
        """n or N with no match held: the last search, in this document (as vim's n goes on
        with the last pattern wherever the cursor is)."""
        needle = self._last_needle
        if not needle:
            self.notify("Nothing to find again: / looks for a text.", markup=False, timeout=2)
            return False
        found = self._find_around(needle, self.reader.cursor)
        self.reader.refind = lambda origin: self._find_around(needle, origin)
        if not found.spans:
            self.notify(f"“{one_line(needle, 40)}” is not in this document.", markup=False, timeout=2)
        return bool(found.spans)

    def _find_around(self, needle: str, origin: int) -> Matches:
        found = find_around(self.reader.text, needle, origin)
        self.reader.set_matches(found.spans, complete=found.complete)
        return found

    @on(FindBar.Closed)
    def _find_closed(self) -> None:
        """Back to the text, the matches kept: n/N step through them, esc clears them."""
        self.query_one(FindBar).remove_class("shown")
        self.reader.focus()

    @on(Reader.MatchesChanged)
    def _matches_changed(self) -> None:
        self.update_topbar()

    def action_repeats(self) -> None:
        """The passages repeated across the corpus; enter on a copy opens it there."""

        def load_ids(min_docs: int, text: str) -> list[int]:  # in the screen's worker threads, as below
            with self.worker_corpus() as corpus:
                return corpus.repeat_ids(min_docs=min_docs, contains=text.strip() or None)

        def load_rows(ids: Sequence[int]) -> list[Repeat]:
            if not ids:
                return []
            with self.worker_corpus() as corpus:
                return corpus.repeats_by_id(ids, count_marked=False)

        def count_marked(ids: Sequence[int]) -> dict[int, int]:
            with self.worker_corpus() as corpus:
                return {repeat_id: corpus.marked_copies(repeat_id) for repeat_id in ids}

        def copies(repeat_id: int) -> list[Copy]:
            with self.worker_corpus() as corpus:
                return [Copy(*row) for row in corpus.repeat_copy_marks(repeat_id)]

        def mark_all(repeat_id: int, progress: Callable[[int, int], None]) -> str:  # in the screen's worker thread
            try:
                with self.worker_corpus() as corpus:
                    done = corpus.mark_everywhere(repeat_id, progress=progress)
            except (CorpusError, sqlite3.Error) as error:
                if isinstance(error, sqlite3.Error):
                    error = translate(error, self.corpus.db_path)
                return f"Not saved: {error}"
            soon(self, self._marked_in_repeats)  # the reader and the list below the view (or left by it)
            if not done.ranges and done.rule_created:  # a step all the same: u takes the rule back
                return (f"every copy is marked already; rule {done.rule_id} kept, so documents added or changed "
                        f"later are marked at their scan ({self.key_by_id('undo')} undoes)")
            if not done.ranges:
                return "every copy is marked already: nothing changed"
            return (f"marked {plural(done.ranges, 'range')} in {plural(done.documents, 'document')} "
                    f"({self.key_by_id('undo')} undoes)")

        def mark_one(repeat_id: int, document_id: int) -> str:
            try:
                done = self.corpus.mark_copies(repeat_id, [document_id])
            except CorpusError as error:
                return f"Not saved: {error}"
            if not done.ranges:  # "marked this copy (0 ranges)" said it did what it did not
                return "marked already: this copy was marked before, nothing changed; down skips one, m marks the next"
            return f"marked this copy ({plural(done.ranges, 'range')}); down skips one, m marks the next"

        def chosen(copy: Copy | None) -> None:
            self.refresh_panels()  # marks made in the view may be in this document
            self.reload_list()
            if copy is not None:
                self.open_document(copy.document_id, cursor=copy.start)
                self.reader.focus()

        def context(document_id: int, start: int, end: int) -> tuple[str, str, str]:
            return self.corpus.context(document_id, start, end)  # one substr: on the UI thread

        screen = RepeatsScreen(load_ids, load_rows, count_marked, copies, mark_all, mark_one, self.undo_in_screen,
                               context)
        self.push_screen(screen, chosen)

    def _marked_in_repeats(self) -> None:
        self.refresh_panels()
        self.reload_list()

    def undo_in_screen(self, redo: bool = False) -> str:
        """``u`` (``ctrl+r`` with ``redo``) in the repeats and rules screens: undo or redo, and what
        it did, for their status line. As the reader's: M's offer goes (it may be for the mark
        undone), suggestions are read again (an undone mark or rejection is suggested again); the
        panels follow on closing."""
        self.drop_everywhere_offer()
        try:
            event = self.corpus.redo() if redo else self.corpus.undo()
        except CorpusError as error:
            return f"Not done: {error}"
        if event is None:
            return "Nothing to redo." if redo else "Nothing to undo."
        self.load_suggestions()
        said = undone(event, "Redid" if redo else "Undid", self.corpus.annotator, self.corpus.made_here(event.id),
                      self.opened_at)
        return f"{said}. But {self.corpus.history_kept}." if self.corpus.history_kept else said

    def action_rules(self) -> None:
        """The rules marking everywhere kept; removing one asks whether its marks go too."""

        def remove(rule_id: int, remove_marks: bool) -> str:
            try:
                removed = self.corpus.remove_rule(rule_id, remove_marks=remove_marks)
            except CorpusError as error:
                return f"Not saved: {error}"
            gone = f", {plural(removed, 'mark')} removed" if remove_marks else ", its marks kept"
            return f"rule {rule_id} removed{gone} ({self.key_by_id('undo')} undoes)"

        def closed(_: None) -> None:
            self.refresh_panels()
            self.reload_list()
            self._repeats_changed()  # opened from the repeats view: its "marked" counts were the old ones

        def load() -> list:  # type: ignore[type-arg]
            # Switched-off rules still listed while they have marks (made at scans before an undo).
            return [rule for rule in self.corpus.rules(include_removed=True) if rule.active or rule.marks]

        self.push_screen(RulesScreen(load, remove, self.undo_in_screen), closed)

    def action_search_corpus(self) -> None:
        def run(query: str) -> SearchResults:
            with self.worker_corpus() as corpus:
                return search_corpus(corpus, query)

        def chosen(choice) -> None:  # type: ignore[no-untyped-def]
            if choice is None:
                return
            hit, query = choice
            self.open_document(hit.document_id, cursor=max(first_match(self.corpus.text(hit.document_id), query), 0))
            self.reader.focus()

        self.push_screen(SearchScreen(run), chosen)

    def action_export(self) -> None:
        """The CLI's export, from the app: runs in a worker with its own connection."""

        def run(fmt: str, output: Path, force: bool, progress, **selection) -> ExportSummary:  # type: ignore[no-untyped-def]
            with self.worker_corpus() as corpus:
                return export(corpus, fmt, output, force=force, progress=progress, **selection)

        def done(summary: ExportSummary | None) -> None:
            if summary is not None:
                for warning in summary.warnings()[:5]:
                    self.notify(warning, severity="warning", markup=False)
                self.notify(summary.line(command="corpus-tui export"), markup=False, timeout=6)

        self.push_screen(ExportScreen(self.corpus.folder, run), done)

    # -- panels, help, palette, quit ----------------------------------------------------

    def action_toggle_list(self) -> None:
        hidden = not self.screen.has_class("-hide-list")
        self._user_panels["list"] = hidden
        self._hide_list(self.screen, hidden)

    def action_toggle_inspector(self) -> None:
        hidden = not self.screen.has_class("-hide-inspector")
        self._user_panels["inspector"] = hidden
        self.screen.set_class(hidden, "-hide-inspector")

    def keys_shown(self, keys: str) -> str:
        """Keys as the user types them: ``right_square_bracket,ctrl+n`` is ``] / ^n``."""
        return " / ".join(self.get_key_display(Binding(key.strip(), "")) for key in keys.split(",") if key.strip())

    def key_of(self, binding: Binding) -> str:
        """The keys that run ``binding`` now: the user's from the config file's [keys], else its own."""
        return self.keys_shown(self.keymap.get(binding.id, binding.key) if binding.id else binding.key)

    def key_by_id(self, binding_id: str) -> str:
        """The keys that run the binding with this id now (for hints: the inspector's, the banner's)."""
        binding = _BINDINGS_BY_ID.get(binding_id)
        return self.key_of(binding) if binding is not None else binding_id

    def help_sections(self) -> HelpRows:
        def keys_of(binding_id: str) -> str:
            return self.key_of(_BINDINGS_BY_ID[binding_id])

        document = [(self.key_of(b), b.description) for b in DOCUMENT_BINDINGS
                    if b.id and not b.action.startswith("hotkey_tag")]
        document.append(("1-9", "Toggle the tag with that hotkey (set hotkeys with corpus-tui tags)"))
        app = [(self.key_of(b), b.description) for b in APP_BINDINGS if b.id]
        navigation = [(" / ".join(keys_of(i) for i in ids) if isinstance(ids, tuple) else ids, description)
                      for ids, description in NAVIGATION_HELP]
        return [("Document", document), ("Corpus and app", app), ("Moving and selecting", navigation)]

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is not self.screen_stack[0]:
            # Over a dialog or a view, the reader's commands would act under it: the palette
            # moved to the next document under the note editor, opened dialogs twice (a review).
            return
        for binding in DOCUMENT_BINDINGS + APP_BINDINGS:
            if binding.action.startswith("hotkey_tag") or binding.action == "quit":
                continue
            key = self.key_of(binding)
            # The help line under the name: the key, not the name again (read as a second command).
            yield SystemCommand(binding.description, f"key: {key}",
                                lambda action=binding.action: self.run_action(action))
        # The reader's own actions that are not moves (those are keys, not commands to look up).
        readers = screen.query(Reader)  # the screen the palette was opened on: the main one, or none
        reader = readers.first() if readers else None
        for binding in Reader.BINDINGS:
            name = READER_COMMANDS.get(getattr(binding, "id", None) or "")
            if name is not None and reader is not None:
                key = self.key_of(binding)  # type: ignore[arg-type]
                yield SystemCommand(name, f"key: {key}",
                                    lambda action=binding.action: self.run_action(action, reader))  # type: ignore[union-attr]

    async def action_quit(self) -> None:
        # ctrl+q works from any screen: a note or an annotation being written is kept, as esc
        # keeps a note and enter an annotation. If it cannot be committed, the app stays open with
        # the error on screen and the text in place.
        if not self._keep_drafts():
            return
        self._close()

    def _keep_drafts(self, force: bool = False) -> bool:
        # Every draft is tried (a list, not all()'s generator): one that fails must not stop the others.
        kept = [screen.keep_draft(force) if isinstance(screen, NoteDialog) else screen.keep_draft()
                for screen in self.screen_stack if isinstance(screen, (NoteDialog, AnnotateDialog))]
        return all(kept)

    def _close(self) -> None:
        self.remember_position()
        self.end_session()
        self.stop_scan()
        self.exit()

    def _hang_up(self) -> None:
        """The terminal went away (an ssh link dropped, the tmux window was killed: SIGHUP) or the
        app was told to stop (SIGTERM): what was being typed is kept, as ``ctrl+q`` keeps it, and
        the app closes cleanly. No one is left to answer a question, so a draft that cannot be
        kept (a note for an annotation without its label) is not, and the app closes anyway."""
        self._keep_drafts(force=True)
        self._close()

    def _catch_hang_up(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            for hang_up in HANG_UP_SIGNALS:
                loop.add_signal_handler(hang_up, self._hang_up)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows; not the main thread
            return
        self._hang_up_caught = True

    def on_unmount(self) -> None:
        self._release_hang_up()  # the handlers would outlive the app in the process (tests run many)

    def _release_hang_up(self) -> None:
        if self._hang_up_caught:
            loop = asyncio.get_running_loop()
            for hang_up in HANG_UP_SIGNALS:
                loop.remove_signal_handler(hang_up)
            self._hang_up_caught = False

    def stop_scan(self) -> None:
        """Stop a scan in flight (its open batch rolls back; the next scan resumes) and a long
        document's scoring: the app's child processes end with it."""
        if self._scan_process is not None:
            self._scan_process.stop()
        self.stop_scoring_process()


def make_app(folder: str | Path, db: str | Path | None = None, annotator: str | None = None,
             timeout: float = 5.0, scan_on_open: bool = True, keymap: dict[str, str] | None = None) -> CorpusApp:
    """Build the app the way the CLI and the tests do."""
    corpus = Corpus.open(folder, db=db, annotator=annotator, timeout=timeout)
    return CorpusApp(corpus, scan_on_open=scan_on_open, keymap=keymap)
