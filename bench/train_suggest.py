"""Fit the shipped suggestion model on ``../shared/boilerplate-dev`` and write it into the package.

    pip install scikit-learn      # only here: the app scores with the weights alone
    python bench/train_suggest.py [--out corpus_tui/core/suggest/model.json]

Logistic regression (scikit-learn) on the standardized line features and the hashed words of
``core.suggest.features``; the weights, means and scales go to a JSON file of ~100 KB that
``core.suggest.model`` reads. ``fit`` is also what ``bench_suggest.py`` cross-validates.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from suggest_data import Page, load_pages  # noqa: E402

from corpus_tui.core.suggest.features import DENSE_NAMES, TOKEN_BUCKETS  # noqa: E402

MODEL = Path(__file__).resolve().parents[1] / "corpus_tui" / "core" / "suggest" / "model.json"
REGULARIZATION = 0.3  # scikit-learn's C: smaller is smoother
TARGET_PRECISION = 0.95  # the threshold suggests lines only where boilerplate precision reaches this


def matrices(pages: list[Page]) -> tuple[Any, Any]:
    import numpy as np
    from scipy import sparse

    dense, rows, cols, labels = [], [], [], []
    for page in pages:
        for index, label in page.labels.items():
            line = page.lines[index]
            for bucket in set(line.tokens):
                rows.append(len(dense))
                cols.append(bucket)
            dense.append(line.dense)
            labels.append(label)
    tokens = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(dense), TOKEN_BUCKETS))
    return (np.array(dense), tokens), np.array(labels)


def fit(pages: list[Page], precision: float | None = TARGET_PRECISION) -> dict[str, Any]:
    """The model's JSON form, fitted on these pages' labelled lines. Its threshold is the
    lowest at which boilerplate precision reaches ``precision`` on pages it was not fitted
    on (an inner cross-validation over these pages); None keeps 0.5."""
    model = _fit(pages)
    if precision is not None:
        model["threshold"] = choose_threshold(pages, precision)
    return model


def choose_threshold(pages: list[Page], precision: float, folds: int = 4) -> float:
    from corpus_tui.core.suggest.model import parse_model

    scored: list[tuple[float, int]] = []
    for fold in range(folds):
        model = parse_model(_fit([page for index, page in enumerate(pages) if index % folds != fold]))
        for page in pages[fold::folds]:
            scored += [(model.score(page.lines[index]), label) for index, label in page.labels.items()]
    for step in range(50, 100):
        threshold = step / 100
        chosen = [label for score, label in scored if score >= threshold]
        if chosen and sum(chosen) / len(chosen) >= precision:
            return threshold
    return 0.99


def _fit(pages: list[Page]) -> dict[str, Any]:
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    (dense, tokens), labels = matrices(pages)
    mean, scale = dense.mean(axis=0), dense.std(axis=0)
    scale[scale < 1e-6] = 1.0  # a feature constant in the data: no scaling (and no division by 0)
    features = sparse.hstack([sparse.csr_matrix((dense - mean) / scale), tokens]).tocsr()
    learner = LogisticRegression(C=REGULARIZATION, max_iter=5000)
    learner.fit(features, labels)
    weights = learner.coef_[0]
    return {
        "format": 1,
        "dense_names": list(DENSE_NAMES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "dense_weights": [round(float(v), 6) for v in weights[: len(DENSE_NAMES)]],
        "token_weights": [round(float(v), 5) for v in weights[len(DENSE_NAMES):]],
        "bias": round(float(learner.intercept_[0]), 6),
        "threshold": 0.5,
        "trained_on": f"{len(labels)} labelled lines of {len(pages)} pages (boilerplate-dev)",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    model = fit(load_pages())
    args.out.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes): {model['trained_on']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
