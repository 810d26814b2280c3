"""Boilerplate suggestions for a corpus's documents: each line scored, with a reason.

A line's score is the shipped model's (``model``: its shape, its neighbours', where it is,
how many other documents hold it) — raised to at least ``REPEAT_SCORE`` when the passage
index finds the line in ``REPEAT_DOCS`` documents or more (on the real pages of
boilerplate-dev, marking those had precision 1.0), and to ``SHAPE_SCORE`` for serialized
data, counter lines and legal notices (``with_shape_floor``); the document's title is
never suggested, unless it is a site's line (``_a_sites_line``: a menu taken for the title of
pages without a headline). Lines already inside a boilerplate span are not suggested, nor lines the
analyst rejected in that document. Suggestions change nothing: stats and exports see only marks.

Example::

    with Corpus.open("seeds") as corpus:
        for document, found in corpus.suggest_all():
            for suggestion in found:
                print(document.path, suggestion.score, suggestion.reason)
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from decimal import Decimal
from numbers import Real
from pathlib import Path
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..arguments import whole_number, whole_numbers
from ..base import CorpusBase
from ..errors import DocumentNotFound, InvalidValue
from ..models import Document, TextVersion
from ..wording import plural
from .decisions import line_fingerprint
from .evaluate import GoldPage, line_numbers, read_gold, scores
from .features import LineFeatures, document_features, is_serialized
from .learner import MIN_EXAMPLES, Correction, correction_for, correction_is_fitted, logit_of
from .model import LineModel, _logistic, shipped_model

REPEAT_DOCS = 20
TITLE_REPEAT_DOCS = 3  # a "title" in this many documents is a site's line (boilerplate-like, as repeats say)
REPEAT_SCORE = 0.97
QUICK_CHARS = 20_000  # a text scored within a keypress: real scraped pages of this size take ~10 ms
SHAPE_SCORE = 0.95  # serialized data, counters, legal notices: suggested whatever the model says
_SHORT_WORDS = 3


@dataclass(frozen=True)
class Suggestion:
    start: int  # offsets as spans': code points into the whole text
    end: int
    score: float  # in [0, 1]: how boilerplate-like the line is
    reason: str  # for a person: what made the score

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def suggestion_at(suggestions: Sequence[Suggestion], offset: int) -> Suggestion | None:
    """The suggestion (of a document's, in document order) whose line holds ``offset``, its end
    included (a cursor after its last character), by bisection: a 10 MB text has 50,000, and a
    scan of them on every cursor move cost 2 ms a key."""
    at = bisect_right(suggestions, offset, key=attrgetter("start")) - 1
    return suggestions[at] if at >= 0 and suggestions[at].start <= offset <= suggestions[at].end else None


@dataclass(frozen=True)
class _Repeat:
    documents: int
    sources: int


class SuggestMixin(CorpusBase):
    def suggestion_threshold(self) -> float:
        """The score from which a line is suggested by default (the app shows these)."""
        return shipped_model().threshold

    @whole_numbers("document_id")
    def suggestions(self, document_id: int, min_score: float | None = None) -> list[Suggestion]:
        """The document's lines scored at or above ``min_score`` (default: the model's
        threshold), in document order, except those already marked as boilerplate."""
        threshold = self._threshold(min_score)
        return self._scored(self.document(document_id), threshold)

    @whole_numbers("document_id")
    def quick_suggestions(self, document_id: int, max_chars: int | None = None) -> list[Suggestion] | None:
        """``suggestions(document_id)`` when they cost a few milliseconds: the text has at most
        ``max_chars`` characters (default ``QUICK_CHARS``) and what the corpus's decisions taught
        is fitted already. None otherwise, for the caller to score it in the background (the app
        draws a document and its suggestions in one frame when it can)."""
        limit = QUICK_CHARS if max_chars is None else whole_number(max_chars, "max_chars", sqlite_range=False)
        if self.document(document_id).char_count > limit or not correction_is_fitted(self):
            return None
        return self.suggestions(document_id)

    def suggest_all(self, min_score: float | None = None,
                    paths: list[str] | None = None) -> Iterator[tuple[Document, list[Suggestion]]]:
        """Every readable document (or those at ``paths``, each checked first) with its
        suggestions, in path order; documents with none are included."""
        threshold = self._threshold(min_score)
        if paths is not None:
            if isinstance(paths, (str, bytes)) or not isinstance(paths, Iterable):
                raise InvalidValue(f"paths is a list of paths, not {type(paths).__name__} {paths!r}")
            # Each once, in the order given (``--path a --path a`` listed it twice).
            documents = [self.document_by_path(path) for path in dict.fromkeys(paths)]
        else:
            documents = [Document.from_row(row) for row in self.query(
                "SELECT * FROM documents WHERE state = 'ok' ORDER BY path")]
        for document in documents:
            version, found = self._scored_version(document, threshold)
            # The document as its text was when scored: accepting checks it has not changed since.
            yield replace(document, sha256=version[0], encoding=version[1]), found

    @whole_numbers("document_id")
    def score_lines(self, document_id: int) -> list[Suggestion]:
        """Every non-blank line not yet marked, with its score and reason, whatever the score."""
        return self._scored(self.document(document_id))

    def evaluate_suggestions(self, gold: list[GoldPage] | str | os.PathLike[str],
                             min_score: float | None = None) -> dict[str, Any]:
        """Suggestions (and marks already made) scored line by line against hand labels
        (``evaluate``): ``read_gold``'s pages, or the path of a gold file, which is read so.
        Every gold path must be a document of the corpus."""
        if isinstance(gold, (str, os.PathLike)):
            gold = read_gold(Path(gold), check=self._gold_document)
        gold = list(gold) if isinstance(gold, (list, tuple)) else gold
        if not isinstance(gold, list) or not all(isinstance(page, GoldPage) for page in gold):
            raise InvalidValue("gold is a gold file's path, or a list of GoldPage (read_gold), "
                               f"not {type(gold).__name__}")
        if not gold:
            raise InvalidValue("no gold page to score against")
        threshold = self._threshold(min_score)
        documents = [self._gold_document(page) for page in gold]  # all checked first
        labels: list[int] = []
        predicted: list[bool] = []
        blank = 0  # labels on blank lines: nothing to score there
        for page, document in zip(gold, documents):
            text = self.text(document.id)
            scored = self._scored(document)
            on_line = dict(zip(line_numbers(text, [s.start for s in scored]), scored))
            marked = self._marked_ranges(document.id)
            starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
            for number, label in [*((n, 1) for n in page.boilerplate_lines), *((n, 0) for n in page.content_lines)]:
                if not text[starts[number - 1]:].split("\n", 1)[0].strip():
                    blank += 1
                    continue  # a blank line: nothing to score
                suggestion = on_line.get(number)
                if suggestion is not None:
                    guess = suggestion.score >= threshold
                else:  # not scored: inside a mark already
                    guess = any(start <= starts[number - 1] < end for start, end in marked)
                labels.append(label)
                predicted.append(guess)
        return {"documents": len(gold), "threshold": threshold, **scores(labels, predicted), "blank_labels": blank}

    def _gold_document(self, page: GoldPage) -> Document:
        try:
            document = self.document_by_path(page.path)
        except DocumentNotFound as error:
            raise page.located(str(error)) from None
        text = self.text(document.id)
        lines = text.count("\n") + (not text.endswith("\n"))  # a final newline ends a line, it starts none
        past = max(page.boilerplate_lines | page.content_lines, default=0)
        if past > lines:
            raise page.located(f"line {past} is past the end of {page.path} ({lines} lines)")
        return document

    def _threshold(self, min_score: float | None) -> float:
        if min_score is None:
            return self.suggestion_threshold()
        if isinstance(min_score, bool) or not isinstance(min_score, (Real, Decimal)):
            raise InvalidValue(f"a minimum score is a number between 0 and 1, not {type(min_score).__name__} {min_score!r}")
        min_score = float(min_score)
        if not 0.0 <= min_score <= 1.0:
            raise InvalidValue(f"a minimum score is between 0 and 1, not {min_score}")
        return min_score

    def _scored(self, document: Document, threshold: float | None = None) -> list[Suggestion]:
        """The document's unmarked, unrejected lines scored (those at or above ``threshold``
        only, when given: a reason is worded for those alone)."""
        return self._scored_version(document, threshold)[1]

    def _scored_version(self, document: Document, threshold: float | None = None
                        ) -> tuple[TextVersion, list[Suggestion]]:
        """``_scored``, and the version (``Document.version``) of the text it scored: read with the
        text in one statement, so a scan committing meanwhile cannot pair one with the other."""
        row = self.db.execute(  # the text with what says how to read it, in one statement
            "SELECT d.sha256, d.encoding, d.body_start, d.title, t.text FROM documents AS d "
            "JOIN document_texts AS t ON t.document_id = d.id WHERE d.id = ?", [document.id]).fetchone()
        if row is None or not row[4]:
            return (row[0], row[1]) if row else (None, None), []
        version, text = (row[0], row[1]), row[4]
        document = replace(document, body_start=row[2], title=row[3])  # not the row listed minutes ago
        repeats = self._line_repeats(document.id)
        lines = self._line_features(document.id, text, document.body_start, repeats)
        marked = self._marked_ranges(document.id)
        rejected = self.rejected_fingerprints(document.id)  # type: ignore[attr-defined]
        model = shipped_model()
        correction = correction_for(self, model)
        found = []
        for index, line in enumerate(lines):
            if any(start <= line.start and line.end <= end for start, end in marked):
                continue
            if rejected and line_fingerprint(text[line.start : line.end]) in rejected:
                continue
            suggestion = _suggestion(model, correction, lines, index, text, repeats.get((line.start, line.end)),
                                     document.title, threshold)
            if suggestion is not None:
                found.append(suggestion)
        return version, found

    def _line_features(self, document_id: int, text: str, body_start: int,
                       repeats: dict[tuple[int, int], _Repeat] | None = None) -> list[LineFeatures]:
        """The document's lines as the model sees them, repetition from the passage index."""
        found = repeats if repeats is not None else self._line_repeats(document_id)
        return document_features(text, body_start, lambda start, end: max(0, found[(start, end)].documents - 1)
                                 if (start, end) in found else 0)

    def _line_repeats(self, document_id: int) -> dict[tuple[int, int], _Repeat]:
        return {(start, end): _Repeat(documents, sources) for start, end, documents, sources in self.db.execute(
            'SELECT p.start, p."end", r.documents, r.sources FROM passages AS p '
            "JOIN repeats AS r ON r.fingerprint = p.fingerprint WHERE p.document_id = ? AND p.paragraph = 0",
            [document_id],
        )}

    def _marked_ranges(self, document_id: int) -> list[tuple[int, int]]:
        return [(start, end) for start, end in self.db.execute(
            "SELECT start, \"end\" FROM spans WHERE document_id = ? AND kind = 'boilerplate' AND anchor != 'stale'",
            [document_id],
        )]


def _suggestion(model: LineModel, correction: Correction, lines: list[LineFeatures], index: int, text: str,
                repeat: _Repeat | None, title: str | None, threshold: float | None) -> Suggestion | None:
    """The line scored, or None when a threshold is given and the score is under it."""
    line = lines[index]
    raw = text[line.start : line.end].strip()
    if title and raw == title.strip() and not _a_sites_line(raw, repeat):
        # The document's own headline is its content, however short and unpunctuated.
        return Suggestion(line.start, line.end, 0.0, "the document's title") if threshold is None else None
    score = model.score(line)
    if correction.examples >= MIN_EXAMPLES:  # what this corpus's decisions taught
        score = _logistic(logit_of(score) + correction.logit(model, line))
    if repeat is not None and repeat.documents >= REPEAT_DOCS:
        score = max(score, REPEAT_SCORE)
    score = round(with_shape_floor(score, raw), 4)
    if threshold is not None and score < threshold:
        return None
    reason = _reason(lines, index, text, repeat)
    if score < model.threshold and (repeat is None or repeat.documents < 3):
        # Under the model's threshold (score_lines; --min-score below it): the reasons say why a
        # line looks like boilerplate, which a low score does not. Listed at a lower --min-score,
        # the line is suggested (and --apply stores the reason): "not suggested" would contradict it.
        if score < 0.5:
            reason = "reads like article text"
        elif threshold is None:
            reason = f"{reason}; under the threshold, not suggested"
        else:
            reason = f"{reason}; under the default threshold"
    return Suggestion(line.start, line.end, score, reason)


def _a_sites_line(raw: str, repeat: _Repeat | None) -> bool:
    """A "title" that is not the document's own: found in ``TITLE_REPEAT_DOCS`` documents or more,
    and with no digit (a site's menu taken for the title of pages without a headline; headlines
    of a series, "Daily briefing, 12 May", are the same passage only by the digit class)."""
    return repeat is not None and repeat.documents >= TITLE_REPEAT_DOCS and not any(map(str.isdigit, raw))


def with_shape_floor(score: float, raw: str) -> float:
    """``score`` raised to ``SHAPE_SCORE`` for a line whose shape says what it is, whatever the
    words around it: serialized data, a counter, a legal notice."""
    if is_serialized(raw) or _is_counter(raw) or _is_legal_notice(raw):
        return max(score, SHAPE_SCORE)
    return score


def _is_legal_notice(raw: str) -> bool:
    """A copyright, rights or disclaimer line: ``©``, or one that opens with "copyright", "(c)"
    or "disclaimer:", or says "all rights reserved". On boilerplate-dev's labelled lines (94
    pages) 107 such lines are boilerplate and 3 content; flooring them adds 30 suggestions, 28
    right (content F 0.8227 -> 0.826 in the bench's cross-validation)."""
    head = raw[:300]
    return "©" in head or _LEGAL_OPENING.match(head) is not None or "all rights reserved" in head.lower()


_LEGAL_OPENING = re.compile(r"[*_# ]*(?:copyright\b|\(c\)|disclaimer:)", re.IGNORECASE)


def _is_counter(raw: str) -> bool:
    """A number with a unit or sign and nothing to read: ``0 $``, ``2,500 $``, ``12 comments``
    is not (it has a word)."""
    head = raw[:80]
    return len(raw) <= 40 and any(char.isdigit() for char in head) and sum(char.isalpha() for char in head) < 3


def _reason(lines: list[LineFeatures], index: int, text: str, repeat: _Repeat | None) -> str:
    """What a person would say made the line look like boilerplate (or not)."""
    line = lines[index]
    raw = text[line.start : line.end].strip()
    if repeat is not None and repeat.documents >= 3:
        return f"in {plural(repeat.documents, 'document')} from {plural(repeat.sources, 'source')}"
    if is_serialized(raw):
        return "serialized data"
    if _is_counter(raw):
        return "a counter or price line"
    if _is_legal_notice(raw):
        return "a copyright or legal notice"
    short = _is_short(line)
    if short and any(0 <= other < len(lines) and _is_short(lines[other]) for other in (index - 1, index + 1)):
        return "navigation: a run of short lines without sentence punctuation"
    if "http" in raw[:400] or "www." in raw[:400] or "](" in raw[:400] or "@" in raw[:400]:
        return "links or addresses"
    if short:
        return "a short line without sentence punctuation"
    return "reads like page furniture, not article text"


def _is_short(line: LineFeatures) -> bool:
    return line.words <= _SHORT_WORDS and not line.ends_like_sentence
