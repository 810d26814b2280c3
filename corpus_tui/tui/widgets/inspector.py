"""The inspector: facts about the current document and its annotations.

Everything shown is built with ``Content`` from plain strings (never markup),
after ``one_line``/``visible`` so control characters cannot reach the terminal.
"""

from __future__ import annotations

import json

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...core.models import Document, Span, Tag
from ..colors import label_color
from ..safe_text import one_line, visible

MAX_SPANS_SHOWN = 200


def _human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"


class Inspector(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    Inspector { background: $panel; padding: 0 1; }
    Inspector > Static { margin-bottom: 1; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="facts")
        yield Static(id="tags")
        yield Static(id="spans")
        yield Static(id="note")

    def show(self, doc: Document | None, tags: list[Tag], spans: list[Span], cursor: int = 0) -> None:
        facts, tag_view, span_view, note_view = (self.query_one(f"#{name}", Static) for name in
                                                 ("facts", "tags", "spans", "note"))
        if doc is None:
            facts.update(Content("No document"))
            for view in (tag_view, span_view, note_view):
                view.update(Content(""))
            return
        lines = [
            Content.styled(one_line(doc.path, 400), "bold"),
            Content(f"{_human_size(doc.size)} · {doc.line_count} lines · {doc.char_count} chars"),
            Content(f"encoding: {doc.encoding or '?'}" + (" (guessed)" if doc.encoding_guessed else "")),
            Content(f"status: {doc.status}"),
        ]
        if doc.state != "ok":
            lines.append(Content.styled(f"{doc.state}: {one_line(doc.problem or '', 200)}", "bold $error"))
        elif doc.problem:
            lines.append(Content.styled(one_line(doc.problem, 200), "$warning"))
        if doc.meta:
            lines.append(Content.styled("front matter", "underline"))
            for key, value in list(doc.meta.items())[:20]:
                shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                lines.append(Content(f"{one_line(str(key), 30)}: {one_line(shown, 80)}"))
        facts.update(Content("\n").join(lines))

        tag_view.update(
            Content.styled("tags", "underline") + Content("\n")
            + (Content(" ").join(Content.styled(f"#{one_line(t.name, 40)}", "bold") for t in tags)
               if tags else Content.styled("none (t to add)", "dim"))
        )

        annotations = [s for s in spans if s.kind == "annotation"]
        boilerplate = [s for s in spans if s.kind == "boilerplate" and not s.stale]
        stale = [s for s in spans if s.stale]
        parts = [Content.styled(f"annotations ({len(annotations)})", "underline")]
        for span in annotations[:MAX_SPANS_SHOWN]:
            marker = "▶ " if span.start <= cursor < span.end else "  "
            label = Content.styled(f" {one_line(span.label or '', 30)} ", f"on {label_color(span.label or '')}")
            line = Content(marker) + label + Content(f" {span.start}-{span.end} {one_line(span.quote, 40)}")
            if span.stale:
                line = line + Content.styled(" (stale)", "$error")
            parts.append(line)
            if span.note:
                parts.append(Content.styled(f"    note: {one_line(span.note, 120)}", "italic"))
        covered = sum(s.end - s.start for s in boilerplate)
        share = covered / doc.char_count if doc.char_count else 0.0
        parts.append(Content.styled(f"boilerplate: {len(boilerplate)} spans, {share:.0%} of text", "dim"))
        if stale:
            parts.append(Content.styled(f"could not re-anchor {len(stale)} span(s):", "bold $error"))
            for span in stale[:MAX_SPANS_SHOWN]:
                parts.append(Content(f"  {span.kind} {one_line(span.label or span.reason or '', 20)}: "
                                     f"{one_line(span.quote, 50)}"))
        span_view.update(Content("\n").join(parts))

        note_view.update(
            Content.styled("note", "underline") + Content("\n")
            + (Content(visible(doc.note)) if doc.note else Content.styled("none (m to write)", "dim"))
        )
