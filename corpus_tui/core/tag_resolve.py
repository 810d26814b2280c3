"""Checking tag-import rows (step 2 of ``tag_import``): each row's documents (by path, id,
sha256 or glob) and tags are looked up in one read snapshot, and the valid rows are
spooled (``tag_spool``); problems are counted, the first 50 kept as ``FILE:LINE: reason``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .errors import InvalidValue
from .tag_rows import RawRow
from .safe_text import quoted, tag_name_problem
from .tag_spool import ADD, REMOVE, collapse, create, flush
from .tags import closest_tags, tag_key

if TYPE_CHECKING:
    from .tags import TagsMixin

MAX_PROBLEMS = 50
SPOOL_BATCH = 10_000
_DRIVE = re.compile(r"^[A-Za-z]:([/\\]|$)")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def normalise_path(raw: str) -> str:
    """The stored relative POSIX path a row names; InvalidValue when it leaves the corpus.

    >>> normalise_path("sub\\\\a.txt"), normalise_path("./sub/../b.txt")
    ('sub/a.txt', 'b.txt')
    """
    path = raw.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(raw):
        raise InvalidValue(f"path {quoted(raw)} is absolute; give it relative to the corpus folder")
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if not parts:
                raise InvalidValue(f"path {quoted(raw)} is outside the corpus")
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    if not parts:
        raise InvalidValue(f"path {quoted(raw)} names no file")
    return "/".join(parts)


def _plain(path: str) -> bool:
    """True when ``normalise_path`` would return ``path`` unchanged (the fast, common case)."""
    return not (path[:1] in ("/", ".") or path[1:2] == ":" or "\\" in path or "/." in path or "//" in path)


class Problems:
    """Counts every problem, keeps the first 50 as ``SOURCE:LINE: reason``."""

    def __init__(self, source: str):
        self.source = source
        self.shown: list[str] = []
        self.count = 0

    def add(self, line: int, reason: str | Callable[[], str]) -> None:
        self.count += 1
        if len(self.shown) < MAX_PROBLEMS:  # reasons are built only when shown (closest names cost)
            self.shown.append(f"{self.source}:{line}: {reason() if callable(reason) else reason}")


class Resolver:
    """Looks documents and tags up from one snapshot, with small caches."""

    def __init__(self, corpus: TagsMixin, match: str, create_tags: bool):
        self.db = corpus.db
        self.glob = match == "glob"
        self.create_tags = create_tags
        self._by: dict[str, dict[Any, Any]] = {}
        self._globs: dict[str, tuple[int, ...] | str] = {}
        self.tag_ids = {key: tag_id for tag_id, key in self.db.execute("SELECT id, key FROM tags")}
        self.used_tags: set[int] = set()
        self.new_tags: dict[str, tuple[int, str]] = {}  # key -> (temporary negative id, first spelling)
        self._resolved: dict[str, int] = {}  # name as written -> tag id

    def _table(self, kind: str) -> dict[Any, Any]:
        if kind not in self._by:
            table: dict[Any, Any] = {}
            column = {"path": "path", "id": "id", "sha256": "sha256"}[kind]
            for key, doc_id in self.db.execute(f"SELECT {column}, id FROM documents WHERE {column} IS NOT NULL"):
                table[key] = (doc_id,) if key not in table else table[key] + (doc_id,)  # sha256 may repeat
            self._by[kind] = table
        return self._by[kind]

    def documents(self, kind: str, ref: str) -> tuple[int, ...] | str:
        if not ref:
            return f"empty {kind}" if kind != "path" else "empty path"
        if kind == "path":
            try:
                path = ref if _plain(ref) else normalise_path(ref)
            except InvalidValue as error:
                return str(error)
            if self.glob:
                return self._glob(path)
            return self._table("path").get(path) or f"no document with path {quoted(ref)}"
        if kind == "id":
            if not ref.isdigit():
                return f"id must be a whole number, not {quoted(ref)}"
            return self._table("id").get(int(ref)) or f"no document with id {ref}"
        digest = ref.lower()
        if not _SHA256.match(digest):
            return f"sha256 must be 64 hex digits, not {quoted(ref)}"
        return self._table("sha256").get(digest) or f"no document with sha256 {digest}"

    def _glob(self, pattern: str) -> tuple[int, ...] | str:
        if pattern not in self._globs:
            from fnmatch import fnmatchcase

            if len(self._globs) > 1000:
                self._globs.clear()
            found = tuple(doc for path, (doc,) in self._table("path").items() if fnmatchcase(path, pattern))
            self._globs[pattern] = found or f"pattern {quoted(pattern)} matches no document"
        return self._globs[pattern]

    def tag(self, name: str, adding: bool) -> int | None | Callable[[], str] | str:
        """The tag id (negative for a tag this import creates); None: skip (removing an unknown tag)."""
        tag_id = self._resolved.get(name)
        return tag_id if tag_id is not None else self._resolve_tag(name, adding)

    def _resolve_tag(self, name: str, adding: bool) -> int | None | Callable[[], str] | str:
        cleaned = " ".join(name.split())
        if not cleaned:
            return "empty tag"
        key = tag_key(cleaned)
        tag_id = self.tag_ids.get(key)
        if tag_id is not None:
            self.used_tags.add(tag_id)
        elif key in self.new_tags:
            tag_id = self.new_tags[key][0]
        elif problem := tag_name_problem(cleaned):
            return problem  # before "unknown": --create-tags would not make it either
        elif not self.create_tags:
            return lambda: _unknown(name, list(self.tag_names()))
        elif not adding:
            return None  # removing a tag nobody has: nothing to do, nothing to create
        else:
            tag_id = -1 - len(self.new_tags)
            self.new_tags[key] = (tag_id, cleaned)
        if len(self._resolved) > 100_000:  # a file of endless distinct names must not grow memory
            self._resolved.clear()
        self._resolved[name] = tag_id
        return tag_id

    def tag_names(self) -> Iterator[str]:
        for (name,) in self.db.execute("SELECT name FROM tags"):
            yield name


def _unknown(name: str, names: list[str]) -> str:
    close = closest_tags(name, names)
    hint = f" (closest: {', '.join(close)})" if close else ""
    return f"unknown tag {quoted(' '.join(name.split()))}{hint}; --create-tags adds new tags"


def spool(db: Any, rows: Iterable[RawRow], resolver: Resolver, problems: Problems, mode: str) -> int:
    """Validate every row, spooling the valid ones into TEMP tables; the number of valid rows.

    A row that makes the rest of the file unreadable raises ``_Fatal``.

    The hot loop of an import (once per row of the file): keep it lean.
    """
    create(db)
    pairs: list[tuple[int, int, int]] = []
    docs: list[tuple[int]] = []
    valid = 0
    replace = mode == "replace"
    default = REMOVE if mode == "remove" else ADD
    documents, tag = resolver.documents, resolver.tag
    for line, kind, ref, names, raw_action, problem in rows:
        if problem is not None:
            problems.add(line, problem)
            continue
        action = default if raw_action is None else _action(raw_action, mode)
        if isinstance(action, str):
            problems.add(line, action)
            continue
        found = documents(kind, ref)
        if isinstance(found, str):
            problems.add(line, found)
            continue
        resolved = [tag(name, action == ADD) for name in names]
        bad = [t for t in resolved if t is not None and not isinstance(t, int)]
        if bad:
            problems.add(line, bad[0])
            continue
        tag_ids = [t for t in resolved if isinstance(t, int)]
        valid += 1
        for doc_id in found:
            pairs.extend((doc_id, tag_id, action) for tag_id in tag_ids)
            if replace:
                docs.append((doc_id,))
        if len(pairs) >= SPOOL_BATCH or len(docs) >= SPOOL_BATCH:
            flush(db, pairs, docs)
    flush(db, pairs, docs)
    collapse(db, resolver.new_tags.values())
    return valid


def _action(raw: str, mode: str) -> int | str:
    if raw not in ("add", "remove"):
        return f"action must be 'add' or 'remove', not {quoted(raw)}"
    if raw == "remove" and mode == "replace":
        return "action 'remove' cannot be used with --mode replace"
    return ADD if raw == "add" else REMOVE
