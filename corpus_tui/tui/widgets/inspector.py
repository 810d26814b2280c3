"""The inspector: facts about the current document and its annotations.

A Line-API view over a list of ``Content`` lines, so updating it after each
action repaints a few rows instead of laying out the screen. Everything shown
is built from plain strings (never markup), after ``one_line``/``visible`` so
control characters cannot reach the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.duplicates.api import NearDuplicate
from ...core.models import Document, Span, Tag
from ...core.suggest.scorer import Suggestion, suggestion_at
from ..colors import DEFAULT_CHIP_STYLE, label_color, tag_style
from ...core.safe_text import one_line, path_line, visible
from ...core.wording import plural
from .document_list import boilerplate_percent
from .quiet_resize import set_virtual_size

MAX_SPANS_SHOWN = 200
MAX_DUPLICATES_SHOWN = 20
NOTE_LINES_SHOWN = 20
ERROR = "bold #ff6b6b"
WARNING = "#e0b040"
SUGGESTION = "italic #e0a030"

# What a state means when the scan left no problem of its own to say.
STATE_MEANING = {"missing": "the file is gone from the folder; its text as last scanned is kept, with its work"}


def _human_size(size: float) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _chip(tag: Tag) -> str:
    """A tag's colour as a Content style; names that are not colours are ignored."""
    if tag.color and tag_style(tag.color) is not DEFAULT_CHIP_STYLE:
        return f"bold {tag.color}"
    return "bold"


def _heading(text: str) -> Content:
    return Content.styled(text, "underline")


def describe(doc: Document, tags: list[Tag], spans: list[Span], cursor: int,
             suggestions: Sequence[Suggestion] = (), shown: bool = True,
             duplicates: Sequence[NearDuplicate] = (), *, key: Callable[[str], str],
             pending: bool = False) -> list[Content]:
    """The inspector's lines for one document (and its suggestions, when they are shown).
    ``key(binding_id)``: the keys that run a binding now (the user's config may set others)."""
    lines = [
        Content.styled(path_line(doc.path, 400), "bold"),
        Content(f"{_human_size(doc.size)} · {plural(doc.line_count, 'line')} · {plural(doc.char_count, 'char')}"),
        Content(f"encoding: {doc.encoding or '?'}" + (" (guessed)" if doc.encoding_guessed else "")),
        Content(f"status: {doc.status.replace('_', ' ')}"),
    ]
    if doc.state != "ok":
        why = doc.problem or STATE_MEANING.get(doc.state, "")
        lines.append(Content.styled(f"{doc.state}: {one_line(why, 200)}" if why else doc.state, ERROR))
    elif doc.problem:
        lines.append(Content.styled(one_line(doc.problem, 200), WARNING))
    if doc.meta:
        lines += [Content(""), _heading("front matter")]
        for name, value in list(doc.meta.items())[:20]:
            written = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append(Content(f"{one_line(str(name), 30)}: {one_line(written, 80)}"))

    lines += [Content(""), _heading("tags")]
    lines.append(Content(" ").join(Content.styled(f"#{one_line(t.name, 40)}", _chip(t)) for t in tags)
                 if tags else Content.styled(f"none ({key('tag_picker')} to add)", "dim"))

    annotations = [s for s in spans if s.kind == "annotation"]
    boilerplate = [s for s in spans if s.kind == "boilerplate" and not s.stale]
    stale = [s for s in spans if s.stale]
    lines += [Content(""), _heading(f"annotations ({len(annotations)})")]
    for span in annotations[:MAX_SPANS_SHOWN]:
        marker = "▶ " if span.start <= cursor < span.end else "  "
        label = Content.styled(f" {one_line(span.label or '', 30)} ", f"#ffffff on {label_color(span.label or '')}")
        line = Content(marker) + label + Content(f" {span.start}-{span.end} {one_line(span.quote, 60)}")
        lines.append(line + Content.styled(" (stale)", ERROR) if span.stale else line)
        if span.note:
            lines.append(Content.styled(f"    note: {one_line(span.note, 120)}", "italic"))
    covered = sum(s.end - s.start for s in boilerplate)
    share = covered / doc.char_count if doc.char_count else 0.0
    lines.append(Content.styled(f"boilerplate: {plural(len(boilerplate), 'span')}, "
                                f"{boilerplate_percent(share)} of text", "dim"))
    if stale:
        # Stale: the file changed and these could not be found again; never drawn on the text.
        lines += [Content(""), Content.styled(f"{plural(len(stale), 'stale span')} — press {key('stale_spans')} to place or drop",
                                               ERROR)]
        for span in stale[:MAX_SPANS_SHOWN]:
            name = one_line(span.label or span.reason or "", 20)
            lines.append(Content(f"  {span.kind}{' ' + name if name else ''}: “{one_line(span.quote, 50)}”"))

    lines += [Content(""), _heading(f"suggestions ({len(suggestions)})" if shown
                                         else f"suggestions (hidden: {key('toggle_suggestions')} shows)")]
    here = suggestion_at(suggestions, cursor) if shown else None
    if here is not None:
        lines.append(Content.styled(f"▍ {here.score:.2f}: {one_line(here.reason, 120)}", SUGGESTION))
        lines.append(Content.styled(f"  {key('accept_suggestion')} accepts, {key('reject_suggestion')} rejects, "
                                    f"{key('accept_all_suggestions')} accepts all, {key('next_suggestion')} next", "dim"))
    elif shown and not suggestions and pending:  # "none" was read as none (a trial): they are on their way
        lines.append(Content.styled("being worked out…", "dim"))
    elif shown:
        lines.append(Content.styled(f"{key('next_suggestion')} goes to the next one" if suggestions else "none", "dim"))

    lines += [Content(""), _heading(f"near-duplicates ({len(duplicates)})")]
    marked = next((n for n in duplicates if n.document_id == doc.duplicate_of), None)
    if marked is not None:
        lines.append(Content.styled(f"marked a duplicate of {path_line(marked.path, 120)} ({key('mark_duplicate')} clears)", WARNING))
    for near in duplicates[:MAX_DUPLICATES_SHOWN]:
        figures = f"containment {near.containment:.2f}" if near.containment else "marked"
        lines.append(Content(f"  {path_line(near.path, 120)} ({figures})"))
    if duplicates:
        marking = "" if marked is not None else f"{key('mark_duplicate')} marks this a duplicate, "  # clears, said above
        lines.append(Content.styled(f"  {key('duplicate_diff')} diff with the nearest, {marking}"
                                    f"{key('next_cluster')} next cluster", "dim"))
    else:
        lines.append(Content.styled("none", "dim"))

    lines += [Content(""), _heading("note")]
    if doc.note:
        lines += [Content(visible(line)) for line in doc.note.split("\n")[:NOTE_LINES_SHOWN]]
    else:
        lines.append(Content.styled(f"none ({key('edit_note')} to write)", "dim"))
    return lines


class Inspector(ScrollView, can_focus=False):
    DEFAULT_CSS = """
    Inspector { background: $panel; padding: 0 1; overflow-y: scroll; overflow-x: hidden;
                scrollbar-size-vertical: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[Content] = []
        self.rows: list[Content] = []  # the lines wrapped to the width: long values are never cut
        self._rows_width = 0
        self._wrapped: dict[str, list[Content]] = {}  # a line's markup -> its rows at _rows_width
        self._strips: dict[int, Strip] = {}
        self._base_style = Style()

    def show(self, doc: Document | None, tags: list[Tag], spans: list[Span], cursor: int = 0,
             suggestions: Sequence[Suggestion] = (), shown: bool = True,
             duplicates: Sequence[NearDuplicate] = (), pending: bool = False) -> None:
        """``pending``: the document's suggestions are still being worked out."""
        key = self.app.key_by_id  # type: ignore[attr-defined]  # the inspector is the corpus app's
        self.lines = (describe(doc, tags, spans, cursor, suggestions, shown, duplicates, key=key, pending=pending)
                      if doc is not None else [Content("No document")])
        self._rewrap()

    def _rewrap(self) -> None:
        width = max(8, self.scrollable_content_region.width or self.size.width or 40)
        if width != self._rows_width:
            self._wrapped = {}
        # Every cursor move redraws the inspector: a line unchanged since is not wrapped again.
        # Keyed by markup, not plain text: a line whose style alone changed is wrapped anew.
        keys = [line.markup for line in self.lines]
        wrapped = {key: self._wrapped.get(key) or line.wrap(width) for key, line in zip(keys, self.lines)}
        old, self.rows = self.rows, [row for key in keys for row in wrapped[key]]
        self._wrapped, self._rows_width = wrapped, width
        # Repaint only the rows that differ: after an action that is one or two.
        for index in range(max(len(old), len(self.rows))):
            if index >= len(old) or index >= len(self.rows) or old[index] != self.rows[index]:
                self._strips.pop(index, None)
                self.refresh_lines(index)
        set_virtual_size(self, Size(self.size.width, len(self.rows)))

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._rows_width:
            self._strips = {}
            self._rewrap()

    @property
    def text(self) -> str:
        """Everything shown, as plain text (for tests and screen readers)."""
        return "\n".join(line.plain for line in self.lines)

    def render_lines(self, crop: Region) -> list[Strip]:
        style = self.rich_style
        if style != self._base_style:
            self._base_style, self._strips = style, {}
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + int(self.scroll_offset.y)
        if index >= len(self.rows):
            return Strip.blank(width, self._base_style)
        strip = self._strips.get(index)
        if strip is None or strip.cell_length != width:
            strip = Strip(self.rows[index].render_segments())
            if strip.cell_length > width:  # a width change not wrapped for yet: never spill over
                strip = Strip([*strip.crop(0, max(0, width - 1)), Segment("…")])
            strip = strip.adjust_cell_length(width).apply_style(self._base_style)
            self._strips[index] = strip
        return strip
