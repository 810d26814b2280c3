"""Find a span again after its document changed, by quote plus context.

Every span stores its quoted text and up to CONTEXT_CHARS characters on either
side. When the text changes we look for the quote; with several candidates the
one whose surroundings match the stored context best wins, ties going to the one
nearest the old offset. No candidate, or several with no context evidence at
all, means the span is *stale*: it keeps its old offsets but is never shown on
the text, so it is never silently misplaced.
"""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT_CHARS = 32
MAX_CANDIDATES = 10_000


@dataclass(frozen=True)
class Anchor:
    quote: str
    prefix: str
    suffix: str


def anchor_for(text: str, start: int, end: int) -> Anchor:
    return Anchor(
        text[start:end],
        text[max(0, start - CONTEXT_CHARS) : start],
        text[end : end + CONTEXT_CHARS],
    )


def _common_suffix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b)):
        if x != y:
            break
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def locate(text: str, anchor: Anchor, hint: int) -> int | None:
    """Start offset of ``anchor`` in ``text``, or None when it cannot be trusted."""
    quote = anchor.quote
    if not quote:
        return None
    candidates: list[int] = []
    position = text.find(quote)
    while position != -1 and len(candidates) < MAX_CANDIDATES:
        candidates.append(position)
        position = text.find(quote, position + 1)
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]

    def score(pos: int) -> tuple[int, int]:
        before = text[max(0, pos - len(anchor.prefix)) : pos]
        after = text[pos + len(quote) : pos + len(quote) + len(anchor.suffix)]
        context = _common_suffix(before, anchor.prefix) + _common_prefix(after, anchor.suffix)
        return context, -abs(pos - hint)

    best = max(candidates, key=score)
    if score(best)[0] == 0:
        return None
    return best
