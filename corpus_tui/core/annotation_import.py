"""Import the native ``jsonl`` export: restore tags, spans, boilerplate, notes and status.

    from corpus_tui import Corpus
    from corpus_tui.core.annotation_import import import_annotations

    with Corpus.open("copy-of-seeds") as corpus:
        print(import_annotations(corpus, "seeds.jsonl").line())

Rules:

- **Matching.** A record goes to the document with the same ``path``, or with
  ``match="sha256"`` to the document with the same content (the one with the
  same path too when several have it; otherwise several are ambiguous).
- **Validation first, all or nothing.** The whole file is read and checked
  before anything is written: one JSON object per line, ``schema`` 1, known
  statuses, spans with integer offsets inside the text whose ``text`` equals
  ``text[start:end]`` of the document *as it is in this corpus*, the same
  ``sha256`` when matching by path (the content must be the one annotated),
  every document known, none named twice. Any problem raises ``InvalidImport``
  (``FILE:LINE: reason``) and nothing changes. Then every change is applied in
  one transaction.
- **Merging.** Tags are added (never removed). Spans are a set: an annotation
  is added unless one with the same (start, end, label, note) is there; a
  boilerplate range is added by union with the boilerplate already marked
  (kept merged and non-overlapping; a merged range keeps the reason already
  there, and the annotator and time of its earliest piece). Imported spans and
  tag links keep the ``annotator`` and ``created`` time of the file.
- **Conflicts.** A status or note that is set on both sides (status other than
  ``new``, note not empty) and differs is a conflict: reported, and by
  default (``prefer=None``) or with ``prefer="ours"`` this corpus's value is
  kept; ``prefer="theirs"`` takes the file's. An unset value on our side simply
  takes the file's. The same rule applies to the reason of a boilerplate range
  that both sides marked exactly.
- **Idempotent.** Importing the same file twice changes nothing the second time.
- ``dry_run=True`` computes the same summary (``changes`` lists each document's
  changes) and writes nothing. An import is logged as one ``import.annotations``
  event; it is not undone by ``undo``.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .anchoring import anchor_for
from .errors import CorpusError, InvalidValue
from .os_errors import os_reason
from .schema import STATUSES
from .store import now
from .tags import clean_tag_name, tag_key

if TYPE_CHECKING:
    from .corpus import Corpus

SCHEMA = 1
CHUNK = 500
MATCHES = ("path", "sha256")
PREFERENCES = ("ours", "theirs")


class InvalidImport(CorpusError):
    """The file cannot be imported; ``problems`` holds every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


@dataclass
class Conflict:
    path: str
    field: str
    ours: str | None
    theirs: str | None
    kept: str  # "ours" | "theirs"

    def line(self) -> str:
        taken = "kept ours" if self.kept == "ours" else "took theirs"
        return f"{self.path}: {self.field} differs: ours {_short(self.ours)}, theirs {_short(self.theirs)} ({taken})"


@dataclass
class ImportSummary:
    source: str
    dry_run: bool = False
    records: int = 0
    documents_changed: int = 0
    spans_added: int = 0
    boilerplate_changed: int = 0
    tags_added: int = 0
    statuses_set: int = 0
    notes_set: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # "PATH: what changes", one per changed document

    def line(self) -> str:
        verb = "would change" if self.dry_run else "changed"
        text = (
            f"{self.records} records read, {verb} {self.documents_changed} documents: "
            f"{self.spans_added} spans added, {self.boilerplate_changed} boilerplate ranges, "
            f"{self.tags_added} tags, {self.statuses_set} statuses, {self.notes_set} notes"
        )
        if self.conflicts:
            text += f"; {len(self.conflicts)} conflicts"
        return text + ("; dry run, nothing written" if self.dry_run else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- reading and checking the file ----------------------------------------------------------


@dataclass
class _Record:
    line: int
    path: str | None
    sha256: str | None
    status: str | None
    note: str | None
    tags: list[tuple[str, str | None, str | None]]  # (name, annotator, created)
    spans: list[dict[str, Any]]
    boilerplate: list[dict[str, Any]]


class _Problems:
    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, line: int, reason: str) -> None:
        self.items.append(f"{self.source}:{line}: {reason}")


def _read(handle: IO[bytes], problems: _Problems) -> Iterator[_Record]:
    try:
        yield from _records(handle, problems)
    except OSError as error:  # stdin that is a folder (`< folder`), a disk failing, ...
        raise InvalidValue(f"{problems.source}: cannot read: {os_reason(error)}") from None


def _records(handle: IO[bytes], problems: _Problems) -> Iterator[_Record]:
    for number, raw in enumerate(handle, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as error:
            problems.add(number, f"not UTF-8 text (byte {error.start})")
            continue
        except json.JSONDecodeError as error:
            problems.add(number, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        try:
            yield _parse(number, data)
        except _Bad as bad:
            problems.add(number, str(bad))


class _Bad(Exception):
    pass


def _parse(number: int, data: Any) -> _Record:
    if not isinstance(data, dict):
        raise _Bad("expected a JSON object (one document per line)")
    schema = data.get("schema", SCHEMA)
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise _Bad(f"schema must be a positive integer, not {schema!r}")
    if schema > SCHEMA:
        raise _Bad(f"schema {schema} is newer than this corpus-tui reads ({SCHEMA}); upgrade corpus-tui")
    path = _optional_str(data, "path")
    where = f"{path}: " if path else ""
    status = _optional_str(data, "status")
    if status is not None and status not in STATUSES:
        raise _Bad(f"{where}unknown status {status!r} (one of: {', '.join(STATUSES)})")
    tags = _tags(data, where)
    spans = [_span(item, "annotation", where) for item in _list(data, "spans", where)]
    boilerplate = [_span(item, "boilerplate", where) for item in _list(data, "boilerplate", where)]
    return _Record(number, path, _optional_str(data, "sha256"), status, _optional_str(data, "note"),
                   tags, spans, boilerplate)


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise _Bad(f"{key} must be a string, not {type(value).__name__}")
    return value


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise _Bad(f"{where}{key} must be a list")
    return value


def _tags(data: dict[str, Any], where: str) -> list[tuple[str, str | None, str | None]]:
    links: dict[str, tuple[str | None, str | None]] = {}
    for link in _list(data, "tag_links", where):
        if not isinstance(link, dict) or not isinstance(link.get("tag"), str):
            raise _Bad(f"{where}tag_links entries need a tag name")
        links[tag_key(link["tag"])] = (_text_or_none(link, "annotator", where), _text_or_none(link, "created", where))
    tags = []
    for name in _list(data, "tags", where):
        if not isinstance(name, str) or not name.strip():
            raise _Bad(f"{where}tags must be non-empty strings")
        clean = clean_tag_name(name)
        annotator, created = links.get(tag_key(clean), (None, None))
        tags.append((clean, annotator, created))
    return tags


def _text_or_none(item: dict[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise _Bad(f"{where}{key} must be a string")
    return value


def _span(item: Any, kind: str, where: str) -> dict[str, Any]:
    name = "span" if kind == "annotation" else "boilerplate range"
    if not isinstance(item, dict):
        raise _Bad(f"{where}each {name} must be an object")
    start, end = item.get("start"), item.get("end")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise _Bad(f"{where}{name} needs integer start and end")
    span = {
        "kind": kind, "start": start, "end": end, "label": None, "note": None, "reason": None,
        "text": _text_or_none(item, "text", where),
        "annotator": _text_or_none(item, "annotator", where),
        "created": _text_or_none(item, "created", where),
    }
    if kind == "annotation":
        label = item.get("label")
        if not isinstance(label, str) or not label.strip():
            raise _Bad(f"{where}span [{start}, {end}) needs a label")
        span["label"] = label.strip()
        span["note"] = _text_or_none(item, "note", where) or None
    else:
        span["reason"] = _text_or_none(item, "reason", where) or None
    return span


# -- matching and planning ------------------------------------------------------------------


@dataclass
class _Plan:
    """Everything an import will write."""

    new_tags: dict[str, str] = field(default_factory=dict)  # key -> name, tags to create
    links: list[tuple[int, str, str, str]] = field(default_factory=list)  # (document, tag key, annotator, created)
    span_rows: list[dict[str, Any]] = field(default_factory=list)
    deleted_spans: list[int] = field(default_factory=list)
    updates: list[tuple[str, str, int]] = field(default_factory=list)  # (column, value, document)


def import_annotations(
    corpus: Corpus,
    source: str | Path | IO[bytes],
    match: str = "path",
    prefer: str | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Import a native ``jsonl`` export into ``corpus`` (see the module docstring).

    ``source`` is a path, ``"-"`` for stdin, or a binary stream.
    """
    if match not in MATCHES:
        raise InvalidValue(f"unknown match {match!r} (one of: {', '.join(MATCHES)})")
    if prefer is not None and prefer not in PREFERENCES:
        raise InvalidValue(f"unknown preference {prefer!r} (one of: {', '.join(PREFERENCES)})")
    with _open(source) as (name, handle):
        problems = _Problems(name)
        records = list(_read(handle, problems))
    summary = ImportSummary(name, dry_run=dry_run, records=len(records))
    with _transaction(corpus, dry_run):
        plan = _plan(corpus, records, match, prefer, problems, summary)
        if problems.items:
            raise InvalidImport(problems.items)
        if not dry_run and summary.documents_changed:
            _apply(corpus, plan)
            corpus.log_event("import.annotations", None, {
                "source": name, "match": match, "prefer": prefer,
                **{key: value for key, value in summary.as_dict().items()
                   if key not in ("source", "dry_run", "conflicts", "changes")},
                "conflicts": len(summary.conflicts),
            })
    return summary


@contextmanager
def _open(source: str | Path | IO[bytes]) -> Iterator[tuple[str, IO[bytes]]]:
    if not isinstance(source, (str, Path)):
        yield getattr(source, "name", "<stream>"), source
        return
    if str(source) == "-":
        if sys.stdin is None:  # started with stdin closed (`<&-`)
            raise InvalidValue("<stdin>: no standard input (it is closed); give a file")
        yield "<stdin>", sys.stdin.buffer
        return
    path = Path(source)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below, after the errors opening it
    except FileNotFoundError:
        raise InvalidValue(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidValue(f"{path}: is a folder, not a jsonl file") from None
    except OSError as error:
        raise InvalidValue(f"{path}: cannot read: {os_reason(error)}") from None
    with handle:
        yield str(path), handle


@contextmanager
def _transaction(corpus: Corpus, dry_run: bool) -> Iterator[None]:
    """The write transaction, or for a dry run a read snapshot that is rolled back."""
    if not dry_run:
        with corpus.write():
            yield
        return
    conn = corpus.db.conn
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for first in range(0, len(items), CHUNK):
        yield items[first : first + CHUNK]


def _targets(corpus: Corpus, records: list[_Record], match: str, problems: _Problems) -> dict[int, dict[str, Any]]:
    """Record line -> the document row it goes to."""
    column = "path" if match == "path" else "sha256"
    keys = sorted({getattr(r, column) for r in records if getattr(r, column)})
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for part in _chunks(keys):
        rows = corpus.query(
            f"SELECT id, path, state, sha256, status, note FROM documents WHERE {column} IN "
            f"({', '.join('?' for _ in part)}) ORDER BY path",
            part,
        )
        for row in rows:
            found[row[column]].append(row)
    targets: dict[int, dict[str, Any]] = {}
    claimed: dict[int, int] = {}
    for record in records:
        key = getattr(record, column)
        label = record.path or record.sha256 or "?"
        if not key:
            problems.add(record.line, f"{label}: no {column} to match a document by")
            continue
        candidates = found.get(key, [])
        if len(candidates) > 1:
            same_path = [row for row in candidates if row["path"] == record.path]
            if len(same_path) != 1:
                paths = ", ".join(row["path"] for row in candidates[:3])
                problems.add(record.line, f"{label}: {len(candidates)} documents have this content ({paths}); "
                             "use --match path")
                continue
            candidates = same_path
        if not candidates:
            what = "not a document of this corpus" if match == "path" else "no document of this corpus has this content"
            problems.add(record.line, f"{label}: {what}")
            continue
        row = candidates[0]
        if row["id"] in claimed:
            problems.add(record.line, f"{row['path']}: also imported by line {claimed[row['id']]}")
            continue
        claimed[row["id"]] = record.line
        if match == "path" and record.sha256 and row["sha256"] and record.sha256 != row["sha256"]:
            problems.add(record.line, f"{row['path']}: the file's content differs from the exported one "
                         "(sha256 mismatch); its spans cannot be placed safely")
            continue
        targets[record.line] = row
    return targets


def _plan(
    corpus: Corpus, records: list[_Record], match: str, prefer: str | None,
    problems: _Problems, summary: ImportSummary,
) -> _Plan:
    plan = _Plan()
    targets = _targets(corpus, records, match, problems)
    ids = sorted(row["id"] for row in targets.values())
    tag_keys: dict[int, set[str]] = defaultdict(set)
    live: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for part in _chunks(ids):
        marks = ", ".join("?" for _ in part)
        for row in corpus.query(
            f"SELECT dt.document_id, t.key FROM document_tags dt JOIN tags t ON t.id = dt.tag_id "
            f"WHERE dt.document_id IN ({marks})", part,
        ):
            tag_keys[row["document_id"]].add(row["key"])
        for row in corpus.query(
            f"SELECT * FROM spans WHERE document_id IN ({marks}) AND anchor != 'stale' ORDER BY start, \"end\", id",
            part,
        ):
            live[row["document_id"]].append(row)
    vocabulary = {row["key"]: row["name"] for row in corpus.query("SELECT key, name FROM tags")}
    stamp = now()
    for record in records:
        doc = targets.get(record.line)
        if doc is None:
            continue
        text = corpus.text(doc["id"]) if (record.spans or record.boilerplate) else ""
        if not _check_spans(record, doc, text, problems):
            continue
        changes: list[str] = []
        for name, annotator, created in record.tags:
            key = tag_key(name)
            if key in tag_keys[doc["id"]]:
                continue
            tag_keys[doc["id"]].add(key)
            if key not in vocabulary:
                vocabulary[key] = plan.new_tags[key] = name
            plan.links.append((doc["id"], key, annotator or corpus.annotator, created or stamp))
            summary.tags_added += 1
            changes.append(f"+tag {vocabulary[key]}")
        added = _plan_annotations(corpus, plan, doc["id"], text, record.spans, live[doc["id"]], stamp)
        summary.spans_added += added
        if added:
            changes.append(f"+{added} spans")
        changed = _plan_boilerplate(corpus, plan, doc, text, record.boilerplate, live[doc["id"]], prefer, summary, stamp)
        summary.boilerplate_changed += changed
        if changed:
            changes.append(f"{changed} boilerplate ranges")
        for column, unset in (("status", "new"), ("note", "")):
            ours, theirs = doc[column], getattr(record, column)
            if theirs is None or theirs == unset or theirs == ours:
                continue
            if ours != unset:
                kept = "theirs" if prefer == "theirs" else "ours"
                summary.conflicts.append(Conflict(doc["path"], column, ours, theirs, kept))
                if kept == "ours":
                    continue
            plan.updates.append((column, theirs, doc["id"]))
            setattr(summary, "statuses_set" if column == "status" else "notes_set",
                    getattr(summary, "statuses_set" if column == "status" else "notes_set") + 1)
            changes.append(f"status {ours} -> {theirs}" if column == "status" else "note set")
        if changes:
            summary.documents_changed += 1
            summary.changes.append(f"{doc['path']}: {', '.join(changes)}")
    return plan


def _check_spans(record: _Record, doc: dict[str, Any], text: str, problems: _Problems) -> bool:
    ok = True
    if (record.spans or record.boilerplate) and doc["state"] == "unreadable":
        problems.add(record.line, f"{doc['path']}: unreadable documents cannot be annotated")
        return False
    for span in record.spans + record.boilerplate:
        start, end = span["start"], span["end"]
        if not 0 <= start < end <= len(text):
            problems.add(record.line, f"{doc['path']}: span [{start}, {end}) is outside the text (0-{len(text)})")
            ok = False
        elif span["text"] is not None and text[start:end] != span["text"]:
            problems.add(record.line, f"{doc['path']}: span [{start}, {end}) text does not match the document "
                         f"(file {_short(span['text'])}, document {_short(text[start:end])})")
            ok = False
    return ok


def _span_row(corpus: Corpus, doc_id: int, text: str, span: dict[str, Any], stamp: str) -> dict[str, Any]:
    anchor = anchor_for(text, span["start"], span["end"])
    return {
        "id": None, "document_id": doc_id, "kind": span["kind"], "start": span["start"], "end": span["end"],
        "label": span["label"], "note": span["note"], "reason": span["reason"],
        "quote": anchor.quote, "prefix": anchor.prefix, "suffix": anchor.suffix, "anchor": "ok",
        "annotator": span["annotator"] or corpus.annotator, "created_at": span["created"] or stamp,
    }


def _plan_annotations(
    corpus: Corpus, plan: _Plan, doc_id: int, text: str, spans: list[dict[str, Any]],
    live: list[dict[str, Any]], stamp: str,
) -> int:
    """Annotations are a set on (start, end, label, note): add what is not there yet."""
    existing = {(r["start"], r["end"], r["label"], r["note"]) for r in live if r["kind"] == "annotation"}
    added = 0
    for span in spans:
        if (span["start"], span["end"], span["label"], span["note"]) in existing:
            continue
        plan.span_rows.append(_span_row(corpus, doc_id, text, span, stamp))
        added += 1
    return added


def _plan_boilerplate(
    corpus: Corpus, plan: _Plan, doc: dict[str, Any], text: str, incoming: list[dict[str, Any]],
    live: list[dict[str, Any]], prefer: str | None, summary: ImportSummary, stamp: str,
) -> int:
    """Union the file's ranges into the document's merged boilerplate; returns ranges written."""
    if not incoming:
        return 0
    ours = [dict(r, created=r["created_at"], ours=True) for r in live if r["kind"] == "boilerplate"]
    theirs = [dict(s, created=s["created"] or stamp, annotator=s["annotator"] or corpus.annotator, ours=False)
              for s in incoming]
    pieces = sorted(ours + theirs, key=lambda p: (p["start"], p["end"]))
    groups: list[list[dict[str, Any]]] = []
    end = -1
    for piece in pieces:
        if groups and piece["start"] <= end:  # overlapping or touching: one range
            groups[-1].append(piece)
            end = max(end, piece["end"])
        else:
            groups.append([piece])
            end = piece["end"]
    written = 0
    for group in groups:
        mine = [p for p in group if p["ours"]]
        start, stop = min(p["start"] for p in group), max(p["end"] for p in group)
        if len(mine) == 1 and (mine[0]["start"], mine[0]["end"]) == (start, stop):
            reason = _merged_reason(doc["path"], mine[0], [p for p in group if not p["ours"]], prefer, summary)
            if reason == mine[0]["reason"]:
                continue  # already marked so
            row = {key: mine[0][key] for key in mine[0] if key not in ("created", "ours")} | {"id": None, "reason": reason}
        else:
            first = min(group, key=lambda p: (p["created"], p["start"]))
            reasons = [p["reason"] for p in (mine + [p for p in group if not p["ours"]]) if p["reason"]]
            if prefer == "theirs":
                reasons = [p["reason"] for p in group if not p["ours"] and p["reason"]] + reasons
            span = {"kind": "boilerplate", "start": start, "end": stop, "label": None, "note": None,
                    "reason": reasons[0] if reasons else None,
                    "annotator": first["annotator"], "created": first["created"]}
            row = _span_row(corpus, doc["id"], text, span, stamp)
        plan.deleted_spans += [p["id"] for p in mine]
        plan.span_rows.append(row)
        written += 1
    return written


def _merged_reason(
    path: str, mine: dict[str, Any], theirs: list[dict[str, Any]], prefer: str | None, summary: ImportSummary,
) -> str | None:
    """The reason of a range both sides marked: conflicts follow the note rules."""
    exact = [p["reason"] for p in theirs if (p["start"], p["end"]) == (mine["start"], mine["end"]) and p["reason"]]
    if not exact or exact[0] == mine["reason"]:
        return mine["reason"]
    if mine["reason"] is None:
        return exact[0]
    kept = "theirs" if prefer == "theirs" else "ours"
    summary.conflicts.append(Conflict(path, f"boilerplate [{mine['start']}, {mine['end']}) reason",
                                      mine["reason"], exact[0], kept))
    return exact[0] if kept == "theirs" else mine["reason"]


# -- writing ------------------------------------------------------------------------------


def _apply(corpus: Corpus, plan: _Plan) -> None:
    """Inside the write transaction."""
    db = corpus.db
    stamp = now()
    for key, name in plan.new_tags.items():
        db.execute(
            "INSERT INTO tags (name, key, color, description, hotkey, annotator, created_at) "
            "VALUES (?, ?, NULL, '', NULL, ?, ?)",
            [name, key, corpus.annotator, stamp],
        )
    tag_ids = {row["key"]: row["id"] for row in corpus.query("SELECT id, key FROM tags")}
    db.conn.executemany(
        "INSERT OR IGNORE INTO document_tags (document_id, tag_id, annotator, created_at) VALUES (?, ?, ?, ?)",
        [(doc_id, tag_ids[key], annotator, created) for doc_id, key, annotator, created in plan.links],
    )
    for part in _chunks(plan.deleted_spans):
        db.execute(f"DELETE FROM spans WHERE id IN ({', '.join('?' for _ in part)})", part)
    corpus.insert_span_rows(plan.span_rows)
    for column, value, doc_id in plan.updates:
        db.execute(f"UPDATE documents SET {column} = ? WHERE id = ?", [value, doc_id])


def _short(value: str | None, limit: int = 40) -> str:
    if value is None:
        return "none"
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return json.dumps(shown, ensure_ascii=False)
