"""The rules screen: the rules kept by marking a passage everywhere (they mark documents added
or changed later, at their scan). ``x`` removes one and asks whether its marks go too."""

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

from ...core.rules import Rule
from ...core.safe_text import one_line
from ...core.wording import plural
from ..bindings import key_for


class RulesScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close / cancel"),
        Binding("x,d", "remove", "Remove the rule"),
        Binding("u", "undo", "Undo", id="undo"),  # the app's undo id: a remapped undo key works here too
        Binding("ctrl+r", "redo", "Redo", id="redo", show=False),
        Binding("y", "answer(True)", "Yes, its marks too", show=False),
        Binding("n", "answer(False)", "No, keep its marks", show=False),
        # vim's moves, as in the repeats view: only the arrows moved here, so j then x removed
        # the rule the cursor was still on.
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("g", "move_to(0)", "First", show=False),
        Binding("G", "move_to(-1)", "Last", show=False),
    ]
    DEFAULT_CSS = """
    RulesScreen { align: center middle; }
    RulesScreen > Vertical {
        width: 100; max-width: 100%; height: 70%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    RulesScreen OptionList { height: 1fr; }
    RulesScreen #rules-status { color: $text-muted; }
    RulesScreen #rules-status.asking { color: $warning; text-style: bold; }
    """

    def __init__(self, load: Callable[[], list[Rule]], remove: Callable[[int, bool], str],
                 undo: Callable[..., str]) -> None:
        super().__init__()
        self.load_rules, self.remove_rule = load, remove  # not .remove: Widget.remove is Textual's
        self.undo = undo
        self.rules: list[Rule] = []
        self.asking: Rule | None = None  # the rule whose removal waits for y / n

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Rules (x removes one, {key_for(self.app, 'undo', 'u')} undoes, esc closes)"
            yield Static("", id="rules-status")
            yield OptionList(id="rules-list", markup=False)

    def on_mount(self) -> None:
        self._show()
        self.query_one(OptionList).focus()

    def _show(self, said: str | None = None) -> None:
        self.rules = self.load_rules()
        listing = self.query_one(OptionList)
        was = listing.highlighted
        listing.set_options(Option(_rule_line(rule)) for rule in self.rules)
        if self.rules:  # the cursor stays where it was (a rule removed: the next one), not back at the top
            listing.highlighted = min(was or 0, len(self.rules) - 1)
        self._status(said or _summary(self.rules))

    def action_move(self, step: int) -> None:
        listing = self.query_one(OptionList)
        if step > 0:
            listing.action_cursor_down()
        else:
            listing.action_cursor_up()

    def action_move_to(self, index: int) -> None:
        if self.rules:
            self.query_one(OptionList).highlighted = index % len(self.rules)

    def _status(self, text: str, asking: bool = False) -> None:
        status = self.query_one("#rules-status", Static)
        status.set_class(asking, "asking")
        status.update(Content(text))

    def action_remove(self) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is None or not self.rules:
            return
        self.asking = self.rules[listing.highlighted]
        marks = plural(self.asking.marks, "mark")
        if self.asking.active:
            question = f"Remove rule {self.asking.id}: remove its {marks} too? y: yes, n: keep them, esc: cancel"
        else:  # removed already: only its marks are left to decide on
            question = f"Rule {self.asking.id} is removed: remove its {marks}? y: yes, n or esc: keep them"
        self._status(question, asking=True)

    def action_answer(self, remove_marks: bool) -> None:
        if self.asking is None:
            return
        rule, self.asking = self.asking, None
        if not rule.active and not remove_marks:
            self._show()  # nothing to do: the rule is gone, its marks stay
            return
        self._show(self.remove_rule(rule.id, remove_marks))

    def action_undo(self, redo: bool = False) -> None:
        self.asking = None
        self._show(self.undo(redo=redo))

    def action_redo(self) -> None:
        self.action_undo(redo=True)

    @on(OptionList.OptionHighlighted)
    def _moved(self) -> None:
        if self.asking is not None:  # moving on cancels the question
            self.asking = None
            self._show()

    def action_close(self) -> None:
        if self.asking is not None:
            self.asking = None
            self._show()
            return
        self.dismiss(None)


def _summary(rules: list[Rule]) -> str:
    active = sum(1 for rule in rules if rule.active)
    if not rules:
        return "no rules: marking a passage everywhere keeps one"
    said = (f"{plural(active, 'rule')}: each marks its passage in documents added or changed later, at their scan"
            if active else "no rules")
    removed = len(rules) - active
    if removed:
        said += f" · {plural(removed, 'removed rule')} whose marks remain (x removes them)"
    return said


def _rule_line(rule: Rule) -> Content:
    reason = f" ({one_line(rule.reason, 30)})" if rule.reason else ""
    marks = "mark " if rule.marks == 1 else "marks"
    counts = f"#{rule.id:<4} {rule.marks:>6} {marks}  {rule.created_at[:10]}  "
    off = Content.styled("  (removed: its marks remain)", "italic") if not rule.active else Content("")
    return Content.styled(counts, "dim") + Content(one_line(rule.text, 120) + reason) + off
