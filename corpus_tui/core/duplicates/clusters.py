"""Clusters of near-duplicates, and which document of each one an export keeps.

Two documents are in one cluster when a chain of pairs joins them: pairs whose
containment reaches the threshold, and the analyst's marks (``documents.duplicate_of``),
which count whatever the figures say. Missing and unreadable documents are in none.

The document a cluster keeps (``export --dedup``): the one the analyst marked kept (a
document others are marked duplicates of, not itself marked a duplicate), else a
reviewed one, else one holding the analyst's work (an annotation span that is not stale,
a tag or a note: an export must not drop it for a longer copy nobody read), else the
longest body, else the first path. Never one marked a duplicate when another is left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .pairs import DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Member:
    id: int
    path: str
    status: str
    body_chars: int
    duplicate_of: int | None
    annotated: bool = False  # an annotation span that is not stale, a tag or a note


@dataclass(frozen=True)
class Cluster:
    number: int  # 1, 2, ... in the order of the clusters' first paths
    members: tuple[Member, ...]  # the kept document first, then by path
    keep: Member

    @property
    def paths(self) -> list[str]:
        return [member.path for member in self.members]


class UnionFind:
    """Disjoint sets of integers; each set's root is its smallest member."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        parent = self.parent.setdefault(item, item)
        while parent != self.parent[parent]:
            self.parent[parent] = self.parent[self.parent[parent]]
            parent = self.parent[parent]
        self.parent[item] = parent
        return parent

    def join(self, first: int, second: int) -> None:
        root_first, root_second = self.find(first), self.find(second)
        if root_first != root_second:
            self.parent[max(root_first, root_second)] = min(root_first, root_second)

    def groups(self) -> list[list[int]]:
        found: dict[int, list[int]] = {}
        for item in self.parent:
            found.setdefault(self.find(item), []).append(item)
        return list(found.values())


def links(db: Any, threshold: float) -> list[tuple[int, int]]:
    """Pairs at ``threshold`` and the analyst's marks, between readable documents."""
    found = db.execute(
        "SELECT n.a, n.b FROM near_duplicates n JOIN documents x ON x.id = n.a JOIN documents y ON y.id = n.b "
        "WHERE n.containment >= ? AND x.state = 'ok' AND y.state = 'ok'", [threshold],
    ).fetchall()
    found += db.execute(
        "SELECT d.id, d.duplicate_of FROM documents d JOIN documents o ON o.id = d.duplicate_of "
        "WHERE d.state = 'ok' AND o.state = 'ok'"
    ).fetchall()
    return [(a, b) for a, b in found]


def clusters(db: Any, threshold: float = DEFAULT_THRESHOLD) -> list[Cluster]:
    joined = UnionFind()
    for a, b in links(db, threshold):
        joined.join(a, b)
    groups = joined.groups()
    members = _members(db, [item for group in groups for item in group])
    built = []
    for group in groups:
        people = sorted((members[item] for item in group), key=lambda m: m.path)
        keep = keeper(people)
        built.append((people[0].path, keep, people))
    built.sort(key=lambda entry: entry[0])
    return [
        Cluster(number, (keep, *[m for m in people if m.id != keep.id]), keep)
        for number, (_, keep, people) in enumerate(built, 1)
    ]


def keeper(members: list[Member]) -> Member:
    """The document a cluster keeps (module docstring); ``members`` sorted by path."""
    marked = {m.duplicate_of for m in members if m.duplicate_of is not None}
    candidates = [m for m in members if m.duplicate_of is None] or members
    # -position: an earlier path wins a tie
    return max(enumerate(candidates),
               key=lambda item: (item[1].id in marked, item[1].status == "reviewed", item[1].annotated,
                                 item[1].body_chars, -item[0]))[1]


def left_out(cluster_list: list[Cluster], selected: set[int],
             pairs: Iterable[tuple[int, int]] | None = None) -> list[int]:
    """The documents ``export --dedup`` leaves out of a selection (``dedup_decisions``)."""
    return list(dedup_decisions(cluster_list, selected, pairs))


def dedup_decisions(cluster_list: list[Cluster], selected: set[int],
                    pairs: Iterable[tuple[int, int]] | None = None) -> dict[int, int]:
    """Each document ``export --dedup`` leaves out of a selection -> the one it is left out for.

    In each cluster, the selected members are taken in ``keeper``'s order (the one it picks
    first): one not decided yet is kept, and the undecided members linked to it (``pairs``,
    ``links``: a pair at the threshold or a duplicate mark) are left out for it; a member marked a
    duplicate of one decided already goes with it. So every document left out is a near-duplicate
    of one exported, or marked a duplicate (a chain of marks: of one left out); a chain of pairs
    (A like B, B like C) joins documents that are not alike, and C is no copy of A. One pass,
    whatever the cluster's shape. Without ``pairs``, every selected member but the kept one."""
    near: dict[int, set[int]] = {}
    for a, b in pairs or ():
        near.setdefault(a, set()).add(b)
        near.setdefault(b, set()).add(a)
    out: dict[int, int] = {}
    for cluster in cluster_list:
        chosen = sorted((m for m in cluster.members if m.id in selected), key=lambda m: m.path)
        if len(chosen) < 2:
            continue
        if pairs is None:
            keep = keeper(chosen)
            out.update((m.id, keep.id) for m in chosen if m.id != keep.id)
            continue
        marked = {m.duplicate_of for m in chosen if m.duplicate_of is not None}
        # keeper's order: members marked a duplicate last, then its preferences; an earlier path wins a tie
        order = [m for _, m in sorted(enumerate(chosen), reverse=True, key=lambda item: (
            item[1].duplicate_of is None, item[1].id in marked, item[1].status == "reviewed", item[1].annotated,
            item[1].body_chars, -item[0]))]
        by_id = {m.id: m for m in chosen}
        kept_for: dict[int, int] = {}
        for member in order:
            # A chain of marks is decided from its top down: a member marked a duplicate of one
            # not decided yet (E -> D -> C, D longer than C, so first in keeper's order) waits for it.
            chain, in_chain = [member], {member.id}
            while (target := chain[-1].duplicate_of) in by_id and target not in kept_for and target not in in_chain:
                chain.append(by_id[target])
                in_chain.add(target)
            for link in reversed(chain):
                if link.id in kept_for:
                    continue
                target = link.duplicate_of
                if target is not None and target in kept_for:
                    kept_for[link.id] = out[link.id] = kept_for[target]
                    continue
                kept_for[link.id] = link.id
                for other in near.get(link.id, ()):
                    if other in by_id and other not in kept_for:
                        kept_for[other] = out[other] = link.id
    return out


def _members(db: Any, ids: Iterable[int]) -> dict[int, Member]:
    found: dict[int, Member] = {}
    ids = list(ids)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        for row in db.execute(
            f"SELECT d.id, d.path, d.status, d.char_count - d.body_start, d.duplicate_of, "
            f"d.note != '' OR EXISTS (SELECT 1 FROM document_tags t WHERE t.document_id = d.id) "
            f"OR EXISTS (SELECT 1 FROM spans s WHERE s.document_id = d.id AND s.kind = 'annotation' "
            f"AND s.anchor != 'stale') FROM documents d WHERE d.id IN ({', '.join('?' for _ in part)})", part,
        ):
            found[row[0]] = Member(*row[:5], bool(row[5]))
    return found


def rebuild_clusters(db: Any) -> None:
    """Store every document's cluster at the default threshold (the list's filter and sort).
    Inside the caller's write transaction."""
    db.execute("DELETE FROM duplicate_clusters")
    db.conn.executemany(
        "INSERT INTO duplicate_clusters (document_id, cluster, keep) VALUES (?, ?, ?)",
        ((member.id, cluster.number, int(member.id == cluster.keep.id))
         for cluster in clusters(db) for member in cluster.members),
    )


def makes_a_circle(duplicate_of: Callable[[int], int | None], document_id: int, of: int) -> bool:
    """Whether marking ``document_id`` a duplicate of ``of`` makes two documents each other's copy:
    ``of`` is it, or is marked (through a chain of marks) a duplicate of it. ``duplicate_of(id)``:
    a document's mark, or None. No tool could tell which to keep (export --dedup kept one,
    --clusters named the other)."""
    seen, current = {of}, of
    while (current := duplicate_of(current)) is not None and current not in seen:  # type: ignore[assignment]
        if current == document_id:
            return True
        seen.add(current)
    return of == document_id
