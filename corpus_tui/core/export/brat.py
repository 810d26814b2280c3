"""``brat``: brat's standoff format, a ``.txt`` and an ``.ann`` per document.

The ``.txt`` is the document's exact text (UTF-8, no newline translation), so
the ``.ann`` character offsets index it directly. Each annotation is a text-bound
annotation ``T<n>\\t<Label> <start> <end>\\t<text>``; boilerplate ranges are
``Boilerplate`` entities. A span that crosses line breaks is written as brat
writes one itself: discontinuous fragments ``start end;start end`` around the
line-break characters, with the fragment texts joined by one space. Line breaks
are every character Python's ``str.splitlines`` breaks at (brat reads the
``.ann`` with it): CR, LF, VT, FF, FS, GS, RS, NEL, U+2028 and U+2029; a span
holding one raw would cut its line in two. Notes and boilerplate reasons become
``#<n>\\tAnnotatorNotes T<n>\\t<note>`` (line breaks and tabs in a note become
spaces). brat type names are ASCII letters, digits, ``_`` and ``-`` (brat's own
``normalize_to_storage_form``): every other character becomes ``_``, and a name of hyphens
alone (a separator line in brat's ``annotation.conf``) becomes underscores; two labels that would make
the same name (``Place name``, ``Place/name``; a label ``Boilerplate``) are told
apart by a number (``Place_name_2``): a label that is a type name already keeps it,
then the corpus's labels in sorted order take the plain name first. An ``annotation.conf`` at the top lists every entity type used,
and a ``visual.conf`` shows each label whose type name differs from it as itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from ..safe_text import visible
from .folders import output_names, target
from .records import DocumentRecord

BOILERPLATE_TYPE = "Boilerplate"
_NOT_TYPE_CHAR = re.compile(r"[^A-Za-z0-9_-]")  # \w let "人名" and "Ünï" through: brat refuses them
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")  # str.splitlines' breaks


def brat_type(label: str) -> str:
    name = _NOT_TYPE_CHAR.sub("_", label)
    return "_" * max(len(name), 1) if not name.strip("-") else name  # "" and "---" too


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


def render_ann(record: DocumentRecord, type_of: Callable[[str], str] = brat_type) -> str:
    lines: list[str] = []
    entity = note_number = 0
    items = [(type_of(s.label or ""), s.start, s.end, s.note) for s in record.spans]
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
    def __init__(self, root: Path, documents: Iterable[tuple[int, str]], labels: Iterable[str] = ()):
        """``labels``: every label the export may meet (the corpus's), given their type names
        first: a label that is a type name already keeps it, the others in their sorted order."""
        self.root = root
        self.names = output_names(documents, ".txt")
        self.types: set[str] = set()
        self.type_of: dict[str, str] = {}  # label -> its type name, unique in this export
        self.taken = {BOILERPLATE_TYPE}
        for label in sorted(set(labels), key=lambda label: (brat_type(label) != label, label)):
            self._type(label)

    def _type(self, label: str) -> str:
        """The label's type name; a label whose plain name another label (or the boilerplate
        type) has taken gets the next free number: ``brat_type`` alone merged them silently."""
        found = self.type_of.get(label)
        if found is None:
            found = plain = brat_type(label)
            number = 1
            while found in self.taken:
                number += 1
                found = f"{plain}_{number}"
            self.taken.add(found)
            self.type_of[label] = found
        return found

    def write(self, record: DocumentRecord) -> None:
        text_path = target(self.root, self.names[record.id])
        with open(text_path, "wb") as handle:
            handle.write(record.raw)
        with open(text_path.with_suffix(".ann"), "w", encoding="utf-8", newline="") as handle:
            handle.write(render_ann(record, self._type))
        self.types.update(self._type(s.label or "") for s in record.spans)
        if record.boilerplate:
            self.types.add(BOILERPLATE_TYPE)

    def close(self) -> None:
        entities = "\n".join(sorted(self.types))
        conf = f"[entities]\n{entities}\n\n[relations]\n\n[events]\n\n[attributes]\n"
        (self.root / "annotation.conf").write_text(conf, encoding="utf-8")
        # brat shows a type by its name; where that is not the label, visual.conf names it as the
        # label ("TYPE | shown name"; a "|" or a line break in a label would end the line: spaces).
        shown = sorted((kind, label) for label, kind in self.type_of.items() if label != kind)
        labels = "".join(f"{kind} | {_LABEL_UNSAFE.sub(' ', visible(label)) or '(no label)'}\n" for kind, label in shown)
        (self.root / "visual.conf").write_text(f"[labels]\n{labels}", encoding="utf-8")


_LABEL_UNSAFE = re.compile(r"[|\s]+")
