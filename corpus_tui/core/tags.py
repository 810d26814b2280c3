"""Tag vocabulary and document tags.

Names are trimmed and match case-insensitively (``str.casefold``); the first
spelling is kept. A tag may carry a colour, a description and a hotkey 1-9.
"""

from __future__ import annotations

from typing import Any

from .base import CorpusBase
from .errors import InvalidValue
from .models import Tag
from .store import now


def tag_key(name: str) -> str:
    return name.strip().casefold()


def clean_tag_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InvalidValue("a tag name cannot be empty")
    return cleaned


class TagsMixin(CorpusBase):
    def tags(self) -> list[Tag]:
        """The vocabulary with the number of documents carrying each tag."""
        rows = self.query(
            "SELECT tags.*, COUNT(document_tags.document_id) AS count FROM tags "
            "LEFT JOIN document_tags ON document_tags.tag_id = tags.id "
            "GROUP BY tags.id ORDER BY tags.key"
        )
        return [_tag(row) for row in rows]

    def find_tag(self, name: str) -> Tag | None:
        rows = self.query("SELECT *, 0 AS count FROM tags WHERE key = ?", [tag_key(clean_tag_name(name))])
        return _tag(rows[0]) if rows else None

    def document_tags(self, document_id: int) -> list[Tag]:
        rows = self.query(
            "SELECT tags.*, 0 AS count FROM document_tags JOIN tags ON tags.id = document_tags.tag_id "
            "WHERE document_tags.document_id = ? ORDER BY tags.key",
            [document_id],
        )
        return [_tag(row) for row in rows]

    def create_tag(self, name: str, color: str | None = None, description: str = "", hotkey: int | None = None) -> Tag:
        _check_hotkey(hotkey)
        with self.write():
            if hotkey is not None:
                holder = self.tag_for_hotkey(hotkey)
                if holder is not None:
                    raise InvalidValue(f"hotkey {hotkey} is already used by tag {holder.name!r}")
            return self._ensure_tag(name, color=color, description=description, hotkey=hotkey)

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
        rows = self.query("SELECT *, 0 AS count FROM tags WHERE hotkey = ?", [hotkey])
        return _tag(rows[0]) if rows else None

    def add_tag(self, document_id: int, name: str, create: bool = True) -> bool:
        """Tag a document; False when it already had the tag."""
        with self.write():
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

    def remove_tag(self, document_id: int, name: str) -> bool:
        """Untag a document; False when it did not have the tag."""
        with self.write():
            tag = self._existing_tag(name)
            link = self.query(
                "SELECT annotator, created_at FROM document_tags WHERE document_id = ? AND tag_id = ?",
                [document_id, tag.id],
            )
            if not link:
                return False
            self.db.execute("DELETE FROM document_tags WHERE document_id = ? AND tag_id = ?", [document_id, tag.id])
            self.log_event("tag.remove", document_id, {"tag_id": tag.id, "tag": tag.name, "link": link[0]})
        return True

    def toggle_tag(self, document_id: int, name: str) -> bool:
        """Add the tag, or remove it when present. True when the document now has it."""
        tag = self.find_tag(name)
        if tag is not None and any(t.id == tag.id for t in self.document_tags(document_id)):
            self.remove_tag(document_id, name)
            return False
        self.add_tag(document_id, name)
        return True

    # -- inside a write transaction --------------------------------------------------

    def _existing_tag(self, name: str) -> Tag:
        tag = self.find_tag(name)
        if tag is None:
            raise InvalidValue(f"unknown tag {clean_tag_name(name)!r}")
        return tag

    def _ensure_tag(self, name: str, **fields: Any) -> Tag:
        name = clean_tag_name(name)
        existing = self.find_tag(name)
        if existing is not None:
            return existing
        self.db.execute(
            "INSERT INTO tags (name, key, color, description, hotkey, annotator, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, tag_key(name), fields.get("color"), fields.get("description") or "", fields.get("hotkey"),
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
