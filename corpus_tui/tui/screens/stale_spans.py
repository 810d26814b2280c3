"""Stale spans: the current document's spans that could not be found again after
its file changed. For each, the old quote in its old context, and where its
quote occurs now; the analyst places it (on the reader's selection or
paragraph, or on one of those places) or drops it.

The screen holds no state the database does not: every place or drop is one
library call (one undoable step) through the caller's callbacks, after which
the list is read again. Document text is untrusted: it only ever goes into
``Content`` built from plain strings, after ``visible``/``one_line``.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...core.anchoring import Candidate
from ...core.models import Span
from ...core.safe_text import one_line, visible
from ..bindings import key_for

SUGGESTIONS = 5
CONTEXT_SHOWN = 36  # characters of context shown on each side
QUOTE_SHOWN = 160

Place = Callable[[int, int, int], bool]  # span id, start, end -> saved
Drop = Callable[[int], bool]  # span id -> saved


def in_context(prefix: str, quote: str, suffix: str) -> Content:
    """``…prefix⟦quote⟧suffix…`` on one line, the quote highlighted, every character visible."""
    if len(quote) > QUOTE_SHOWN:
        quote = quote[: QUOTE_SHOWN - 21] + "…" + quote[-20:]
    return (
        Content.styled("…", "dim") + Content(visible(prefix[-CONTEXT_SHOWN:]))
        + Content.styled(visible(quote), "bold reverse")
        + Content(visible(suffix[:CONTEXT_SHOWN])) + Content.styled("…", "dim")
    )


def describe_span(span: Span) -> str:
    what = f"{span.label} annotation" if span.kind == "annotation" else "boilerplate"
    if span.kind == "boilerplate" and span.reason:
        what += f" ({span.reason})"
    return f"{one_line(what, 40)} · was {span.start}-{span.end}"


class StaleSpansScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("d,x", "drop", "Drop the span"),
        # The app's own keys, here too: the hint says u undoes each step (it did nothing while open).
        Binding("u", "history('undo')", "Undo", show=False, id="undo"),  # remapped with the app's
        Binding("ctrl+r", "history('redo')", "Redo", show=False, id="redo"),
        *(Binding(str(n), f"place_suggestion({n})", f"Place on suggestion {n}", show=False)
          for n in range(1, SUGGESTIONS + 1)),
    ]
    DEFAULT_CSS = """
    StaleSpansScreen { align: center middle; }
    StaleSpansScreen > Vertical {
        width: 100; max-width: 100%; height: auto; max-height: 90%;
        border: round $warning; background: $surface; padding: 0 1;
    }
    StaleSpansScreen #stale-list { height: auto; max-height: 10; }
    StaleSpansScreen #old-context, StaleSpansScreen #target, StaleSpansScreen #suggestions {
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    StaleSpansScreen .caption { color: $text-muted; margin-top: 1; }
    StaleSpansScreen .hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(
        self,
        spans: Callable[[], list[Span]],
        suggestions: Callable[[int], list[Candidate]],
        text: str,
        target: tuple[int, int] | None,
        place: Place,
        drop: Drop,
    ) -> None:
        super().__init__()
        self._spans_of_document = spans
        self._suggestions_for = suggestions
        self._text = text
        self._target = target
        self._placed_from: tuple[int, int] | None = None  # where the span last placed on the target was
        self._place = place
        self._drop = drop
        self.spans: list[Span] = []
        self.suggestions: list[Candidate] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Stale spans"
            yield OptionList(id="stale-list", markup=False)
            yield Static("", id="old-context")
            yield Static("", id="target")
            yield Static(Content("where its quote is now:"), classes="caption")
            yield Static("", id="suggestions")
            yield Static(Content("↑↓ choose · enter place on the selection or paragraph · 1-5 place on a "
                                 f"suggestion · d drop · esc close ({key_for(self.app, 'undo', 'u')} undoes each step)"),
                         classes="hint")

    def on_mount(self) -> None:
        self.refill()
        self.query_one("#stale-list", OptionList).focus()

    @property
    def current(self) -> Span | None:
        options = self.query_one("#stale-list", OptionList)
        if options.highlighted is None or not self.spans:
            return None
        return self.spans[min(options.highlighted, len(self.spans) - 1)]

    def refill(self) -> None:
        """Read the stale spans again (after a place or drop), keeping the highlight's row."""
        options = self.query_one("#stale-list", OptionList)
        keep = options.highlighted or 0
        self.spans = self._spans_of_document()
        self.query_one(Vertical).border_title = f"Stale spans ({len(self.spans)})"
        options.set_options([
            Option(Content(f"{describe_span(s)}  “{one_line(s.quote, 60)}”"), id=str(s.id)) for s in self.spans
        ])
        if self.spans:
            options.highlighted = min(keep, len(self.spans) - 1)
        self.show_current()

    @on(OptionList.OptionHighlighted, "#stale-list")
    def _highlighted(self) -> None:
        self.show_current()

    def show_current(self) -> None:
        span = self.current
        old = self.query_one("#old-context", Static)
        shown = self.query_one("#suggestions", Static)
        if span is None:
            self.suggestions = []
            old.update(Content("No stale spans left in this document."))
            shown.update(Content(""))
            self.query_one("#target", Static).update(Content.styled("esc closes", "dim"))
            return
        old.update(Content("was: ") + in_context(span.prefix, span.quote, span.suffix))
        self.suggestions = self._suggestions_for(span.id)[:SUGGESTIONS]
        end = len(span.quote)
        lines = [
            Content(f"{n}  ") + Content.styled(f"context {c.score:>2}  ", "dim")
            + in_context(self._text[max(0, c.start - CONTEXT_SHOWN) : c.start], span.quote,
                         self._text[c.start + end : c.start + end + CONTEXT_SHOWN])
            for n, c in enumerate(self.suggestions, 1)
        ]
        shown.update(Content("\n").join(lines) if lines else Content.styled("its quote is not in the text now", "dim"))
        self._show_target()

    def _target_for(self, span: Span | None) -> tuple[int, int] | None:
        """The reader's selection or paragraph, for this span. Once a span was placed on it, only
        for a span that was on the same text (an annotation and a boilerplate mark of one
        paragraph), so a second enter never puts an unrelated span there."""
        if self._target is None or self._placed_from is None:
            return self._target
        if span is not None and span.start < self._placed_from[1] and self._placed_from[0] < span.end:
            return self._target
        return None

    def _show_target(self) -> None:
        target = self.query_one("#target", Static)
        if self._target_for(self.current) is None:
            why = "no selection" if self._target is None else "the selection went to a span of other text"
            target.update(Content.styled(f"{why}: select the text in the reader first, or use a suggestion", "dim"))
            return
        start, end = self._target
        target.update(Content(f"enter places it on {start}-{end}: “{one_line(self._text[start:end], 80)}”"))

    # -- actions -------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#stale-list")
    def _selected(self) -> None:
        self.action_place_on_target()

    def action_place_on_target(self) -> None:
        span = self.current
        if span is None:
            return
        target = self._target_for(span)
        if target is None:
            self.notify("Nothing selected in the reader: close this (esc), select the text, press p again.",
                        markup=False)
            return
        placed_from = (span.start, span.end)
        if self._place(span.id, *target):
            self._placed_from = placed_from
            self.refill()

    def action_place_suggestion(self, number: int) -> None:
        span = self.current
        if span is None or not 1 <= number <= len(self.suggestions):
            return
        start = self.suggestions[number - 1].start
        if self._place(span.id, start, start + len(span.quote)):
            self.refill()

    def action_drop(self) -> None:
        span = self.current
        if span is not None and self._drop(span.id):
            self.refill()

    def action_history(self, which: str) -> None:
        getattr(self.app, f"action_{which}")()
        self.refill()

    def action_close(self) -> None:
        self.dismiss(None)
