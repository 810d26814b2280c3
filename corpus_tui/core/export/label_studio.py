"""``label-studio``: Label Studio tasks with the analysts' work as predictions, and the
labelling config (XML) that matches them.

The file is one JSON array (Label Studio's import reads ``.json``, not JSON
Lines), a task per line: ``[\\n`` + ``task,\\n`` per document + ``\\n]\\n`` in
place of the last ``,\\n``. Every task ends with the same separator, so blocks
rendered apart (worker processes) join into the same bytes; whoever writes the
end of the file turns its last two bytes into the array's end (``end_of_array``).

A task (Label Studio's "Basic Label Studio JSON format", predictions as its
pre-annotation guide describes them)::

    {"data": {"text", "path", "title", "status", "tags", "note", "id", "sha256"},
     "predictions": [{"model_version": "corpus-tui", "result": [...]}]}

Results: an annotation is ``{"id", "from_name": "label", "to_name": "text",
"type": "labels", "value": {"start", "end", "text", "labels": [label]}}``; a
boilerplate range the same from the ``boilerplate`` control with the label
``Boilerplate`` (its own control, so it can never be confused with an
analyst's label of that name); the document's tags one ``choices`` result from
the ``tags`` control. Ids are stable: a hash of the path, control, offsets and
label. Spans that differ only in their note (notes are not carried) become one
region. A document with nothing to show gets ``"predictions": []``.

Offsets: Label Studio's editor converts the browser's UTF-16 positions to code
points before it stores a region (``charsToCodePoints`` in its ``html.js``; its
"NER - Emoji - Text" test expects code points), so by default they are
corpus-tui's own code-point offsets. Releases from before that fix (2021's
issues #1008, #1347) counted UTF-16 code units: ``utf16`` converts for them.
``\\r\\n`` stays two characters in ``data.text`` and in the offsets alike, as
Label Studio's ``Text`` tag counts it.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidValue
from ..safe_text import quoted
from .json_formats import dumps
from .records import DocumentRecord

TEXT_NAME = "text"  # the <Text> object, and the data key it shows
LABEL_CONTROL = "label"
BOILERPLATE_CONTROL = "boilerplate"
BOILERPLATE_LABEL = "Boilerplate"
TAGS_CONTROL = "tags"
MODEL_VERSION = "corpus-tui"  # how Label Studio names this set of predictions
OFFSETS = ("code-points", "utf-16")

OPEN = b"[\n"
SEPARATOR = b",\n"  # after every task
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # two UTF-16 code units each
_ASTRAL_LEAD = re.compile(rb"[\xf0-\xf4]")  # the first byte of such a character in UTF-8
# XML 1.0 cannot hold these at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def end_of_array(tail: bytes) -> bytes:
    """What replaces ``tail``, the last two bytes written, to end the array: the last
    task's separator becomes the closing bracket (``[\\n`` alone: no task, ``[]``)."""
    return b"\n]\n" if tail == SEPARATOR else tail + b"]\n"


class ArrayTail:
    """A stream that holds back the last two bytes written to it; ``close_array()`` then
    writes the array's end in their place. For the parent process writing every byte
    (to stdout, or a file without workers)."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.held = b""

    def write(self, data: bytes | memoryview) -> int:
        data = bytes(data)
        if len(data) >= len(SEPARATOR):
            if self.held:
                self.stream.write(self.held)
            self.stream.write(memoryview(data)[: -len(SEPARATOR)])
            self.held = data[-len(SEPARATOR):]
        else:
            joined = self.held + data
            if len(joined) > len(SEPARATOR):
                self.stream.write(joined[: -len(SEPARATOR)])
            self.held = joined[-len(SEPARATOR):]
        return len(data)

    def flush(self) -> None:
        self.stream.flush()

    def close_array(self) -> None:
        self.stream.write(end_of_array(self.held))
        self.held = b""


class Utf16Offsets:
    """Code-point offsets into ``text`` as UTF-16 code-unit offsets (JavaScript's ``length``)."""

    def __init__(self, text: str, raw: bytes):
        # Most texts have no character beyond the BMP: then the offsets are the same.
        self.astral = [m.start() for m in _ASTRAL.finditer(text)] if _ASTRAL_LEAD.search(raw) else []

    def __call__(self, offset: int) -> int:
        return offset + bisect_left(self.astral, offset) if self.astral else offset


def region_id(path: str, control: str, start: int, end: int, label: str) -> str:
    """A result id that stays the same from one export to the next (Label Studio wants them unique)."""
    key = "\x1f".join((path, control, str(start), str(end), label))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def task(record: DocumentRecord, offsets: str = "code-points") -> dict[str, Any]:
    """The Label Studio task of ``record`` (see the module docstring)."""
    convert = Utf16Offsets(record.text, record.raw) if offsets == "utf-16" else None
    results: list[dict[str, Any]] = []
    seen: set[tuple[str, int, int, str]] = set()
    pieces = [(LABEL_CONTROL, s.start, s.end, s.label or "", s.text) for s in record.spans]
    pieces += [(BOILERPLATE_CONTROL, b.start, b.end, BOILERPLATE_LABEL, b.text) for b in record.boilerplate]
    for control, start, end, label, text in pieces:
        if (control, start, end, label) in seen:
            continue  # the same region again (a note apart): Label Studio would draw it twice
        seen.add((control, start, end, label))
        results.append({
            "id": region_id(record.path, control, start, end, label),
            "from_name": control, "to_name": TEXT_NAME, "type": "labels",
            "value": {"start": convert(start) if convert else start, "end": convert(end) if convert else end,
                      "text": text, "labels": [label]},
        })
    if record.tags:
        results.append({
            "id": region_id(record.path, TAGS_CONTROL, 0, 0, ""),
            "from_name": TAGS_CONTROL, "to_name": TEXT_NAME, "type": "choices",
            "value": {"choices": list(record.tags)},
        })
    return {
        "data": {
            TEXT_NAME: record.text, "path": record.path, "title": record.title, "status": record.status,
            "tags": record.tags, "note": record.note, "id": record.id, "sha256": record.sha256,
        },
        "predictions": [{"model_version": MODEL_VERSION, "result": results}] if results else [],
    }


def task_line(record: DocumentRecord, offsets: str = "code-points") -> bytes:
    """One element of the array: the task on one line, and the separator."""
    return dumps(task(record, offsets)).encode("utf-8") + SEPARATOR


def _attribute(value: str, what: str) -> str:
    """``value`` as a double-quoted XML attribute, kept exactly (line breaks and tabs
    as character references: a parser would turn them into spaces)."""
    if _NOT_XML.search(value):
        raise InvalidValue(
            f"{what} {quoted(value)} holds a control character that Label Studio's labelling config (XML) "
            "cannot hold; rename it to export to Label Studio"
        )
    return f'"{value.translate(_XML_ATTRIBUTE)}"'


# What xml.sax.saxutils.escape(value, {'"': …, "\n": …, "\r": …, "\t": …}) does, a character at a
# time, without importing it (it brings urllib.request, http.client and ssl: 30 ms of start-up).
_XML_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def label_config(labels: Iterable[str], tags: Iterable[str]) -> str:
    """The labelling config for these labels and tags (the controls the tasks' results name).

    >>> print(label_config(["GPE"], []))  # doctest: +ELLIPSIS
    <View>
    ...
      <Labels name="label" toName="text">
        <Label value="GPE"/>
      </Labels>
    ...
    """
    labels = sorted(set(labels), key=lambda name: (name.casefold(), name))
    tags = sorted(set(tags), key=lambda name: (name.casefold(), name))
    lines = [
        "<View>",
        # Keep the text's line breaks and runs of spaces on screen (offsets count them anyway).
        "  <Style>.htx-text { white-space: pre-wrap; }</Style>",
        f'  <Text name="{TEXT_NAME}" value="${TEXT_NAME}"/>',
    ]
    if labels:
        lines.append(f'  <Labels name="{LABEL_CONTROL}" toName="{TEXT_NAME}">')
        lines += [f"    <Label value={_attribute(label, 'label')}/>" for label in labels]
        lines.append("  </Labels>")
    lines += [
        f'  <Labels name="{BOILERPLATE_CONTROL}" toName="{TEXT_NAME}">',
        f'    <Label value="{BOILERPLATE_LABEL}" background="#9e9e9e"/>',
        "  </Labels>",
    ]
    if tags:
        lines.append(f'  <Choices name="{TAGS_CONTROL}" toName="{TEXT_NAME}" choice="multiple" showInline="true">')
        lines += [f"    <Choice value={_attribute(tag, 'tag')}/>" for tag in tags]
        lines.append("  </Choices>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"

