"""Tag picker: fuzzy-filter the vocabulary, toggle several tags, create new ones.

Each toggle is written at once (the caller's ``toggle`` callback); the picker
itself holds no state the database does not.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...core.models import Tag
from ...core.safe_text import one_line
from ..widgets.line_input import LineInput
from .option_keys import move_highlight

CREATE_PREFIX = "\x00create:"


class TagPicker(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]
    DEFAULT_CSS = """
    TagPicker { align: center middle; }
    TagPicker > Vertical {
        width: 56; max-width: 100%; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    TagPicker OptionList { height: auto; max-height: 16; }
    TagPicker .hint { color: $text-muted; }
    """

    def __init__(
        self,
        tags: Callable[[], list[Tag]],
        current: Callable[[], set[int]],
        toggle: Callable[[str, bool, int | None], None],
    ) -> None:
        super().__init__()
        self._tags = tags
        self._current = current
        self._toggle = toggle  # (name, whether it was shown set, its id if listed): another process may have changed it
        self._shown: set[int] = set()  # the tags shown set ([x]) on the document
        # The vocabulary with its counts, read when the picker opens and after each toggle, not
        # at each key typed in the filter: a large corpus counts its tags in milliseconds each time.
        self._vocabulary: list[Tag] = []
        self._cleared_by_toggle = False  # the filter was emptied by a toggle, not by typing

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Tags"
            yield LineInput(placeholder="filter or new tag…", id="tag-filter")
            yield OptionList(id="tag-options", markup=False)
            yield Static("enter toggles, or creates a new tag · esc closes", classes="hint")

    def on_mount(self) -> None:
        self._vocabulary = self._tags()
        self._refill(reread=True)

    @on(Input.Changed, "#tag-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._cleared_by_toggle and not event.value:
            self._cleared_by_toggle = False  # the list is shown already, on the tag just toggled
            return
        self._cleared_by_toggle = False
        self._refill()

    def _refill(self, keep_highlight: bool = False, highlight: str | None = None, reread: bool = False) -> None:
        """The rows for the filter typed; with ``reread``, the document's tags read again (when the
        picker opens and after a toggle). Typing in the filter reads nothing: a tag another
        process changed meanwhile would flip its [x] unseen, and enter undo what it did."""
        query = " ".join(self.query_one("#tag-filter", Input).value.split())  # as a tag name is stored
        options = self.query_one("#tag-options", OptionList)
        highlighted = options.highlighted
        if reread:
            self._shown = self._current()
        current = self._shown
        tags = self._vocabulary
        starting = 0  # how many tags' names start with the query: they come first
        if query:
            matcher = Matcher(query)
            folded = query.casefold()
            scored = [(tag.name.casefold().startswith(folded), matcher.match(tag.name), tag) for tag in tags]
            ranked = sorted((entry for entry in scored if entry[1] > 0), key=lambda entry: (-entry[0], -entry[1]))
            tags = [tag for _, _, tag in ranked]
            starting = sum(1 for prefix, _, _ in ranked if prefix)
        rows: list[Option] = []
        for tag in tags:
            mark = "[x]" if tag.id in current else "[ ]"
            hotkey = f"  ({tag.hotkey})" if tag.hotkey else ""
            rows.append(Option(Content(f"{mark} {one_line(tag.name, 40)}{hotkey}  · {tag.count}"), id=str(tag.id)))
        if query and not any(tag.name.casefold() == query.casefold() for tag in tags):
            # Enter takes the first row. A tag whose name starts with what was typed is what the
            # analyst meant ("syr": Syria); otherwise it is a new name, even when it fuzzily
            # matches one ("iq" must not untag "iraq"): the other matches are a ↓ away.
            rows.insert(starting, Option(Content(f"+ create “{one_line(query, 40)}”"), id=CREATE_PREFIX + query))
        options.set_options(rows)
        if rows:
            keep = keep_highlight and highlighted is not None
            options.highlighted = min(highlighted, len(rows) - 1) if keep else 0
            if highlight is not None:
                at = next((index for index, tag in enumerate(tags) if tag.name.casefold() == highlight.casefold()), None)
                if at is not None:
                    options.highlighted = at

    def _name_of(self, option_id: str) -> str:
        if option_id.startswith(CREATE_PREFIX):
            return option_id[len(CREATE_PREFIX):]
        return next(tag.name for tag in self._vocabulary if str(tag.id) == option_id)

    def action_toggle(self) -> None:
        options = self.query_one("#tag-options", OptionList)
        if options.highlighted is None or not options.option_count:
            return
        option = options.get_option_at_index(options.highlighted)
        name = self._name_of(option.id or "")
        existing = not (option.id or "").startswith(CREATE_PREFIX)
        shown = existing and int(option.id or 0) in self._shown
        self._toggle(name, shown, int(option.id or 0) if existing else None)
        self._vocabulary = self._tags()
        box = self.query_one("#tag-filter", Input)
        if box.value:  # typed: the box empties for the next tag, whether this one was new or not
            self._cleared_by_toggle = True
            box.value = ""
            self._refill(highlight=name, reread=True)  # the whole list, on the tag just toggled: its [x] shows
        else:
            self._refill(keep_highlight=True, reread=True)

    @on(Input.Submitted, "#tag-filter")
    def _submitted(self) -> None:
        self.action_toggle()

    @on(OptionList.OptionSelected, "#tag-options")
    def _selected(self) -> None:
        self.action_toggle()

    def action_move(self, step: int) -> None:
        move_highlight(self.query_one("#tag-options", OptionList), step)

    def action_close(self) -> None:
        self.dismiss(None)
