"""Matching an import's records to documents, and planning what it writes.

``plan_merge`` checks every record against the corpus (its document known and named
once, the same content when matched by path, each span inside the text and
quoting it) and works out the merge: tags added, spans added as a set,
boilerplate united with what is marked, statuses and notes set unless they
conflict (see ``annotation_import`` for the rules). Nothing is written here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .anchoring import anchor_for
from .annotation_records import Problems, Record
from .duplicates.clusters import makes_a_circle
from .safe_text import quoted
from .store import now
from .tags import tag_key
from .wording import plural
from .spans import span_problem

if TYPE_CHECKING:
    from .corpus import Corpus

CHUNK = 500


@dataclass
class Conflict:
    path: str
    field: str
    ours: str | None
    theirs: str | None
    kept: str  # "ours" | "theirs"

    def line(self) -> str:
        taken = "kept ours" if self.kept == "ours" else "took theirs"
        return f"{self.path}: {self.field} differs: ours {short(self.ours)}, theirs {short(self.theirs)} ({taken})"


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
    duplicates_set: int = 0  # duplicate marks (``duplicate_of``) restored
    conflicts: list[Conflict] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # "PATH: what changes", one per changed document
    warnings: list[str] = field(default_factory=list)  # said, not refused

    def line(self) -> str:
        verb = "would change" if self.dry_run else "changed"
        text = (
            f"{plural(self.records, 'record')} read, {verb} {plural(self.documents_changed, 'document')}: "
            f"{plural(self.spans_added, 'span')} added, {plural(self.boilerplate_changed, 'boilerplate range')}, "
            f"{plural(self.tags_added, 'tag')}, {plural(self.statuses_set, 'status', 'statuses')}, "
            f"{plural(self.notes_set, 'note')}"
        )
        if self.duplicates_set:
            text += f", {plural(self.duplicates_set, 'duplicate mark')}"
        if self.conflicts:
            text += f"; {plural(len(self.conflicts), 'conflict')}"
        return text + ("; dry run, nothing written" if self.dry_run else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    """Everything an import will write."""

    new_tags: dict[str, str] = field(default_factory=dict)  # key -> name, tags to create
    links: list[tuple[int, str, str, str]] = field(default_factory=list)  # (document, tag key, annotator, created)
    span_rows: list[dict[str, Any]] = field(default_factory=list)
    deleted_spans: list[int] = field(default_factory=list)
    updates: list[tuple[str, str, int]] = field(default_factory=list)  # (column, value, document)


def chunks(items: list[Any]) -> Iterator[list[Any]]:
    for first in range(0, len(items), CHUNK):
        yield items[first : first + CHUNK]


def _targets(corpus: Corpus, records: list[Record], match: str, problems: Problems) -> dict[int, dict[str, Any]]:
    """Record line -> the document row it goes to."""
    column = "path" if match == "path" else "sha256"
    keys = sorted({getattr(r, column) for r in records if getattr(r, column)})
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for part in chunks(keys):
        rows = corpus.query(
            f"SELECT id, path, state, sha256, status, note, duplicate_of FROM documents WHERE {column} IN "
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


def plan_merge(
    corpus: Corpus, records: list[Record], match: str, prefer: str | None,
    problems: Problems, summary: ImportSummary,
) -> Plan:
    plan = Plan()
    targets = _targets(corpus, records, match, problems)
    ids = sorted(row["id"] for row in targets.values())
    tag_keys: dict[int, set[str]] = defaultdict(set)
    live: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for part in chunks(ids):
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
    # A duplicate mark names a document by its path where it was exported (``_plan_duplicate_mark``).
    exported = {record.path: targets[record.line] for record in records if record.path and record.line in targets}
    marks = _DuplicateMarks(corpus)
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
                # A backup's tag that an earlier corpus-tui made with ";" is restored as it was (a
                # restore refused was worse), and said: the CSV export writes it as two tags.
                if ";" in name:
                    summary.warnings.append(f"tag {quoted(name)} holds ';', which the csv export and import-tags "
                                            "read as two tags: 'corpus-tui tags rename' gives it another name")
                vocabulary[key] = plan.new_tags[key] = name
            plan.links.append((doc["id"], key, annotator or corpus.annotator, created or stamp))
            summary.tags_added += 1
            changes.append(f"+tag {vocabulary[key]}")
        added = _plan_annotations(corpus, plan, doc["id"], text, record.spans, live[doc["id"]], stamp)
        summary.spans_added += added
        if added:
            changes.append(f"+{plural(added, 'span')}")
        changed = _plan_boilerplate(corpus, plan, doc, text, record.boilerplate, live[doc["id"]], prefer, summary, stamp)
        summary.boilerplate_changed += changed
        if changed:
            changes.append(f"{plural(changed, 'boilerplate range')}")
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
        if record.duplicate_of is not None:
            _plan_duplicate_mark(corpus, plan, record, doc, exported, marks, prefer, problems, summary, changes,
                                 by_path=match == "path")
        if changes:
            summary.documents_changed += 1
            summary.changes.append(f"{doc['path']}: {', '.join(changes)}")
    return plan


class _DuplicateMarks:
    """Every document's duplicate mark (id -> id) as the import would leave it, to refuse a circle."""

    def __init__(self, corpus: Corpus):
        self.of = {row[0]: row[1] for row in corpus.db.execute(
            "SELECT id, duplicate_of FROM documents WHERE duplicate_of IS NOT NULL")}

    def makes_a_circle(self, document_id: int, of: int) -> bool:
        return makes_a_circle(self.of.get, document_id, of)


def _plan_duplicate_mark(corpus: Corpus, plan: Plan, record: Record, doc: dict[str, Any],
                         exported: dict[str, dict[str, Any]], marks: _DuplicateMarks, prefer: str | None,
                         problems: Problems, summary: ImportSummary, changes: list[str], by_path: bool) -> None:
    """The record's ``duplicate_of``, restored as a status is: a mark here is kept unless
    ``--prefer theirs``; a circle of marks (two documents each other's copy) is a problem.
    The mark names a path of the exporting corpus: matched by path, the document of that path
    here; by sha256, the document the file's record of that path went to (a path here may be
    another document: a mark landed on an unrelated file), which must be in the file."""
    path = record.duplicate_of
    assert path is not None
    if by_path:
        target = next(iter(corpus.query("SELECT id, path FROM documents WHERE path = ?", [path])), None)
    else:
        target = exported.get(path)
    if target is None:
        why = ("not a document of this corpus" if by_path else
               "not among this file's documents, which --match sha256 needs to find it (export it too)")
        problems.add(record.line, f"{doc['path']}: duplicate_of {quoted(path)}: {why}")
        return
    ours = doc["duplicate_of"]
    if ours == target["id"]:
        return
    if ours is not None:
        kept = "theirs" if prefer == "theirs" else "ours"
        ours_path = corpus.db.execute("SELECT path FROM documents WHERE id = ?", [ours]).fetchone()[0]
        summary.conflicts.append(Conflict(doc["path"], "duplicate_of", ours_path, target["path"], kept))
        if kept == "ours":
            return
    if marks.makes_a_circle(doc["id"], target["id"]):
        problems.add(record.line, f"{doc['path']}: duplicate_of {quoted(target['path'])}: that document is marked a "
                     "duplicate of this one (or of a copy of it): two documents cannot be each other's copy")
        return
    marks.of[doc["id"]] = target["id"]
    plan.updates.append(("duplicate_of", target["id"], doc["id"]))  # type: ignore[arg-type]
    summary.duplicates_set += 1
    changes.append(f"duplicate of {target['path']}")


def _check_spans(record: Record, doc: dict[str, Any], text: str, problems: Problems) -> bool:
    ok = True
    if (record.spans or record.boilerplate) and doc["state"] == "unreadable":
        problems.add(record.line, f"{doc['path']}: unreadable documents cannot be annotated")
        return False
    for span in record.spans + record.boilerplate:
        start, end = span["start"], span["end"]
        if not 0 <= start < end <= len(text):
            problems.add(record.line, f"{doc['path']}: {span_problem(start, end, len(text))}")
            ok = False
        elif span["text"] is not None and text[start:end] != span["text"]:
            problems.add(record.line, f"{doc['path']}: span [{start}, {end}) text does not match the document "
                         f"(file {short(span['text'])}, document {short(text[start:end])})")
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
    corpus: Corpus, plan: Plan, doc_id: int, text: str, spans: list[dict[str, Any]],
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
    corpus: Corpus, plan: Plan, doc: dict[str, Any], text: str, incoming: list[dict[str, Any]],
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


def short(value: str | None, limit: int = 40) -> str:
    if value is None:
        return "none"
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return json.dumps(shown, ensure_ascii=False)
