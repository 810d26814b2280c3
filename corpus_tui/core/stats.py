"""Corpus statistics: progress, tags, boilerplate share, annotations by label."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .schema import DOCUMENT_STATES, STATUSES

if TYPE_CHECKING:
    from .corpus import Corpus


def corpus_stats(corpus: "Corpus") -> dict[str, Any]:
    one = lambda sql: corpus.query(sql)[0]  # noqa: E731 - tiny local helper
    total = one("SELECT COUNT(*) AS n FROM documents")["n"]
    by_status = {status: 0 for status in STATUSES}
    for row in corpus.query("SELECT status, COUNT(*) AS n FROM documents GROUP BY status"):
        by_status[row["status"]] = row["n"]
    by_state = {state: 0 for state in DOCUMENT_STATES}
    for row in corpus.query("SELECT state, COUNT(*) AS n FROM documents GROUP BY state"):
        by_state[row["state"]] = row["n"]
    chars = one("SELECT COALESCE(SUM(char_count), 0) AS n FROM documents WHERE state != 'unreadable'")["n"]
    boilerplate = one(
        "SELECT COALESCE(SUM(\"end\" - start), 0) AS n FROM spans "
        "WHERE kind = 'boilerplate' AND anchor != 'stale'"
    )["n"]
    tags = {
        row["name"]: row["n"]
        for row in corpus.query(
            "SELECT tags.name, (SELECT COUNT(*) FROM document_tags WHERE document_tags.tag_id = tags.id) AS n "
            "FROM tags ORDER BY n DESC, tags.key"
        )
    }
    labels = {
        row["label"]: row["n"]
        for row in corpus.query(
            "SELECT label, COUNT(*) AS n FROM spans WHERE kind = 'annotation' GROUP BY label ORDER BY n DESC, label"
        )
    }
    stale = one("SELECT COUNT(*) AS n FROM spans WHERE anchor = 'stale'")["n"]
    return {
        "documents": total,
        "by_status": by_status,
        "by_state": by_state,
        "reviewed_share": round(by_status["reviewed"] / total, 4) if total else 0.0,
        "characters": chars,
        "boilerplate_characters": boilerplate,
        "boilerplate_share": round(boilerplate / chars, 4) if chars else 0.0,
        "tags": tags,
        "annotations_by_label": labels,
        "stale_spans": stale,
    }


def format_stats(stats: dict[str, Any]) -> str:
    """Plain-text report for the terminal."""
    lines = [f"documents: {stats['documents']:,}"]
    lines.append("  by status: " + ", ".join(f"{k} {v:,}" for k, v in stats["by_status"].items()))
    states = {k: v for k, v in stats["by_state"].items() if v and k != "ok"}
    if states:
        lines.append("  problems: " + ", ".join(f"{k} {v:,}" for k, v in states.items()))
    lines.append(f"reviewed: {stats['reviewed_share']:.1%}")
    lines.append(
        f"boilerplate: {stats['boilerplate_share']:.1%} of characters "
        f"({stats['boilerplate_characters']:,} of {stats['characters']:,})"
    )
    lines.append("tags: " + (", ".join(f"{k} {v:,}" for k, v in stats["tags"].items()) or "none"))
    lines.append(
        "annotations: " + (", ".join(f"{k} {v:,}" for k, v in stats["annotations_by_label"].items()) or "none")
    )
    if stats["stale_spans"]:
        lines.append(f"stale spans (could not be re-anchored): {stats['stale_spans']:,}")
    return "\n".join(lines)
