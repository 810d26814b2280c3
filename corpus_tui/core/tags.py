"""Tag vocabulary and document tags.

Names are trimmed (inner runs of whitespace become one space) and match
case-insensitively (``str.casefold``); the first spelling is kept. A tag may
carry a colour, a description and a hotkey 1-9 (the app's number keys).
Renaming and merging keep every link; tag imports live in ``tag_import``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from types import EllipsisType
from typing import IO, TYPE_CHECKING, Any

from .arguments import strings, whole_number, whole_numbers
from .base import CorpusBase
from .errors import ChangedElsewhere, InvalidValue
from .models import Tag
from .safe_text import control_character_problem, quoted, tag_name_problem
from .store import now

if TYPE_CHECKING:
    from .tag_import import ImportRecord, ImportResult

_COLOR = re.compile(r"^(#[0-9a-f]{3}|#[0-9a-f]{6}|[a-z][a-z0-9_]*)$")


def tag_key(name: str) -> str:
    return name.strip().casefold()


def clean_tag_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InvalidValue("a tag name cannot be empty")
    return cleaned


def closest_tags(name: str, names: Iterable[str], limit: int = 3) -> list[str]:
    """The existing names most like ``name`` (for "unknown tag" messages)."""
    by_key = {tag_key(existing): existing for existing in names}
    matches = difflib.get_close_matches(tag_key(" ".join(name.split())), list(by_key), n=limit, cutoff=0.6)
    return [by_key[key] for key in matches]


def check_color(color: str | None) -> str | None:
    """``#rgb`` (stored as ``#rrggbb``, which the app can draw), ``#rrggbb`` or a terminal colour's
    name (``red``, ``dark_cyan``, ``bright_red``), lower-cased; None clears."""
    if color is None or not color.strip():
        return None
    cleaned = color.strip().lower()
    if not _COLOR.match(cleaned):
        raise InvalidValue(f"colour must be #rgb, #rrggbb or a colour name, not {quoted(color)}")
    if cleaned.startswith("#") and len(cleaned) == 4:
        cleaned = "#" + "".join(digit * 2 for digit in cleaned[1:])
    if not cleaned.startswith("#"):
        # The names the app draws tags with (Rich's: the 256 terminal colours'); any other word
        # was stored and then drawn in the default colour, silently.
        from rich.color import ANSI_COLOR_NAMES

        if cleaned not in ANSI_COLOR_NAMES:
            close = difflib.get_close_matches(cleaned, ANSI_COLOR_NAMES, 3)
            hint = f" (closest: {', '.join(close)})" if close else " (see 'corpus-tui tags set --help')"
            raise InvalidValue(f"{quoted(color)} is not a colour name{hint}")
    return cleaned


class TagsMixin(CorpusBase):
    def tags(self) -> list[Tag]:
        """The vocabulary with the number of documents carrying each tag."""
        rows = self.query(
            # A count per tag from the covering index on tag_id: 10x faster than a join
            # grouped by tag, which reads every row (90,000 links: 8 ms against 80).
            "SELECT tags.*, (SELECT COUNT(*) FROM document_tags WHERE document_tags.tag_id = tags.id) AS count "
            "FROM tags ORDER BY tags.key"
        )
        return [_tag(row) for row in rows]

    def tag_colors(self) -> dict[str, str]:
        """The colour of every tag that has one, by name: what a list of documents styles its
        tags with (no counts, so it costs nothing however many documents are tagged)."""
        return {row["name"]: row["color"] for row in self.query("SELECT name, color FROM tags WHERE color IS NOT NULL")}

    @strings("name")
    def tag(self, name: str) -> Tag:
        """The tag called ``name`` (any case) with its document count; InvalidValue names the closest when unknown."""
        return self._tag_with_count(self._existing_tag(name).id)

    @strings("name")
    def find_tag(self, name: str) -> Tag | None:
        """The tag of this name in any case (trimmed), or None."""
        rows = self.query("SELECT *, 0 AS count FROM tags WHERE key = ?", [tag_key(clean_tag_name(name))])
        return _tag(rows[0]) if rows else None

    @whole_numbers("document_id")
    def document_tags(self, document_id: int) -> list[Tag]:
        """The document's tags, by name."""
        rows = self.query(
            "SELECT tags.*, 0 AS count FROM document_tags JOIN tags ON tags.id = document_tags.tag_id "
            "WHERE document_tags.document_id = ? ORDER BY tags.key",
            [document_id],
        )
        return [_tag(row) for row in rows]

    @strings("name", "color", "description", nullable=("description",))
    @whole_numbers("hotkey")
    def create_tag(self, name: str, color: str | None = None, description: str = "", hotkey: int | None = None) -> Tag:
        """Add a tag to the vocabulary (``color``: a name or ``#rrggbb``; ``hotkey``: 1-9, free).
        A tag of this name (in any case) is returned as it is: ``update_tag`` changes one."""
        _check_hotkey(hotkey)
        color = check_color(color)
        with self.write():
            if hotkey is not None:
                holder = self.tag_for_hotkey(hotkey)
                if holder is not None:
                    raise InvalidValue(f"hotkey {hotkey} is already used by tag {quoted(holder.name)}")
            return self._ensure_tag(name, color=color, description=description, hotkey=hotkey)

    @strings("name")
    @whole_numbers("hotkey", nullable=("hotkey",))
    def set_tag_hotkey(self, name: str, hotkey: int | None) -> Tag:
        """Give a tag a hotkey 1-9 (taking it from any tag that had it); None clears it."""
        _check_hotkey(hotkey)
        with self.write():
            tag = self._ensure_tag(name)
            self.db.execute("UPDATE tags SET hotkey = NULL WHERE hotkey = ?", [hotkey])
            self.db.execute("UPDATE tags SET hotkey = ? WHERE id = ?", [hotkey, tag.id])
            self.log_event("tag.hotkey", None, {"tag": tag.name, "before": tag.hotkey, "after": hotkey})
        found = self.find_tag(name)
        assert found is not None
        return found

    def tag_for_hotkey(self, hotkey: int) -> Tag | None:
        """The tag the app's number key ``hotkey`` toggles, or None."""
        rows = self.query("SELECT *, 0 AS count FROM tags WHERE hotkey = ?", [hotkey])
        return _tag(rows[0]) if rows else None

    @strings("name")
    @whole_numbers("document_id")
    def add_tag(self, document_id: int, name: str, create: bool = True) -> bool:
        """Tag a document; False when it already had the tag."""
        with self.write():
            return self._add_tag(document_id, name, create)

    @strings("name")
    @whole_numbers("document_id")
    def remove_tag(self, document_id: int, name: str) -> bool:
        """Untag a document; False when it did not have the tag."""
        with self.write():
            return self._remove_tag(document_id, name)

    def _add_tag(self, document_id: int, name: str, create: bool = True) -> bool:
        self.document(document_id)
        tag = self._ensure_tag(name) if create else self._existing_tag(name)
        link = {"annotator": self.annotator, "created_at": now()}
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO document_tags (document_id, tag_id, annotator, created_at) VALUES (?, ?, ?, ?)",
            [document_id, tag.id, link["annotator"], link["created_at"]],
        )
        if cursor.rowcount == 0:
            return False
        self.log_event("tag.add", document_id, {"tag_id": tag.id, "tag": tag.name, "link": link})
        return True

    def _remove_tag(self, document_id: int, name: str) -> bool:
        tag = self._existing_tag(name)
        link = self.query(  # import_id too: the link's provenance, should it be restored
            "SELECT annotator, created_at, import_id FROM document_tags WHERE document_id = ? AND tag_id = ?",
            [document_id, tag.id],
        )
        if not link:
            return False
        self.db.execute("DELETE FROM document_tags WHERE document_id = ? AND tag_id = ?", [document_id, tag.id])
        self.log_event("tag.remove", document_id, {"tag_id": tag.id, "tag": tag.name, "link": link[0]})
        return True

    @strings(lists=("names",))
    @whole_numbers("document_id")
    def add_tags(self, document_id: int, names: Iterable[str], create: bool = True) -> list[Tag]:
        """Tag one document with several tags in one transaction; returns the tags it did not have yet.

        With ``create=False`` an unknown name is an error (naming the closest tags) and nothing changes.
        Each new link is one ``tag.add`` event, so the app's undo takes them back one by one.
        """
        cleaned = list(dict.fromkeys(clean_tag_name(name) for name in names))
        added = []
        with self.write():
            self.document(document_id)
            tags = [self._ensure_tag(name) if create else self._existing_tag(name) for name in cleaned]
            for tag in {tag.id: tag for tag in tags}.values():
                link = {"annotator": self.annotator, "created_at": now()}
                cursor = self.db.execute(
                    "INSERT OR IGNORE INTO document_tags (document_id, tag_id, annotator, created_at) "
                    "VALUES (?, ?, ?, ?)", [document_id, tag.id, link["annotator"], link["created_at"]],
                )
                if cursor.rowcount:
                    self.log_event("tag.add", document_id, {"tag_id": tag.id, "tag": tag.name, "link": link})
                    added.append(replace(tag, count=tag.count + 1))  # read before this link was made
        return added

    @strings("name")
    @whole_numbers("document_id")
    def toggle_tag(self, document_id: int, name: str, shown: bool | None = None, shown_id: int | None = None) -> bool:
        """Add the tag, or remove it when present, in one transaction. True when the document now
        has it. ``shown``: whether the screen showed the document with the tag; when another
        process added or removed it since, nothing changes and ``ChangedElsewhere`` says so
        (toggling would have undone their change: the opposite of what was meant). ``shown_id``:
        the tag as the screen showed it in the vocabulary; deleted or renamed since, it is not
        made again (the picker re-created a tag another process had just deleted: a trial)."""
        with self.write():
            tag = self.find_tag(name)
            if shown_id is not None and (tag is None or tag.id != shown_id):
                raise ChangedElsewhere(f"tag {quoted(name)} was deleted or renamed by another process since it was "
                                       "shown: nothing changed; the screen shows it now")
            has = tag is not None and self.db.execute(
                "SELECT 1 FROM document_tags WHERE document_id = ? AND tag_id = ?", [document_id, tag.id]).fetchone() is not None
            if shown is not None and has != shown:
                raise ChangedElsewhere(f"tag {quoted(tag.name if tag else name)} was {'added' if has else 'removed'} by "
                                       "another process since it was shown: nothing changed; the screen shows it now")
            if has:
                self._remove_tag(document_id, name)
                return False
            self._add_tag(document_id, name)
            return True

    # -- the vocabulary -----------------------------------------------------------------

    @strings("name", "color", "description", nullable=("color", "description"))
    def update_tag(
        self,
        name: str,
        *,
        color: str | None | EllipsisType = ...,
        description: str | EllipsisType = ...,
        hotkey: int | None | EllipsisType = ...,
    ) -> Tag:
        """Set a tag's colour, description or hotkey (``...`` leaves one as it is, None clears it).

        A hotkey another tag holds moves to this one, as in the app.
        """
        changes: dict[str, Any] = {}
        if color is not ...:
            changes["color"] = check_color(color)
        if description is not ...:
            changes["description"] = " ".join((description or "").split())
        if hotkey is not ...:
            hotkey = None if hotkey is None else whole_number(hotkey, "hotkey")  # numpy's too, as elsewhere
            _check_hotkey(hotkey)
            changes["hotkey"] = hotkey
        with self.write():
            tag = self._existing_tag(name)
            if changes.get("hotkey") is not None:
                self.db.execute("UPDATE tags SET hotkey = NULL WHERE hotkey = ? AND id != ?", [hotkey, tag.id])
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                self.db.execute(f"UPDATE tags SET {assignments} WHERE id = ?", [*changes.values(), tag.id])
                before = {column: getattr(tag, column) for column in changes}
                self.log_event("tag.update", None, {"tag_id": tag.id, "tag": tag.name, "before": before, "after": changes})
        return self._tag_with_count(tag.id)

    @strings("name", "new_name")
    def rename_tag(self, name: str, new_name: str) -> Tag:
        """Rename a tag (its links stay); a name only another case of the same tag re-spells it."""
        new_name = clean_tag_name(new_name)
        # Another case of the same name (re-spelling a tag made before ";" was refused) is fine.
        same = tag_key(new_name) == tag_key(clean_tag_name(name))
        problem = control_character_problem(new_name, "tag") if same else tag_name_problem(new_name)
        if problem:
            raise InvalidValue(problem)
        with self.write():
            tag = self._existing_tag(name)
            holder = self.find_tag(new_name)
            if holder is not None and holder.id != tag.id:
                raise InvalidValue(f"tag {quoted(holder.name)} already exists; 'corpus-tui tags merge' combines two tags")
            self.db.execute("UPDATE tags SET name = ?, key = ? WHERE id = ?", [new_name, tag_key(new_name), tag.id])
            self.log_event("tag.rename", None, {"tag_id": tag.id, "before": tag.name, "after": new_name})
        return self._tag_with_count(tag.id)

    @strings("target", lists=("sources",))
    def merge_tags(self, sources: Iterable[str], target: str) -> dict[str, Any]:
        """Move every link of ``sources`` to ``target``, then delete the sources.

        A document that had both keeps one link: the target's, or the source's when only that
        one was made by hand (not by an import, whose undo would take it). Links keep their
        annotator, time and import; the target takes a source's colour,
        description and hotkey when it has none of its own.
        """
        with self.write():
            into = self._existing_tag(target)
            merged, moved, already = [], 0, 0
            for source in dict.fromkeys(sources):
                tag = self._existing_tag(source)
                if tag.id == into.id:
                    raise InvalidValue(f"cannot merge tag {quoted(tag.name)} into itself")
                links = self.db.execute("SELECT COUNT(*) FROM document_tags WHERE tag_id = ?", [tag.id]).fetchone()[0]
                count = self.db.execute(
                    "INSERT OR IGNORE INTO document_tags (document_id, tag_id, annotator, created_at, import_id) "
                    "SELECT document_id, ?, annotator, created_at, import_id FROM document_tags WHERE tag_id = ?",
                    [into.id, tag.id],
                ).rowcount
                # A document with both links keeps the target's, unless only the source's was made
                # by hand: undoing the import must not take away a tag someone set by hand.
                self.db.execute(
                    "UPDATE document_tags SET annotator = hand.annotator, created_at = hand.created_at, "
                    "import_id = NULL FROM (SELECT document_id, annotator, created_at FROM document_tags "
                    "WHERE tag_id = ? AND import_id IS NULL) AS hand "
                    "WHERE document_tags.tag_id = ? AND document_tags.document_id = hand.document_id "
                    "AND document_tags.import_id IS NOT NULL", [tag.id, into.id])
                # so that undoing an earlier import restores the link under its new tag
                self.db.execute("UPDATE OR IGNORE import_removed_links SET tag_id = ? WHERE tag_id = ?", [into.id, tag.id])
                self.db.execute("DELETE FROM tags WHERE id = ?", [tag.id])
                self.db.execute(
                    "UPDATE tags SET color = COALESCE(color, ?), hotkey = COALESCE(hotkey, ?), "
                    "description = CASE WHEN description = '' THEN ? ELSE description END WHERE id = ?",
                    [tag.color, tag.hotkey, tag.description, into.id],
                )
                self.log_event("tag.merge", None, {
                    "source_id": tag.id, "source": tag.name, "target_id": into.id, "target": into.name,
                    "links": links, "moved": count, "already": links - count,
                })
                merged.append(tag.name)
                moved += count
                already += links - count
        return {"target": into.name, "merged": merged, "moved": moved, "already": already}

    @strings("name")
    def delete_tag(self, name: str) -> int:
        """Delete a tag and its links; returns how many documents lost it."""
        with self.write():
            tag = self._existing_tag(name)
            links = self.db.execute("SELECT COUNT(*) FROM document_tags WHERE tag_id = ?", [tag.id]).fetchone()[0]
            row = self.query("SELECT * FROM tags WHERE id = ?", [tag.id])[0]
            self.db.execute("DELETE FROM tags WHERE id = ?", [tag.id])
            self.log_event("tag.delete", None, {"tag": row, "links": links})
        return int(links)

    # -- imports (see tag_import) -----------------------------------------------------------

    def import_tags(
        self,
        rows: Iterable[Any],
        mode: str = "add",
        *,
        match: str = "path",
        create_tags: bool = False,
        skip_invalid: bool = False,
        dry_run: bool = False,
        source: str = "rows",
    ) -> ImportResult:
        """Import tags from Python rows, all or nothing, as one recorded (undoable) import.

        A row is a mapping such as ``{"path": "a.txt", "tags": ["war", "syria"]}``
        (``id`` or ``sha256`` may name the document instead; ``tag`` holds one
        tag; ``action`` is ``add`` or ``remove``) or a ``(path, tag)`` pair.
        ``mode``: ``add``, ``replace`` (the rows' tags become each document's
        tags) or ``remove``. Invalid rows raise ``InvalidRows`` (nothing
        applied) unless ``skip_invalid``. Example::

            corpus.import_tags([("a.txt", "war"), {"path": "b.txt", "tags": ["war", "iraq"]}])
        """
        from . import tag_import, tag_jsonl  # deferred: tag_import imports this module

        if isinstance(rows, (str, bytes)):  # its characters were read as rows ("26 invalid rows")
            raise InvalidValue("rows are mappings or (path, tag) pairs, not text: import_tags_file reads a file")
        if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a pandas DataFrame iterates its column names
            raise InvalidValue("rows are mappings or (path, tag) pairs: pass a DataFrame as df.to_dict('records')")
        return tag_import.run_import(
            self, tag_jsonl.python_rows(rows), source=source, mode=mode, match=match,
            create_tags=create_tags, skip_invalid=skip_invalid, dry_run=dry_run,
        )

    def import_tags_file(
        self,
        file: str | Path | IO[bytes],
        mode: str = "add",
        *,
        format: str | None = None,
        name: str | None = None,
        match: str = "path",
        create_tags: bool = False,
        skip_invalid: bool = False,
        dry_run: bool = False,
    ) -> ImportResult:
        """``import_tags`` from a CSV, TSV or JSONL file (a path or a binary stream, e.g. stdin).

        ``format`` defaults to the extension (else a look at the first line);
        ``name`` is how problems and the import record name the file.
        """
        from . import tag_import

        return tag_import.import_file(
            self, file, name=name, fmt=format, mode=mode, match=match,
            create_tags=create_tags, skip_invalid=skip_invalid, dry_run=dry_run,
        )

    @whole_numbers("import_id")
    def undo_import(self, import_id: int) -> dict[str, Any]:
        """Revert one import as a unit: its links go, the links it removed come back."""
        from . import tag_import

        return tag_import.undo_import(self, import_id)

    def imports(self) -> list[ImportRecord]:
        """Every import, newest first."""
        from .tag_import import ImportRecord

        return [ImportRecord.from_row(row) for row in self.query("SELECT * FROM imports ORDER BY id DESC")]

    # -- inside a write transaction --------------------------------------------------

    def _tag_with_count(self, tag_id: int) -> Tag:
        rows = self.query(
            "SELECT tags.*, (SELECT COUNT(*) FROM document_tags WHERE tag_id = tags.id) AS count "
            "FROM tags WHERE id = ?", [tag_id],
        )
        return _tag(rows[0])

    def _existing_tag(self, name: str) -> Tag:
        tag = self.find_tag(name)
        if tag is None:
            names = [row["name"] for row in self.query("SELECT name FROM tags")]
            close = closest_tags(name, names)
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise InvalidValue(f"unknown tag {quoted(clean_tag_name(name))}{hint}")
        return tag

    def _ensure_tag(self, name: str, **fields: Any) -> Tag:
        name = clean_tag_name(name)
        existing = self.find_tag(name)
        if existing is not None:
            return existing
        problem = tag_name_problem(name)
        if problem:
            raise InvalidValue(problem)
        color = check_color(fields.get("color"))
        self.db.execute(
            "INSERT INTO tags (name, key, color, description, hotkey, annotator, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, tag_key(name), color, fields.get("description") or "", fields.get("hotkey"),
             self.annotator, now()],
        )
        self.log_event("tag.create", None, {"tag": name})
        created = self.find_tag(name)
        assert created is not None
        return created


def _check_hotkey(hotkey: int | None) -> None:
    if hotkey is not None and not (isinstance(hotkey, int) and 1 <= hotkey <= 9):
        raise InvalidValue(f"hotkey must be 1-9, not {hotkey}")


def _tag(row: dict[str, Any]) -> Tag:
    return Tag(row["id"], row["name"], row["color"], row["description"], row["hotkey"], row.get("count") or 0)
