"""The app's key bindings: one declaration that the footer, the help screen and
the command palette all read, so keys are documented once.

Every binding a user may want elsewhere has an id: the ``[keys]`` table of the
config file (``corpus_tui.config``) maps ids to keys, and the app applies it with
``App.set_keymap``. The reader and the list share the ids of moves they share
(``cursor_down`` is j in both), so one remap moves both."""

from __future__ import annotations

from textual.binding import Binding

DOCUMENT_BINDINGS = [
    Binding("right_square_bracket", "next_document", "Next doc", id="next_document"),
    Binding("left_square_bracket", "previous_document", "Prev doc", id="previous_document"),
    Binding("b", "toggle_boilerplate", "Boilerplate", id="toggle_boilerplate"),
    Binding("B", "boilerplate_to_end", "Boilerplate to end", id="boilerplate_to_end", show=False),
    Binding("M", "mark_everywhere", "Mark everywhere (the passage just marked)", id="mark_everywhere", show=False),
    Binding("y", "accept_suggestion", "Accept suggestion", id="accept_suggestion"),
    Binding("d", "reject_suggestion", "Reject suggestion", id="reject_suggestion", show=False),
    Binding("Y", "accept_all_suggestions", "Accept all suggestions here (one undo step)", id="accept_all_suggestions",
            show=False),
    Binding("full_stop", "next_suggestion(1)", "Next suggestion", id="next_suggestion", show=False),
    Binding("comma", "next_suggestion(-1)", "Previous suggestion", id="previous_suggestion", show=False),
    Binding("o", "toggle_suggestions", "Show / hide suggestions", id="toggle_suggestions", show=False),
    Binding("equals_sign", "duplicate_diff", "Diff with the nearest near-duplicate", id="duplicate_diff", show=False),
    Binding("D", "mark_duplicate", "Duplicate of the nearest: mark / clear", id="mark_duplicate", show=False),
    Binding("right_curly_bracket", "next_cluster(1)", "Next cluster of near-duplicates", id="next_cluster",
            show=False),
    Binding("left_curly_bracket", "next_cluster(-1)", "Previous cluster of near-duplicates", id="previous_cluster",
            show=False),
    Binding("t", "tag_picker", "Tags", id="tag_picker"),
    Binding("a", "annotate", "Annotate", id="annotate"),
    Binding("x", "remove_span", "Remove span", id="remove_span", show=False),
    Binding("p", "stale_spans", "Stale spans: place or drop", id="stale_spans", show=False),
    Binding("m", "edit_note", "Note", id="edit_note", show=False),
    Binding("r", "toggle_reviewed", "Reviewed", id="toggle_reviewed"),
    Binding("space", "review_and_next", "Reviewed+next", id="review_and_next", show=False),
    Binding("S", "toggle_skipped", "Skipped", id="toggle_skipped"),
    Binding("slash", "find", "Find", id="find"),
    Binding("u", "undo", "Undo", id="undo"),
    Binding("ctrl+r", "redo", "Redo", id="redo", show=False),
    *(Binding(str(n), f"hotkey_tag({n})", f"Toggle tag with hotkey {n}", id=f"hotkey_tag_{n}", show=False)
      for n in range(1, 10)),
]

APP_BINDINGS = [
    Binding("ctrl+f", "search_corpus", "Search corpus", id="search_corpus"),
    Binding("R", "repeats", "Repeated passages", id="repeats", show=False),
    Binding("ctrl+k", "rules", "Rules (marks kept for later scans)", id="rules", show=False),
    Binding("e", "export", "Export", id="export", show=False),
    Binding("f", "focus_filter", "Filter list", id="focus_filter", show=False),
    Binding("s", "cycle_sort", "Sort list", id="cycle_sort", show=False),
    Binding("backslash", "toggle_list", "Toggle list", id="toggle_list", show=False),
    Binding("i", "toggle_inspector", "Toggle inspector", id="toggle_inspector", show=False),
    Binding("ctrl+l", "reload", "Refresh, rescan the folder", id="reload", show=False),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("q", "quit", "Quit", id="quit"),
]

def key_for(app: object, binding_id: str, default: str) -> str:
    """The key the app runs this binding with now (its config may remap it): for the hints of
    screens, which a test may mount in another app."""
    finder = getattr(app, "key_by_id", None)
    return finder(binding_id) if callable(finder) else default


FOOTER_FIRST = ("help", "quit")  # the footer's first keys (CorpusApp.BINDINGS)

# The help screen's third section: keys owned by the reader and the list (by binding
# id, so a remapped key shows as remapped), then ones Textual provides.
NAVIGATION_HELP: list[tuple[tuple[str, ...] | str, str]] = [
    (("cursor_down", "cursor_up"), "Move down / up (in the reader or the list)"),
    (("cursor_left", "cursor_right"), "Move left / right"),
    (("top", "bottom"), "Top / bottom"),
    (("page_up", "page_down"), "Page up / down"),
    (("row_start", "row_end"), "Start / end of row"),
    ("shift+arrows", "Select characters (mouse drag too)"),
    (("line_select",), "Line selection on/off"),
    (("wrap",), "Soft wrap on/off"),
    (("next_match", "previous_match"), "Next / previous find match"),
    ("enter / esc", "In find: back to the text, matches kept"),
    ("enter / tab / esc", "In the list filter: back to the list, filter kept"),
    (("clear_selection",), "Clear the selection, else the find matches"),
    ("esc", "Close a dialog"),
    ("tab / shift+tab", "Move focus: filter, list, reader"),
    (("list_open",), "In the list: open the document"),
    ("ctrl+p", "Command palette: every action by name"),
]
