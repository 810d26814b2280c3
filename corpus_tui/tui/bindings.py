"""The app's key bindings: one declaration that the footer, the help screen and
the command palette all read, so keys are documented once."""

from __future__ import annotations

from textual.binding import Binding

DOCUMENT_BINDINGS = [
    Binding("right_square_bracket", "next_document", "Next doc", id="next_document"),
    Binding("left_square_bracket", "previous_document", "Prev doc", id="previous_document"),
    Binding("b", "toggle_boilerplate", "Boilerplate", id="toggle_boilerplate"),
    Binding("B", "boilerplate_to_end", "Boilerplate to end", id="boilerplate_to_end", show=False),
    Binding("t", "tag_picker", "Tags", id="tag_picker"),
    Binding("a", "annotate", "Annotate", id="annotate"),
    Binding("x", "remove_span", "Remove span", id="remove_span", show=False),
    Binding("p", "stale_spans", "Stale spans: place or drop", id="stale_spans", show=False),
    Binding("m", "edit_note", "Note", id="edit_note", show=False),
    Binding("r", "toggle_reviewed", "Reviewed", id="toggle_reviewed"),
    Binding("space", "review_and_next", "Reviewed+next", id="review_and_next", show=False),
    Binding("slash", "find", "Find", id="find"),
    Binding("u", "undo", "Undo", id="undo"),
    Binding("ctrl+r", "redo", "Redo", id="redo", show=False),
    *(Binding(str(n), f"hotkey_tag({n})", f"Toggle tag with hotkey {n}", show=False) for n in range(1, 10)),
]

APP_BINDINGS = [
    Binding("ctrl+f", "search_corpus", "Search corpus", id="search_corpus"),
    Binding("e", "export", "Export", id="export", show=False),
    Binding("f", "focus_filter", "Filter list", id="focus_filter", show=False),
    Binding("s", "cycle_sort", "Sort list", id="cycle_sort", show=False),
    Binding("backslash", "toggle_list", "Toggle list", id="toggle_list", show=False),
    Binding("i", "toggle_inspector", "Toggle inspector", id="toggle_inspector", show=False),
    Binding("ctrl+l", "reload", "Refresh", id="reload", show=False),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("q", "quit", "Quit", id="quit"),
]

# Shown in the help screen only: keys owned by the reader and the list widgets,
# plus ones Textual provides (tab, ctrl+p).
NAVIGATION_HELP = [
    Binding("j,down / k,up", "", "Move down / up (in the reader or the list)"),
    Binding("h,left / l,right", "", "Move left / right"),
    Binding("g,home / G,end", "", "Top / bottom"),
    Binding("pageup / pagedown", "", "Page up / down"),
    Binding("0 / $", "", "Start / end of row"),
    Binding("shift+arrows", "", "Select characters (mouse drag too)"),
    Binding("v", "", "Line selection on/off"),
    Binding("w", "", "Soft wrap on/off"),
    Binding("n / N", "", "Next / previous find match"),
    Binding("enter / shift+enter", "", "In find: next / previous match"),
    Binding("escape", "", "Clear selection and matches / close a dialog"),
    Binding("tab / shift+tab", "", "Move focus: filter, list, reader"),
    Binding("enter", "", "In the list: open the document"),
    Binding("ctrl+p", "", "Command palette: every action by name"),
]
