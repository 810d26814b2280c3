"""A line diff of two documents for reading side by side (difflib), with the words that
differ inside changed lines, and long runs of equal lines folded.

Rows are plain data; the app renders them (safely: text is never markup). Lines are
compared as they are; inside a pair of changed lines, words are compared so a curly
quote or a changed number stands out rather than the whole line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

FOLD_AFTER = 8  # equal lines in a row beyond which the middle is folded
CONTEXT = 3  # equal lines kept on each side of a fold
WORD_DIFF_MAX = 5_000  # characters: longer changed lines are shown whole
PAIR_RATIO = 0.6  # a removed and an added line this alike are one changed line
PAIR_SEARCH = 200  # added lines a removed one is compared with at most (a block of 10 MB: shown whole)
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "same" | "removed" (only in the first) | "added" (only in the second) | "fold"
    first_line: int | None  # 1-based line numbers, None where the row has no line on that side
    second_line: int | None
    pieces: tuple[tuple[str, bool], ...]  # (text, differs) in order; a fold holds its count as text

    @property
    def text(self) -> str:
        return "".join(piece for piece, _ in self.pieces)


def diff_rows(first: str, second: str) -> list[DiffRow]:
    """The rows of a diff from ``first`` to ``second``."""
    first_lines, second_lines = _lines(first), _lines(second)
    # Blank lines are no anchors: matching them would line up two different frames' paragraphs.
    matcher = difflib.SequenceMatcher(lambda line: not line.strip(), first_lines, second_lines, autojunk=False)
    rows: list[DiffRow] = []
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            rows += _equal(first_lines, a_start, a_end, b_start)
            continue
        rows += _changed(first_lines, second_lines, range(a_start, a_end), range(b_start, b_end))
    return rows


def _changed(first_lines: list[str], second_lines: list[str], removed_range: range,
             added_range: range) -> list[DiffRow]:
    """A changed block: each removed line paired, in order, with the next added line much like it
    (difflib ratio >= ``PAIR_RATIO``), shown word by word; the others shown whole. Blank lines
    are left out of changed blocks: a blank line more or less is not a difference to read."""
    rows: list[DiffRow] = []
    removed = [i for i in removed_range if first_lines[i].strip()]
    added = [i for i in added_range if second_lines[i].strip()]
    next_added = 0  # index into added
    for a_index in removed:
        partner = None
        if len(added) <= PAIR_SEARCH and len(first_lines[a_index]) <= WORD_DIFF_MAX:
            for position in range(next_added, len(added)):
                b_index = added[position]
                if len(second_lines[b_index]) > WORD_DIFF_MAX:
                    continue  # ratio() is quadratic in the length: a long line is shown whole
                matcher = difflib.SequenceMatcher(None, first_lines[a_index], second_lines[b_index], autojunk=False)
                if matcher.real_quick_ratio() >= PAIR_RATIO and matcher.quick_ratio() >= PAIR_RATIO \
                        and matcher.ratio() >= PAIR_RATIO:
                    partner = position
                    break
        if partner is None:
            rows.append(DiffRow("removed", a_index + 1, None, ((first_lines[a_index], True),)))
            continue
        rows += [DiffRow("added", None, b + 1, ((second_lines[b], True),)) for b in added[next_added:partner]]
        old, new = _word_diff(first_lines[a_index], second_lines[added[partner]])
        rows.append(DiffRow("removed", a_index + 1, None, old))
        rows.append(DiffRow("added", None, added[partner] + 1, new))
        next_added = partner + 1
    rows += [DiffRow("added", None, b + 1, ((second_lines[b], True),)) for b in added[next_added:]]
    return rows


def _lines(text: str) -> list[str]:
    """Lines as the reader numbers them: split at ``\n`` only (a form feed or U+2028 stays in
    its line, shown as a glyph), a ``\r`` before it belonging to the break."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _equal(lines: list[str], a_start: int, a_end: int, b_start: int) -> list[DiffRow]:
    def row(index: int) -> DiffRow:
        return DiffRow("same", index + 1, b_start + index - a_start + 1, ((lines[index], False),))

    count = a_end - a_start
    if count <= FOLD_AFTER:
        return [row(i) for i in range(a_start, a_end)]
    hidden = count - 2 * CONTEXT
    return [
        *(row(i) for i in range(a_start, a_start + CONTEXT)),
        DiffRow("fold", None, None, ((f"⋯ {hidden} same lines ⋯", False),)),
        *(row(i) for i in range(a_end - CONTEXT, a_end)),
    ]


def _word_diff(old: str, new: str) -> tuple[tuple[tuple[str, bool], ...], tuple[tuple[str, bool], ...]]:
    if len(old) > WORD_DIFF_MAX or len(new) > WORD_DIFF_MAX:
        return ((old, True),), ((new, True),)
    old_tokens, new_tokens = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    old_pieces: list[tuple[str, bool]] = []
    new_pieces: list[tuple[str, bool]] = []
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        same = tag == "equal"
        if a_end > a_start:
            old_pieces.append(("".join(old_tokens[a_start:a_end]), not same))
        if b_end > b_start:
            new_pieces.append(("".join(new_tokens[b_start:b_end]), not same))
    return tuple(old_pieces) or (("", False),), tuple(new_pieces) or (("", False),)


def similarity_line(jaccard: float, containment: float) -> str:
    return f"containment {containment:.2f}, Jaccard {jaccard:.2f}"
