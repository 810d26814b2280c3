"""Learning from the analyst: the corpus's own decisions correct the shipped model.

Examples come from the documents the analyst has worked on (most recent first, at most
``MAX_DOCUMENTS``): lines inside a boilerplate mark are boilerplate; lines rejected as
suggestions are not; in a document marked reviewed, every other line is content (the analyst
read it and left it). A logistic regression on the same features, with the shipped model's
score as its starting point (its logit is an offset), is fitted to them by a few passes of
stochastic gradient descent in pure Python — a fraction of a second for 100 documents — so a
new mark or rejection changes the next suggestions without a restart. From
``VALIDATION_DOCUMENTS`` decided documents on, a correction is used only when, fitted three
times without a third of them, it predicts the thirds it left out better than the shipped model
alone.

A ``Correction`` is cached per corpus connection and refitted when the decisions change
(``decisions_version``: the last span, rejection and status change).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from ..ranges import inside_one
from .features import DENSE_NAMES, LineFeatures
from .model import LineModel

MAX_DOCUMENTS = 100  # the most recently decided documents that teach (bounded fitting time)
MAX_EXAMPLES = 4000  # lines from them, most recent documents first: fitting stays under a second
# A longer document does not teach: its lines alone would be all the examples (145,000 lines in
# 10 MB), and reading its features took seconds before the first suggestion of any document.
MAX_TEACHING_CHARS = 500_000
MIN_EXAMPLES = 20  # fewer decisions than this: no correction
MIN_EACH = 10  # ... or fewer than this of either kind: a document or two must not swing the model
EPOCHS = 4
LEARNING_RATE = 0.05
L2 = 0.05
# A correction moves a line's logit by at most SHIFT_PER_DOCUMENT for each document that taught
# it (up to MAX_SHIFT): decisions on a few documents cannot silence every suggestion of the
# others (one reviewed document and two marked ones once took a comment widget's lines from
# 0.99 to 0.15), while a dozen documents agreeing can turn a line around.
SHIFT_PER_DOCUMENT = 0.5
MAX_SHIFT = 6.0
MAX_Z = 3.0  # standardized features are bounded to this before the correction weighs them
VALIDATION_DOCUMENTS = 6  # from this many decided documents on, a correction must prove itself on each third of them


@dataclass
class Correction:
    """What the corpus's decisions add to the shipped model's logit."""

    bias: float = 0.0
    dense: list[float] = field(default_factory=lambda: [0.0] * len(DENSE_NAMES))
    tokens: dict[int, float] = field(default_factory=dict)
    examples: int = 0
    limit: float = MAX_SHIFT  # the most it moves a logit (``SHIFT_PER_DOCUMENT``)

    def logit(self, model: LineModel, line: LineFeatures) -> float:
        total = self.bias
        for value, mean, scale, weight in zip(line.dense, model.mean, model.scale, self.dense):
            if weight:
                total += _bounded((value - mean) / scale) * weight
        for bucket in set(line.tokens):
            total += self.tokens.get(bucket, 0.0)
        return max(-self.limit, min(self.limit, total))


def _bounded(value: float) -> float:
    """A standardized feature as the correction weighs it: a line far out on one feature (a
    10 MB line's length, a passage in every document) must not swing the score by itself."""
    return max(-MAX_Z, min(MAX_Z, value))


def base_logit(model: LineModel, line: LineFeatures) -> float:
    return logit_of(model.score(line))


def logit_of(score: float) -> float:
    score = min(max(score, 1e-6), 1 - 1e-6)
    return math.log(score / (1 - score))


def fit_correction(model: LineModel, examples: list[tuple[LineFeatures, int]], seed: int = 0,
                   documents: list[int] | None = None) -> Correction:
    """A correction fitted to (line, label) examples; none when there are too few, or only one
    kind (nothing to tell apart).

    With ``documents`` (each example's document) naming at least ``VALIDATION_DOCUMENTS``, the
    correction is first fitted three times, each time without a third of them, and kept only
    when those fits predict the lines of the documents they left out better than the shipped
    model alone (lower log-loss over every document): what the analyst's documents teach must
    carry to documents it was not fitted on, or it is not used (their pages may be of sites
    the rest of the corpus does not have)."""
    taught_by = len(set(documents)) if documents is not None else MAX_SHIFT / SHIFT_PER_DOCUMENT
    correction = Correction(examples=len(examples), limit=min(MAX_SHIFT, SHIFT_PER_DOCUMENT * taught_by))
    if not _enough(examples):
        return correction
    if documents is not None and len(set(documents)) >= VALIDATION_DOCUMENTS:
        if not _carries_over(model, examples, documents, seed):
            return correction
    return _fit(model, examples, seed, correction)


def _carries_over(model: LineModel, examples: list[tuple[LineFeatures, int]], documents: list[int],
                  seed: int) -> bool:
    """Whether corrections fitted without each third of the documents predict that third's lines
    better than the shipped model alone, summed over the three thirds. Too few decisions left
    to fit without a third (fewer than ``MIN_EACH`` of a kind) cannot be checked: the check is
    for many decisions, a few are used as they are."""
    ordered = sorted(set(documents))
    splits = []
    for third in range(3):
        held_out = set(ordered[third::3])
        fitted = [example for example, document in zip(examples, documents) if document not in held_out]
        checked = [example for example, document in zip(examples, documents) if document in held_out]
        if not _enough(fitted):
            return True
        splits.append((fitted, checked, len(ordered) - len(held_out)))
    corrected = shipped = 0.0
    for fitted, checked, taught_by in splits:
        trial = _fit(model, fitted, seed, Correction(examples=len(fitted),
                                                     limit=min(MAX_SHIFT, SHIFT_PER_DOCUMENT * taught_by)))
        corrected += log_loss(model, trial, checked) * len(checked)
        shipped += log_loss(model, None, checked) * len(checked)
    return corrected < shipped


def _enough(examples: list[tuple[LineFeatures, int]]) -> bool:
    positives = sum(label for _, label in examples)
    return len(examples) >= MIN_EXAMPLES and min(positives, len(examples) - positives) >= MIN_EACH


def log_loss(model: LineModel, correction: Correction | None, examples: list[tuple[LineFeatures, int]]) -> float:
    """The mean log-loss of the shipped model's scores, corrected by ``correction`` if given."""
    total = 0.0
    for line, label in examples:
        logit = base_logit(model, line) + (correction.logit(model, line) if correction is not None else 0.0)
        margin = max(-30.0, min(30.0, logit if label else -logit))
        total += math.log1p(math.exp(-margin))
    return total / max(len(examples), 1)


def _fit(model: LineModel, examples: list[tuple[LineFeatures, int]], seed: int, correction: Correction) -> Correction:
    prepared = [([_bounded((v - m) / s) for v, m, s in zip(line.dense, model.mean, model.scale)],
                 sorted(set(line.tokens)), base_logit(model, line), label) for line, label in examples]
    order = list(range(len(prepared)))
    shuffle = random.Random(seed).shuffle
    tokens = correction.tokens
    dense = correction.dense
    limit = correction.limit
    for _ in range(EPOCHS):
        shuffle(order)
        for index in order:
            values, buckets, offset, label = prepared[index]
            shift = correction.bias + sum(v * w for v, w in zip(values, dense))
            shift += sum(tokens.get(b, 0.0) for b in buckets)
            # Fitted as it is used: bounded (``Correction.logit``). At the bound, an example that
            # would push further moves nothing but the weight decay; one that pulls back does.
            total = offset + max(-limit, min(limit, shift))
            predicted = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))
            error = predicted - label
            if (shift >= limit and error < 0) or (shift <= -limit and error > 0):
                error = 0.0
            correction.bias -= LEARNING_RATE * error
            for position, value in enumerate(values):
                dense[position] -= LEARNING_RATE * (error * value + L2 * dense[position])
            for bucket in buckets:
                weight = tokens.get(bucket, 0.0)
                tokens[bucket] = weight - LEARNING_RATE * (error + L2 * weight)
    return correction


def corpus_examples(corpus: Any) -> tuple[list[tuple[LineFeatures, int]], list[int]]:
    """The analyst's decisions in this corpus as labelled lines (see the module docstring),
    and each line's document."""
    rows = corpus.db.execute(
        "SELECT d.id, d.body_start, d.status FROM documents AS d WHERE d.state = 'ok' AND ("
        "  d.status = 'reviewed' OR EXISTS (SELECT 1 FROM spans AS s WHERE s.document_id = d.id "
        "    AND s.kind = 'boilerplate' AND s.anchor != 'stale') "
        "  OR EXISTS (SELECT 1 FROM suggestion_rejections AS r WHERE r.document_id = d.id)"
        ") AND d.char_count <= ? "
        # The documents decided last, not scanned last (a decision on an early document taught
        # nothing once 100 later ones were decided: a review): the newest of its marks (made by
        # hand, accepted, or everywhere), rejections and status changes, by their times (the
        # events of a batch name no document).
        "ORDER BY MAX("
        "  COALESCE((SELECT MAX(s.created_at) FROM spans AS s WHERE s.document_id = d.id "
        "            AND s.kind = 'boilerplate' AND s.anchor != 'stale'), ''), "
        "  COALESCE((SELECT MAX(r.created_at) FROM suggestion_rejections AS r WHERE r.document_id = d.id), ''), "
        "  COALESCE((SELECT MAX(e.at) FROM events AS e WHERE e.document_id = d.id AND e.action = 'status.set'), '')"
        ") DESC, d.id DESC LIMIT ?", [MAX_TEACHING_CHARS, MAX_DOCUMENTS],
    ).fetchall()
    from .decisions import line_fingerprint  # here: decisions imports the scorer's neighbours

    examples: list[tuple[LineFeatures, int]] = []
    documents: list[int] = []
    for document_id, body_start, status in rows:
        if len(examples) >= MAX_EXAMPLES:
            break
        text = corpus.text(document_id)
        marked = sorted(corpus._marked_ranges(document_id))  # merged: never overlapping
        rejected = corpus.rejected_fingerprints(document_id)
        for line in corpus._line_features(document_id, text, body_start):
            # By bisection: a scan of the marks for every line was 145,000 lines x 44,000 marks in
            # a 10 MB document whose suggestions were all accepted (seconds before any suggestion
            # of any document showed: a trial).
            if inside_one(marked, (line.start, line.end)):
                examples.append((line, 1))
            elif rejected and line_fingerprint(text[line.start : line.end]) in rejected:
                examples.append((line, 0))
            elif status == "reviewed":
                examples.append((line, 0))
        documents.extend([document_id] * (len(examples) - len(documents)))
    return examples, documents


def decisions_version(corpus: Any) -> int:
    """Changes whenever a decision that teaches does: every mark, rejection, status change (and
    undo of one) is an event."""
    return int(corpus.db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])


_FITTED: dict[str, tuple[int, Correction]] = {}  # database path -> (decisions version, correction)


def correction_is_fitted(corpus: Any) -> bool:
    """Whether ``correction_for`` would answer from its cache, without fitting (a fit reads every
    decision of the corpus: too slow for a keypress)."""
    cached = _FITTED.get(str(corpus.db_path))
    return cached is not None and cached[0] == decisions_version(corpus)


def correction_for(corpus: Any, model: LineModel) -> Correction:
    """The corpus's correction, refitted only when its decisions changed (any connection of
    this process shares it: the app scores in workers with their own connections)."""
    key = str(corpus.db_path)
    version = decisions_version(corpus)
    cached = _FITTED.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    examples, documents = corpus_examples(corpus)
    correction = fit_correction(model, examples, documents=documents)
    _FITTED[key] = (version, correction)
    return correction
