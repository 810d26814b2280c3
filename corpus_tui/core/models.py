"""Plain records the library hands out: no database handles inside."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


# What a document's text was decoded from: its file's sha256 and the encoding. Offsets index one
# text; a write made for what a screen or a script was shown checks the document still has it.
TextVersion = tuple[str | None, str | None]


@dataclass(frozen=True)
class Document:
    id: int
    path: str
    state: str
    problem: str | None
    size: int
    mtime_ns: int
    sha256: str | None
    encoding: str | None
    encoding_guessed: bool
    encoding_override: str | None
    char_count: int
    line_count: int
    body_start: int
    title: str | None
    meta: dict[str, Any] = field(default_factory=dict)
    status: str = "new"
    note: str = ""
    duplicate_of: int | None = None  # the document an analyst said this one duplicates

    @property
    def version(self) -> "TextVersion":
        return (self.sha256, self.encoding)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Document":
        return cls(
            id=row["id"],
            path=row["path"],
            state=row["state"],
            problem=row["problem"],
            size=row["size"],
            mtime_ns=row["mtime_ns"],
            sha256=row["sha256"],
            encoding=row["encoding"],
            encoding_guessed=bool(row["encoding_guessed"]),
            encoding_override=row["encoding_override"],
            char_count=row["char_count"],
            line_count=row["line_count"],
            body_start=row["body_start"],
            title=row["title"],
            meta=json.loads(row["meta"] or "{}"),
            status=row["status"],
            note=row["note"],
            duplicate_of=row.get("duplicate_of"),
        )

    @property
    def display_title(self) -> str:
        return self.title or self.path


@dataclass(frozen=True)
class Span:
    id: int
    document_id: int
    kind: str  # "annotation" | "boilerplate"
    start: int
    end: int
    label: str | None
    note: str | None
    reason: str | None
    quote: str
    prefix: str
    suffix: str
    anchor: str  # "ok" | "reanchored" | "stale"
    annotator: str
    created_at: str
    rule_id: int | None = None  # the rule that made this boilerplate range (``rules``); None: by hand

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Span":
        return cls(**{name: row[name] for name in cls.__dataclass_fields__ if name in row})

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @property
    def stale(self) -> bool:
        return self.anchor == "stale"


@dataclass(frozen=True)
class Tag:
    id: int
    name: str
    color: str | None
    description: str
    hotkey: int | None
    count: int = 0
