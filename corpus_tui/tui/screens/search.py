"""Corpus search (ctrl+f): FTS5 in a worker thread, results that jump to the match."""

from __future__ import annotations

from collections.abc import Callable

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.line_input import LineInput
from ...core.search import MAX_QUERY_WORDS, RANK_LIMIT, SearchHit, SearchResults
from ...core.safe_text import one_line
from .option_keys import move_highlight
from ...core.wording import plural


def _snippet(hit: SearchHit) -> Content:
    parts: list[Content] = []
    for index, piece in enumerate(hit.snippet.replace("\x03", "\x02").split("\x02")):
        text = one_line(piece, 200)
        parts.append(Content.styled(text, "bold reverse") if index % 2 else Content(text))
    return Content("").join(parts)


class QueryInput(LineInput):
    """The search box: a paste of several lines is searched whole, its line breaks as spaces
    (Textual's Input keeps the first line only: a pasted paragraph lost all but its first line,
    without a word: a trial)."""

    def _on_paste(self, event: events.Paste) -> None:
        if event.text:
            text = " ".join(event.text.split())
            if self.selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *self.selection)
        event.prevent_default()  # Input's own handler would paste the first line again
        event.stop()


class SearchScreen(ModalScreen[tuple[SearchHit, str] | None]):
    """Dismisses with the chosen hit and the query that found it."""

    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]
    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical {
        width: 100; max-width: 100%; height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    SearchScreen OptionList { height: 1fr; }
    SearchScreen LoadingIndicator { height: 1; display: none; }
    SearchScreen LoadingIndicator.busy { display: block; }
    SearchScreen #search-status { color: $text-muted; }
    """

    def __init__(self, run_search: Callable[[str], SearchResults], query: str = "") -> None:
        super().__init__()
        self.run_search = run_search
        self.initial_query = query
        self.hits: list[SearchHit] = []
        self.shown_query: str | None = None  # the query whose hits are listed
        self._open_when_shown = False  # enter came before the typed query's hits

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Search the corpus"
            yield QueryInput(self.initial_query, placeholder="words to find in every document…", id="search-input")
            yield LoadingIndicator()
            yield Static("", id="search-status")
            yield OptionList(id="search-results", markup=False)

    def on_mount(self) -> None:
        if self.initial_query:
            self.search(self.initial_query)

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        self._open_when_shown = False  # typed on after enter: enter was for what was typed then
        self.search(event.value)

    @work(thread=True, exclusive=True, group="search")
    def search(self, query: str) -> None:
        self.app.call_from_thread(self._busy, True)
        results = self.run_search(query) if query.strip() else SearchResults([], True)
        self.app.call_from_thread(self._show, query, results.hits, results.ranked, results.matched,
                                  results.words_left_out)

    def _busy(self, busy: bool) -> None:
        self.query_one(LoadingIndicator).set_class(busy, "busy")

    def _show(self, query: str, hits: list[SearchHit], ranked: bool, matched: int, left_out: int = 0) -> None:
        if query != self.query_one("#search-input", Input).value:
            return  # a newer query is on its way
        self._busy(False)
        self.hits, self.shown_query = hits, query
        results = self.query_one("#search-results", OptionList)
        results.set_options(
            Option(Content.styled(one_line(hit.title or hit.path, 90), "bold") + Content("\n") + _snippet(hit))
            for hit in hits
        )
        if hits:
            results.highlighted = 0
        if not query.strip():
            status = ""
        elif matched > len(hits):
            total = f"{matched:,}" if ranked else f"over {RANK_LIMIT:,}"
            status = f"first {len(hits)} of {total} documents" + ("" if ranked else " in path order (too many to rank)")
        else:
            status = plural(len(hits), "document")
        if left_out:
            status += f" · searched for its first {MAX_QUERY_WORDS} different words ({plural(left_out, 'word')} left out)"
        self.query_one("#search-status", Static).update(Content(status))
        if self._open_when_shown:
            self._open_when_shown = False
            self._submit()

    def action_move(self, step: int) -> None:
        move_highlight(self.query_one("#search-results", OptionList), step)

    @on(Input.Submitted, "#search-input")
    def _submit(self) -> None:
        typed = self.query_one("#search-input", Input).value
        if not typed.strip():
            return
        if self.shown_query != typed:
            # The hits listed are an older query's (typed on): enter opens this one's first hit
            # once it is found, not the old one's (a review).
            self._open_when_shown = True
            self.query_one("#search-status", Static).update(Content("searching… (enter opens the first document found)"))
            return
        results = self.query_one("#search-results", OptionList)
        if results.highlighted is not None and self.hits:
            self.dismiss((self.hits[results.highlighted], self.query_one("#search-input", Input).value))

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss((self.hits[event.option_index], self.shown_query or ""))  # the query that found it

    def action_cancel(self) -> None:
        self.dismiss(None)
