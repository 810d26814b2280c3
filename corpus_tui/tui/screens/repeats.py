"""The repeats view (R): passages repeated across the corpus, most documents first; enter
lists a passage's documents, enter again opens one at the passage (``Corpus.repeats``).

Marking, as brat's "annotate similar" weighed it, both ways: ``m`` on a passage marks every
copy at once (one undo step, ``u``); in a passage's documents ``m`` marks that copy and steps
to the next, ``down`` skips one (each copy its own undo step)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from ...core.repeats import DEFAULT_MIN_DOCS, Repeat
from ...core.safe_text import one_line
from ...core.wording import plural
from .option_keys import move_highlight

SHOWN = 2000  # rows listed at once: the filter narrows a larger corpus's repeats


@dataclass(frozen=True)
class Copy:
    document_id: int
    path: str
    start: int
    end: int


class RepeatsScreen(ModalScreen[Copy | None]):
    """Dismisses with the copy to open, or None."""

    BINDINGS = [
        Binding("escape", "back", "Back / close"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("plus,equals_sign", "min_docs(1)", "More documents", show=False),
        Binding("minus", "min_docs(-1)", "Fewer documents", show=False),
        Binding("m", "mark", "Mark (all copies, or this copy)"),
        Binding("u", "undo", "Undo"),
        Binding("r", "app.rules", "Rules", show=False),
    ]
    DEFAULT_CSS = """
    RepeatsScreen { align: center middle; }
    RepeatsScreen > Vertical {
        width: 110; max-width: 100%; height: 85%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    RepeatsScreen OptionList { height: 1fr; }
    RepeatsScreen LoadingIndicator { height: 1; display: none; }
    RepeatsScreen LoadingIndicator.busy { display: block; }
    RepeatsScreen #repeats-status { color: $text-muted; }
    """

    def __init__(self, load: Callable[[int, str], list[Repeat]],
                 copies: Callable[[int], list[Copy]],
                 mark_all: Callable[[int], str], mark_one: Callable[[int, int], str],
                 undo: Callable[[], str]) -> None:
        super().__init__()
        self.load = load
        self.load_copies = copies
        self.mark_all, self.mark_one, self.undo = mark_all, mark_one, undo
        self.min_docs = DEFAULT_MIN_DOCS
        self.repeats: list[Repeat] = []
        self.copies: list[Copy] = []
        self.showing: Repeat | None = None  # the repeat whose documents are listed, if any

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Repeated passages (enter documents, m mark all, u undo, +/- minimum, esc close)"
            yield Input(placeholder="filter: text in the passage…", id="repeats-filter")
            yield LoadingIndicator()
            yield Static("", id="repeats-status")
            yield OptionList(id="repeats-list", markup=False)

    def on_mount(self) -> None:
        self.refresh_list()
        self.query_one("#repeats-list", OptionList).focus()

    def refresh_list(self) -> None:
        self.query_one(LoadingIndicator).add_class("busy")
        self._load(self.min_docs, self.query_one("#repeats-filter", Input).value)

    @on(Input.Changed, "#repeats-filter")
    def _filter_changed(self) -> None:
        self.showing = None
        self.refresh_list()

    @work(thread=True, exclusive=True, group="repeats")
    def _load(self, min_docs: int, text: str) -> None:
        found = self.load(min_docs, text)
        self.app.call_from_thread(self._show_repeats, min_docs, text, found)

    def _show_repeats(self, min_docs: int, text: str, found: list[Repeat]) -> None:
        if (min_docs, text) != (self.min_docs, self.query_one("#repeats-filter", Input).value):
            return  # a newer request is on its way
        if self.showing is not None:
            return  # a passage's documents are on screen now: esc reloads the passages
        self.query_one(LoadingIndicator).remove_class("busy")
        self.repeats = found
        listing = self.query_one("#repeats-list", OptionList)
        listing.set_options(Option(_repeat_line(r)) for r in found)
        if found:
            listing.highlighted = 0
        more = f" (the {SHOWN:,} most repeated: filter to narrow)" if len(found) >= SHOWN else ""
        self._status(f"{plural(len(found), 'passage')} in {min_docs} or more documents{more}")

    def _show_copies(self, repeat: Repeat, copies: list[Copy]) -> None:
        self.showing, self.copies = repeat, copies
        listing = self.query_one("#repeats-list", OptionList)
        listing.set_options(Option(Content.styled(one_line(c.path, 100), "bold")) for c in copies)
        if copies:
            listing.highlighted = 0
        self._status(f"“{one_line(repeat.text, 70)}” is in {plural(len(copies), 'document')} "
                     "(enter opens one, esc goes back)")

    def _status(self, text: str) -> None:
        self.query_one("#repeats-status", Static).update(Content(text))

    @on(OptionList.OptionSelected, "#repeats-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if self.showing is None:
            if event.option_index < len(self.repeats):
                repeat = self.repeats[event.option_index]
                self._show_copies(repeat, self.load_copies(repeat.id))
        elif event.option_index < len(self.copies):
            self.dismiss(self.copies[event.option_index])

    def action_mark(self) -> None:
        listing = self.query_one("#repeats-list", OptionList)
        if listing.highlighted is None:
            return
        if self.showing is None:
            if listing.highlighted < len(self.repeats):
                self._mark_all(self.repeats[listing.highlighted].id)
            return
        if listing.highlighted >= len(self.copies):
            return
        copy = self.copies[listing.highlighted]
        self._status(self.mark_one(self.showing.id, copy.document_id))
        move_highlight(listing, 1)  # brat's safe mode: the next copy

    @work(thread=True, exclusive=True, group="repeats-mark")
    def _mark_all(self, repeat_id: int) -> None:
        """In a worker: a passage in 100,000 documents commits while the keys keep answering."""
        self.app.call_from_thread(self._status, "marking every copy…")
        said = self.mark_all(repeat_id)
        self.app.call_from_thread(self._after_change, said)

    def _after_change(self, said: str) -> None:
        self.refresh_list()
        self.app.call_later(self._status, said)

    def action_undo(self) -> None:
        self.showing = None
        self._after_change(self.undo())

    def action_move(self, step: int) -> None:
        move_highlight(self.query_one("#repeats-list", OptionList), step)

    def action_min_docs(self, step: int) -> None:
        self.min_docs = max(2, self.min_docs + step)
        self.showing = None
        self.refresh_list()

    def action_back(self) -> None:
        if self.showing is not None:
            self.showing = None
            self.refresh_list()  # re-read: copies may have been marked meanwhile
            return
        self.dismiss(None)


def _repeat_line(repeat: Repeat) -> Content:
    counts = f"{repeat.documents:>6} docs {repeat.sources:>4} src {repeat.marked:>6} marked  "
    flag = "" if repeat.boilerplate_like else "  (repost?)"
    return Content.styled(counts, "dim") + Content(one_line(repeat.text, 160)) + Content.styled(flag, "italic")
