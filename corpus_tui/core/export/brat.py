"""``brat``: brat's standoff format, a ``.txt`` and an ``.ann`` per document.

The ``.txt`` is the document's exact text (UTF-8, no newline translation), so
the ``.ann`` character offsets index it directly. Each annotation is a text-bound
annotation ``T<n>\\t<Label> <start> <end>\\t<text>``; boilerplate ranges are
``Boilerplate`` entities. A span that crosses line breaks is written as brat
writes one itself: discontinuous fragments ``start end;start end`` around the
line-break characters, with the fragment texts joined by one space. Notes and
boilerplate reasons become ``#<n>\\tAnnotatorNotes T<n>\\t<note>`` (line breaks
and tabs in a note become spaces). brat type names cannot hold spaces or
punctuation: other characters than letters, digits, ``_`` and ``-`` become
``_``. An ``annotation.conf`` at the top lists every entity type used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .folders import output_names, target
from .records import DocumentRecord

BOILERPLATE_TYPE = "Boilerplate"
_NOT_TYPE_CHAR = re.compile(r"[^\w-]")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def brat_type(label: str) -> str:
    return _NOT_TYPE_CHAR.sub("_", label) or "_"


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) split around line-break characters; empty pieces dropped."""
    pieces = []
    position = start
    for match in _LINE_BREAKS.finditer(text, start, end):
        if match.start() > position:
            pieces.append((position, match.start()))
        position = match.end()
    if end > position:
        pieces.append((position, end))
    return pieces


def _one_line(value: str) -> str:
    return " ".join(value.replace("\t", " ").splitlines())


def render_ann(record: DocumentRecord) -> str:
    lines: list[str] = []
    entity = note_number = 0
    items = [(brat_type(s.label or ""), s.start, s.end, s.note) for s in record.spans]
    items += [(BOILERPLATE_TYPE, b.start, b.end, b.reason) for b in record.boilerplate]
    for kind, start, end, note in items:
        pieces = fragments(record.text, start, end)
        if not pieces:
            continue  # a span of nothing but line breaks has no text brat could show
        entity += 1
        offsets = ";".join(f"{s} {e}" for s, e in pieces)
        quoted = " ".join(record.text[s:e] for s, e in pieces)
        lines.append(f"T{entity}\t{kind} {offsets}\t{quoted}")
        if note:
            note_number += 1
            lines.append(f"#{note_number}\tAnnotatorNotes T{entity}\t{_one_line(note)}")
    return "".join(line + "\n" for line in lines)


class BratWriter:
    def __init__(self, root: Path, documents: Iterable[tuple[int, str]]):
        self.root = root
        self.names = output_names(documents, ".txt")
        self.types: set[str] = set()

    def write(self, record: DocumentRecord) -> None:
        text_path = target(self.root, self.names[record.id])
        with open(text_path, "wb") as handle:
            handle.write(record.raw)
        with open(text_path.with_suffix(".ann"), "w", encoding="utf-8", newline="") as handle:
            handle.write(render_ann(record))
        self.types.update(brat_type(s.label or "") for s in record.spans)
        if record.boilerplate:
            self.types.add(BOILERPLATE_TYPE)

    def close(self) -> None:
        entities = "\n".join(sorted(self.types))
        conf = f"[entities]\n{entities}\n\n[relations]\n\n[events]\n\n[attributes]\n"
        (self.root / "annotation.conf").write_text(conf, encoding="utf-8")
