"""The repeats view (R): passages repeated across the corpus, most documents first; enter
lists a passage's documents, enter again opens one at the passage (``Corpus.repeats``).

It opens in its filter box, so whatever is typed filters (a word that starts with ``m`` must
not mark anything): ``enter`` or an arrow key goes to the list, where keys are commands, and
``/`` back to the box.

Marking, as brat's "annotate similar" weighed it, both ways: ``m`` on a passage marks every
copy at once (one undo step, ``u``); in a passage's documents ``m`` marks that copy and steps
to the next, ``down`` skips one (each copy its own undo step)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from dataclasses import dataclass, replace

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from textual import on, work
from textual.worker import get_current_worker
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, LoadingIndicator, Static

from ...core.repeats import DEFAULT_MIN_DOCS, Repeat
from ...core.safe_text import one_line, path_line
from ...core.safe_text import visible as with_glyphs
from ...core.wording import plural
from ..bindings import key_for
from ..from_worker import soon, while_shown
from ..widgets.line_input import LineInput
from ..widgets.lazy_list import LazyList, Piece

FIRST_ROWS = 100  # rows read with the ids, so the first paint needs no second trip
MARKED_BATCH = 10  # rows whose marked copies are counted at a time (the largest take ~50 ms each)
DIM = Style(dim=True)
BOLD = Style(bold=True)
ITALIC = Style(italic=True)


@dataclass(frozen=True)
class Copy:
    document_id: int
    path: str
    start: int
    end: int
    marked: bool = False  # inside a boilerplate mark already


class RepeatsScreen(ModalScreen[Copy | None]):
    """Dismisses with the copy to open, or None."""

    BINDINGS = [
        Binding("escape", "back", "Back / close"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("pagedown", "move_page(1)", "Page down", show=False),
        Binding("pageup", "move_page(-1)", "Page up", show=False),
        Binding("plus,equals_sign", "min_docs(1)", "More documents", show=False),
        Binding("minus", "min_docs(-1)", "Fewer documents", show=False),
        Binding("m", "mark", "Mark (all copies, or this copy)"),
        Binding("u", "undo", "Undo", id="undo"),  # the app's undo id: a remapped undo key works here too
        Binding("ctrl+r", "redo", "Redo", id="redo", show=False),
        Binding("r", "app.rules", "Rules", show=False),
        Binding("slash", "filter", "Filter", show=False),
    ]
    DEFAULT_CSS = """
    RepeatsScreen { align: center middle; }
    RepeatsScreen > Vertical {
        width: 110; max-width: 100%; height: 85%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    RepeatsScreen LazyList { height: 1fr; }
    RepeatsScreen LoadingIndicator { height: 1; display: none; }
    RepeatsScreen LoadingIndicator.busy { display: block; }
    RepeatsScreen #repeats-status { color: $text-muted; }
    RepeatsScreen #repeats-context { height: auto; max-height: 6; border-top: solid $primary-background-lighten-2;
                                     display: none; }
    RepeatsScreen #repeats-context.shown { display: block; }
    """

    def __init__(self, load_ids: Callable[[int, str], list[int]],
                 load_rows: Callable[[Sequence[int]], list[Repeat]],
                 count_marked: Callable[[Sequence[int]], dict[int, int]],
                 copies: Callable[[int], list[Copy]],
                 mark_all: Callable[[int, Callable[[int, int], None]], str], mark_one: Callable[[int, int], str],
                 undo: Callable[..., str],
                 context: Callable[[int, int, int], tuple[str, str, str]] | None = None) -> None:
        super().__init__()
        self.context = context  # a copy's text and what is around it (Corpus.context)
        self.load_ids, self.load_rows, self.load_copies = load_ids, load_rows, copies
        self.count_marked = count_marked
        self.mark_all, self.mark_one, self.undo = mark_all, mark_one, undo
        self.min_docs = DEFAULT_MIN_DOCS
        self.ids: list[int] = []  # the passages listed, in order
        self.loaded: dict[int, Repeat] = {}  # those read so far, by id
        self.copies: list[Copy] = []
        self.showing: Repeat | None = None  # the repeat whose documents are listed, if any
        self.generation = 0  # bumped by every new listing: answers for an older one are dropped
        self.listed = False  # the passages are on screen (not a passage's documents, nor a listing on its way)
        self._open_when_listed = False  # enter came before the passages were listed
        self.opening: Repeat | None = None  # the passage whose documents are on their way

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = (f"Repeated passages (enter documents, m mark all, {key_for(self.app, 'undo', 'u')} undo, "
                                "+/- minimum, / filter, esc close)")
            yield LineInput(placeholder="filter: text in the passage… (enter or ↓: to the list)", id="repeats-filter")
            yield LoadingIndicator()
            yield Static("", id="repeats-status")
            yield LazyList(self._row, id="repeats-list")
            yield Static("", id="repeats-context")

    @property
    def listing(self) -> LazyList:
        return self.query_one("#repeats-list", LazyList)

    @property
    def filter_box(self) -> Input:
        return self.query_one("#repeats-filter", Input)

    def on_mount(self) -> None:
        self.refresh_list()
        self.filter_box.focus()

    @on(Input.Submitted, "#repeats-filter")
    def _filter_done(self) -> None:
        self.listing.focus()

    def action_filter(self) -> None:
        self.filter_box.focus()

    def row_texts(self) -> list[str]:
        """The rows as shown (loaded ones; "…" for the others): for tests and screen readers."""
        return ["".join(text for text, _ in (self._row(index) or (("…", None),))) for index in range(self.listing.count)]

    def _row(self, index: int) -> list[Piece] | None:
        if self.showing is not None:
            if index >= len(self.copies):
                return None
            copy = self.copies[index]
            return [("marked  " if copy.marked else " " * 8, DIM), (path_line(copy.path, 100), BOLD)]
        repeat = self.loaded.get(self.ids[index]) if index < len(self.ids) else None
        return _repeat_pieces(repeat) if repeat is not None else None

    def refresh_list(self, cursor: int = 0, said: str = "", on_passage: int | None = None) -> None:
        """List the passages again; ``said`` (what a mark or undo did) leads the status line;
        ``on_passage``: the passage the cursor goes back to (else the row ``cursor``). Until the
        list is shown, the rows on screen are not the passages': m and enter wait for it."""
        self.listed = False
        self.opening = None
        self.generation += 1
        self.query_one(LoadingIndicator).add_class("busy")
        self._load(self.generation, self.min_docs, self.filter_box.value, cursor, said, on_passage)

    def corpus_changed(self) -> None:
        """Other writes changed what is repeated (a scan ended): the passages are listed again,
        unless one passage's documents are on screen, which esc re-reads anyway."""
        if self.showing is None:
            self.refresh_list(cursor=self.listing.cursor)

    @on(Input.Changed, "#repeats-filter")
    def _filter_changed(self) -> None:
        self.showing = None
        self._open_when_listed = False  # an enter before the typing was for another list
        self.refresh_list()

    @work(thread=True, exclusive=True, group="repeats")
    def _load(self, generation: int, min_docs: int, text: str, cursor: int, said: str,
              on_passage: int | None = None) -> None:
        ids = self.load_ids(min_docs, text)
        if on_passage is not None and on_passage in ids:
            cursor = ids.index(on_passage)  # back from its documents: on the passage they were of
        first = max(0, cursor - FIRST_ROWS // 2)
        rows = self.load_rows(ids[first : first + FIRST_ROWS])
        self.app.call_from_thread(self._show_repeats, generation, min_docs, ids, rows, cursor, said)

    def _show_repeats(self, generation: int, min_docs: int, ids: list[int], rows: list[Repeat], cursor: int,
                      said: str = "") -> None:
        if generation != self.generation or self.showing is not None:
            return  # a newer listing is on its way, or a passage's documents are on screen
        self.query_one(LoadingIndicator).remove_class("busy")
        self.query_one("#repeats-context", Static).remove_class("shown")
        self.ids, self.loaded = ids, {row.id: row for row in rows}
        self.listed = True
        self.listing.reset(len(ids), cursor)
        if self._open_when_listed:
            self._open_when_listed = False
            self._open_passage(cursor)
        listed = f"{plural(len(ids), 'passage')} in {min_docs} or more documents"
        self._status(f"{said} · {listed}" if said else listed)
        self._count_marks(generation)

    def _count_marks(self, generation: int) -> None:
        """The rows come first; how many copies are marked follows, rows on screen first."""
        visible = [self.ids[index] for index in self.listing.visible_rows() if index < len(self.ids)]
        uncounted = [repeat_id for repeat_id in visible + list(self.loaded)
                     if repeat_id in self.loaded and self.loaded[repeat_id].marked is None]
        if uncounted:
            self._counter(generation, list(dict.fromkeys(uncounted)))

    @work(thread=True, exclusive=True, group="repeats-marked")
    def _counter(self, generation: int, ids: list[int]) -> None:
        worker = get_current_worker()
        for start in range(0, len(ids), MARKED_BATCH):
            if worker.is_cancelled:
                return
            counts = self.count_marked(ids[start : start + MARKED_BATCH])
            self.app.call_from_thread(self._counted, generation, counts)

    def _counted(self, generation: int, counts: dict[int, int]) -> None:
        if generation != self.generation:
            return
        for repeat_id, marked in counts.items():
            if repeat_id in self.loaded:
                self.loaded[repeat_id] = replace(self.loaded[repeat_id], marked=marked)
        if self.showing is None:
            self.listing.refresh()

    @on(LazyList.NeedRows, "#repeats-list")
    def _need_rows(self, event: LazyList.NeedRows) -> None:
        if self.showing is None:
            self._fetch(self.generation, self.ids[event.first : event.past])

    @work(thread=True, exclusive=True, group="repeats-rows")
    def _fetch(self, generation: int, ids: list[int]) -> None:
        rows = self.load_rows([repeat_id for repeat_id in ids if repeat_id not in self.loaded])
        self.app.call_from_thread(self._fetched, generation, rows)

    def _fetched(self, generation: int, rows: list[Repeat]) -> None:
        if generation == self.generation and self.showing is None:
            self.loaded.update((row.id, row) for row in rows)
            self.listing.loaded()
            self._count_marks(generation)

    @work(thread=True, exclusive=True, group="repeats")
    def _open_copies(self, generation: int, repeat: Repeat, cursor: int = 0, said: str = "") -> None:
        copies = self.load_copies(repeat.id)
        self.app.call_from_thread(self._show_copies, generation, repeat, copies, cursor, said)

    def _show_copies(self, generation: int, repeat: Repeat, copies: list[Copy], cursor: int = 0,
                     said: str = "") -> None:
        if generation != self.generation:
            return
        self.query_one(LoadingIndicator).remove_class("busy")
        self.opening = None
        self.showing, self.copies = repeat, copies
        self.listing.reset(len(copies), cursor)
        self._status(f"{said} · {self._copies_status()}" if said else self._copies_status())

    @on(LazyList.Highlighted, "#repeats-list")
    def _highlighted(self, event: LazyList.Highlighted) -> None:
        self._show_context(event.index)

    def _show_context(self, index: int) -> None:
        """Under the copies of a passage: the one under the cursor in its place (the lines around
        it), so a copy can be judged before m marks it (brat's step-through, with its context)."""
        box = self.query_one("#repeats-context", Static)
        box.set_class(self.showing is not None and self.context is not None and index < len(self.copies), "shown")
        if not box.has_class("shown"):
            return
        copy = self.copies[index]
        before, text, after = self.context(copy.document_id, copy.start, copy.end)  # type: ignore[misc]
        width = box.content_size.width or self.listing.content_size.width
        box.update(Content.assemble((f"{path_line(copy.path, 100)}\n", "bold"),
                                    *fitted_context(before, text, after, width, CONTEXT_ROWS - 1)))

    def _copies_status(self) -> str:
        assert self.showing is not None
        marked = sum(copy.marked for copy in self.copies)
        return (f"“{one_line(self.showing.text, 60)}” is in {plural(len(self.copies), 'document')}, {marked} marked "
                "(enter opens one, m marks the one under the cursor, ↓ skips it, esc goes back)")

    def _status(self, text: str) -> None:
        self.query_one("#repeats-status", Static).update(Content(text))

    @on(LazyList.Chosen, "#repeats-list")
    def _chosen(self, event: LazyList.Chosen) -> None:
        if self.showing is None:
            if self.opening is not None:
                return  # its documents are on their way: they come with the cursor on the first
            if not self.listed:  # the rows on screen are a passage's documents still, or an older listing:
                self._open_when_listed = True  # enter opens the one under the cursor once they are listed
                return
            self._open_passage(event.index)
        elif event.index < len(self.copies):
            self.dismiss(self.copies[event.index])

    def _open_passage(self, index: int) -> None:
        repeat = self.loaded.get(self.ids[index]) if index < len(self.ids) else None
        if repeat is not None:
            # Until its documents are shown, the rows are still the passages: m must not mark
            # all of this one's copies for the one copy it will mean (enter m typed at once).
            self.listed, self.opening = False, repeat
            self.generation += 1
            self.query_one(LoadingIndicator).add_class("busy")
            self._status(f"listing the documents of “{one_line(repeat.text, 60)}”…")
            self._open_copies(self.generation, repeat)

    def action_mark(self) -> None:
        index = self.listing.cursor
        if self.showing is None:
            if self.opening is not None:
                self._status("listing the passage's documents… (m then marks the copy under the cursor)")
            elif not self.listed:
                self._status("listing the passages… (m marks the one under the cursor once they are shown)")
            elif index < len(self.ids):
                self._mark_all(self.app, self.ids[index])
            return
        if index >= len(self.copies):
            return
        said = self.mark_one(self.showing.id, self.copies[index].document_id)
        if said.startswith("marked"):
            self.copies[index] = replace(self.copies[index], marked=True)
            self.listing.refresh()
        self._status(said)
        self.listing.action_cursor(1)  # brat's safe mode: the next copy

    @work(thread=True, exclusive=True, group="repeats-mark")
    def _mark_all(self, app: App[Any], repeat_id: int) -> None:
        """In a worker: a passage in 100,000 documents commits while the keys keep answering.
        The view may be closed before it commits (esc, q): the mark goes on, and what it did
        is then said by the app (``soon``, ``while_shown``)."""
        status = while_shown(self, self._status)

        def progress(done: int, total: int) -> None:
            soon(app, status, f"marking every copy: {done:,}/{total:,} documents")

        soon(app, status, "marking every copy…")
        said = self.mark_all(repeat_id, progress)
        soon(app, self._marked_all, app, said)

    def _marked_all(self, app: App[Any], said: str) -> None:
        if self.is_attached:
            self._after_change(said)
        else:
            app.notify(f"Repeats: {said}", severity="error" if said.startswith("Not saved") else "information",
                       markup=False, timeout=6)

    def _after_change(self, said: str) -> None:
        if self.showing is None:
            self.refresh_list(cursor=self.listing.cursor, said=said)
        else:  # a passage's documents were opened meanwhile: esc lists the passages again
            self._status(said)

    def action_redo(self) -> None:
        self.action_undo(redo=True)

    def action_undo(self, redo: bool = False) -> None:
        said = self.undo(redo=redo)
        if self.showing is None:
            self.refresh_list(cursor=self.listing.cursor, said=said)
            return
        # In a passage's documents (after m on a copy): they stay on screen, read again.
        self.generation += 1
        self._open_copies(self.generation, self.showing, self.listing.cursor, said)

    def action_move(self, step: int) -> None:
        self._open_when_listed = False  # a move after an enter waiting for the list: the move is meant
        self.listing.focus()  # from the box too: the arrows leave it for the list
        self.listing.action_cursor(step)

    def action_move_page(self, direction: int) -> None:
        self.listing.focus()
        self.listing.action_page(direction)

    def action_min_docs(self, step: int) -> None:
        self.min_docs = max(2, self.min_docs + step)
        self.showing = None
        self.refresh_list()

    def action_back(self) -> None:
        if self.opening is not None:  # back before its documents came: the passages, on it
            self.refresh_list(on_passage=self.opening.id)
            return
        if self.showing is not None:
            passage, self.showing = self.showing.id, None
            self.refresh_list(on_passage=passage)  # re-read (copies may have been marked meanwhile), on it
            return
        self.dismiss(None)


def _repeat_pieces(repeat: Repeat) -> list[Piece]:
    marked = "…" if repeat.marked is None else repeat.marked  # being counted
    marked = f"{marked:,}" if isinstance(marked, int) else marked
    counts = f"{repeat.documents:>7,} docs {repeat.sources:>5,} src {marked:>7} marked "
    # Before the text, which the width cuts: a passage in too few documents or sources may be a repost.
    flag = "repost? " if not repeat.boilerplate_like else " " * len("repost? ")
    return [(counts, DIM), (flag, ITALIC), (one_line(repeat.text, 160), None)]


CONTEXT_LINES = 2  # lines shown before and after a copy
CONTEXT_ROWS = 5  # the context box's rows under its border (max-height 6): the path, then the copy in place


def fitted_context(before: str, text: str, after: str, width: int, rows: int) -> list[tuple[str, str]]:
    """A copy in its place, as (text, style) pieces that fit ``rows`` rows of ``width`` cells:
    the copy first (it is what is judged; at 80x24 the lines before it, wrapped, pushed it out
    of the box), then up to ``CONTEXT_LINES`` lines before it and after it, each cut to one row.
    The copy's own line before and after it is cut to a third of a row each. Measured in cells:
    a CJK character takes two."""
    width = max(width, 20)
    third = width // 3
    lines_before = [line.removesuffix("\r") for line in before.split("\n")]
    lead, earlier = _in_place(lines_before[-1]), lines_before[-CONTEXT_LINES - 1 : -1]
    lead = lead if cell_len(lead) <= third else "…" + _cells_from_end(lead, third - 1)
    lines_after = after.split("\n")
    tail = _in_place(lines_after[0].removesuffix("\r"))
    later = [line.removesuffix("\r") for line in lines_after[1 : CONTEXT_LINES + 1]]
    tail = tail if cell_len(tail) <= third else set_cell_size(tail, third - 1) + "…"
    copy = _in_place(text)
    copy_rows = sum(max(1, -(-cell_len(line) // width)) for line in (lead + copy + tail).split("\n"))
    room = max(0, rows - copy_rows)
    earlier = earlier[len(earlier) - min(len(earlier), room) :] if room else []
    later = later[: max(0, room - len(earlier))]
    while later and not later[-1].strip():  # the text's end, or blank lines before the box's end
        later.pop()

    def row(line: str) -> str:
        line = _in_place(line)
        return line if cell_len(line) <= width else set_cell_size(line, width - 1) + "…"

    pieces = [("".join(row(line) + "\n" for line in earlier), "dim"), (lead, "dim"), (copy, "reverse"), (tail, "dim")]
    if later:
        pieces.append(("".join("\n" + row(line) for line in later), "dim"))
    return pieces


def _cells_from_end(text: str, cells: int) -> str:
    """The end of ``text`` that fits ``cells`` cells."""
    return set_cell_size(text[::-1], cells)[::-1].lstrip("\u00a0 ") if text else text


def _in_place(text: str) -> str:
    """A piece of a copy's context as text to show: its line breaks kept, every other control
    character a visible glyph (untrusted text never reaches the terminal raw, nor markup: Content)."""
    return "\n".join(with_glyphs(line.removesuffix("\r")) for line in text.split("\n"))
